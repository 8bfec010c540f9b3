// view-order.ts's saturation (one "first read reachable" number per node) against the paper's
// rule applied literally (Bouajjani et al.'s HB_o: the transitive closure as sets, every forced
// edge added, until nothing changes), on random views larger than the brute force can enumerate:
// shaped as monotonic writes' (each process's writes a chain) and as a general partial order
// over the writes (writes-follow-reads', PRAM's, causal memory's). They must agree on whether
// the view exists, and a failure's witness must be made of the view's own nodes and edges.

import { describe, expect, it } from 'vitest';
import { EdgeList, INITIAL, Meter } from '../../src/main/checker/consistency/read-from.ts';
import { solveView, type ViewProblem } from '../../src/main/checker/consistency/view-order.ts';
import { createRng, type Rng } from '../../src/shared/rng.ts';

const meter = (): Meter => new Meter({ now: () => 0, deadline: Infinity, memory: { used: 0, max: Infinity } });

type Shape = 'chains' | 'dag';

function problem(rng: Rng, shape: Shape): ViewProblem {
  const keys = rng.int(1, 4);
  const key: number[] = [];
  const writes = rng.int(4, 30);
  const base = new EdgeList();
  for (let w = 0; w < writes; w++) key.push(rng.int(0, keys));
  if (shape === 'chains') {
    const chainCount = rng.int(2, 5);
    const chains: number[][] = Array.from({ length: chainCount }, () => []);
    for (let w = 0; w < writes; w++) (chains[rng.int(0, chainCount)] as number[]).push(w);
    for (const chain of chains) for (let i = 1; i < chain.length; i++) base.add(chain[i - 1] as number, chain[i] as number);
  } else {
    // Edges only from lower to higher numbers: a random partial order.
    const density = rng.int(1, 4) / 20;
    for (let a = 0; a < writes; a++) for (let b = a + 1; b < writes; b++) if (rng.chance(density)) base.add(a, b);
  }
  const readCount = rng.int(2, 20);
  const reads: number[] = [];
  const rf: number[] = new Array<number>(writes).fill(-2);
  for (let j = 0; j < readCount; j++) {
    const r = writes + j;
    const from = rng.chance(0.1) ? INITIAL : rng.int(0, writes);
    reads.push(r);
    key.push(from === INITIAL ? rng.int(0, keys) : (key[from] as number));
    rf.push(from);
    if (from >= 0) base.add(from, r);
    if (j > 0) base.add(r - 1, r);
    // Some of the process's reads come before other writes (its own, in PRAM's and causal views).
    if (shape === 'dag' && rng.chance(0.1)) base.add(r, rng.int(0, writes));
  }
  const writesByKey = new Map<number, number[]>();
  for (let w = 0; w < writes; w++) writesByKey.set(key[w] as number, [...(writesByKey.get(key[w] as number) ?? []), w]);
  return { size: writes + readCount, base, reads, rf: Int32Array.from(rf), key: Int32Array.from(key), writesByKey };
}

/** The rule as written: HB as sets of predecessors, recomputed until no forced edge is new. */
function literal(view: ViewProblem): boolean {
  const { size, reads, rf, key, writesByKey } = view;
  const edges = new Set<string>();
  for (let e = 0; e < view.base.count; e++) edges.add(`${view.base.from(e)},${view.base.to(e)}`);
  for (;;) {
    const before: Array<Set<number>> = Array.from({ length: size }, () => new Set());
    for (const e of edges) {
      const [a, b] = e.split(',').map(Number) as [number, number];
      before[b]?.add(a);
    }
    // Transitive closure by repeated joins (tiny graphs).
    for (let grew = true; grew; ) {
      grew = false;
      for (let v = 0; v < size; v++) {
        for (const u of [...(before[v] as Set<number>)]) {
          for (const t of before[u] as Set<number>) {
            if (!(before[v] as Set<number>).has(t)) {
              (before[v] as Set<number>).add(t);
              grew = true;
            }
          }
        }
      }
    }
    for (let v = 0; v < size; v++) if ((before[v] as Set<number>).has(v)) return false;
    let changed = false;
    for (const r of reads) {
      const w2 = rf[r] as number;
      for (const w1 of writesByKey.get(key[r] as number) ?? []) {
        if (w1 === w2 || w1 === r || !(before[r] as Set<number>).has(w1)) continue;
        if (w2 === INITIAL) return false;
        const code = `${w1},${w2}`;
        if (!edges.has(code)) {
          edges.add(code);
          changed = true;
        }
      }
    }
    if (!changed) return true;
  }
}

function hasEdgeOrPath(view: ViewProblem, from: number, to: number): boolean {
  const seen = new Set([from]);
  const queue = [from];
  while (queue.length > 0) {
    const v = queue.shift() as number;
    if (v === to) return true;
    for (let e = 0; e < view.base.count; e++) {
      if (view.base.from(e) !== v || seen.has(view.base.to(e))) continue;
      seen.add(view.base.to(e));
      queue.push(view.base.to(e));
    }
  }
  return false;
}

describe('view saturation', () => {
  for (const shape of ['chains', 'dag'] as const) {
    it(`agrees with the rule applied literally on 2,000 random views shaped as ${shape} (both answers occur)`, () => {
      const rng = createRng(`view-order-${shape}`);
      let ok = 0;
      for (let i = 0; i < 2000; i++) {
        const view = problem(rng, shape);
        const outcome = solveView(view, meter());
        expect(outcome.kind === 'ok', `view ${i}: ${outcome.kind}`).toBe(literal(view));
        if (outcome.kind === 'ok') ok++;
        if (outcome.kind === 'initial-read') {
          // The write is HB-before the read along the path given.
          expect(view.rf[outcome.read]).toBe(INITIAL);
          expect(view.key[outcome.write]).toBe(view.key[outcome.read]);
        }
        if (outcome.kind === 'hb-cycle') {
          expect(outcome.cycle.length).toBeGreaterThan(0);
          for (const r of outcome.because) expect(view.reads).toContain(r);
        }
        if (outcome.kind === 'base-cycle') {
          const c = outcome.cycle;
          for (let j = 0; j < c.length; j++) expect(hasEdgeOrPath(view, c[j] as number, c[(j + 1) % c.length] as number)).toBe(true);
        }
      }
      expect(ok).toBeGreaterThan(100);
      expect(2000 - ok).toBeGreaterThan(100);
    });
  }

  it('answers a 600,000-node monotonic-writes view, adding at most one edge per write', () => {
    // 8 chains of writes to 100 keys, a reader that reads each chain's writes in order.
    const writes = 400_000;
    const readCount = 200_000;
    const base = new EdgeList(writes + 3 * readCount);
    const key = new Int32Array(writes + readCount);
    const rf = new Int32Array(writes + readCount).fill(-2);
    const writesByKey = new Map<number, number[]>();
    for (let w = 0; w < writes; w++) {
      key[w] = w % 100;
      if (w >= 8) base.add(w - 8, w);
      const l = writesByKey.get(w % 100);
      if (l === undefined) writesByKey.set(w % 100, [w]);
      else l.push(w);
    }
    const reads: number[] = [];
    for (let j = 0; j < readCount; j++) {
      const r = writes + j;
      const from = 2 * j;
      rf[r] = from;
      key[r] = key[from] as number;
      base.add(from, r);
      if (j > 0) base.add(r - 1, r);
      reads.push(r);
    }
    const outcome = solveView({ size: writes + readCount, base, reads, rf, key, writesByKey }, meter());
    expect(outcome.kind).toBe('ok');
    if (outcome.kind === 'ok') expect(outcome.addedEdges).toBeLessThanOrEqual(writes);
  });
});
