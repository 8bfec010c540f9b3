// Each known-bad CRDT must be caught twice: by replaying the scenario whose steps expose it (the
// monitors report a violation), and by a property run finding one on its own, with the data type
// it breaks (crdt-harness.ts: its monitors, and replicas that end apart or without an
// acknowledged update).

import { describe, expect, it } from 'vitest';
import { replayScenario } from './replay.ts';
import { runsToCatch } from '../../src/main/sim/fuzz.ts';
import { crdtAlgorithm } from '../../src/nodes/crdt/crdt.ts';
import type { CrdtType } from '../../src/nodes/crdt/datatypes.ts';
import type { CrdtOptions } from '../../src/nodes/crdt/options.ts';
import type { Algorithm, ConsensusNode, Rng } from '../../src/nodes/types.ts';
import { runConvergence, type ConvergenceRun } from '../nodes/crdt-harness.ts';
import { crdtMutants, catalogue, catalogueFuzzOptions } from './crdt-mutants.ts';

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

describe('CRDT mutants are caught', () => {
  it('the real replicas pass the scenarios the mutants fail', () => {
    expect(replayScenario('crdt/04-counter-keeps-every-increment.txt', crdtAlgorithm).violations).toEqual([]);
    expect(replayScenario('crdt/07-or-set-add-wins.txt', crdtAlgorithm).violations).toEqual([]);
  });

  it('a counter merge that keeps the newer state: the counter across a partition', () => {
    // n1 merges the majority side's reply, which has seen more updates than n1: n1's own two are dropped.
    expect(replayScenario('crdt/04-counter-keeps-every-increment.txt', crdtMutants['counter-keeps-newer']).violations).toContain('merge_regressed');
  });

  it('an OR-set that removes adds it never saw: the add that wins', () => {
    expect(replayScenario('crdt/07-or-set-add-wins.txt', crdtMutants['or-set-removes-unseen-adds']).violations).toContain('removed_unseen_add');
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
    expect(catalogue['counter-keeps-newer'].caughtBy).toContain(firstFuzzed(crdtMutants['counter-keeps-newer'])?.violation?.property);
    expect(catalogue['or-set-removes-unseen-adds'].caughtBy).toContain(firstFuzzed(crdtMutants['or-set-removes-unseen-adds'])?.violation?.property);
  });
});

/** The first run of the catalogue's fuzz configuration, from seed 1, that finds anything (null: none in 300). */
function firstFuzzed(algorithm: Algorithm<CrdtOptions, ConsensusNode>): ReturnType<typeof runsToCatch>['caught'] {
  return runsToCatch({ ...catalogueFuzzOptions, algorithm }, () => true, 300).caught;
}
