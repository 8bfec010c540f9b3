// Raft as the rest of the product sees it: its options with their labels and bounds, the fields of
// its status, its messages, the buttons on its node cards and the options a fuzz run draws.

import type { MessageKind, NodeAction, OptionField, StatusField } from '../descriptor.ts';
import type { Rng } from '../../shared/rng.ts';
import type { RaftOptions } from './options.ts';

export const RAFT_TITLE = 'Raft';

export const RAFT_SUMMARY =
  'Consensus by a strong leader (Ongaro and Ousterhout, 2014). Nodes elect a leader for a term; the leader appends every write to its log and commits it once a majority has it. Kill the leader and watch a new election; cut the cluster in two and watch the minority stop answering while the majority goes on.';

export const RAFT_OPTION_FIELDS: readonly OptionField[] = [
  { key: 'electionTicks', aliases: ['election'], kind: 'ticks', label: 'Election timeout', description: 'A follower that hears no leader for this long (each node draws between this and twice this) starts an election.', default: 15, min: 2, max: 1000 },
  { key: 'heartbeatTicks', aliases: ['heartbeat'], kind: 'ticks', label: 'Heartbeat', description: 'How often a leader reminds followers it is alive; must be well below the election timeout.', default: 5, min: 1, max: 500, below: 'electionTicks' },
  { key: 'preVote', aliases: ['prevote'], kind: 'boolean', label: 'PreVote', description: 'Before a real election a node asks whether it could win, so a node cut off and rejoining does not depose a working leader.', default: true },
  { key: 'checkQuorum', aliases: ['checkquorum'], kind: 'boolean', label: 'CheckQuorum', description: 'A leader that has not heard from a majority for an election timeout steps down, so clients stop talking to a deposed leader.', default: true },
  {
    key: 'readMode',
    aliases: ['read'],
    kind: 'choice',
    label: 'Reads',
    description: 'How the leader serves a read: after a round of heartbeats confirms it still leads (ReadIndex), from its lease (fast, but trusts clocks), through the log like a write, or (unsafe, to see why ReadIndex exists) from its own state at once: a deposed leader then answers stale reads.',
    default: 'read_index',
    choices: [
      { value: 'read_index', label: 'ReadIndex' },
      { value: 'lease', label: 'Lease' },
      { value: 'log', label: 'Through the log' },
      { value: 'local', label: 'Local (unsafe: no ReadIndex)' },
    ],
  },
  { key: 'snapshotInterval', aliases: ['snapshot'], kind: 'integer', label: 'Snapshot every', unit: 'entries', description: 'A node replaces its applied log with a snapshot after this many entries; 0 keeps the whole log.', default: 1000, min: 0, max: 1_000_000 },
  { key: 'maxInflight', aliases: ['inflight'], kind: 'integer', label: 'Appends in flight', description: 'Appends a leader sends one follower before it waits for acknowledgements.', default: 64, min: 1, max: 4096 },
  { key: 'maxEntriesPerMessage', aliases: ['max-entries'], kind: 'integer', label: 'Entries per append', description: 'The most log entries one append carries.', default: 64, min: 1, max: 4096 },
];

/**
 * A hand-driven scenario starts with every optional mechanism off (PreVote, CheckQuorum,
 * snapshots) and short timeouts, so that a file shows only what it names.
 */
export const RAFT_SCENARIO_DEFAULTS: Partial<RaftOptions> = {
  preVote: false,
  checkQuorum: false,
  readMode: 'read_index',
  snapshotInterval: 0,
  electionTicks: 10,
  heartbeatTicks: 1,
};

export const RAFT_STATUS_FIELDS: readonly StatusField[] = [
  { key: 'role', label: 'Role', kind: 'role' },
  { key: 'term', label: 'Term', kind: 'number', description: 'The election the node is in; a higher term deposes every older leader.', card: true },
  { key: 'leader', label: 'Leader', kind: 'node' },
  { key: 'votedFor', label: 'Voted for', kind: 'node' },
  { key: 'lastIndex', label: 'Last index', kind: 'number' },
  { key: 'commit', label: 'Commit', kind: 'number', card: true },
  { key: 'applied', label: 'Applied', kind: 'number' },
  { key: 'snapshotIndex', label: 'Snapshot', kind: 'number' },
  { key: 'voters', label: 'Voters', kind: 'nodes' },
];

export const RAFT_MESSAGES: Readonly<Record<string, MessageKind>> = {
  append_entries: { label: 'Append', colour: '#2f6fde', description: 'The leader sends log entries (or none, with the commit index) to a follower.' },
  append_entries_response: { label: 'Append reply', colour: '#7fa8ec', description: 'A follower says whether the entries matched its log, and how far it now matches.', reveals: 'ack' },
  heartbeat: { label: 'Heartbeat', colour: '#2f6fde', description: 'The leader asserts its leadership and confirms reads.' },
  heartbeat_response: { label: 'Heartbeat reply', colour: '#7fa8ec', description: 'A follower acknowledges the leader of its term.' },
  request_vote: { label: 'Vote request', colour: '#e07b00', description: 'A candidate (or pre-candidate) asks for a vote, with how up to date its log is.' },
  request_vote_response: { label: 'Vote', colour: '#e6b400', description: 'A node grants or refuses its vote.', reveals: 'vote' },
  install_snapshot: { label: 'Snapshot', colour: '#2a9d8f', description: 'The leader sends a follower its snapshot, when the entries it needs were compacted away.' },
  timeout_now: { label: 'Timeout now', colour: '#9b4dca', description: 'The leader hands over: the target starts an election at once.', starts: 'election' },
};

export const RAFT_ACTIONS: readonly NodeAction[] = [
  { id: 'campaign', label: 'Timeout now', description: 'Make the node start an election now, as if its election timer ran out.', command: () => ({ type: 'campaign' }) },
  {
    id: 'transfer',
    label: 'Transfer leadership here',
    description: 'Ask the leader to hand leadership to this node (it catches the node up, then tells it to campaign).',
    sendTo: 'leader',
    command: (peer) => ({ type: 'transfer_leadership', to: peer ?? '' }),
  },
  {
    id: 'add_server',
    label: 'Add server',
    description: 'Ask this node, if it leads, to add a new server to the voters (one server at a time).',
    needsPeer: 'new',
    command: (peer) => ({ type: 'add_server', node: peer ?? '' }),
  },
  {
    id: 'remove_server',
    label: 'Remove server',
    description: 'Ask this node, if it leads, to remove a member from the voters.',
    needsPeer: 'member',
    command: (peer) => ({ type: 'remove_server', node: peer ?? '' }),
  },
];

/**
 * Options drawn from the run's seed: the fuzzer covers every switch, and small batches and
 * windows, which make the dangerous interleavings (Figure 8) likely enough to be found.
 */
export function randomRaftOptions(rng: Rng): Partial<RaftOptions> {
  const pick = <T>(items: readonly T[]): T => items[rng.int(0, items.length)] as T;
  // Short election timeouts against slow links make elections collide: split votes, competing
  // candidates and stale leaders are where the subtle bugs live.
  const electionTicks = pick([3, 5, 15]);
  return {
    electionTicks,
    heartbeatTicks: Math.max(1, Math.floor(electionTicks / 3)),
    preVote: rng.chance(0.5),
    checkQuorum: rng.chance(0.5),
    readMode: pick(['read_index', 'lease', 'log'] as const),
    snapshotInterval: pick([0, 10, 50]),
    // One entry per append in half the runs: only then does a leader's append to a lagging
    // follower carry an entry of an earlier term without one of its own (Figure 8).
    maxEntriesPerMessage: pick([1, 1, 1, 4, 64]),
    maxInflight: pick([1, 2, 64]),
  };
}
