export interface MultiPaxosOptions {
  /**
   * On: one distinguished proposer (the leader) sends heartbeats, and the others defer to it until
   * they miss heartbeats for an election timeout. Off: every node runs phase 1 whenever it holds
   * client requests, and proposers preempt each other.
   */
  stableLeader: boolean;
  /** After a rejection, wait a random, growing number of ticks before running phase 1 again. */
  backoff: boolean;
  /**
   * A stable leader that heard from a majority within the lease serves reads from its own state;
   * followers refuse other proposers while the leader's lease may still hold. Off: reads go
   * through the log like writes.
   */
  leaseReads: boolean;
  /** A follower that hears no leader for [electionTicks, 2 * electionTicks) ticks runs phase 1. */
  electionTicks: number;
  heartbeatTicks: number;
  /** Fold chosen slots into a snapshot every this many applied slots (0: never). */
  snapshotInterval: number;
  /** The most slots one accept or chosen message carries. */
  maxSlotsPerMessage: number;
}

export const defaultMultiPaxosOptions: MultiPaxosOptions = {
  stableLeader: true,
  backoff: true,
  leaseReads: false,
  electionTicks: 15,
  heartbeatTicks: 5,
  snapshotInterval: 1000,
  maxSlotsPerMessage: 64,
};

/** How long a leader's read lease lasts after the heartbeat that earned it: below the election timeout. */
export function leaseTicks(options: MultiPaxosOptions): number {
  return Math.max(1, options.electionTicks - 1);
}
