// The property run for Multi-Paxos: seeded simulations under random faults (partitions, one-way
// cuts, crashes, pauses, loss, delay, duplication, reordering, competing phase 1s), with the
// Multi-Paxos monitors checking after every step and the clients' history checked for
// linearizability at the end. Options (stable leader or dueling proposers, backoff, lease reads,
// snapshots, batch sizes, timeouts) are drawn from each seed too.

import { describe, expect, it } from 'vitest';
import { defaultFuzzOptions, runFuzz } from '../../src/main/sim/fuzz.ts';
import { multiPaxosAlgorithm } from '../../src/nodes/multipaxos/multipaxos.ts';

function failures(result: ReturnType<typeof runFuzz>): string {
  return result.runs
    .filter((r) => r.violation)
    .map((r) => `seed ${r.seed}: ${r.violation?.property} at step ${r.violation?.step}: ${r.violation?.message}`)
    .join('\n');
}

describe('multi-paxos safety properties', () => {
  it('hold over 150 seeds of 5 nodes with random faults', () => {
    const result = runFuzz({ ...defaultFuzzOptions, algorithm: multiPaxosAlgorithm, runs: 150, seed: 2000, durationMs: 15_000 });
    expect(failures(result)).toBe('');
    // The runs did real work: leaders came and went, messages flowed, histories were checked.
    expect(result.runs.reduce((sum, r) => sum + r.elections, 0)).toBeGreaterThan(150 * 3);
    expect(result.delivered).toBeGreaterThan(150 * 5000);
    expect(result.runs.filter((r) => r.linearizable === 'true').length).toBeGreaterThan(140);
  });

  it('hold on 3 and 7 nodes', () => {
    for (const nodes of [3, 7]) {
      const result = runFuzz({ ...defaultFuzzOptions, algorithm: multiPaxosAlgorithm, runs: 30, seed: 6000 + nodes, nodes, durationMs: 10_000 });
      expect(failures(result)).toBe('');
    }
  });
});
