// The session guarantees of Terry et al. (1994), in the form Jepsen's consistency pages give them
// after Viotti and Vukolić ("Consistency in Non-Transactional Distributed Storage Systems"): a
// history holds one if, key by key, there are a visibility relation vis (acyclic) and an
// arbitration ar (a total order) such that each read returns the ar-last write to its key among
// those visible to it (the initial null if none), and:
//
//   read-your-writes     so ⊆ vis
//   monotonic-reads      vis ; so ⊆ vis
//   monotonic-writes     so restricted to writes ⊆ ar
//   writes-follow-reads  (vis ; so*) restricted to writes ⊆ ar
//
// (so: session order, each process's operations on the key in invoke order; a cas or an append
// reads and writes, so it is both.) Why these checks are exact for differentiated histories: a
// read must see the write it returns, so vis contains read-from (rf); the guarantee's axiom closes
// vis further; and everything else only gets harder as vis grows (more visible writes to be
// ar-before the one returned, more ar edges, more chances of a cycle). So the least vis is the one
// to try: rf ∪ so (read-your-writes), rf ; so* (monotonic-reads), rf (the two others). With it the
// remaining question is whether ar exists, i.e. whether the edges it must contain are acyclic:
//
//   read-your-writes     each earlier own write w1 to the key, other than the write r returns, before it
//   monotonic-reads      each write an earlier read of the process returned before the one r returns;
//                        enough: consecutive distinct writers, since a writer seen again after
//                        another one closes a cycle either way; an initial read after a non-initial
//                        one sees a write and is illegal
//   monotonic-writes     nothing beyond so on writes, which is acyclic: only a cyclic vis (rf) fails
//   writes-follow-reads  the write each read returned before every write of the process from that
//                        read on
//
// Each "before every earlier/later one" is a chain of virtual nodes per process and key, so the
// graphs stay linear in the history (1,000,000 operations in about a second): a path through the
// chain stands for exactly one of the quadratically many edges, and a cycle of the virtual graph
// is a cycle of the real one.

import type { Operation } from '../history.ts';
import type { ConsistencyCheck, ModelResult, Witness } from './contract.ts';
import {
  EdgeList,
  falseResult,
  INITIAL,
  Meter,
  NO_READ,
  OUT_OF_MEMORY,
  OUT_OF_TIME,
  type ReadFromHistory,
  resolveReadFrom,
  shortestCycleThrough,
  topologicalOrder,
  undefinedFor,
  unknownResult,
  witnessOperation,
} from './read-from.ts';

type Guarantee = 'read-your-writes' | 'monotonic-reads' | 'monotonic-writes' | 'writes-follow-reads';

/** Edges with, for each, the read that forced it (-1: none). */
class Graph {
  readonly edges: EdgeList;
  private because: Int32Array;
  size: number;
  constructor(real: number, capacity: number) {
    this.size = real;
    this.edges = new EdgeList(capacity);
    this.because = new Int32Array(Math.max(capacity, 16));
  }
  virtual(): number {
    return this.size++;
  }
  add(a: number, b: number, read = -1): void {
    const e = this.edges.count;
    this.edges.add(a, b);
    if (e === this.because.length) {
      const grown = new Int32Array(e * 2);
      grown.set(this.because);
      this.because = grown;
    }
    this.because[e] = read;
  }
  /** The real nodes and forcing reads of a cycle, or null when acyclic. */
  cycle(real: number): number[] | null {
    const { offsets, targets } = this.edges.csr(this.size);
    const sorted = topologicalOrder(this.size, offsets, targets);
    if (!('onCycle' in sorted)) return null;
    const cycle = shortestCycleThrough(sorted.onCycle, this.size, (v, visit) => {
      for (let e = offsets[v] as number; e < (offsets[v + 1] as number); e++) visit(targets[e] as number);
    }) as number[];
    const out = new Set<number>();
    for (let i = 0; i < cycle.length; i++) {
      const a = cycle[i] as number;
      const b = cycle[(i + 1) % cycle.length] as number;
      if (a < real) out.add(a);
      const e = this.edges.find(a, b);
      if (e >= 0 && (this.because[e] as number) >= 0) out.add(this.because[e] as number);
    }
    return [...out].sort((x, y) => x - y);
  }
}

const ANOMALY: Record<Guarantee, string> = {
  'read-your-writes': 'not reading own write',
  'monotonic-reads': 'reads going back in time',
  'monotonic-writes': 'writes out of order',
  'writes-follow-reads': 'write not following its read',
};

const WHY: Record<Guarantee, string> = {
  'read-your-writes': 'Each read must see its own process’s earlier writes to the key, so the write it returns must be ordered after them; these orders form a cycle.',
  'monotonic-reads': 'Each read must see what the process’s earlier reads saw, so the write it returns must be ordered after theirs; the process’s reads go back to a write they had moved past.',
  'monotonic-writes': 'The writes would have to be ordered against their own process’s order.',
  'writes-follow-reads': 'A write must be ordered after every write its process read before it; these orders form a cycle.',
};

function guaranteeCheck(model: Guarantee, summary: string): ConsistencyCheck {
  return {
    name: model,
    summary,
    check(history, budget): ModelResult {
      const notDefined = undefinedFor(model, history);
      if (notDefined !== null) return notDefined;
      const resolved = resolveReadFrom(history);
      if (!resolved.ok) return resolved.result(model);
      const meter = new Meter(budget);
      try {
        return decide(model, resolved.history, meter);
      } finally {
        meter.release();
      }
    },
  };
}

function decide(model: Guarantee, h: ReadFromHistory, meter: Meter): ModelResult {
  const n = h.nodes.length;
  const wop = (v: number) => witnessOperation(h.nodes[v] as Operation);
  const figures: Record<string, number> = { operations: n, keys: h.keys, processes: h.byProcess.length };
  // About 3 edges per operation in typed arrays of doubling length (12 bytes each with its
  // forcing read, twice that while growing), their CSR form and the topological sort.
  if (!meter.take(n * 3 * 24 + n * 16)) return unknownResult(model, OUT_OF_MEMORY, figures);
  // Per key, for the process at hand: reset after each process, key by key it touched.
  const slot = new Int32Array(h.keys).fill(-1);
  const touched: number[] = [];
  const clearSlots = (): void => {
    for (const k of touched) slot[k] = -1;
    touched.length = 0;
  };
  const fail = (witness: Witness): ModelResult => falseResult(model, witness, figures);

  const sessionOrder = model === 'read-your-writes' || model === 'monotonic-reads';
  const vis = new Graph(n, sessionOrder ? 2 * n : n);
  // Without session order, a cycle of read-from passes only through operations that read and
  // write (cas, append): none, no cycle.
  let readWrites = 0;
  for (let v = 0; v < n; v++) if (h.writes[v] && (h.rf[v] as number) >= 0) readWrites++;
  if (sessionOrder || readWrites > 0) for (let v = 0; v < n; v++) if ((h.rf[v] as number) >= 0) vis.add(h.rf[v] as number, v, v);
  if (sessionOrder) {
    for (const list of h.byProcess) {
      for (const v of list) {
        const k = h.key[v] as number;
        const previous = slot[k] as number;
        if (previous >= 0) vis.add(previous, v);
        else touched.push(k);
        slot[k] = v;
      }
      clearSlots();
    }
  }
  if (!meter.step(n)) return unknownResult(model, OUT_OF_TIME, figures);
  const visCycle = vis.cycle(n);
  if (visCycle !== null) {
    return fail({
      anomaly: model === 'monotonic-writes' || model === 'writes-follow-reads' ? 'cyclic read-from' : 'cyclic visibility',
      operations: visCycle.map(wop),
      why: 'Each operation must be visible to the next (it wrote what the next read, or comes before it in its session), and the last to the first: visibility would be cyclic.',
    });
  }

  const ar = new Graph(n, model === 'monotonic-writes' ? 0 : 3 * n);
  // Where each write stands among its process's writes to its key (read-your-writes).
  const ownIndex = new Int32Array(model === 'read-your-writes' ? n : 0);
  for (const list of h.byProcess) {
    if (!meter.step(list.length)) return unknownResult(model, OUT_OF_TIME, figures);
    if (model === 'read-your-writes') {
      // Per key: the process's writes so far, and chain[k] reachable from its first k + 1 of them.
      const own: Array<{ writes: number[]; chain: number[] }> = [];
      for (const v of list) {
        const k = h.key[v] as number;
        if (slot[k] === -1) {
          slot[k] = own.push({ writes: [], chain: [] }) - 1;
          touched.push(k);
        }
        const mine = own[slot[k] as number] as { writes: number[]; chain: number[] };
        const from = h.rf[v] as number;
        const m = mine.writes.length;
        if (from !== NO_READ && m > 0) {
          if (from === INITIAL) {
            return fail({ anomaly: ANOMALY[model], operations: [mine.writes[m - 1] as number, v].map(wop), why: 'The read returns the initial value after its own process wrote to the key.' });
          }
          const at = h.process[from] === h.process[v] && h.key[from] === k && (ownIndex[from] as number) < m && mine.writes[ownIndex[from] as number] === from ? (ownIndex[from] as number) : -1;
          if (at < 0) ar.add(mine.chain[m - 1] as number, from, v);
          else {
            if (at > 0) ar.add(mine.chain[at - 1] as number, from, v);
            for (let j = at + 1; j < m; j++) ar.add(mine.writes[j] as number, from, v);
          }
        }
        if (h.writes[v]) {
          const c = ar.virtual();
          ar.add(v, c);
          if (m > 0) ar.add(mine.chain[m - 1] as number, c);
          ownIndex[v] = mine.writes.push(v) - 1;
          mine.chain.push(c);
        }
      }
      clearSlots();
    } else if (model === 'monotonic-reads') {
      for (const v of list) {
        const from = h.rf[v] as number;
        if (from === NO_READ) continue;
        const k = h.key[v] as number;
        const previous = slot[k] as number;
        if (previous < 0) touched.push(k);
        else {
          const was = h.rf[previous] as number;
          if (from === INITIAL && was !== INITIAL) {
            return fail({ anomaly: ANOMALY[model], operations: [was, previous, v].map(wop), why: 'An earlier read of the process saw a write to the key, yet this later read returns the initial value.' });
          }
          if (was !== INITIAL && was !== from) ar.add(was, from, v);
        }
        slot[k] = v;
      }
      clearSlots();
    } else if (model === 'writes-follow-reads') {
      // slot: the chain node every later write of the process to the key must follow.
      for (const v of list) {
        const k = h.key[v] as number;
        const from = h.rf[v] as number;
        if (from >= 0) {
          const c = ar.virtual();
          const previous = slot[k] as number;
          if (previous >= 0) ar.add(previous, c);
          else touched.push(k);
          slot[k] = c;
          ar.add(from, c, v);
        }
        if (h.writes[v] && (slot[k] as number) >= 0) ar.add(slot[k] as number, v);
      }
      clearSlots();
    }
  }
  figures.arbitrationEdges = ar.edges.count;
  if (!meter.step(ar.size)) return unknownResult(model, OUT_OF_TIME, figures);
  const arCycle = ar.cycle(n);
  if (arCycle !== null) return fail({ anomaly: ANOMALY[model], operations: arCycle.map(wop), why: WHY[model] });
  return { model, verdict: 'true', witness: null, reason: null, figures };
}

export const readYourWrites = guaranteeCheck('read-your-writes', 'Read your writes: a process’s reads see its own earlier writes (Terry et al.).');
export const monotonicReads = guaranteeCheck('monotonic-reads', 'Monotonic reads: a process never sees older writes than it already saw (Terry et al.).');
export const monotonicWrites = guaranteeCheck('monotonic-writes', 'Monotonic writes: a process’s writes are ordered as it issued them (Terry et al.).');
export const writesFollowReads = guaranteeCheck('writes-follow-reads', 'Writes follow reads: a write is ordered after the writes its process read before (Terry et al.).');

export const SESSION_GUARANTEES: readonly ConsistencyCheck[] = [readYourWrites, monotonicReads, monotonicWrites, writesFollowReads];
