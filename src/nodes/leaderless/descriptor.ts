// Leaderless quorums as the rest of the product sees them: options with labels and bounds, status
// fields, message kinds (and how a scenario prints them), the data types served and the options a
// fuzz run draws.

import type { MessageKind, OptionField, StatusField } from '../descriptor.ts';
import type { RequestFunction, WorkloadDataType } from '../../shared/history.ts';
import type { Rng } from '../../shared/rng.ts';
import type { LeaderlessMessage } from './messages.ts';
import type { LeaderlessOptions } from './options.ts';
import { formatVersions } from './versions.ts';

export const LEADERLESS_TITLE = 'Leaderless quorums (Dynamo)';

export const LEADERLESS_SUMMARY =
  'No leader: every key lives on n nodes of a consistent-hash ring, any node coordinates a request, a write is acknowledged once w replicas stored it and a read answers once r replicas did (Dynamo, Cassandra, Riak). Set r = w = 1 and read from another node right after a write to see a stale read; cut a replica off during a write and read twice to see a value appear and vanish even with r + w > n; skew a clock and watch last-writer-wins drop an acknowledged write; turn on sloppy quorums, partition, write, heal and read before the hints are handed off. Two-phase writes with write-back (ABD) make each key linearizable; version vectors keep concurrent writes as siblings.';

export const LEADERLESS_OPTION_FIELDS: readonly OptionField[] = [
  { key: 'n', kind: 'integer', label: 'Replicas (N)', description: 'How many nodes hold each key: the first N met clockwise from the key on the ring. More than the cluster has means every node (the status says so).', default: 3, min: 1, max: 9 },
  { key: 'r', kind: 'integer', label: 'Read quorum (R)', description: 'Replicas a read waits for. R + W > N makes every read quorum meet every write quorum; it is still not linearizable without write-back.', default: 2, min: 1, max: 9 },
  { key: 'w', kind: 'integer', label: 'Write quorum (W)', description: 'Replicas that must store a write before it is acknowledged.', default: 2, min: 1, max: 9 },
  { key: 'timeoutTicks', kind: 'ticks', label: 'Request timeout', description: 'A request whose quorum has not answered by then gets an indefinite error (quorum_timeout): a write may still reach its replicas.', default: 20, min: 2, max: 1000 },
  { key: 'readRepair', kind: 'boolean', label: 'Read repair', description: 'After a read, replicas that answered with older versions are sent the newest, also when they answer late.', default: true },
  { key: 'writeBack', kind: 'boolean', label: 'Write-back (ABD)', description: 'A read writes the versions it is about to return back to a write quorum before it answers, so no later read can return anything older. With two-phase writes and R + W > N: linearizable.', default: false },
  {
    key: 'twoPhaseWrites',
    kind: 'boolean',
    label: 'Two-phase writes (ABD)',
    description: 'A write first asks a quorum for the key’s highest version and writes one above it (and at least the clock), so a write that starts after another was acknowledged wins over it whatever the clocks say. Off: the coordinator’s clock alone stamps it. (Last-writer-wins only: a version vector’s write is named by its client.)',
    default: false,
  },
  { key: 'antiEntropy', kind: 'boolean', label: 'Anti-entropy', description: 'Replicas periodically exchange digests of the keys they share and repair every difference, so replicas that missed writes catch up without a read.', default: true },
  { key: 'antiEntropyTicks', kind: 'ticks', label: 'Anti-entropy every', description: 'How often each node compares its keys with every other replica of them.', default: 50, min: 1, max: 10_000 },
  {
    key: 'sloppy',
    kind: 'boolean',
    label: 'Sloppy quorums',
    description: 'A replica that does not answer within a quarter of the timeout is replaced by the next node on the ring, which keeps the write as a hint and hands it over once the replica is reachable. Writes stay available in a partition; reads may miss them until the handoff.',
    default: false,
  },
  { key: 'handoffTicks', kind: 'ticks', label: 'Hinted handoff every', description: 'How often a node holding hints offers them to their replicas.', default: 20, min: 1, max: 10_000 },
  {
    key: 'resolve',
    kind: 'choice',
    label: 'Conflicts',
    description: 'Last-writer-wins keeps the version with the highest timestamp (the coordinator’s clock, ties by node). Version vectors keep concurrent writes as siblings: a read returns them all, sorted, with a context; a write that sends the context back replaces them.',
    default: 'lww',
    choices: [
      { value: 'lww', label: 'Last writer wins (clock)' },
      { value: 'vclock', label: 'Version vectors (siblings)' },
    ],
  },
  { key: 'tokens', kind: 'integer', label: 'Tokens per node', description: 'Virtual nodes each node has on the ring: more spread the keys more evenly.', default: 4, min: 1, max: 64 },
];

/** A hand-driven scenario starts with every background mechanism off, and names the ones it shows. */
export const LEADERLESS_SCENARIO_DEFAULTS: Partial<LeaderlessOptions> = {
  readRepair: false,
  antiEntropy: false,
  antiEntropyTicks: 10,
  handoffTicks: 10,
  timeoutTicks: 20,
};

export const LEADERLESS_STATUS_FIELDS: readonly StatusField[] = [
  { key: 'role', label: 'Role', kind: 'text', description: 'Every node is a replica and coordinates the requests that reach it; there is no leader.' },
  { key: 'keys', label: 'Keys held', kind: 'number', description: 'Keys this node replicates and holds a version of.', card: true },
  { key: 'hints', label: 'Hints held', kind: 'number', description: 'Versions kept for an unreachable replica (sloppy quorums), until it takes them.', card: true },
  { key: 'inFlight', label: 'Requests in flight', kind: 'number', description: 'Client requests this node coordinates that have no answer yet.' },
  { key: 'clockMs', label: 'Clock', kind: 'number', description: 'This node’s clock reading in ms (last-writer-wins stamps writes with it); a clock-skew fault moves it.' },
  { key: 'replicas', label: 'N', kind: 'number', description: 'Replicas per key in use.' },
  { key: 'readQuorum', label: 'R', kind: 'number', description: 'The read quorum in use.' },
  { key: 'writeQuorum', label: 'W', kind: 'number', description: 'The write quorum in use.' },
  { key: 'clamped', label: 'Clamped', kind: 'text', description: 'Options the cluster is too small for, and what is used instead.' },
];

export const LEADERLESS_MESSAGES: Readonly<Record<string, MessageKind>> = {
  get: { label: 'Get', colour: '#1565c0', description: 'A coordinator asks a replica what it holds for a key (a two-phase write’s first phase also records the attempt).' },
  got: { label: 'Got', colour: '#64b5f6', description: 'A replica’s versions of the key; for a two-phase write, whether it recorded the attempt.', reveals: 'ack' },
  put: { label: 'Put', colour: '#2e7d32', description: 'Store these versions of the key (with a hint: on behalf of an unreachable replica).' },
  put_ack: { label: 'Put ack', colour: '#81c784', description: 'The versions are on the replica’s disk: one more towards W.', reveals: 'ack' },
  repair: { label: 'Repair', colour: '#ef6c00', description: 'Read repair or anti-entropy: newer versions for a replica that was behind.' },
  digest: { label: 'Digest', colour: '#6a1b9a', description: 'Anti-entropy: a hash per key the two nodes both replicate.' },
  sync: { label: 'Sync', colour: '#ab47bc', description: 'Anti-entropy: the versions of the keys whose hashes differed.' },
  handoff: { label: 'Handoff', colour: '#5d4037', description: 'Hinted handoff: versions a stand-in kept for this replica while it was unreachable.' },
  handoff_ack: { label: 'Handoff ack', colour: '#a1887f', description: 'The replica stored the handed-off versions; the stand-in forgets them.' },
};

const SERVED_REQUESTS: readonly RequestFunction[] = ['read', 'write', 'delete'];
export const LEADERLESS_SERVES: Partial<Record<WorkloadDataType, readonly RequestFunction[]>> = { kv: SERVED_REQUESTS };

/**
 * Options a fuzz run draws: every switch and both orders, small and large quorums, and the two
 * configurations that promise a model (ABD: linearizable; two-phase writes with anti-entropy:
 * convergent) often enough that each promise is judged in many runs.
 */
export function randomLeaderlessOptions(rng: Rng): Partial<LeaderlessOptions> {
  const pick = <T>(items: readonly T[]): T => items[rng.int(0, items.length)] as T;
  const mode = pick(['abd', 'abd', 'converge', 'any', 'any', 'any'] as const);
  const n = pick([1, 2, 3, 3, 5, 7]);
  const promising = mode !== 'any';
  // Intersecting quorums most of the time, the smallest ones sometimes.
  const r = promising || rng.chance(0.6) ? rng.int(1, n + 1) : 1;
  const w = promising || rng.chance(0.6) ? Math.max(n + 1 - r, rng.int(1, n + 1)) : 1;
  return {
    n,
    r,
    w,
    timeoutTicks: pick([4, 10, 20]),
    readRepair: rng.chance(0.5),
    writeBack: mode === 'abd' || (mode === 'any' && rng.chance(0.4)),
    twoPhaseWrites: promising || rng.chance(0.5),
    antiEntropy: mode === 'converge' || rng.chance(0.6),
    antiEntropyTicks: pick([2, 10, 50]),
    sloppy: promising ? false : rng.chance(0.5),
    handoffTicks: pick([2, 10, 50]),
    resolve: promising ? 'lww' : pick(['lww', 'vclock'] as const),
    tokens: pick([1, 4, 16]),
  };
}

export function describeLeaderlessMessage(body: { type: string }): string {
  const m = body as LeaderlessMessage;
  const items = (list: ReadonlyArray<[string, unknown]>, show: (value: never) => string): string => list.map(([key, value]) => `${key}=${show(value as never)}`).join(' ');
  switch (m.type) {
    case 'get':
      return `Get op=${m.op} ${m.key}${m.attempt === undefined ? '' : ` attempt=c${m.attempt.c}#${m.attempt.s}/${m.attempt.id}`}`;
    case 'got':
      return `Got op=${m.op} ${m.key}=${formatVersions(m.versions)}${m.refused ? ' refused' : ''}`;
    case 'put':
      return `Put op=${m.op} ${m.key}=${formatVersions(m.versions)}${m.hint === null ? '' : ` hint=${m.hint}`}`;
    case 'put_ack':
      return `PutAck op=${m.op} ${m.key}`;
    case 'repair':
      return `Repair ${items(m.items, formatVersions)}`;
    case 'digest':
      return `Digest ${m.entries.length === 0 ? '(no shared keys)' : m.entries.map(([key, digest]) => `${key}:${digest}`).join(' ')}`;
    case 'sync':
      return `Sync ${items(m.items, formatVersions)}`;
    case 'handoff':
      return `Handoff ${items(m.items, formatVersions)}`;
    case 'handoff_ack':
      return `HandoffAck ${m.items.map(([key]) => key).join(' ')}`;
    default:
      return JSON.stringify(body);
  }
}
