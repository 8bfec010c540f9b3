// Each known-bad Multi-Paxos must be caught twice: by replaying the scenario whose interleaving
// exposes it (the monitors report a violation), and by the property run finding one on its own.

import { describe, expect, it } from 'vitest';
import { replayScenario } from './replay.ts';
import { runsToCatch } from '../../src/main/sim/fuzz.ts';
import { multiPaxosAlgorithm } from '../../src/nodes/multipaxos/multipaxos.ts';
import type { Algorithm } from '../../src/nodes/types.ts';
import { multiPaxosMutants, catalogue, catalogueFuzzOptions } from './multipaxos-mutants.ts';

describe('Multi-Paxos mutants are caught', () => {
  it('the real Multi-Paxos passes the scenarios the mutants fail', () => {
    expect(replayScenario('multipaxos/07-leader-change-in-phase-2.txt', multiPaxosAlgorithm).violations).toEqual([]);
    expect(replayScenario('multipaxos/06-promise-survives-restart.txt', multiPaxosAlgorithm).violations).toEqual([]);
  });

  it('a proposer that ignores the values its promises report: the leader change in phase 2', () => {
    // Slots 1 and 3 were chosen in ballot 1.n1 (n1 with n2, n1 with n3) without anyone learning it;
    // the mutant leader fills them with no-ops, which a majority then accepts too.
    expect(replayScenario('multipaxos/07-leader-change-in-phase-2.txt', multiPaxosMutants['ignores-promised-values']).violations).toContain('one_value_per_slot');
  });

  it('an acceptor that accepts below its promise: the promise that survives a restart', () => {
    expect(replayScenario('multipaxos/06-promise-survives-restart.txt', multiPaxosMutants['accepts-below-promise']).violations).toContain('accepted_below_promise');
  });

  it('a proposer that ignores the values its promises report, found by the property run', () => {
    const caught = firstCaught(multiPaxosMutants['ignores-promised-values']);
    expect(catalogue['ignores-promised-values'].caughtBy).toContain(caught?.violation?.property);
  });

  it('an acceptor that accepts below its promise, found by the property run', () => {
    const caught = firstCaught(multiPaxosMutants['accepts-below-promise']);
    expect(catalogue['accepts-below-promise'].caughtBy).toContain(caught?.violation?.property);
  });
});

/** The first run of the catalogue's fuzz configuration, from seed 1, that finds anything (null: none in 300). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any algorithm's options
function firstCaught(algorithm: Algorithm<any>): ReturnType<typeof runsToCatch>['caught'] {
  return runsToCatch({ ...catalogueFuzzOptions, algorithm }, () => true, 300).caught;
}
