// The property runs for the CRDTs. In the simulator: seeded runs with its random fault schedule,
// its clients sending each data type's requests (retries and network copies among them) and
// random options, the monitors checking after every step, and each run's history judged by what
// its options promise (convergent for the counters and the set, after a quiet period and final
// reads at every node). Convergence of the states themselves: seeded runs of every data type under
// random faults, then gossip alone, after which every replica must hold the same state of every
// key with every acknowledged update in it (crdt-harness.ts).

import { describe, expect, it } from 'vitest';
import { defaultFuzzOptions, runFuzz } from '../../src/main/sim/fuzz.ts';
import { crdtAlgorithm } from '../../src/nodes/crdt/crdt.ts';
import { CRDT_TYPES } from '../../src/nodes/crdt/datatypes.ts';
import { runConvergence, type ConvergenceRun } from './crdt-harness.ts';

function problems(runs: readonly ConvergenceRun[]): string {
  return runs
    .filter((r) => r.violations.length > 0 || r.divergence !== null)
    .map((r) => `seed ${r.seed} (${r.options.type}, gossip ${r.options.gossipMs} ms to ${r.options.fanout}, ${r.nodes} nodes): ${[...r.violations, r.divergence].filter(Boolean).join('; ')}`)
    .join('\n');
}

describe('crdt in the simulator', () => {
  it('keeps its monitors and its promise over 120 seeds of 5 nodes with random faults and options', () => {
    const result = runFuzz({ ...defaultFuzzOptions, algorithm: crdtAlgorithm, runs: 120, seed: 3000, durationMs: 10_000 });
    const failed = result.runs.filter((r) => r.violation).map((r) => `seed ${r.seed}: ${r.violation?.property} at step ${r.violation?.step}: ${r.violation?.message}`);
    expect(failed.join('\n')).toBe('');
    // Convergence was judged, and held, in the runs that promise it; messages flowed; retries came.
    const convergent = result.runs.filter((r) => r.promised === 'convergent');
    expect(convergent.length).toBeGreaterThan(50);
    expect(convergent.every((r) => r.promiseKept === 'true')).toBe(true);
    expect(result.delivered).toBeGreaterThan(120 * 2000);
    expect(result.runs.reduce((sum, r) => sum + r.sameSeqRetries + r.requestDuplicates, 0)).toBeGreaterThan(1000);
  });
});

describe('crdt convergence', () => {
  it('every replica ends with the same state, holding every acknowledged update, over 200 seeds of random types and faults', () => {
    const runs = Array.from({ length: 200 }, (_, i) => runConvergence(crdtAlgorithm, 1000 + i));
    expect(problems(runs)).toBe('');
    // The runs did real work: every type drawn, updates acknowledged, messages delivered, crashes survived.
    expect(new Set(runs.map((r) => r.options.type))).toEqual(new Set(CRDT_TYPES));
    expect(runs.reduce((sum, r) => sum + r.acknowledged, 0)).toBeGreaterThan(200 * 300);
    expect(runs.reduce((sum, r) => sum + r.crashes, 0)).toBeGreaterThan(150);
    expect(runs.reduce((sum, r) => sum + r.delivered, 0)).toBeGreaterThan(200 * 1000);
  });
});
