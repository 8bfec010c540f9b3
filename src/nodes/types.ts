// The node interface every algorithm implements (Raft, and the ones to come: Multi-Paxos,
// primary-backup, leaderless quorums, gossip). A node is a deterministic state machine: it never
// reads a clock, never draws an unseeded random number and never does I/O. Its host (the simulator,
// the worker thread, a scenario test) feeds it inputs and carries out its outputs.
//
//   const node = algorithm.create(context, storage.load());   // restore from persisted state
//   node.step(input); node.step(input); ...                   // any number of inputs
//   if (node.hasReady()) {
//     const rd = node.ready();
//     if (rd.persist) storage.write(rd.persist);   // 1. durable first
//     send(rd.messages);                            // 2. then the messages that depend on it
//     observe(rd.applied);                          // 3. then what was applied
//     answer(rd.replies);                           // 4. then the clients
//   }
//
// The order is the contract (raft-rs makes it a type, etcd documents it on Ready): a vote, a new
// term or an appended entry must be on disk before any message that reveals it leaves, otherwise a
// crash can make the node contradict what it already told a peer.

import type { ConsistencyName } from '../shared/consistency.ts';
import type { RequestFunction, WorkloadDataType } from '../shared/history.ts';
import type { MessageKind, NodeAction, OptionField, StatusField } from './descriptor.ts';
import type { MonitorOptions, SafetyMonitor } from './monitor.ts';
import type { Rng } from '../shared/rng.ts';
import type {
  AdminRequest,
  ClientRequest,
  LogEntry,
  NodeId,
  NodeStatus,
  Reply,
  Snapshot,
} from '../shared/protocol.ts';

/** The roles of a leader-based consensus node (Raft's, and Multi-Paxos's in the same words). */
export type ConsensusRole = 'leader' | 'follower' | 'candidate' | 'precandidate';

/** The status of an algorithm with a replicated log: every log convention of NodeStatus present. */
export interface LogNodeStatus extends NodeStatus {
  role: ConsensusRole;
  term: number;
  votedFor: NodeId | null;
  commit: number;
  applied: number;
  lastIndex: number;
  snapshotIndex: number;
  voters: readonly NodeId[];
}

export type { Rng };

/** A message between nodes. Nodes know only peer ids; the harness owns the network. */
export interface Envelope<B extends { type: string } = { type: string }> {
  src: NodeId;
  dest: NodeId;
  body: B;
}

export type Input =
  /**
   * One logical clock tick. Nodes measure every timeout in ticks. `clockMs`: the node's clock
   * reading in milliseconds (its harness's time, plus the offset and the drift of a clock-skew
   * fault), given only to algorithms that declare `readsClock`.
   */
  | { kind: 'tick'; clockMs?: number }
  | { kind: 'message'; envelope: Envelope }
  | { kind: 'client'; request: ClientRequest }
  | { kind: 'admin'; request: AdminRequest };

export interface HardState {
  term: number;
  vote: NodeId | null;
  commit: number;
}

/**
 * One atomic write. Applied in this order: snapshot (which discards log entries at or below its
 * index), log (entries at index >= `from` are replaced by `entries`), hard state, records.
 */
export interface PersistBatch {
  hardState?: HardState;
  snapshot?: Snapshot;
  log?: { from: number; entries: LogEntry[] };
  /** Algorithm-private durable key-value records; a `null` value deletes the record. */
  records?: Array<[string, unknown]>;
}

export interface PersistedState {
  hardState: HardState;
  snapshot: Snapshot | null;
  /** The log after the snapshot, in index order with no gaps. */
  entries: LogEntry[];
  records: Map<string, unknown>;
}

/**
 * Durable storage, one per node.
 *
 * Failure semantics:
 * - `write` is atomic: after it returns, all of the batch is durable; if it throws, none of it is.
 *   A host whose `write` throws must treat the node as crashed: it must not send that Ready's
 *   messages or replies, and it restarts the node only from `load()`.
 * - `load` returns exactly the effect of every `write` that returned, in order. A storage that
 *   cannot vouch for that (a corrupt or foreign file) throws from `load` with a message saying why;
 *   it never returns a partial state.
 * - A crash of the node (its thread or the simulator discarding it) loses only volatile state.
 */
export interface Storage {
  load(): PersistedState;
  write(batch: PersistBatch): void;
}

/** Committed entries the node applied to its state machine in this Ready, with their results. */
export interface AppliedEntry {
  entry: LogEntry;
  /** The reply value the entry produced (commands only). */
  result?: Reply;
}

export interface Ready {
  /** Write this durably before anything else in this Ready leaves the host (but see persistFirst). */
  persist: PersistBatch | null;
  /**
   * False when no message or reply of this Ready reveals anything in `persist`: the host may send
   * them before or while it writes. A Raft leader's new entries qualify (thesis §10.2.1: the leader
   * writes to its disk in parallel with replicating, and counts itself towards a commit only once
   * the write is done; a host that finishes the write before feeding the next input gives exactly
   * that), and so do a commit index and a node's own snapshot, which Raft never needs back after a
   * crash (the log on disk still holds what the snapshot folds). A new term, a vote, a follower's
   * appended entries and a snapshot installed from the leader are always written first. Absent
   * means true.
   */
  persistFirst?: boolean;
  messages: Envelope[];
  applied: AppliedEntry[];
  replies: Reply[];
}

export interface NodeContext<O> {
  id: NodeId;
  /** The voters a brand-new cluster starts with; empty for a server that joins a running cluster. */
  bootstrapVoters: NodeId[];
  rng: Rng;
  options: O;
}

export interface ConsensusNode {
  readonly id: NodeId;
  step(input: Input): void;
  /** True when `ready()` has something to persist, send, apply or reply. Cheap: hosts poll it. */
  hasReady(): boolean;
  /** Takes the accumulated outputs of every step since the last call. */
  ready(): Ready;
  status(): NodeStatus;
  /** What an inspector shows beyond the status, e.g. a leader's view of each follower. Optional. */
  inspect?(): NodeDetail;
}

export interface PeerProgress {
  peer: NodeId;
  match: number;
  next: number;
  state: string;
}

export interface NodeDetail {
  progress: PeerProgress[];
}

/** A function of an algorithm's options, bivariant in them (as methods are) so that Algorithm<O> stays assignable to Algorithm<unknown>. */
type OfOptions<O, R> = { of(options: O): R }['of'];

/**
 * One algorithm, behind the one contract: the node factory and what the rest of the product needs
 * to know about it (descriptor.ts). Registered in index.ts, the only list of algorithms.
 */
export interface Algorithm<O = unknown, N extends ConsensusNode = ConsensusNode> {
  readonly name: string;
  /** For people: "Raft", "Multi-Paxos". */
  readonly title: string;
  /** A paragraph for the New cluster dialog: what it does, what to try. */
  readonly summary: string;
  /** Its options with labels, bounds and defaults (the window's form, the CLI's --set). */
  readonly options: readonly OptionField[];
  readonly defaultOptions: O;
  /** The fields its status() reports, in the order the inspector shows them. */
  readonly status: readonly StatusField[];
  /** Its message types, by `body.type`. */
  readonly messages: Readonly<Record<string, MessageKind>>;
  /** The operator commands a node card offers. */
  readonly actions: readonly NodeAction[];
  /** It serves `add_server` and `remove_server` (the window's Add node and Remove). */
  readonly membership: boolean;
  /** How the window names a role where the status's word is not the one people use ('leader' -> 'primary'). */
  readonly roleLabels?: Readonly<Record<string, string>>;
  /** Status fields whose every change the window shows at once (default: role, term, leader). */
  readonly significantStatus?: readonly string[];
  /** The option (in ticks) a follower waits for its leader before it acts, if it has one. */
  readonly leaderTimeoutOption?: string;

  /**
   * The consistency model its clients' histories keep (src/shared/consistency.ts), with these
   * options: the window raises an alarm when it breaks, and shows stronger models breaking as what
   * the design gives up. Null: no model at all (its monitors still hold).
   */
  readonly promises: ConsistencyName | null | OfOptions<O, ConsistencyName | null>;
  /**
   * The data types it serves with these options, and for each the requests it takes (absent: every
   * data type, with every request: a replicated state machine serves anything deterministic).
   */
  serves?(options: O): Partial<Record<WorkloadDataType, readonly RequestFunction[]>>;
  /**
   * It reads its node's clock (last-writer-wins timestamps): each `tick` input then carries
   * `clockMs`, the node's own clock reading, which a clock-skew fault moves.
   */
  readonly readsClock?: boolean;
  /** Its own safety monitors, one set per run, fed by the harness after every Ready. */
  createMonitor(options?: MonitorOptions): SafetyMonitor;
  /** Options a fuzz run draws: every switch, and extreme settings. */
  randomOptions(rng: Rng): Partial<O>;
  /** One line for a message body, as scenario files print it; absent, they print its JSON. */
  describeMessage?(body: { type: string }): string;
  /**
   * Where a scenario file's `add-nodes` starts from, over defaultOptions: hand-driven scenarios
   * want short timeouts they can tick through and optional mechanisms off unless they name them.
   */
  readonly scenarioDefaults?: Partial<O>;
  /** Restores a node from what its storage holds (an empty storage means a fresh node). */
  create(context: NodeContext<O>, persisted: PersistedState): N;
}
