// Primary-backup as the rest of the product sees it: its options with their labels and bounds, the
// fields of its status, its messages (and how a scenario prints them), the buttons on its node
// cards and the options a fuzz run draws.

import type { MessageKind, NodeAction, OptionField, StatusField } from '../descriptor.ts';
import type { Rng } from '../../shared/rng.ts';
import { formatEntry } from '../describe.ts';
import type { PrimaryBackupMessage } from './messages.ts';
import type { PrimaryBackupOptions } from './options.ts';

export const PRIMARY_BACKUP_TITLE = 'Primary-backup';

export const PRIMARY_BACKUP_SUMMARY =
  'One primary orders every write and copies it to the backups; when it stops renewing its lease, the most up-to-date backup is promoted in a new epoch. How safe that is depends on three switches. With async acks, kill the primary right after a write and watch the promoted backup answer without it. With reads from any replica, read a key from a backup that has not caught up. Turn fencing off, cut the primary off, and watch two primaries take writes, then the healed cluster throw one side\'s away; with fencing on, the old primary\'s write is refused and it steps down. Sync acks, fencing and reads at the primary keep every history linearizable.';

export const PRIMARY_BACKUP_OPTION_FIELDS: readonly OptionField[] = [
  {
    key: 'acks',
    kind: 'choice',
    label: 'Acknowledge writes',
    description:
      'When the primary answers a write. Sync: once every backup in sync (and at least a majority) has written it down; a backup silent for a lease drops out of sync until it catches up. Semi: once one backup has. Async: at once, replicating in the background.',
    default: 'sync',
    choices: [
      { value: 'sync', label: 'Sync (every backup in sync)' },
      { value: 'semi', label: 'Semi-sync (one backup)' },
      { value: 'async', label: 'Async (at once)' },
    ],
  },
  {
    key: 'fencing',
    kind: 'boolean',
    label: 'Fencing',
    description: 'Replicas refuse, and tell, a primary of an older epoch, so a deposed primary cannot get writes replicated and steps down. Off: they take replication from anyone, and two primaries can take writes at once.',
    default: true,
  },
  {
    key: 'reads',
    kind: 'choice',
    label: 'Reads',
    description: 'Who answers a read: the primary, once a heartbeat round sent after the read arrived was answered by a majority; or any replica at once from its own copy, which may be behind.',
    default: 'primary',
    choices: [
      { value: 'primary', label: 'At the primary' },
      { value: 'any', label: 'Any replica' },
    ],
  },
  {
    key: 'leaseTicks',
    aliases: ['lease'],
    kind: 'ticks',
    label: 'Lease',
    description: 'A primary whose heartbeats no majority answered for this long steps down; a backup that has not heard its primary for this long (plus up to as much again, drawn at random) stands for promotion.',
    default: 15,
    min: 2,
    max: 1000,
  },
  { key: 'heartbeatTicks', aliases: ['heartbeat'], kind: 'ticks', label: 'Heartbeat', description: 'How often the primary renews its lease and resends what a backup has not acknowledged; must be well below the lease.', default: 5, min: 1, max: 500, below: 'leaseTicks' },
];

/** A hand-driven scenario starts with short timeouts it can tick through. */
export const PRIMARY_BACKUP_SCENARIO_DEFAULTS: Partial<PrimaryBackupOptions> = {
  leaseTicks: 6,
  heartbeatTicks: 2,
};

export const PRIMARY_BACKUP_ROLE_LABELS: Readonly<Record<string, string>> = { leader: 'primary', follower: 'backup', candidate: 'candidate' };

export const PRIMARY_BACKUP_STATUS_FIELDS: readonly StatusField[] = [
  { key: 'role', label: 'Role', kind: 'role', description: 'Candidate: standing for promotion, collecting the replicas’ positions and votes.' },
  { key: 'term', label: 'Epoch', kind: 'number', description: 'Each promotion takes a new epoch; with fencing, replicas refuse a primary of an older one.', card: true },
  { key: 'leader', label: 'Primary', kind: 'node' },
  { key: 'votedFor', label: 'Voted for', kind: 'node', description: 'The candidate this replica voted for in its epoch.' },
  { key: 'lastIndex', label: 'Log end', kind: 'number' },
  { key: 'acked', label: 'Acknowledged', kind: 'number', description: 'The primary: how far it has answered writes. A backup: how far it knows the primary has.', card: true },
  { key: 'position', label: 'Applied', kind: 'number', description: 'How far this replica’s data reflects the log. Only with sync acks and fencing does it never go back; otherwise a failover can roll it back.' },
  { key: 'inSync', label: 'Backups in sync', kind: 'nodes', description: 'The primary: the backups a sync write waits for.' },
  { key: 'acks', label: 'Acks', kind: 'text' },
  { key: 'fencing', label: 'Fencing', kind: 'boolean' },
  { key: 'reads', label: 'Reads', kind: 'text' },
];

export const PRIMARY_BACKUP_MESSAGES: Readonly<Record<string, MessageKind>> = {
  append: { label: 'Append', colour: '#2f6fde', description: 'The primary sends log entries that follow a given entry of its log, with how far it has acknowledged.' },
  append_ack: { label: 'Append reply', colour: '#7fa8ec', description: 'A backup wrote the entries down and matches the primary up to here; or where its log differs.', reveals: 'ack' },
  heartbeat: { label: 'Heartbeat', colour: '#5d4037', description: 'A lease round: the primary is alive. Answers from a majority renew its lease and confirm the reads waiting for this round.' },
  heartbeat_ack: { label: 'Heartbeat reply', colour: '#a1887f', description: 'A backup still follows this primary in its epoch.' },
  refuse: { label: 'Refuse', colour: '#d32f2f', description: 'Fencing: a replica refuses a primary of an older epoch and tells it the newer one.' },
  canvass: { label: 'Canvass', colour: '#e07b00', description: 'A candidate asks for each replica’s position and vote in its new epoch.' },
  position: { label: 'Position', colour: '#e6b400', description: 'A replica’s position (last entry’s epoch, log length) and whether it votes for the candidate: not if it still honours a lease, voted for another, or is ahead.', reveals: 'vote' },
};

export const PRIMARY_BACKUP_ACTIONS: readonly NodeAction[] = [
  { id: 'campaign', label: 'Stand for promotion', description: 'Make this replica stand for promotion now, in a new epoch, as if its primary had gone quiet.', command: () => ({ type: 'campaign' }) },
];

/**
 * Options drawn from the run's seed: every switch, and extreme settings. The combination that
 * promises linearizability (sync, fencing, reads at the primary) is drawn about a third of the
 * time, so the fuzz judges it often.
 */
export function randomPrimaryBackupOptions(rng: Rng): Partial<PrimaryBackupOptions> {
  const pick = <T>(items: readonly T[]): T => items[rng.int(0, items.length)] as T;
  const leaseTicks = pick([3, 5, 15]);
  const acks = rng.chance(0.6) ? 'sync' : pick(['semi', 'async'] as const);
  return {
    acks,
    fencing: rng.chance(0.8),
    reads: rng.chance(0.75) ? 'primary' : 'any',
    leaseTicks,
    heartbeatTicks: Math.max(1, Math.floor(leaseTicks / 3)),
  };
}

export function describePrimaryBackupMessage(body: { type: string }): string {
  const m = body as PrimaryBackupMessage;
  switch (m.type) {
    case 'append':
      return `Append e=${m.epoch} prev=${m.prevIndex}/${m.prevEpoch} commit=${m.commit} [${m.entries.map(formatEntry).join(', ')}]`;
    case 'append_ack':
      return m.ok ? `AppendAck e=${m.epoch} match=${m.match}` : `AppendAck e=${m.epoch} mismatch, retry from ${m.hint + 1}`;
    case 'heartbeat':
      return `Heartbeat e=${m.epoch} round=${m.round} commit=${m.commit}`;
    case 'heartbeat_ack':
      return `HeartbeatAck e=${m.epoch} round=${m.round}`;
    case 'refuse':
      return `Refuse e=${m.epoch}${m.leader === null ? '' : ` primary=${m.leader}`}`;
    case 'canvass':
      return `Canvass e=${m.epoch} last=${m.lastIndex}/${m.lastEpoch}`;
    case 'position':
      return `Position e=${m.epoch} last=${m.lastIndex}/${m.lastEpoch} ${m.granted ? 'vote' : `no (${m.reason}${m.leader === null ? '' : ` ${m.leader}`})`}`;
    default:
      return JSON.stringify(body);
  }
}
