// What crosses the network, the storage boundary and the bridge: ids, client operations and
// replies, log entries and snapshots. Plain data only (structured-clone and JSON safe), so the same
// values travel between worker threads, into SQLite, over WebSocket and into recorded sessions.

import type { KvScalar, KvValue, OpFunction, OpValue } from './history.ts';

/**
 * The length of one logical tick, the only clock a node sees: the harnesses (simulator, live
 * cluster) feed one `tick` input per TICK_MS of their time; algorithms count timeouts in ticks.
 */
export const TICK_MS = 10;

/** Nodes are named n1..nN. Clients are not nodes; they are numbered processes. */
export type NodeId = string;

export type KvOp =
  | { f: 'read'; key: string }
  | { f: 'write'; key: string; value: KvScalar }
  | { f: 'cas'; key: string; expected: KvScalar; value: KvScalar }
  | { f: 'append'; key: string; value: string }
  | { f: 'delete'; key: string }
  /** A counter: adds `value` (negative: subtracts). */
  | { f: 'incr'; key: string; value: number }
  /** A set: adds or removes one element. */
  | { f: 'add'; key: string; value: KvScalar }
  | { f: 'remove'; key: string; value: KvScalar };

/** The function a history records for an operation: a counter's `incr` is the checker's `add`. */
export function historyFunction(op: KvOp): OpFunction {
  return op.f === 'incr' ? 'add' : op.f;
}

/** The value a history records at an operation's invoke (a read's is filled in at its ok). */
export function historyValue(op: KvOp): OpValue {
  switch (op.f) {
    case 'read':
    case 'delete':
      return null;
    case 'cas':
      return [op.expected, op.value];
    default:
      return op.value;
  }
}

/**
 * `clientId` + `seq` identify a request across retries: a client has at most one request open,
 * increments `seq` for each new one and reuses it for a retry, so a state machine applies it once.
 */
export interface ClientRequest {
  clientId: number;
  seq: number;
  op: KvOp;
  /**
   * Opaque: the causal context the last reply about this key gave this client (a version vector
   * of the values it read). A store that keeps concurrent values as siblings merges the ones the
   * context covers into this write; the client sends it back unread.
   */
  context?: string;
}

/**
 * Errors follow Maelstrom: a definite error means the operation certainly did not and will not take
 * effect (the history records `fail`); an indefinite one means it may or may not (`info`).
 */
export type ClientErrorCode =
  | 'not_leader' // definite: redirect to leaderHint
  | 'cas_mismatch' // definite: the cas was applied as a no-op
  | 'leadership_lost' // indefinite: the entry was proposed but the proposer stepped down
  | 'unavailable' // definite: the node will not serve this now (transferring leadership, not a member)
  | 'stale_request' // definite: a retry of a request older than the client's newest
  | 'wrong_type' // definite: the operation does not fit what the key holds (add to a number, say)
  | 'timeout' // indefinite: set by the harness, never by a node
  | 'quorum_timeout' // indefinite: a coordinator without a leader heard from too few replicas in time; a write may still reach them
  | 'in_doubt'; // indefinite: an earlier attempt of the same request may still take effect, so this attempt did not run

export type ClientReply =
  | { kind: 'client'; clientId: number; seq: number; ok: true; value: KvValue; context?: string }
  | {
      kind: 'client';
      clientId: number;
      seq: number;
      ok: false;
      error: ClientErrorCode;
      definite: boolean;
      leaderHint: NodeId | null;
      message: string;
    };

/** Operator commands the UI and scenarios give a node directly (they are not client operations). */
export type AdminCommand =
  | { type: 'campaign' } // "Timeout now": start an election at once
  | { type: 'transfer_leadership'; to: NodeId }
  | { type: 'add_server'; node: NodeId }
  | { type: 'remove_server'; node: NodeId };

export interface AdminRequest {
  requestId: number;
  command: AdminCommand;
}

export interface AdminReply {
  kind: 'admin';
  requestId: number;
  ok: boolean;
  message: string;
}

export type Reply = ClientReply | AdminReply;

export type EntryData =
  | { type: 'noop' }
  | { type: 'command'; request: ClientRequest }
  | { type: 'config'; voters: NodeId[] };

export interface LogEntry {
  index: number;
  term: number;
  data: EntryData;
}

/** The replicated key-value store's state, as it goes into a snapshot. */
export interface KvSnapshotData {
  kv: Array<[string, KvValue]>;
  /** Per client: the newest applied seq and its reply value, for exactly-once retries. */
  sessions: Array<[number, number, ClientReplyResult]>;
}

export type ClientReplyResult = { ok: true; value: KvValue } | { ok: false; error: 'cas_mismatch' | 'wrong_type'; message: string };

export interface Snapshot {
  index: number;
  term: number;
  /** The voters as of `index`. */
  voters: NodeId[];
  data: KvSnapshotData;
}

/** A status field's value, as the inspector, the journal and the window feed carry it. */
export type StatusValue = string | number | boolean | null | readonly string[];

/**
 * What a node reports about itself, for the window, the journal and the monitors. Only `id`,
 * `role` and `leader` are required; the other named fields are conventions that the harness
 * understands where an algorithm has them, and an algorithm adds any fields of its own (its
 * descriptor's `status` lists them, with labels, for the inspector).
 */
export interface NodeStatus {
  id: NodeId;
  /**
   * The node's part as its algorithm names it ('follower', 'candidate', 'replica'...). By
   * convention 'leader' is the node that serves clients and that others redirect them to (a
   * primary reports 'leader' and its descriptor's roleLabels shows it as "primary"); the harness
   * counts a node becoming 'leader' as a leader change.
   */
  role: string;
  /** Where this node would redirect a client: the leader it knows of (null: none, or no such node). */
  leader: NodeId | null;
  /** Leaderships numbered in order (a term, a ballot's round, an epoch), where there are any. */
  term?: number;
  votedFor?: NodeId | null;
  /** Log-based algorithms: the committed, applied and last indexes, and the snapshot's. */
  commit?: number;
  applied?: number;
  lastIndex?: number;
  /** Index of the last entry folded into the snapshot (0 when none). */
  snapshotIndex?: number;
  /** The members that vote or replicate (absent: every node of the cluster). */
  voters?: readonly NodeId[];
  readonly [field: string]: StatusValue | undefined;
}
