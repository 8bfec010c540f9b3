// One process's view: does a serialization of a set of operations exist that respects a given
// partial order (the base: causal order for causal memory, program order and the process's
// read-from for PRAM and the session guarantees) and in which every read of that one process
// returns the last write to its key before it? The answer is the happens-before saturation of
// Bouajjani et al. (POPL 2017, HB_o):
//
//   HB = the smallest transitive relation containing the base and, for each read r of the process
//   that read key x from w2, the edge w1 -> w2 for every other write w1 to x with w1 HB r.
//
// The serialization exists iff HB is acyclic and no read of the initial value has a write to its
// key HB-before it. Only if: each added edge is forced (w1 precedes r, so it must precede w2, or r
// would not read w2). If: serialize by taking the process's operations in program order and, before
// each, its HB-predecessors not yet placed, in HB order; a write w1 to x placed between w2 and a
// read r of w2 would be an HB-predecessor of r, hence of w2, hence placed before w2. Writes of no
// HB-predecessor go last.
//
// Computed without the closure. The process's reads are in program order, a chain of the base
// (every caller's base orders them), so what lies HB-before a read is told by one number per
// node: first[v], the position of the first of the process's reads reachable from v; v HB r iff
// first[v] <= position(r). On key x, let u_1, u_2, ... be the writes the process's reads of x
// return, in the order of those reads. Each u_i is HB-before every later read, so it must precede
// every later u_j: a read returning u_i after one returning a later u_j is a cycle at once. Any
// other write w to x HB-before some read of x must precede what the first such read returns (and
// so every later u): one edge per write, to the u of the first read of x at or after first[w].
// Those edges and the chain u_1 -> u_2 -> ... imply every edge of HB's rule (the rule's w1 -> w2
// is w1 -> u(first read after first[w1]) -> ... -> w2 along the chain), and each is one of HB's.
// first[] is labelled once from the reads backwards (read by read in program order, so each node
// takes its final label on its first visit), then lowered along predecessors as edges are added,
// each write whose label drops looked at again; a last topological sort finds any cycle. Linear
// in nodes and edges, but for the labels an added edge lowers.

import { EdgeList, INITIAL, type Meter, Scratch, shortestCycleThrough, topologicalOrder } from './read-from.ts';

export interface ViewProblem {
  size: number;
  /** The base's edges; solveView adds the edges it finds forced to this list (no copy per view). */
  base: EdgeList;
  /** The process's reading operations (local nodes), in program order. */
  reads: readonly number[];
  /** Local writer of each local node's read, or INITIAL. */
  rf: Int32Array;
  key: Int32Array;
  /** Local write nodes per key. */
  writesByKey: ReadonlyMap<number, readonly number[]>;
}

export type ViewOutcome =
  | { kind: 'ok'; addedEdges: number }
  | { kind: 'base-cycle'; cycle: number[] }
  /** A cycle through added edges: `because` gives, for each added edge on it, the read that forced it. */
  | { kind: 'hb-cycle'; cycle: number[]; because: number[] }
  | { kind: 'initial-read'; write: number; read: number; path: number[] }
  | { kind: 'time' }
  | { kind: 'memory' };

const UNREACHED = 0x7fffffff;

/** scratch: the buffers of the check's other views, reused. */
export function solveView(problem: ViewProblem, meter: Meter, scratch = new Scratch()): ViewOutcome {
  // first[], the positions, the u-chain index and edge target per node, the topological order,
  // the CSR and the added edges (about one per write).
  const bytes = problem.size * 40 + problem.base.count * 12;
  if (!meter.take(bytes)) return { kind: 'memory' };
  try {
    return saturate(problem, meter, scratch);
  } finally {
    meter.give(bytes);
  }
}

/**
 * The shortest cycle through `onCycle` as an outcome: of the base alone when no edge was added yet,
 * otherwise with, for each added edge on it, the read that forced it.
 */
function cycleOutcome(size: number, edges: EdgeList, baseCount: number, forcedBy: readonly number[], onCycle: number, offsets: Int32Array, targets: Int32Array): ViewOutcome {
  const cycle = shortestCycleThrough(onCycle, size, (v, visit) => {
    for (let e = offsets[v] as number; e < (offsets[v + 1] as number); e++) visit(targets[e] as number);
  }) as number[];
  if (forcedBy.length === 0) return { kind: 'base-cycle', cycle };
  const because: number[] = [];
  for (let i = 0; i < cycle.length; i++) {
    const a = cycle[i] as number;
    const b = cycle[(i + 1) % cycle.length] as number;
    if (edges.find(a, b) < baseCount) continue;
    because.push(forcedBy[edges.find(a, b, baseCount) - baseCount] as number);
  }
  return { kind: 'hb-cycle', cycle, because };
}

function saturate(problem: ViewProblem, meter: Meter, scratch: Scratch): ViewOutcome {
  const { size, reads, rf, key, writesByKey } = problem;
  const position = scratch.int32('view.position', size, -1);
  reads.forEach((r, j) => (position[r] = j));
  const edges = problem.base;
  // The reads in program order, in case the base orders them only through other nodes.
  for (let j = 1; j < reads.length; j++) edges.add(reads[j - 1] as number, reads[j] as number);
  const baseCount = edges.count;
  const forcedBy: number[] = [];
  const path = (from: number, to: number): number[] => pathIn(edges, size, from, to);
  // A violation is explained by the base alone when the base has a cycle (a read of a write its
  // own order places after it): looked for only once a violation is found.
  const fail = (outcome: ViewOutcome): ViewOutcome => {
    const base = new EdgeList(baseCount);
    for (let e = 0; e < baseCount; e++) base.add(edges.from(e), edges.to(e));
    const { offsets, targets } = base.csr(size);
    const sorted = topologicalOrder(size, offsets, targets);
    return 'onCycle' in sorted ? cycleOutcome(size, base, baseCount, [], sorted.onCycle, offsets, targets) : outcome;
  };

  // Per key read, the positions of the reads of it (counted, then placed); the u chain of the top comment.
  let keyBound = 0;
  for (const r of reads) keyBound = Math.max(keyBound, (key[r] as number) + 1);
  const counts = new Int32Array(keyBound);
  for (const r of reads) counts[key[r] as number]++;
  const readsOfKey: Array<Int32Array | undefined> = new Array<Int32Array | undefined>(keyBound);
  const returnsOfKey: Array<Int32Array | undefined> = new Array<Int32Array | undefined>(keyBound);
  const placeOfKey: Array<Int32Array | undefined> = new Array<Int32Array | undefined>(keyBound);
  for (let k = 0; k < keyBound; k++) {
    const c = counts[k] as number;
    if (c === 0) continue;
    readsOfKey[k] = new Int32Array(c);
    returnsOfKey[k] = new Int32Array(c);
    placeOfKey[k] = new Int32Array(c);
  }
  counts.fill(0);
  // Beside each key's list, what each of its reads returns and that write's place on the u chain
  // (filled below): read with the list, instead of from arrays over every node.
  for (let j = 0; j < reads.length; j++) {
    const r = reads[j] as number;
    const k = key[r] as number;
    const i = counts[k]++;
    (readsOfKey[k] as Int32Array)[i] = j;
    (returnsOfKey[k] as Int32Array)[i] = rf[r] as number;
  }
  // uIndex[w]: w's place in its key's u chain, -1 off it; firstReadOf[w]: the position of the
  // first read returning it.
  const uIndex = scratch.int32('view.uIndex', size, -1);
  const firstReadOf = scratch.int32('view.firstReadOf', size, -1);
  for (let k = 0; k < keyBound; k++) {
    const list = readsOfKey[k];
    if (list === undefined) continue;
    const returns = returnsOfKey[k] as Int32Array;
    let last = INITIAL;
    let count = 0;
    for (let i = 0; i < list.length; i++) {
      const w = returns[i] as number;
      if (w === last) continue;
      const r = reads[list[i] as number] as number;
      if (w === INITIAL) return fail({ kind: 'initial-read', write: last, read: r, path: path(last, r) });
      if (uIndex[w] >= 0) {
        // Back to an earlier write after a later one: each must precede the other.
        return fail({ kind: 'hb-cycle', cycle: [w, last], because: [reads[firstReadOf[last] as number] as number, r] });
      }
      uIndex[w] = count++;
      firstReadOf[w] = list[i] as number;
      if (last !== INITIAL) {
        edges.add(last, w);
        forcedBy.push(r);
      }
      last = w;
    }
  }
  for (let k = 0; k < keyBound; k++) {
    const returns = returnsOfKey[k];
    if (returns === undefined) continue;
    const places = placeOfKey[k] as Int32Array;
    for (let i = 0; i < returns.length; i++) places[i] = returns[i] === INITIAL ? -1 : (uIndex[returns[i] as number] as number);
  }
  // Predecessors: the edges so far as a reverse CSR, the edges added later as linked lists.
  const { offsets: predOffsets, targets: preds } = edges.csr(size, true, scratch, 'view.predecessors');
  const addedHead = scratch.int32('view.addedHead', size, -1);
  let addedNext = scratch.int32('view.addedNext', size + 16, 0);
  let addedFrom = scratch.int32('view.addedFrom', size + 16, 0);
  let addedCount = 0;

  const first = scratch.int32('view.first', size, UNREACHED);
  // The writes to look at (again): those of keys the process reads, whenever their label drops.
  const watched = scratch.int32('view.watched', size, 0);
  const queued = scratch.int32('view.queued', size, 0);
  const queue: number[] = [];
  for (let k = 0; k < keyBound; k++) if (readsOfKey[k] !== undefined) for (const w of writesByKey.get(k) ?? []) watched[w] = 1;
  // The u a write was last sent to (its chain index), so an edge is added only when it moves earlier.
  const sentTo = scratch.int32('view.sentTo', size, UNREACHED);
  const stack: number[] = [];
  /** Lowers v's predecessors' labels to what v offers, and theirs in turn. */
  const lowerFrom = (start: number): void => {
    stack.push(start);
    while (stack.length > 0) {
      const v = stack.pop() as number;
      const at = position[v] as number;
      const offer = at >= 0 && at < (first[v] as number) ? at : (first[v] as number);
      const end = predOffsets[v + 1] as number;
      // The base's predecessors, then the added edges' (e < 0 past the base's).
      for (let e = predOffsets[v] as number, extra = addedHead[v] as number; ; ) {
        let u: number;
        if (e < end) u = preds[e++] as number;
        else if (extra >= 0) {
          u = addedFrom[extra] as number;
          extra = addedNext[extra] as number;
        } else break;
        if ((first[u] as number) <= offer) continue;
        first[u] = offer;
        stack.push(u);
        if (watched[u] === 1 && queued[u] === 0) {
          queued[u] = 1;
          queue.push(u);
        }
      }
    }
  };
  // The first labels: read by read, so that a node reached is reached from its first read.
  for (const r of reads) {
    if (!meter.step(1)) return { kind: 'time' };
    lowerFrom(r);
  }

  /** Adds the edge w's label asks for, if new; a violation if one shows. */
  const examine = (w: number): ViewOutcome | null => {
    const k = key[w] as number;
    const list = readsOfKey[k] as Int32Array;
    const f = first[w] as number;
    if (f > (list[list.length - 1] as number)) return null;
    // The first read of w's key at or after position f.
    let lo = 0;
    let hi = list.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((list[mid] as number) >= f) hi = mid;
      else lo = mid + 1;
    }
    const target = (returnsOfKey[k] as Int32Array)[lo] as number;
    if (target === w) return null;
    const r = reads[list[lo] as number] as number;
    if (target === INITIAL) return fail({ kind: 'initial-read', write: w, read: r, path: path(w, r) });
    const at = (placeOfKey[k] as Int32Array)[lo] as number;
    const mine = uIndex[w] as number;
    if (mine >= 0) {
      // On the chain already: before every later u; a later u read first is a cycle.
      return mine > at ? fail({ kind: 'hb-cycle', cycle: [target, w], because: [reads[firstReadOf[w] as number] as number, r] }) : null;
    }
    if (at >= (sentTo[w] as number)) return null;
    sentTo[w] = at;
    edges.add(w, target);
    forcedBy.push(r);
    if (addedCount === addedFrom.length) {
      addedNext = grow(addedNext);
      addedFrom = grow(addedFrom);
    }
    addedFrom[addedCount] = w;
    addedNext[addedCount] = addedHead[target] as number;
    addedHead[target] = addedCount++;
    // What target offers now reaches w and what comes before it.
    const reach = Math.min(first[target] as number, (position[target] as number) >= 0 ? (position[target] as number) : UNREACHED);
    if (reach < (first[w] as number)) {
      first[w] = reach;
      if (queued[w] === 0) {
        queued[w] = 1;
        queue.push(w);
      }
      lowerFrom(w);
    }
    return null;
  };
  // Every watched write once, in node order (near each other in memory), then those relabelled.
  for (let w = 0; w < size; w++) {
    if (watched[w] === 0) continue;
    if ((w & 1023) === 0 && !meter.step(1024)) return { kind: 'time' };
    const outcome = examine(w);
    if (outcome !== null) return outcome;
  }
  while (queue.length > 0) {
    const w = queue.pop() as number;
    queued[w] = 0;
    if (!meter.step(1)) return { kind: 'time' };
    const outcome = examine(w);
    if (outcome !== null) return outcome;
  }

  const { offsets, targets } = edges.csr(size, false, scratch, 'view.successors');
  const sorted = topologicalOrder(size, offsets, targets, scratch);
  if ('onCycle' in sorted) return fail(cycleOutcome(size, edges, baseCount, forcedBy, sorted.onCycle, offsets, targets));
  return { kind: 'ok', addedEdges: forcedBy.length };
}

function grow(a: Int32Array<ArrayBuffer>): Int32Array<ArrayBuffer> {
  const b = new Int32Array(a.length * 2);
  b.set(a);
  return b;
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
