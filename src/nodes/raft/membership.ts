// Membership changes, one server at a time (Raft thesis §4.1), apart from the node (etcd-io/raft
// keeps them in confchange/): which configuration the log says is in force, what a change asks
// for and whether it may, and the leader's progress trackers kept in step with the voters. A
// configuration takes effect as soon as it is in the log, committed or not, so the node applies
// these on append, on truncation and on a snapshot; it appends a change only after it committed an
// entry of its own term and the previous change committed (the fix to the single-server change bug
// the thesis errata describe), which RaftNode.mayChangeMembership decides.

import type { AdminCommand, LogEntry, NodeId } from '../../shared/protocol.ts';
import type { RaftLog } from './log.ts';
import { Progress } from './progress.ts';

export type MembershipCommand = Extract<AdminCommand, { type: 'add_server' | 'remove_server' }>;

/** The newest configuration entry at or below `upTo` in the log after the snapshot, or null. */
export function lastConfigEntry(log: RaftLog, upTo: number): { voters: readonly NodeId[]; index: number } | null {
  for (let i = upTo; i > log.snapshotIndex; i--) {
    const entry = log.entry(i) as LogEntry;
    if (entry.data.type === 'config') return { voters: entry.data.voters, index: i };
  }
  return null;
}

/** Why no change may start now, or null: one at a time, each after the previous one committed. */
export function changeInProgress(configIndex: number, commit: number): string | null {
  return configIndex > commit ? `a membership change is still in progress (entry ${configIndex})` : null;
}

/** The voters after `command`, or why it cannot be made. */
export function changedVoters(voters: readonly NodeId[], command: MembershipCommand): NodeId[] | string {
  if (command.type === 'add_server') {
    if (voters.includes(command.node)) return `${command.node} is already a member`;
    return [...voters, command.node];
  }
  if (!voters.includes(command.node)) return `${command.node} is not a member`;
  if (voters.length === 1) return 'cannot remove the last server';
  return voters.filter((v) => v !== command.node);
}

/** A leader tracks every voter but itself: new ones start at `next`, removed ones are forgotten. */
export function trackVoters(progress: Map<NodeId, Progress>, voters: readonly NodeId[], self: NodeId, next: number): void {
  for (const peer of voters) {
    if (peer !== self && !progress.has(peer)) progress.set(peer, new Progress(next));
  }
  for (const peer of [...progress.keys()]) {
    if (!voters.includes(peer)) progress.delete(peer);
  }
}
