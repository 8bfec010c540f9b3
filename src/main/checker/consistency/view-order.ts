// One process's view: does a serialization of a set of operations exist that respects a given
// partial order (the base: causal order for causal memory, program order and the process's
// read-from for PRAM) and in which every read of that one process returns the last write to its
// key before it? The answer is the happens-before saturation of Bouajjani et al. (POPL 2017, HB_o):
//
//   HB = the smallest transitive relation containing the base and, for each read r of the process
//   that read key x from w2, the edge w1 -> w2 for every other write w1 to x with w1 HB r.
//
// The serialization exists iff HB is acyclic and no read of the initial value has a write to its
// key HB-before it. Only if: each added edge is forced (w1 precedes r, so it must precede w2, or r
// would not read w2). If: serialize by taking the process's operations in program order and, before
// each, its HB-predecessors not yet placed, in HB order; a write w1 to x placed between w2 and a
// read r of w2 would be an HB-predecessor of r, hence of w2, hence placed before w2. Writes of no
// HB-predecessor go last. Polynomial: each round recomputes HB as bitsets in topological order
// and adds the edges the rule asks for, until none is new.

import { EdgeList, INITIAL, type Meter, shortestCycleThrough, topologicalOrder } from './read-from.ts';

export interface ViewProblem {
  size: number;
  base: EdgeList;
  /** The process's reading operations (local nodes), in program order. */
  reads: readonly number[];
  /** Local writer of each local node's read, or INITIAL. */
  rf: Int32Array;
  key: Int32Array;
  /** Local write nodes per key. */
  writesByKey: ReadonlyMap<number, readonly number[]>;
  /**
   * Optional: when every write lies on one of a few chains (paths of the base, e.g. each
   * process's writes in program order), the chains in order; the saturation then keeps, instead of
   * a bitset of predecessors, one vector clock per node (see saturateChains).
   */
  chains?: readonly Int32Array[];
}

export type ViewOutcome =
  /** rounds: of the saturation, when the chains' one counted them. */
  | { kind: 'ok'; addedEdges: number; rounds?: number }
  | { kind: 'base-cycle'; cycle: number[] }
  /** A cycle through added edges: `because` gives, for each added edge on it, the read that forced it. */
  | { kind: 'hb-cycle'; cycle: number[]; because: number[] }
  | { kind: 'initial-read'; write: number; read: number; path: number[] }
  | { kind: 'time' }
  | { kind: 'memory' };

export function solveView(problem: ViewProblem, meter: Meter): ViewOutcome {
  if (problem.chains !== undefined) {
    const bytes = problem.size * (problem.chains.length * 4 + 24);
    if (!meter.take(bytes)) return { kind: 'memory' };
    try {
      return saturateChains(problem, problem.chains, meter);
    } finally {
      meter.give(bytes);
    }
  }
  const words = (problem.size + 31) >>> 5;
  const bytes = problem.size * words * 4 + problem.size * 16;
  if (!meter.take(bytes)) return { kind: 'memory' };
  try {
    return saturate(problem, meter, words);
  } finally {
    meter.give(bytes);
  }
}

/**
 * The shortest cycle through `onCycle` as an outcome: of the base alone when no edge was added yet,
 * otherwise with, for each added edge on it, the read that forced it.
 */
function cycleOutcome(problem: ViewProblem, edges: EdgeList, baseCount: number, forcedBy: readonly number[], onCycle: number, offsets: Int32Array, targets: Int32Array): ViewOutcome {
  const size = problem.size;
  const cycle = shortestCycleThrough(onCycle, size, (v, visit) => {
    for (let e = offsets[v] as number; e < (offsets[v + 1] as number); e++) visit(targets[e] as number);
  }) as number[];
  if (forcedBy.length === 0) return { kind: 'base-cycle', cycle };
  const because: number[] = [];
  for (let i = 0; i < cycle.length; i++) {
    const a = cycle[i] as number;
    const b = cycle[(i + 1) % cycle.length] as number;
    if (problem.base.find(a, b) >= 0) continue;
    const e = edges.find(a, b, baseCount);
    if (e >= 0) because.push(forcedBy[e - baseCount] as number);
  }
  return { kind: 'hb-cycle', cycle, because };
}

function saturate(problem: ViewProblem, meter: Meter, words: number): ViewOutcome {
  const { size, reads, rf, key, writesByKey } = problem;
  const hb = new Uint32Array(size * words);
  const has = (v: number, u: number): boolean => ((hb[v * words + (u >>> 5)] as number) & (1 << (u & 31))) !== 0;
  const edges = problem.base.clone();
  const baseCount = edges.count;
  const forcedBy: number[] = [];
  const added = new Set<number>();
  for (;;) {
    const { offsets, targets } = edges.csr(size);
    const sorted = topologicalOrder(size, offsets, targets);
    if ('onCycle' in sorted) return cycleOutcome(problem, edges, baseCount, forcedBy, sorted.onCycle, offsets, targets);
    hb.fill(0);
    for (let i = 0; i < size; i++) {
      const v = sorted.order[i] as number;
      if (!meter.step(words)) return { kind: 'time' };
      const row = v * words;
      for (let e = offsets[v] as number; e < (offsets[v + 1] as number); e++) {
        const w = targets[e] as number;
        const target = w * words;
        for (let k = 0; k < words; k++) hb[target + k] |= hb[row + k] as number;
        hb[target + (v >>> 5)] |= 1 << (v & 31);
      }
    }
    const rank = new Int32Array(size);
    for (let i = 0; i < size; i++) rank[sorted.order[i] as number] = i;
    let changed = false;
    const candidates: number[] = [];
    const latest: number[] = [];
    for (const r of reads) {
      const w2 = rf[r] as number;
      const writes = writesByKey.get(key[r] as number) ?? [];
      if (!meter.step(writes.length)) return { kind: 'time' };
      candidates.length = 0;
      for (const w1 of writes) {
        if (w1 === w2 || w1 === r || !has(r, w1)) continue;
        if (w2 === INITIAL) return { kind: 'initial-read', write: w1, read: r, path: pathIn(edges, size, w1, r) };
        if (!has(w2, w1)) candidates.push(w1);
      }
      // Only the HB-latest of them need an edge: the others are before those already. (In a PRAM
      // view that is one write per process at most, instead of every write the read came after.)
      candidates.sort((a, b) => (rank[b] as number) - (rank[a] as number));
      latest.length = 0;
      for (const w1 of candidates) {
        if (latest.some((l) => has(l, w1))) continue;
        latest.push(w1);
        const code = w1 * size + w2;
        if (added.has(code)) continue;
        added.add(code);
        edges.add(w1, w2);
        forcedBy.push(r);
        changed = true;
      }
    }
    if (!changed) return { kind: 'ok', addedEdges: forcedBy.length };
  }
}

/**
 * The same saturation when every write lies on a chain (a path of the base): the writes
 * HB-before a node are then, chain by chain, a prefix of the chain, and a vector clock of the
 * prefixes' lengths (clock[v * chains + c]: the index of chain c's last node HB-before or equal
 * to v, -1 for none) stands for the bitset. For a read r of key x, the writes to x HB-before it
 * are on each chain those up to the clock; only the last of them on each chain needs the edge to
 * the write r returns (the others are HB-before that one). So a round costs O((nodes + edges) ×
 * chains) instead of O(nodes² / 32), and the outcome is the one saturate() would reach.
 */
function saturateChains(problem: ViewProblem, chains: readonly Int32Array[], meter: Meter): ViewOutcome {
  const { size, reads, rf, key } = problem;
  const c = chains.length;
  const chainOf = new Int32Array(size).fill(-1);
  const indexOf = new Int32Array(size);
  // Per chain and key, the indexes of its writes to the key (increasing).
  const keyed: Array<Map<number, number[]>> = chains.map(() => new Map());
  chains.forEach((chain, q) => {
    const byKey = keyed[q] as Map<number, number[]>;
    chain.forEach((v, i) => {
      chainOf[v] = q;
      indexOf[v] = i;
      const k = key[v] as number;
      const list = byKey.get(k);
      if (list === undefined) byKey.set(k, [i]);
      else list.push(i);
    });
  });
  /** The last index in `list` at or below `bound`, or -1. */
  const lastAtMost = (list: number[], bound: number): number => {
    let lo = 0;
    let hi = list.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if ((list[mid] as number) <= bound) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found < 0 ? -1 : (list[found] as number);
  };
  const clock = new Int32Array(size * c);
  const has = (v: number, u: number): boolean => (clock[v * c + (chainOf[u] as number)] as number) >= (indexOf[u] as number);
  const edges = problem.base.clone();
  const baseCount = edges.count;
  const forcedBy: number[] = [];
  let rounds = 0;
  // Each read's clock when it was last examined.
  const seen = new Int32Array(reads.length * c).fill(-2);
  for (;;) {
    const { offsets, targets } = edges.csr(size);
    const sorted = topologicalOrder(size, offsets, targets);
    if ('onCycle' in sorted) return cycleOutcome(problem, edges, baseCount, forcedBy, sorted.onCycle, offsets, targets);
    clock.fill(-1);
    for (let v = 0; v < size; v++) if ((chainOf[v] as number) >= 0) clock[v * c + (chainOf[v] as number)] = indexOf[v] as number;
    for (let i = 0; i < size; i++) {
      const v = sorted.order[i] as number;
      if (!meter.step(c)) return { kind: 'time' };
      const row = v * c;
      for (let e = offsets[v] as number; e < (offsets[v + 1] as number); e++) {
        const target = (targets[e] as number) * c;
        for (let q = 0; q < c; q++) if ((clock[row + q] as number) > (clock[target + q] as number)) clock[target + q] = clock[row + q] as number;
      }
    }
    let changed = false;
    rounds++;
    const candidates: number[] = [];
    for (let j = 0; j < reads.length; j++) {
      const r = reads[j] as number;
      const w2 = rf[r] as number;
      const k = key[r] as number;
      if (!meter.step(c)) return { kind: 'time' };
      // A read whose clock did not grow since it was last examined has the same candidates, and
      // their edges are in already (or they were, and stay, HB-before w2).
      let grew = false;
      for (let q = 0; q < c; q++) {
        if (seen[j * c + q] !== clock[r * c + q]) {
          seen[j * c + q] = clock[r * c + q] as number;
          grew = true;
        }
      }
      if (!grew) continue;
      candidates.length = 0;
      for (let q = 0; q < c; q++) {
        const list = (keyed[q] as Map<number, number[]>).get(k);
        if (list === undefined) continue;
        // Strictly before r: r itself, when it writes, is on its chain at its own index.
        const bound = chainOf[r] === q ? (indexOf[r] as number) - 1 : (clock[r * c + q] as number);
        const at = lastAtMost(list, bound);
        if (at < 0) continue;
        const w1 = (chains[q] as Int32Array)[at] as number;
        if (w1 === w2) continue;
        if (w2 === INITIAL) return { kind: 'initial-read', write: w1, read: r, path: pathIn(edges, size, w1, r) };
        if (has(w2, w1)) continue;
        candidates.push(w1);
      }
      // Only the HB-latest candidates need an edge: the others are HB-before one of those.
      for (const w1 of candidates) {
        // w2's clock takes w1's at once (the rest of the growth waits for the next round's pass):
        // a candidate HB-before one already added needs no edge, the same edge is not added
        // twice, and the clocks stay within HB.
        if (has(w2, w1)) continue;
        edges.add(w1, w2);
        forcedBy.push(r);
        changed = true;
        const a = w1 * c;
        const b = w2 * c;
        for (let q = 0; q < c; q++) if ((clock[a + q] as number) > (clock[b + q] as number)) clock[b + q] = clock[a + q] as number;
      }
    }
    if (!changed) return { kind: 'ok', addedEdges: forcedBy.length, rounds };
  }
}

/** The inner nodes of a shortest path from a to b (both left out). */
export function pathIn(edges: EdgeList, size: number, a: number, b: number): number[] {
  const { offsets, targets } = edges.csr(size);
  const parent = new Int32Array(size).fill(-1);
  const queue = [a];
  parent[a] = a;
  for (let head = 0; head < queue.length; head++) {
    const v = queue[head] as number;
    if (v === b) break;
    for (let e = offsets[v] as number; e < (offsets[v + 1] as number); e++) {
      const w = targets[e] as number;
      if (parent[w] !== -1) continue;
      parent[w] = v;
      queue.push(w);
    }
  }
  if (parent[b] === -1) return [];
  const inner: number[] = [];
  for (let v = parent[b] as number; v !== a; v = parent[v] as number) inner.push(v);
  return inner.reverse();
}
