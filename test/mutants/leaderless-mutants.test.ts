// Each known-bad leaderless node must be caught by the property run on its own, and those a
// monitor can see also by replaying the scenario whose interleaving exposes them.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InteractionEnv, parseScenario } from '../../src/main/scenario/interaction.ts';
import { leaderlessAlgorithm } from '../../src/nodes/leaderless/leaderless.ts';
import type { Algorithm, ConsensusNode } from '../../src/nodes/types.ts';
import { fuzzOne, type FuzzRunResult } from '../../src/main/sim/fuzz.ts';
import { leaderlessMutants, catalogue, catalogueFuzzOptions } from './leaderless-mutants.ts';

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
  const text = readFileSync(join(import.meta.dirname, '..', 'scenarios', 'leaderless', file), 'utf8');
  for (const c of parseScenario(text)) env.run(c.command, c.args);
  monitor.finalCheck();
  return monitor.violations().map((v) => v.property);
}

/** Seeds from 1 upward until the first run with a violation (every fault kind, clock skew too). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
function firstCaught(algorithm: Algorithm<any>, limit: number): FuzzRunResult | null {
  for (let seed = 1; seed <= limit; seed++) {
    const run = fuzzOne({ ...catalogueFuzzOptions, algorithm, runs: 1, seed }, seed);
    if (run.violation !== null) return run;
  }
  return null;
}

describe('leaderless mutants are caught', () => {
  it('the real algorithm passes the scenarios the mutants fail', () => {
    expect(violationsOfScenario('01b-quorums-that-meet.txt', leaderlessAlgorithm)).toEqual([]);
    expect(violationsOfScenario('07-read-repair-and-anti-entropy.txt', leaderlessAlgorithm)).toEqual([]);
  });

  it('a quorum counted when the puts leave: the write of 01b is acknowledged with one copy on disk', () => {
    expect(violationsOfScenario('01b-quorums-that-meet.txt', leaderlessMutants['counts-quorum-before-persisted'])).toContain('acknowledged_below_quorum');
  });

  it('a repair that overwrites: the late repair of 07 puts x=1 back over x=2', () => {
    expect(violationsOfScenario('07-read-repair-and-anti-entropy.txt', leaderlessMutants['repair-overwrites'])).toContain('version_regressed');
  });

  it('a quorum counted when the puts leave, found by the property run', () => {
    const caught = firstCaught(leaderlessMutants['counts-quorum-before-persisted'], 300);
    expect(catalogue['counts-quorum-before-persisted'].caughtBy).toContain(caught?.violation?.property);
  }, 300_000);

  it('a repair that overwrites, found by the property run', () => {
    const caught = firstCaught(leaderlessMutants['repair-overwrites'], 300);
    expect(catalogue['repair-overwrites'].caughtBy).toContain(caught?.violation?.property);
  }, 300_000);

  it('a two-phase write stamped by the clock after all, found by the property run (the checker, not a monitor)', () => {
    const caught = firstCaught(leaderlessMutants['stamps-by-clock-after-query'], 300);
    expect(catalogue['stamps-by-clock-after-query'].caughtBy).toContain(caught?.violation?.property);
  }, 300_000);
});
