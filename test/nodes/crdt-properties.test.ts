// The property runs for the CRDTs. Convergence: seeded runs of every data type under random
// faults, then a quiet period of gossip alone, after which every replica must hold the same state
// of every key, with every acknowledged update in it (crdt-harness.ts), and the type's monitors
// must have found nothing. Safety in the simulator: seeded simulations with its random fault
// schedule and its clients, the monitors checking after every step.

import { describe, expect, it } from 'vitest';
import { crdtAlgorithm } from '../../src/nodes/crdt/crdt.ts';
import { CRDT_TYPES } from '../../src/nodes/crdt/datatypes.ts';
import { runConvergence, type ConvergenceRun } from './crdt-harness.ts';

function problems(runs: readonly ConvergenceRun[]): string {
  return runs
    .filter((r) => r.violations.length > 0 || r.divergence !== null)
    .map((r) => `seed ${r.seed} (${r.options.type}, gossip ${r.options.gossipMs} ms to ${r.options.fanout}, ${r.nodes} nodes): ${[...r.violations, r.divergence].filter(Boolean).join('; ')}`)
    .join('\n');
}

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
