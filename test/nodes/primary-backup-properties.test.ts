// The property run for primary-backup: seeded simulations under random faults (partitions, one-way
// cuts, crashes, pauses, loss, delay, duplication, reordering, competing promotions, torn writes),
// with the primary-backup monitors checking after every step and the clients' history judged at the
// end by the model the run's options promise: linearizable with sync acks, fencing and reads at the
// primary; convergent with reads from any replica; nothing otherwise (the monitors still hold).
// Ack modes, fencing, read modes and lease lengths are drawn from each seed.

import { describe, expect, it } from 'vitest';
import { defaultFuzzOptions, runFuzz, type FuzzOptions } from '../../src/main/sim/fuzz.ts';
import { primaryBackupAlgorithm } from '../../src/nodes/primary-backup/primary-backup.ts';
import type { PrimaryBackupOptions } from '../../src/nodes/primary-backup/options.ts';
import type { Rng } from '../../src/shared/rng.ts';

function failures(result: ReturnType<typeof runFuzz>): string {
  return result.runs
    .filter((r) => r.violation)
    .map((r) => `seed ${r.seed}: ${r.violation?.property} at step ${r.violation?.step}: ${r.violation?.message}`)
    .join('\n');
}

/** The algorithm with some options fixed for every run (the others still drawn from the seed). */
function withOptions(fixed: Partial<PrimaryBackupOptions>): FuzzOptions['algorithm'] {
  return { ...primaryBackupAlgorithm, randomOptions: (rng: Rng) => ({ ...primaryBackupAlgorithm.randomOptions(rng), ...fixed }) };
}

describe('primary-backup safety properties', () => {
  it('hold over 150 seeds of 5 nodes with random faults and random options', () => {
    const result = runFuzz({ ...defaultFuzzOptions, algorithm: primaryBackupAlgorithm, runs: 150, seed: 3000, durationMs: 15_000 });
    expect(failures(result)).toBe('');
    // The runs did real work: primaries came and went, messages flowed, each promise was judged.
    expect(result.runs.reduce((sum, r) => sum + r.elections, 0)).toBeGreaterThan(150 * 5);
    expect(result.delivered).toBeGreaterThan(150 * 2000);
    expect(result.runs.filter((r) => r.promised === 'linearizable' && r.promiseKept === 'true').length).toBeGreaterThan(30);
    expect(result.runs.filter((r) => r.promised === 'convergent' && r.promiseKept === 'true').length).toBeGreaterThan(10);
    expect(result.runs.filter((r) => r.promised === null).length).toBeGreaterThan(40);
  });

  it('keep linearizability over 100 seeds of sync acks, fencing and reads at the primary', () => {
    const result = runFuzz({ ...defaultFuzzOptions, algorithm: withOptions({ acks: 'sync', fencing: true, reads: 'primary' }), runs: 100, seed: 4000, durationMs: 15_000 });
    expect(failures(result)).toBe('');
    expect(result.runs.every((r) => r.promised === 'linearizable' && r.linearizable === 'true')).toBe(true);
  });

  it('hold on 3 and 7 nodes', () => {
    for (const nodes of [3, 7]) {
      const result = runFuzz({ ...defaultFuzzOptions, algorithm: primaryBackupAlgorithm, runs: 30, seed: 8000 + nodes, nodes, durationMs: 10_000 });
      expect(failures(result)).toBe('');
    }
  });
});
