// Multi-Paxos as the rest of the product sees it: its options with their labels and bounds, the
// fields of its status, its messages (and how a scenario prints them), the buttons on its node
// cards and the options a fuzz run draws.

import type { MessageKind, NodeAction, OptionField, StatusField } from '../descriptor.ts';
import type { Rng } from '../../shared/rng.ts';
import { formatEntryData } from '../describe.ts';
import { formatBallot } from './ballot.ts';
import type { MultiPaxosMessage } from './messages.ts';
import type { MultiPaxosOptions } from './options.ts';

export const MULTIPAXOS_TITLE = 'Multi-Paxos';

export const MULTIPAXOS_SUMMARY =
  'Consensus on a sequence of slots (Lamport, Paxos Made Simple). A leader runs phase 1 once, over every open slot, recovering any value a majority may have chosen and filling gaps with no-ops; then each client command takes one round of phase 2. Kill the leader and watch the next one recover its half-finished slots; cut the cluster in two and watch the minority stop choosing; turn Stable leader off and watch dueling proposers preempt each other, then turn Backoff on and watch them settle.';

export const MULTIPAXOS_OPTION_FIELDS: readonly OptionField[] = [
  {
    key: 'stableLeader',
    kind: 'boolean',
    label: 'Stable leader',
    description: 'On: one leader sends heartbeats and the others redirect clients to it. Off: every node runs phase 1 whenever it holds client requests, and proposers preempt each other.',
    default: true,
  },
  { key: 'backoff', kind: 'boolean', label: 'Backoff', description: 'A proposer whose ballot was rejected waits a random, growing time before phase 1 again; without it dueling proposers can livelock.', default: true },
  {
    key: 'leaseReads',
    kind: 'boolean',
    label: 'Lease reads',
    description: 'A stable leader that heard from a majority within the lease (one tick under the election timeout) answers reads from its own state instead of through the log. Trusts that clocks run at the same rate.',
    default: false,
  },
  { key: 'electionTicks', kind: 'ticks', label: 'Election timeout', description: 'A follower that hears no leader for this long (each node draws between this and twice this) runs phase 1.', default: 15, min: 2, max: 1000 },
  { key: 'heartbeatTicks', kind: 'ticks', label: 'Heartbeat', description: 'How often a leader reminds followers it is alive and resends accepts that were not answered; must be well below the election timeout.', default: 5, min: 1, max: 500, below: 'electionTicks' },
  { key: 'snapshotInterval', kind: 'integer', label: 'Snapshot every', unit: 'slots', description: 'A node folds its applied slots into a snapshot, and deletes their acceptor records, after this many; 0 keeps every slot.', default: 1000, min: 0, max: 1_000_000 },
  { key: 'maxSlotsPerMessage', kind: 'integer', label: 'Slots per message', description: 'The most slots one accept or chosen message carries.', default: 64, min: 1, max: 4096 },
];

/** A hand-driven scenario starts quiet: short timeouts it can tick through, no snapshots. */
export const MULTIPAXOS_SCENARIO_DEFAULTS: Partial<MultiPaxosOptions> = {
  electionTicks: 10,
  heartbeatTicks: 2,
  snapshotInterval: 0,
};

export const MULTIPAXOS_STATUS_FIELDS: readonly StatusField[] = [
  { key: 'role', label: 'Role', kind: 'role', description: 'Candidate: running phase 1. Leader: phase 1 done, proposing in phase 2.' },
  { key: 'term', label: 'Ballot round', kind: 'number', description: 'The round of the highest ballot this acceptor promised.', card: true },
  { key: 'leader', label: 'Leader', kind: 'node' },
  { key: 'lastIndex', label: 'Highest slot', kind: 'number', description: 'The highest slot this acceptor accepted a value in.' },
  { key: 'commit', label: 'Chosen', kind: 'number', description: 'Every slot up to here is known to be chosen.', card: true },
  { key: 'applied', label: 'Applied', kind: 'number' },
  { key: 'snapshotIndex', label: 'Snapshot', kind: 'number' },
  { key: 'voters', label: 'Acceptors', kind: 'nodes' },
];

export const MULTIPAXOS_MESSAGES: Readonly<Record<string, MessageKind>> = {
  prepare: { label: 'Prepare', colour: '#c2185b', description: 'Phase 1a: a proposer asks for a promise in its ballot, for every slot from its first unchosen one.' },
  promise: { label: 'Promise', colour: '#f06292', description: 'Phase 1b: an acceptor promises, and reports what it accepted in the open slots.' },
  accept: { label: 'Accept', colour: '#1b8a3a', description: 'Phase 2a: the leader asks the acceptors to accept values in its ballot.' },
  accepted: { label: 'Accepted', colour: '#7cc576', description: 'Phase 2b: an acceptor accepted (and wrote down) the values.' },
  reject: { label: 'Reject', colour: '#d32f2f', description: 'An acceptor refuses a ballot: it promised a higher one, or still defers to a leader’s lease.' },
  chosen: { label: 'Chosen', colour: '#00838f', description: 'Learning: these slots are chosen, with their values. Also how a lagging node catches up.' },
  heartbeat: { label: 'Heartbeat', colour: '#5d4037', description: 'The leader is alive; followers defer to it and date its read lease by it.' },
  heartbeat_ack: { label: 'Heartbeat reply', colour: '#a1887f', description: 'A follower answers its leader, with how far it knows the chosen slots.' },
  snapshot: { label: 'Snapshot', colour: '#6a1b9a', description: 'Catch-up for a node that needs slots the leader already folded into its snapshot.' },
};

export const MULTIPAXOS_ACTIONS: readonly NodeAction[] = [
  { id: 'campaign', label: 'Phase 1', description: 'Make this node run phase 1 now with a higher ballot and try to become the leader.', command: () => ({ type: 'campaign' }) },
];

/**
 * Options drawn from the run's seed: every switch, and extreme settings. Dueling proposers without
 * backoff are drawn rarely: they are safe but make little progress, which the run shows well
 * enough once in a while.
 */
export function randomMultiPaxosOptions(rng: Rng): Partial<MultiPaxosOptions> {
  const pick = <T>(items: readonly T[]): T => items[rng.int(0, items.length)] as T;
  const electionTicks = pick([3, 5, 15]);
  const stableLeader = rng.chance(0.7);
  return {
    stableLeader,
    backoff: stableLeader ? rng.chance(0.5) : rng.chance(0.8),
    leaseReads: rng.chance(0.5),
    electionTicks,
    heartbeatTicks: Math.max(1, Math.floor(electionTicks / 3)),
    snapshotInterval: pick([0, 10, 50]),
    maxSlotsPerMessage: pick([1, 4, 64]),
  };
}

export function describeMultiPaxosMessage(body: { type: string }): string {
  const m = body as MultiPaxosMessage;
  switch (m.type) {
    case 'prepare':
      return `Prepare b=${formatBallot(m.ballot)} from=${m.fromSlot}`;
    case 'promise': {
      const accepted = m.accepted.map((a) => `${a.slot}@${formatBallot(a.ballot)} ${formatEntryData(a.value)}`);
      const chosen = m.chosen.map((c) => `${c.slot}/${c.round} ${formatEntryData(c.value)}`);
      const parts = [`Promise b=${formatBallot(m.ballot)} from=${m.fromSlot} commit=${m.commit}`];
      if (accepted.length > 0) parts.push(`accepted=[${accepted.join(', ')}]`);
      if (chosen.length > 0) parts.push(`chosen=[${chosen.join(', ')}]`);
      if (m.snapshot !== null) parts.push(`snapshot=${m.snapshot.index}/${m.snapshot.term}`);
      return parts.join(' ');
    }
    case 'accept':
      return `Accept b=${formatBallot(m.ballot)} [${m.entries.map((e) => `${e.slot}: ${formatEntryData(e.value)}`).join(', ')}]`;
    case 'accepted':
      return `Accepted b=${formatBallot(m.ballot)} slots=${m.slots.join(',')} commit=${m.commit}`;
    case 'reject':
      return `Reject b=${formatBallot(m.ballot)} promised=${formatBallot(m.promised)}${m.leader === null ? '' : ` lease of ${m.leader}`}`;
    case 'chosen':
      return `Chosen b=${formatBallot(m.ballot)} [${m.entries.map((c) => `${c.slot}/${c.round} ${formatEntryData(c.value)}`).join(', ')}]`;
    case 'heartbeat':
      return `Heartbeat b=${formatBallot(m.ballot)} commit=${m.commit}`;
    case 'heartbeat_ack':
      return `HeartbeatAck b=${formatBallot(m.ballot)} commit=${m.commit}`;
    case 'snapshot':
      return `Snapshot b=${formatBallot(m.ballot)} at=${m.snapshot.index}/${m.snapshot.term} keys=${m.snapshot.data.kv.length}`;
    default:
      return JSON.stringify(body);
  }
}
