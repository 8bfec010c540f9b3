// Each known-bad CRDT must be caught twice: by replaying the scenario whose steps expose it (the
// monitors report a violation), and by a property run finding one on its own, with the data type
// it breaks (crdt-harness.ts: its monitors, and replicas that end apart or without an
// acknowledged update).

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InteractionEnv, parseScenario } from '../../src/main/scenario/interaction.ts';
import { fuzzOne, type FuzzRunResult } from '../../src/main/sim/fuzz.ts';
import { crdtAlgorithm } from '../../src/nodes/crdt/crdt.ts';
import type { CrdtType } from '../../src/nodes/crdt/datatypes.ts';
import type { CrdtOptions } from '../../src/nodes/crdt/options.ts';
import type { Algorithm, ConsensusNode, Rng } from '../../src/nodes/types.ts';
import { runConvergence, type ConvergenceRun } from '../nodes/crdt-harness.ts';
import { crdtMutants, catalogue, catalogueFuzzOptions } from './crdt-mutants.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any algorithm's options
function violationsOfScenario(file: string, algorithm: Algorithm<any, ConsensusNode>): string[] {
  const monitor = algorithm.createMonitor();
  let step = 0;
  const env = new InteractionEnv({
    algorithm,
    onReady: (node, ready, status) => monitor.onReady?.(node, ready, status, ++step),
    onStart: (node, { storage, status }) => monitor.onNodeStart?.(node, storage.load(), status, ++step),
    onCrash: (node) => monitor.onNodeCrash?.(node, ++step),
  });
  const text = readFileSync(join(import.meta.dirname, '..', 'scenarios', 'crdt', file), 'utf8');
  for (const c of parseScenario(text)) env.run(c.command, c.args);
  monitor.finalCheck();
  return monitor.violations().map((v) => v.property);
}

/** The mutant with every run drawing one of the types it breaks. */
function withTypes(algorithm: Algorithm<CrdtOptions, ConsensusNode>, types: readonly CrdtType[]): Algorithm<CrdtOptions, ConsensusNode> {
  return { ...algorithm, randomOptions: (rng: Rng) => ({ ...algorithm.randomOptions(rng), type: types[rng.int(0, types.length)] as CrdtType }) };
}

/** Seeds from 1 upward until the first run that fails; null if none within the limit. */
function firstCaught(algorithm: Algorithm<CrdtOptions, ConsensusNode>, limit: number): ConvergenceRun | null {
  for (let seed = 1; seed <= limit; seed++) {
    const run = runConvergence(algorithm, seed, 300, 300);
    if (run.violations.length > 0 || run.divergence !== null) return run;
  }
  return null;
}

/** Fuzz seeds from 1 upward until the first run with a violation. */
function firstFuzzed(algorithm: Algorithm<CrdtOptions, ConsensusNode>, limit: number): FuzzRunResult | null {
  for (let seed = 1; seed <= limit; seed++) {
    const run = fuzzOne({ ...catalogueFuzzOptions, algorithm, runs: 1, seed }, seed);
    if (run.violation !== null) return run;
  }
  return null;
}

describe('CRDT mutants are caught', () => {
  it('the real replicas pass the scenarios the mutants fail', () => {
    expect(violationsOfScenario('04-counter-keeps-every-increment.txt', crdtAlgorithm)).toEqual([]);
    expect(violationsOfScenario('07-or-set-add-wins.txt', crdtAlgorithm)).toEqual([]);
  });

  it('a counter merge that keeps the newer state: the counter across a partition', () => {
    // n1 merges the majority side's reply, which has seen more updates than n1: n1's own two are dropped.
    expect(violationsOfScenario('04-counter-keeps-every-increment.txt', crdtMutants['counter-keeps-newer'])).toContain('merge_regressed');
  });

  it('an OR-set that removes adds it never saw: the add that wins', () => {
    expect(violationsOfScenario('07-or-set-add-wins.txt', crdtMutants['or-set-removes-unseen-adds'])).toContain('removed_unseen_add');
  });

  it('a counter merge that keeps the newer state, found by the property run', () => {
    const caught = firstCaught(withTypes(crdtMutants['counter-keeps-newer'], ['g-counter', 'pn-counter']), 300);
    expect(caught?.violations.join('\n') ?? 'not caught').toMatch(/^(merge_regressed|revealed_before_durable|never_invoked|counter_beyond_invoked)/);
  });

  it('an OR-set that removes adds it never saw, found by the property run', () => {
    const caught = firstCaught(withTypes(crdtMutants['or-set-removes-unseen-adds'], ['or-set']), 300);
    expect(caught?.violations.join('\n') ?? 'not caught').toMatch(/^removed_unseen_add/);
  });

  it('both, by the fuzz on its own (random types: it must draw one the mutant breaks)', () => {
    expect(catalogue['counter-keeps-newer'].caughtBy).toContain(firstFuzzed(crdtMutants['counter-keeps-newer'], 300)?.violation?.property);
    expect(catalogue['or-set-removes-unseen-adds'].caughtBy).toContain(firstFuzzed(crdtMutants['or-set-removes-unseen-adds'], 300)?.violation?.property);
  });
});
