// PRAM (pipelined RAM, Lipton and Sandberg 1988; FIFO consistency): for each process p, one
// serialization of all the writes and of p's own operations that respects every process's
// program order, in which each of p's reads returns the last write to its key before it.
//
// Per process this is view-order.ts's problem with the base order "program order (of the writes,
// for the other processes) plus p's read-from": the happens-before saturation decides it exactly
// for differentiated histories. Unlike causal memory, the read-from of other processes orders
// nothing in p's view, so p may see q's writes while q's own reads saw p's later ones.

import type { Operation } from '../history.ts';
import type { ConsistencyCheck, ModelResult } from './contract.ts';
import { EdgeList, falseResult, Meter, OUT_OF_MEMORY, OUT_OF_TIME, resolveReadFrom, undefinedFor, unknownResult } from './read-from.ts';
import { witnessOperation } from './witness.ts';
import { solveView } from './view-order.ts';

export const pram: ConsistencyCheck = {
  name: 'pram',
  summary: "PRAM: each process sees every process's writes in that process's order (Lipton and Sandberg).",
  check(history, budget): ModelResult {
    const notDefined = undefinedFor('pram', history);
    if (notDefined !== null) return notDefined;
    const resolved = resolveReadFrom(history);
    if (!resolved.ok) return resolved.result('pram');
    const h = resolved.history;
    const n = h.nodes.length;
    const figures: Record<string, number> = { operations: n, writes: h.writes.reduce((s, x) => s + x, 0), processes: h.byProcess.length };
    const meter = new Meter(budget);
    try {
      let added = 0;
      for (let p = 0; p < h.byProcess.length; p++) {
        const mine = h.byProcess[p] as Int32Array;
        const global: number[] = [];
        const local = new Int32Array(n).fill(-1);
        for (let u = 0; u < n; u++) if (h.writes[u] || h.process[u] === p) local[u] = global.push(u) - 1;
        const base = new EdgeList();
        for (const list of h.byProcess) {
          let previous = -1;
          for (const u of list) {
            if (local[u] === -1) continue;
            if (previous >= 0) base.add(local[previous] as number, local[u] as number);
            previous = u;
          }
        }
        const rf = new Int32Array(global.length).fill(-2);
        const key = new Int32Array(global.length);
        const writesByKey = new Map<number, number[]>();
        global.forEach((u, i) => {
          key[i] = h.key[u] as number;
          if (h.writes[u]) {
            const l = writesByKey.get(key[i] as number);
            if (l === undefined) writesByKey.set(key[i] as number, [i]);
            else l.push(i);
          }
        });
        const reads: number[] = [];
        for (const u of mine) {
          const from = h.rf[u] as number;
          if (from === -2) continue;
          const i = local[u] as number;
          rf[i] = from >= 0 ? (local[from] as number) : from;
          if (from >= 0) base.add(local[from] as number, i);
          reads.push(i);
        }
        const outcome = solveView({ size: global.length, base, reads, rf, key, writesByKey }, meter);
        const g = (i: number) => witnessOperation(h.nodes[global[i] as number] as Operation);
        switch (outcome.kind) {
          case 'time':
            return unknownResult('pram', OUT_OF_TIME, figures);
          case 'memory':
            return unknownResult('pram', OUT_OF_MEMORY, figures);
          case 'ok':
            added += outcome.addedEdges;
            break;
          case 'base-cycle':
            return falseResult(
              'pram',
              { anomaly: 'read from the future', operations: outcome.cycle.map(g), why: 'A read returns a write that its own program order (through the writer process) places after it.' },
              figures,
            );
          case 'initial-read':
            return falseResult(
              'pram',
              {
                anomaly: 'initial value read after a write in program order',
                operations: [outcome.write, ...outcome.path, outcome.read].map(g),
                why: "In the process's view the write must come before its read (by program order and what its earlier reads saw), yet the read returns the initial value.",
              },
              figures,
            );
          case 'hb-cycle':
            return falseResult(
              'pram',
              {
                anomaly: 'writes seen out of program order',
                operations: [...new Set([...outcome.cycle, ...outcome.because])].sort((a, b) => a - b).map(g),
                why: "The process's reads each order some write before the one they return; with the writers' program order these orders form a cycle, so no view of this process explains all its reads.",
              },
              figures,
            );
        }
      }
      figures.happensBeforeEdges = added;
      return { model: 'pram', verdict: 'true', witness: null, reason: null, figures };
    } finally {
      meter.release();
    }
  },
};
