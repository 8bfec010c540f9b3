// The messages of primary-backup. Every message carries the sender's epoch; with fencing a replica
// refuses one from an older epoch and says which epoch it is in.

import type { LogEntry, NodeId } from '../../shared/protocol.ts';

/** The primary replicates entries that follow (prevIndex, prevEpoch) in its log. */
export interface Append {
  type: 'append';
  epoch: number;
  prevIndex: number;
  prevEpoch: number;
  entries: LogEntry[];
  /** How far the primary has acknowledged (its commit index). */
  commit: number;
}

/** A backup's answer: its log now matches the primary's up to `match`, durably; or where to retry. */
export interface AppendAck {
  type: 'append_ack';
  /** The epoch of the append answered. */
  epoch: number;
  ok: boolean;
  /** ok: the last index known to match, written down before this answer left. */
  match: number;
  /** Not ok: the primary should retry from hint + 1 (the backup's log is shorter or differs there). */
  hint: number;
}

/** A lease round: the primary is alive; answers renew its lease and confirm reads that wait for this round. */
export interface Heartbeat {
  type: 'heartbeat';
  epoch: number;
  round: number;
  commit: number;
}

export interface HeartbeatAck {
  type: 'heartbeat_ack';
  epoch: number;
  round: number;
  /**
   * The backup's last entry: without fencing another primary may have rewritten its log since it
   * last matched this one's, and the primary then sends it what it needs again.
   */
  lastIndex: number;
  lastEpoch: number;
}

/** With fencing: "your epoch is over", sent to a primary or candidate of an older epoch. */
export interface Refuse {
  type: 'refuse';
  epoch: number;
  /** The primary the refusing replica follows, if it knows one. */
  leader: NodeId | null;
}

/** A candidate asks for a replica's position and its vote in a new epoch. */
export interface Canvass {
  type: 'canvass';
  epoch: number;
  lastEpoch: number;
  lastIndex: number;
}

export type RefusalReason = 'lease' | 'epoch' | 'voted' | 'ahead';

/** A replica's answer to a canvass: its position, and whether it votes for the candidate. */
export interface Position {
  type: 'position';
  epoch: number;
  granted: boolean;
  /** Why not, when not granted. */
  reason: RefusalReason | null;
  lastEpoch: number;
  lastIndex: number;
  /** The primary whose lease the replica still honours (reason 'lease'). */
  leader: NodeId | null;
}

export type PrimaryBackupMessage = Append | AppendAck | Heartbeat | HeartbeatAck | Refuse | Canvass | Position;
