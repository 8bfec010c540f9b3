// The property run for leaderless quorums: seeded simulations under random faults (partitions,
// crashes, pauses, loss, delay, duplication, replayed and held messages, crashes right after an
// acknowledgement, clock skew), with options drawn from each seed (quorum sizes, both conflict
// orders, read repair, write-back, two-phase writes, anti-entropy, sloppy quorums, timeouts), the
// monitors checking after every Ready and each history checked for the model its options promise:
// ABD runs for linearizability, two-phase writes with anti-entropy for convergence from the final
// reads. And the other way: options that promise nothing do break the models they do not
// promise, so the promises are not weaker than they need be.

import { describe, expect, it } from 'vitest';
import type { ConsistencyName } from '../../src/shared/consistency.ts';
import { defaultFuzzOptions, runFuzz, type FuzzOptions } from '../../src/main/sim/fuzz.ts';
import { FAULT_KINDS } from '../../src/main/sim/faults.ts';
import { leaderlessAlgorithm } from '../../src/nodes/leaderless/leaderless.ts';
import type { LeaderlessOptions } from '../../src/nodes/leaderless/options.ts';

const fuzz = (over: Partial<FuzzOptions>): ReturnType<typeof runFuzz> =>
  runFuzz({ ...defaultFuzzOptions, algorithm: leaderlessAlgorithm, faults: FAULT_KINDS, durationMs: 8000, rate: 100, runs: 1, seed: 1, ...over });

function failures(result: ReturnType<typeof runFuzz>): string {
  return result.runs
    .filter((r) => r.violation)
    .map((r) => `seed ${r.seed}: ${r.violation?.property} at step ${r.violation?.step}: ${r.violation?.message}`)
    .join('\n');
}

describe('leaderless quorums keep what they promise', () => {
  it('over 300 seeds of 5 nodes with random faults, clock skew and options', () => {
    const result = fuzz({ runs: 300, seed: 1 });
    expect(failures(result)).toBe('');
    // Each promise was judged many times, and the runs did real work.
    const kept = (model: ConsistencyName): number => result.runs.filter((r) => r.promised === model && r.promiseKept === 'true').length;
    expect(kept('linearizable')).toBeGreaterThan(80);
    expect(kept('convergent')).toBeGreaterThan(40);
    expect(result.delivered).toBeGreaterThan(300 * 5000);
  }, 900_000);

  it('on 3 and 7 nodes, 50 seeds each', () => {
    for (const nodes of [3, 7]) expect(failures(fuzz({ runs: 50, seed: 5000 + nodes, nodes }))).toBe('');
  }, 600_000);
});

describe('the options that promise nothing break the models they do not promise', () => {
  /** The algorithm with fixed options, claiming a model it does not promise: the fuzz must refute the claim. */
  const claiming = (promises: ConsistencyName, options: Partial<LeaderlessOptions>): typeof leaderlessAlgorithm => ({ ...leaderlessAlgorithm, name: 'leaderless-claiming', promises: () => promises, randomOptions: () => options });

  it('last-writer-wins by the clock alone loses acknowledged writes: not convergent', () => {
    const algorithm = claiming('convergent', { n: 3, r: 2, w: 2, twoPhaseWrites: false, writeBack: false, antiEntropy: true, sloppy: false, resolve: 'lww' });
    expect(fuzz({ algorithm, runs: 10, seed: 900 }).runs.filter((r) => r.violation?.property === 'convergent').length).toBeGreaterThan(0);
  }, 300_000);

  it('ABD over sloppy quorums is not linearizable', () => {
    const algorithm = claiming('linearizable', { n: 3, r: 2, w: 2, twoPhaseWrites: true, writeBack: true, sloppy: true, resolve: 'lww' });
    expect(fuzz({ algorithm, runs: 10, seed: 900 }).runs.filter((r) => r.violation?.property === 'linearizability').length).toBeGreaterThan(0);
  }, 300_000);
});
