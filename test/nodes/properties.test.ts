// The property run: hundreds of seeded simulations of Raft under random faults (partitions,
// one-way cuts, crashes, pauses, loss, delay, duplication, reordering, competing elections), with
// the safety monitors checking after every step. Options (PreVote, CheckQuorum, read mode,
// snapshots, batch sizes, timeouts) are drawn from each seed too.

import { describe, expect, it } from 'vitest';
import { defaultFuzzOptions, runFuzz } from '../../src/main/sim/fuzz.ts';
import { raftAlgorithm } from '../../src/nodes/raft/raft.ts';

function failures(result: ReturnType<typeof runFuzz>): string {
  return result.runs
    .filter((r) => r.violation)
    .map((r) => `seed ${r.seed}: ${r.violation?.property} at step ${r.violation?.step}: ${r.violation?.message}`)
    .join('\n');
}

describe('raft safety properties', () => {
  it('hold over 300 seeds of 5 nodes with random faults', () => {
    const result = runFuzz({ ...defaultFuzzOptions, algorithm: raftAlgorithm, runs: 300, seed: 1000, durationMs: 15_000 });
    expect(failures(result)).toBe('');
    // The runs did real work: leaders came and went, and messages flowed.
    expect(result.runs.reduce((sum, r) => sum + r.elections, 0)).toBeGreaterThan(300 * 3);
    expect(result.delivered).toBeGreaterThan(300 * 2000);
  });

  it('hold on 3 and 7 nodes', () => {
    for (const nodes of [3, 7]) {
      const result = runFuzz({ ...defaultFuzzOptions, algorithm: raftAlgorithm, runs: 40, seed: 5000 + nodes, nodes, durationMs: 10_000 });
      expect(failures(result)).toBe('');
    }
  });
});
