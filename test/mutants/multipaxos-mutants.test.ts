// Each known-bad Multi-Paxos must be caught twice: by replaying the scenario whose interleaving
// exposes it (the monitors report a violation), and by the property run finding one on its own.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InteractionEnv, parseScenario } from '../../src/main/scenario/interaction.ts';
import { fuzzOne, type FuzzRunResult } from '../../src/main/sim/fuzz.ts';
import { multiPaxosAlgorithm } from '../../src/nodes/multipaxos/multipaxos.ts';
import type { Algorithm, ConsensusNode } from '../../src/nodes/types.ts';
import { multiPaxosMutants, catalogue, catalogueFuzzOptions } from './multipaxos-mutants.ts';

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
  const text = readFileSync(join(import.meta.dirname, '..', 'scenarios', 'multipaxos', file), 'utf8');
  for (const c of parseScenario(text)) env.run(c.command, c.args);
  monitor.finalCheck();
  return monitor.violations().map((v) => v.property);
}

/** Seeds from 1 upward until the first run with a violation. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function firstCaught(algorithm: Algorithm<any>, limit: number): FuzzRunResult | null {
  for (let seed = 1; seed <= limit; seed++) {
    const run = fuzzOne({ ...catalogueFuzzOptions, algorithm, runs: 1, seed }, seed);
    if (run.violation !== null) return run;
  }
  return null;
}

describe('Multi-Paxos mutants are caught', () => {
  it('the real Multi-Paxos passes the scenarios the mutants fail', () => {
    expect(violationsOfScenario('07-leader-change-in-phase-2.txt', multiPaxosAlgorithm)).toEqual([]);
    expect(violationsOfScenario('06-promise-survives-restart.txt', multiPaxosAlgorithm)).toEqual([]);
  });

  it('a proposer that ignores the values its promises report: the leader change in phase 2', () => {
    // Slots 1 and 3 were chosen in ballot 1.n1 (n1 with n2, n1 with n3) without anyone learning it;
    // the mutant leader fills them with no-ops, which a majority then accepts too.
    expect(violationsOfScenario('07-leader-change-in-phase-2.txt', multiPaxosMutants['ignores-promised-values'])).toContain('one_value_per_slot');
  });

  it('an acceptor that accepts below its promise: the promise that survives a restart', () => {
    expect(violationsOfScenario('06-promise-survives-restart.txt', multiPaxosMutants['accepts-below-promise'])).toContain('accepted_below_promise');
  });

  it('a proposer that ignores the values its promises report, found by the property run', () => {
    const caught = firstCaught(multiPaxosMutants['ignores-promised-values'], 300);
    expect(catalogue['ignores-promised-values'].caughtBy).toContain(caught?.violation?.property);
  });

  it('an acceptor that accepts below its promise, found by the property run', () => {
    const caught = firstCaught(multiPaxosMutants['accepts-below-promise'], 300);
    expect(catalogue['accepts-below-promise'].caughtBy).toContain(caught?.violation?.property);
  });
});
