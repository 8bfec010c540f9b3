// Each known-bad leaderless node must be caught by the property run on its own, and those a
// monitor can see also by replaying the scenario whose interleaving exposes them.

import { describe, expect, it } from 'vitest';
import { replayScenario } from './replay.ts';
import { leaderlessAlgorithm } from '../../src/nodes/leaderless/leaderless.ts';
import type { Algorithm } from '../../src/nodes/types.ts';
import { runsToCatch } from '../../src/main/sim/fuzz.ts';
import { leaderlessMutants, catalogue, catalogueFuzzOptions } from './leaderless-mutants.ts';

describe('leaderless mutants are caught', () => {
  it('the real algorithm passes the scenarios the mutants fail', () => {
    expect(replayScenario('leaderless/01b-quorums-that-meet.txt', leaderlessAlgorithm).violations).toEqual([]);
    expect(replayScenario('leaderless/07-read-repair-and-anti-entropy.txt', leaderlessAlgorithm).violations).toEqual([]);
  });

  it('a quorum counted when the puts leave: the write of 01b is acknowledged with one copy on disk', () => {
    expect(replayScenario('leaderless/01b-quorums-that-meet.txt', leaderlessMutants['counts-quorum-before-persisted']).violations).toContain('acknowledged_below_quorum');
  });

  it('a repair that overwrites: the late repair of 07 puts x=1 back over x=2', () => {
    expect(replayScenario('leaderless/07-read-repair-and-anti-entropy.txt', leaderlessMutants['repair-overwrites']).violations).toContain('version_regressed');
  });

  it('a quorum counted when the puts leave, found by the property run', () => {
    const caught = firstCaught(leaderlessMutants['counts-quorum-before-persisted']);
    expect(catalogue['counts-quorum-before-persisted'].caughtBy).toContain(caught?.violation?.property);
  }, 300_000);

  it('a repair that overwrites, found by the property run', () => {
    const caught = firstCaught(leaderlessMutants['repair-overwrites']);
    expect(catalogue['repair-overwrites'].caughtBy).toContain(caught?.violation?.property);
  }, 300_000);

  it('a two-phase write stamped by the clock after all, found by the property run (the checker, not a monitor)', () => {
    const caught = firstCaught(leaderlessMutants['stamps-by-clock-after-query']);
    expect(catalogue['stamps-by-clock-after-query'].caughtBy).toContain(caught?.violation?.property);
  }, 300_000);
});

/** The first run of the catalogue's fuzz configuration, from seed 1, that finds anything (null: none in 300). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any algorithm's options
function firstCaught(algorithm: Algorithm<any>): ReturnType<typeof runsToCatch>['caught'] {
  return runsToCatch({ ...catalogueFuzzOptions, algorithm }, () => true, 300).caught;
}
