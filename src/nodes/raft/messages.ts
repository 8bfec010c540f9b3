// Raft's messages between nodes. Every message carries the sender's term; the rules for a term that
// is higher, equal or lower than the receiver's are in Raft.stepByTerm.

import type { LogEntry, Snapshot } from '../../shared/protocol.ts';

export interface RequestVote {
  type: 'request_vote';
  term: number;
  lastIndex: number;
  lastTerm: number;
  /** A pre-vote asks "would you vote for me at `term`?" without anyone changing term. */
  preVote: boolean;
  /** Sent on TimeoutNow: voters ignore their leader lease, since the leader asked for this. */
  transfer: boolean;
}

export interface RequestVoteResponse {
  type: 'request_vote_response';
  term: number;
  preVote: boolean;
  granted: boolean;
}

export interface AppendEntries {
  type: 'append_entries';
  term: number;
  prevIndex: number;
  prevTerm: number;
  entries: LogEntry[];
  commit: number;
  /**
   * No entries, sent only to move a replicating follower's commit index forward. The follower
   * answers only if it cannot accept it: a success would tell the leader nothing new.
   */
  commitOnly: boolean;
}

export interface AppendEntriesResponse {
  type: 'append_entries_response';
  term: number;
  success: boolean;
  /** On success: the follower's log matches the leader's up to here. */
  matchIndex: number;
  /** On rejection: the prevIndex that did not match, so a stale rejection can be recognised. */
  rejectedIndex: number;
  /** On rejection, fast backtracking (Raft paper §5.3): the follower's term at rejectedIndex (0 if it has no entry there)... */
  conflictTerm: number;
  /** ...and the first index it holds with that term, or its last index + 1 when its log is too short. */
  conflictIndex: number;
}

export interface Heartbeat {
  type: 'heartbeat';
  term: number;
  /** min(leader commit, follower's match): a follower never commits past what it is known to hold. */
  commit: number;
  /** Increases with every heartbeat round; echoed back to confirm leadership for reads. */
  context: number;
}

export interface HeartbeatResponse {
  type: 'heartbeat_response';
  term: number;
  context: number;
}

export interface InstallSnapshot {
  type: 'install_snapshot';
  term: number;
  snapshot: Snapshot;
}

export interface TimeoutNow {
  type: 'timeout_now';
  term: number;
}

export type RaftMessage =
  | RequestVote
  | RequestVoteResponse
  | AppendEntries
  | AppendEntriesResponse
  | Heartbeat
  | HeartbeatResponse
  | InstallSnapshot
  | TimeoutNow;
