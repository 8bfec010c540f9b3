// The property run for leaderless quorums: seeded simulations under random faults and clock skew,
// with options drawn from each seed (randomOptions: quorum sizes, both conflict orders, read
// repair, write-back, two-phase writes, anti-entropy, sloppy quorums, timeouts), the monitors
// checking after every Ready, and each history checked for the model its options promise: ABD
// runs for linearizability, two-phase writes with anti-entropy for convergence from the final
// reads. And the other way: the options that promise nothing really do break the models they do
// not promise, so the promises are not too weak for nothing.

import { describe, expect, it } from 'vitest';
import { leaderlessAlgorithm } from '../../src/nodes/leaderless/leaderless.ts';
import { describeOptions, runLeaderless, type LeaderlessRun } from './leaderless-harness.ts';

function failures(runs: readonly LeaderlessRun[]): string {
  return runs
    .filter((r) => r.violation !== null)
    .map((r) => `seed ${r.seed} (${describeOptions(r.options)}): ${r.violation?.property}: ${r.violation?.message}`)
    .join('\n');
}

function seeds(from: number, count: number, nodes = 5): LeaderlessRun[] {
  return Array.from({ length: count }, (_, i) => runLeaderless(leaderlessAlgorithm, from + i, { nodes }));
}

describe('leaderless quorums keep what they promise', () => {
  it('over 200 seeds of 5 nodes with random faults, clock skew and options', () => {
    const runs = seeds(1, 200);
    expect(failures(runs)).toBe('');
    // The promises were judged, many times each, and the runs did real work.
    expect(runs.filter((r) => r.promise === 'linearizable' && r.verdict === 'true').length).toBeGreaterThan(40);
    expect(runs.filter((r) => r.promise === 'convergent' && r.verdict === 'true').length).toBeGreaterThan(15);
    expect(runs.filter((r) => r.options.resolve === 'vclock').length).toBeGreaterThan(20);
    expect(runs.filter((r) => r.options.sloppy).length).toBeGreaterThan(20);
    expect(runs.every((r) => r.ops.ok > 200 && r.finalReads === 20)).toBe(true);
  }, 600_000);

  it('on 3 and 7 nodes', () => {
    for (const nodes of [3, 7]) expect(failures(seeds(5000 + nodes * 100, 25, nodes))).toBe('');
  }, 300_000);
});

describe('the options that promise nothing break the models they do not promise', () => {
  const broken = (options: Parameters<typeof runLeaderless>[2], count: number): number =>
    Array.from({ length: count }, (_, i) => runLeaderless(leaderlessAlgorithm, 900 + i, options)).filter((r) => r.violation !== null && r.violation.property !== 'liveness').length;

  it('last-writer-wins by the clock alone loses acknowledged writes (not convergent)', () => {
    const options = { n: 3, r: 2, w: 2, twoPhaseWrites: false, writeBack: false, antiEntropy: true, sloppy: false, resolve: 'lww' as const };
    expect(broken({ options, judge: 'convergent' }, 8)).toBeGreaterThan(0);
  }, 120_000);

  it('ABD over sloppy quorums is not linearizable', () => {
    const options = { n: 3, r: 2, w: 2, twoPhaseWrites: true, writeBack: true, sloppy: true, resolve: 'lww' as const };
    expect(broken({ options, judge: 'linearizable' }, 8)).toBeGreaterThan(0);
  }, 120_000);
});
