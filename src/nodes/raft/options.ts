export type ReadMode =
  /** The leader confirms it is still leader with a round of heartbeats, then serves (Raft §6.4). */
  | 'read_index'
  /** The leader serves while its lease holds: it heard from a quorum within the last election timeout. */
  | 'lease'
  /** Reads go through the log like writes: slow but obviously linearizable. */
  | 'log'
  /**
   * Unsafe, for teaching: the leader answers from its own state at once, without asking whether it
   * still leads. A leader cut off from the others keeps answering with what it has: stale reads.
   */
  | 'local';

export interface RaftOptions {
  /** Base election timeout in ticks; each node draws its timeout from [electionTicks, 2 * electionTicks). */
  electionTicks: number;
  heartbeatTicks: number;
  /** Ask for votes in a pre-election first, so a node that was cut off does not bump everyone's term. */
  preVote: boolean;
  /** A leader that has not heard from a quorum for an election timeout steps down. */
  checkQuorum: boolean;
  readMode: ReadMode;
  /** Take a snapshot of the state machine every this many applied entries (0: never). */
  snapshotInterval: number;
  /** Appends in flight to one follower before the leader waits for acknowledgements. */
  maxInflight: number;
  maxEntriesPerMessage: number;
}

/** With the harness's ticks of 10 ms (TICK_MS): election 150-300 ms, heartbeat 50 ms. */
export const defaultRaftOptions: RaftOptions = {
  electionTicks: 15,
  heartbeatTicks: 5,
  preVote: true,
  checkQuorum: true,
  readMode: 'read_index',
  snapshotInterval: 1000,
  maxInflight: 64,
  maxEntriesPerMessage: 64,
};
