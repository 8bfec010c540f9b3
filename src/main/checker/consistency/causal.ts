// Causal consistency in its three variants, after Bouajjani, Enea, Guerraoui and Hamza, "On
// verifying causal consistency" (POPL 2017): weak causal consistency (CC), causal convergence
// (CCv) and causal memory (CM, Ahamad et al.'s). Checking them is NP-complete in general, but
// polynomial when each value is written at most once per key (a differentiated history): then
// the read-from relation is known, and the causal order can be taken as CO = (PO ∪ RF)+ (every
// witness order contains it, and a smaller order only leaves the serializations more room). Each
// model is the absence of a few bad patterns (the paper's characterization theorems):
//
//   CC  iff none of CyclicCO, WriteCOInitRead, ThinAirRead, WriteCORead;
//   CCv iff CC and no CyclicCF (CF: w1 -> w2 when a read of w2 has w1 in its causal past);
//   CM  iff CC and neither WriteHBInitRead nor CyclicHB (HB_o: see view-order.ts).
//
// CO is kept as one bitset of predecessors per operation (n²/8 bytes: 12.5 MB for 10,000).

import type { Operation } from '../history.ts';
import type { CheckedHistory, ConsistencyBudget, ConsistencyCheck, ConsistencyName, ModelResult } from './contract.ts';
import {
  EdgeList,
  falseResult,
  INITIAL,
  Meter,
  OUT_OF_MEMORY,
  OUT_OF_TIME,
  type ReadFromHistory,
  resolveReadFrom,
  shortestCycleThrough,
  topologicalOrder,
  undefinedFor,
  unknownResult,
} from './read-from.ts';
import { pathIn, solveView } from './view-order.ts';
import { witnessOperation } from './witness.ts';

interface CausalOrder {
  h: ReadFromHistory;
  edges: EdgeList;
  words: number;
  /** pred[v * words ..]: the operations strictly CO-before v. */
  pred: Uint32Array;
  writesByKey: Map<number, number[]>;
}

type Level = 'weak' | 'convergence' | 'memory';

function coEdges(h: ReadFromHistory): EdgeList {
  const edges = new EdgeList();
  for (const list of h.byProcess) for (let i = 1; i < list.length; i++) edges.add(list[i - 1] as number, list[i] as number);
  for (let v = 0; v < h.nodes.length; v++) if ((h.rf[v] as number) >= 0) edges.add(h.rf[v] as number, v);
  return edges;
}

function run(model: ConsistencyName, level: Level, history: CheckedHistory, budget: ConsistencyBudget): ModelResult {
  const notDefined = undefinedFor(model, history);
  if (notDefined !== null) return notDefined;
  const resolved = resolveReadFrom(history);
  if (!resolved.ok) return resolved.result(model);
  const h = resolved.history;
  const meter = new Meter(budget);
  try {
    return decide(model, level, h, meter);
  } finally {
    meter.release();
  }
}

function decide(model: ConsistencyName, level: Level, h: ReadFromHistory, meter: Meter): ModelResult {
  const n = h.nodes.length;
  const op = (v: number): Operation => h.nodes[v] as Operation;
  const w = (v: number) => witnessOperation(op(v));
  const reads = h.rf.reduce((s, r) => s + (r === -2 ? 0 : 1), 0);
  const figures: Record<string, number> = { operations: n, reads, writes: h.writes.reduce((s, x) => s + x, 0), processes: h.byProcess.length };
  const edges = coEdges(h);
  const { offsets, targets } = edges.csr(n);
  const sorted = topologicalOrder(n, offsets, targets);
  if ('onCycle' in sorted) {
    const cycle = shortestCycleThrough(sorted.onCycle, n, (v, visit) => {
      for (let e = offsets[v] as number; e < (offsets[v + 1] as number); e++) visit(targets[e] as number);
    }) as number[];
    return falseResult(
      model,
      { anomaly: 'cyclic causal order', operations: cycle.map(w), why: 'Each operation is before the next in program order or is read by it, and the last is before the first: no operation can come first.' },
      figures,
    );
  }
  const words = (n + 31) >>> 5;
  if (!meter.take(n * words * 4)) return unknownResult(model, OUT_OF_MEMORY, figures);
  const pred = new Uint32Array(n * words);
  for (let i = 0; i < n; i++) {
    const v = sorted.order[i] as number;
    if (!meter.step(words)) return unknownResult(model, OUT_OF_TIME, figures);
    for (let e = offsets[v] as number; e < (offsets[v + 1] as number); e++) {
      const t = (targets[e] as number) * words;
      for (let k = 0; k < words; k++) pred[t + k] |= pred[v * words + k] as number;
      pred[t + (v >>> 5)] |= 1 << (v & 31);
    }
  }
  const before = (u: number, v: number): boolean => ((pred[v * words + (u >>> 5)] as number) & (1 << (u & 31))) !== 0;
  const writesByKey = new Map<number, number[]>();
  for (let v = 0; v < n; v++) {
    if (!h.writes[v]) continue;
    const list = writesByKey.get(h.key[v] as number);
    if (list === undefined) writesByKey.set(h.key[v] as number, [v]);
    else list.push(v);
  }
  const co: CausalOrder = { h, edges, words, pred, writesByKey };
  const path = (a: number, b: number): number[] => pathIn(edges, n, a, b);

  for (let r = 0; r < n; r++) {
    const from = h.rf[r] as number;
    if (from === -2) continue;
    const writes = writesByKey.get(h.key[r] as number) ?? [];
    if (!meter.step(writes.length)) return unknownResult(model, OUT_OF_TIME, figures);
    for (const w2 of writes) {
      if (w2 === from || !before(w2, r)) continue;
      if (from === INITIAL) {
        return falseResult(
          model,
          { anomaly: 'write CO-before a read of the initial value', operations: [w2, ...path(w2, r), r].map(w), why: `The write is in the read's causal past, yet the read returns the initial value as if it had never happened.` },
          figures,
        );
      }
      if (before(from, w2)) {
        return falseResult(
          model,
          {
            anomaly: 'stale read in causal past',
            operations: [from, ...path(from, w2), w2, ...path(w2, r), r].map(w),
            why: 'The read returns a write that its causal past has already overwritten (the overwriting write follows the first and precedes the read in causal order).',
          },
          figures,
        );
      }
    }
  }
  if (level === 'convergence') return convergence(model, co, meter, figures);
  if (level === 'memory') return memory(model, co, meter, figures);
  return { model, verdict: 'true', witness: null, reason: null, figures };
}

/**
 * CyclicCF: causal order with the conflict edges (w1 -> w2 when a read of w2 has w1 in its causal
 * past) must be acyclic. CO is (PO ∪ RF)+, so the graph needs only PO, RF and the conflict edges.
 */
function convergence(model: ConsistencyName, co: CausalOrder, meter: Meter, figures: Record<string, number>): ModelResult {
  const { h, pred, words, writesByKey } = co;
  const n = h.nodes.length;
  const before = (u: number, v: number): boolean => ((pred[v * words + (u >>> 5)] as number) & (1 << (u & 31))) !== 0;
  const graph = co.edges.clone();
  const baseCount = graph.count;
  const forcedBy: number[] = [];
  for (let r = 0; r < n; r++) {
    const w2 = h.rf[r] as number;
    if (w2 < 0) continue;
    const writes = writesByKey.get(h.key[r] as number) ?? [];
    if (!meter.step(writes.length)) return unknownResult(model, OUT_OF_TIME, figures);
    for (const w1 of writes) {
      if (w1 === w2 || w1 === r || !before(w1, r) || before(w1, w2)) continue;
      graph.add(w1, w2);
      forcedBy.push(r);
    }
  }
  figures.conflictEdges = forcedBy.length;
  const { offsets, targets } = graph.csr(n);
  const sorted = topologicalOrder(n, offsets, targets);
  if (!('onCycle' in sorted)) return { model, verdict: 'true', witness: null, reason: null, figures };
  const cycle = shortestCycleThrough(sorted.onCycle, n, (v, visit) => {
    for (let e = offsets[v] as number; e < (offsets[v + 1] as number); e++) visit(targets[e] as number);
  }) as number[];
  const involved = new Set<number>();
  for (let i = 0; i < cycle.length; i++) {
    const a = cycle[i] as number;
    const b = cycle[(i + 1) % cycle.length] as number;
    involved.add(a);
    if (co.edges.find(a, b) >= 0) continue;
    const e = graph.find(a, b, baseCount);
    if (e >= 0) involved.add(forcedBy[e - baseCount] as number);
  }
  return falseResult(
    model,
    {
      anomaly: 'cyclic conflict order',
      operations: [...involved].sort((a, b) => a - b).map((v) => witnessOperation(h.nodes[v] as Operation)),
      why: 'Each read returns a write although another write to its key is in its causal past, so that other write must be ordered first; with causal order, these orders form a cycle, so no single order of the writes satisfies every read.',
    },
    figures,
  );
}

/** Per process: a serialization of its causal past in which all its reads are legal. */
function memory(model: ConsistencyName, co: CausalOrder, meter: Meter, figures: Record<string, number>): ModelResult {
  const { h, pred, words, edges } = co;
  const n = h.nodes.length;
  let added = 0;
  for (const list of h.byProcess) {
    const last = list[list.length - 1] as number;
    const global: number[] = [];
    for (let u = 0; u < n; u++) if (u === last || ((pred[last * words + (u >>> 5)] as number) & (1 << (u & 31))) !== 0) global.push(u);
    const local = new Int32Array(n).fill(-1);
    global.forEach((u, i) => (local[u] = i));
    const base = new EdgeList();
    for (let e = 0; e < edges.count; e++) {
      const a = local[edges.from(e)] as number;
      const b = local[edges.to(e)] as number;
      if (a >= 0 && b >= 0) base.add(a, b);
    }
    const rf = new Int32Array(global.length);
    const key = new Int32Array(global.length);
    const writesByKey = new Map<number, number[]>();
    global.forEach((u, i) => {
      const from = h.rf[u] as number;
      rf[i] = from >= 0 ? (local[from] as number) : from;
      key[i] = h.key[u] as number;
      if (h.writes[u]) {
        const l = writesByKey.get(key[i] as number);
        if (l === undefined) writesByKey.set(key[i] as number, [i]);
        else l.push(i);
      }
    });
    const reads = [...list].filter((u) => (h.rf[u] as number) !== -2).map((u) => local[u] as number);
    const outcome = solveView({ size: global.length, base, reads, rf, key, writesByKey }, meter);
    const g = (i: number) => witnessOperation(h.nodes[global[i] as number] as Operation);
    switch (outcome.kind) {
      case 'time':
        return unknownResult(model, OUT_OF_TIME, figures);
      case 'memory':
        return unknownResult(model, OUT_OF_MEMORY, figures);
      case 'ok':
        added += outcome.addedEdges;
        break;
      case 'base-cycle':
        throw new Error('causal order checked acyclic before');
      case 'initial-read':
        return falseResult(
          model,
          {
            anomaly: 'write happens-before a read of the initial value',
            operations: [outcome.write, ...outcome.path, outcome.read].map(g),
            why: "In the process's own view the write must come before its read (through causal order and the writes its own reads overwrote), yet the read returns the initial value.",
          },
          figures,
        );
      case 'hb-cycle':
        return falseResult(
          model,
          {
            anomaly: 'cyclic happens-before',
            operations: [...new Set([...outcome.cycle, ...outcome.because])].sort((a, b) => a - b).map(g),
            why: "The process's reads each order a write of their causal past before the write they return; together with causal order these orders form a cycle, so no view of this process explains all its reads.",
          },
          figures,
        );
    }
  }
  figures.happensBeforeEdges = added;
  return { model, verdict: 'true', witness: null, reason: null, figures };
}

export const causal: ConsistencyCheck = {
  name: 'causal',
  summary: 'Causal memory: each process sees all writes in one order that respects causality (Ahamad et al.; Bouajjani et al. CM).',
  check: (history, budget) => run('causal', 'memory', history, budget),
};

export const causalConvergence: ConsistencyCheck = {
  name: 'causal-convergence',
  summary: 'Causal convergence: one total order of the writes, respecting causality, decides every read (Bouajjani et al. CCv).',
  check: (history, budget) => run('causal-convergence', 'convergence', history, budget),
};

export const weakCausal: ConsistencyCheck = {
  name: 'weak-causal',
  summary: 'Weak causal consistency: each read is explained by some order of its own causal past (Bouajjani et al. CC).',
  check: (history, budget) => run('weak-causal', 'weak', history, budget),
};
