// view-order.ts's two saturations, predecessor bitsets and vector clocks over chains, on random
// view problems shaped as monotonic writes' (each process's writes a chain, one process's reads
// in order, each after the write it returns): larger than the brute force can enumerate, they
// must agree on whether the view exists.

import { describe, expect, it } from 'vitest';
import { EdgeList, INITIAL, Meter } from '../../src/main/checker/consistency/read-from.ts';
import { solveView, type ViewProblem } from '../../src/main/checker/consistency/view-order.ts';
import { createRng, type Rng } from '../../src/shared/rng.ts';

const meter = (): Meter => new Meter({ now: () => 0, deadline: Infinity, memory: { used: 0, max: Infinity } });

function problem(rng: Rng): { view: ViewProblem; chains: Int32Array[] } {
  const chainCount = rng.int(2, 5);
  const keys = rng.int(1, 4);
  const chains: number[][] = Array.from({ length: chainCount }, () => []);
  const key: number[] = [];
  const writes = rng.int(4, 30);
  for (let w = 0; w < writes; w++) {
    (chains[rng.int(0, chainCount)] as number[]).push(w);
    key.push(rng.int(0, keys));
  }
  const readCount = rng.int(2, 20);
  const reads: number[] = [];
  const rf: number[] = new Array<number>(writes).fill(-2);
  const base = new EdgeList();
  for (const chain of chains) for (let i = 1; i < chain.length; i++) base.add(chain[i - 1] as number, chain[i] as number);
  for (let j = 0; j < readCount; j++) {
    const r = writes + j;
    const from = rng.chance(0.1) ? INITIAL : rng.int(0, writes);
    reads.push(r);
    key.push(from === INITIAL ? rng.int(0, keys) : (key[from] as number));
    rf.push(from);
    if (from >= 0) base.add(from, r);
    if (j > 0) base.add(r - 1, r);
  }
  const writesByKey = new Map<number, number[]>();
  for (let w = 0; w < writes; w++) writesByKey.set(key[w] as number, [...(writesByKey.get(key[w] as number) ?? []), w]);
  const size = writes + readCount;
  return { view: { size, base, reads, rf: Int32Array.from(rf), key: Int32Array.from(key), writesByKey }, chains: chains.map((c) => Int32Array.from(c)) };
}

describe('chain saturation', () => {
  it('agrees with the bitset saturation on 3,000 random views (both answers occur)', () => {
    const rng = createRng('view-order-chains');
    let ok = 0;
    for (let i = 0; i < 3000; i++) {
      const { view, chains } = problem(rng);
      const plain = solveView(view, meter()).kind === 'ok';
      const chained = solveView({ ...view, chains }, meter()).kind === 'ok';
      expect(chained, `view ${i}`).toBe(plain);
      if (plain) ok++;
    }
    expect(ok).toBeGreaterThan(100);
    expect(3000 - ok).toBeGreaterThan(100);
  });
});
