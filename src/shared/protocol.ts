// What crosses the network, the storage boundary and the bridge: ids, client operations and
// replies, log entries and snapshots. Plain data only (structured-clone and JSON safe), so the same
// values travel between worker threads, into SQLite, over WebSocket and into recorded sessions.

import type { KvScalar } from './history.ts';

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
  | { f: 'delete'; key: string };

/**
 * `clientId` + `seq` identify a request across retries: a client has at most one request open,
 * increments `seq` for each new one and reuses it for a retry, so a state machine applies it once.
 */
export interface ClientRequest {
  clientId: number;
  seq: number;
  op: KvOp;
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
  | 'timeout'; // indefinite: set by the harness, never by a node

export type ClientReply =
  | { kind: 'client'; clientId: number; seq: number; ok: true; value: KvScalar }
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
  kv: Array<[string, KvScalar]>;
  /** Per client: the newest applied seq and its reply value, for exactly-once retries. */
  sessions: Array<[number, number, ClientReplyResult]>;
}

export type ClientReplyResult = { ok: true; value: KvScalar } | { ok: false; error: 'cas_mismatch'; message: string };

export interface Snapshot {
  index: number;
  term: number;
  /** The voters as of `index`. */
  voters: NodeId[];
  data: KvSnapshotData;
}

export type NodeRole = 'leader' | 'follower' | 'candidate' | 'precandidate';

/** What every algorithm reports about itself, for the UI, the journal and the invariant monitors. */
export interface NodeStatus {
  id: NodeId;
  role: NodeRole;
  term: number;
  leader: NodeId | null;
  votedFor: NodeId | null;
  commit: number;
  applied: number;
  lastIndex: number;
  /** Index of the last entry folded into the snapshot (0 when none). */
  snapshotIndex: number;
  voters: readonly NodeId[];
}
