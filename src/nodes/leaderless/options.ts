// The options of leaderless quorums (Dynamo), what they mean at run time on a cluster of a given
// size, and the consistency model they keep.

import type { ConsistencyName } from '../../shared/consistency.ts';

/** How replicas order the versions of a key. */
export type Resolve = 'lww' | 'vclock';

export interface LeaderlessOptions {
  /** Replicas per key: the first n distinct nodes clockwise from the key on the ring. */
  n: number;
  /** Replicas a read waits for. */
  r: number;
  /** Replicas a write waits for (durably stored). */
  w: number;
  /** A request whose quorum has not answered after this many ticks gets an indefinite error. */
  timeoutTicks: number;
  /** After a read, replicas that answered with older versions are sent the newest. */
  readRepair: boolean;
  /** ABD: a read writes what it returns back to a write quorum before answering. */
  writeBack: boolean;
  /**
   * ABD's two-phase write: a write first asks a quorum for the key's highest version and writes
   * one above it; the quorum also records the attempt, so that a retried request never writes
   * twice. Off: the coordinator's clock alone stamps the write.
   */
  twoPhaseWrites: boolean;
  /** Replicas periodically compare digests of the keys they share and repair differences. */
  antiEntropy: boolean;
  antiEntropyTicks: number;
  /** Sloppy quorums: a preferred replica that does not answer is replaced by the next ring node, with a hint. */
  sloppy: boolean;
  /** How often a node holding hints offers them to their owners. */
  handoffTicks: number;
  /** lww: the highest (timestamp, node) wins. vclock: version vectors, concurrent values kept as siblings. */
  resolve: Resolve;
  /** Virtual tokens each node has on the ring. */
  tokens: number;
}

export const defaultLeaderlessOptions: LeaderlessOptions = {
  n: 3,
  r: 2,
  w: 2,
  timeoutTicks: 20,
  readRepair: true,
  writeBack: false,
  twoPhaseWrites: false,
  antiEntropy: true,
  antiEntropyTicks: 50,
  sloppy: false,
  handoffTicks: 20,
  resolve: 'lww',
  tokens: 4,
};

/** n, r and w as a cluster of `clusterSize` nodes can keep them (n at most the cluster, r and w at most n). */
export interface Quorums {
  n: number;
  r: number;
  w: number;
  /**
   * How many replies a write's first phase waits for: a read quorum that also meets every other
   * write's first phase (a majority at least), so that two attempts of one request cannot both
   * find it unrecorded.
   */
  query: number;
  /** Set when an option asked for more than the cluster has: what was asked and what is used, in words. */
  clamped: string | null;
}

export function majority(n: number): number {
  return Math.floor(n / 2) + 1;
}

export function effectiveQuorums(options: Pick<LeaderlessOptions, 'n' | 'r' | 'w'>, clusterSize: number): Quorums {
  const size = Math.max(1, clusterSize);
  const n = Math.min(options.n, size);
  const r = Math.min(options.r, n);
  const w = Math.min(options.w, n);
  const notes: string[] = [];
  if (options.n > n) notes.push(`n ${options.n} -> ${n} (${size} nodes)`);
  if (options.r > r) notes.push(`r ${options.r} -> ${r}`);
  if (options.w > w) notes.push(`w ${options.w} -> ${w}`);
  return { n, r, w, query: Math.max(r, majority(n)), clamped: notes.length === 0 ? null : notes.join(', ') };
}

/**
 * The strongest model a cluster with these options keeps (whatever its size: clamping n, r and w
 * to the cluster keeps r + w > n when it held).
 *
 * - linearizable: ABD (Attiya, Bar-Noy, Dolev 1995): read and write quorums meet (r + w > n),
 *   writes take a version above the highest a quorum holds, reads write back what they return,
 *   and quorums are strict (a sloppy quorum need not meet another). lww ordering only: siblings
 *   are lists no register read can return.
 * - convergent: the same writes without write-back: a write that begins after another was
 *   acknowledged always takes a higher version, so the last acknowledged writes win, and
 *   anti-entropy brings every replica to the same versions once the faults heal.
 * - null otherwise: a clock's timestamp can order an acknowledged write below an older one (a
 *   skewed clock, or two writes in one tick), sloppy quorums need not meet, r + w <= n reads miss
 *   writes, and siblings are values no client wrote.
 */
export function leaderlessPromise(options: LeaderlessOptions): ConsistencyName | null {
  if (options.resolve !== 'lww' || !options.twoPhaseWrites || options.sloppy) return null;
  if (Math.min(options.r, options.n) + Math.min(options.w, options.n) <= options.n) return null;
  if (options.writeBack) return 'linearizable';
  if (options.antiEntropy) return 'convergent';
  return null;
}

/** Ticks between a request's resends to replicas that have not answered (and, sloppy, its fallbacks). */
export function retryTicks(options: Pick<LeaderlessOptions, 'timeoutTicks'>): number {
  return Math.max(1, Math.floor(options.timeoutTicks / 4));
}
