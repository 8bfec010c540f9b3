// Each known-bad primary-backup must be caught: by replaying the scenario whose interleaving
// exposes it, and (where the simulator's faults reach it) by the property run finding one on its
// own within 300 seeds.

import { describe, expect, it } from 'vitest';
import { replayScenario } from './replay.ts';
import { runsToCatch } from '../../src/main/sim/fuzz.ts';
import { primaryBackupAlgorithm } from '../../src/nodes/primary-backup/primary-backup.ts';
import type { Algorithm } from '../../src/nodes/types.ts';
import { primaryBackupMutants, catalogue, catalogueFuzzOptions } from './primary-backup-mutants.ts';

describe('primary-backup mutants are caught', () => {
  it('the real primary-backup passes the scenarios the mutants fail', () => {
    expect(replayScenario('primary-backup/06-most-up-to-date-promoted.txt', primaryBackupAlgorithm).violations).toEqual([]);
    expect(replayScenario('primary-backup/02-sync-keeps-acknowledged-write.txt', primaryBackupAlgorithm).violations).toEqual([]);
    const read = replayScenario('primary-backup/08-read-at-primary-asleep-through-its-lease.txt', primaryBackupAlgorithm).output;
    expect(read).toContain('n1 replied c3#1 not_leader (definite) leader=n2');
  });

  it('votes for a backup that is behind: n5, which missed x=2, is promoted without it', () => {
    expect(replayScenario('primary-backup/06-most-up-to-date-promoted.txt', primaryBackupMutants['promotes-behind']).violations).toContain('primary_missing_acknowledged');
  });

  it('a backup that acknowledges entries before writing them down', () => {
    expect(replayScenario('primary-backup/02-sync-keeps-acknowledged-write.txt', primaryBackupMutants['acks-before-durable']).violations).toContain('revealed_before_durable');
  });

  it('a primary that answers reads from the lease it believes it holds: asleep through it, it answers x=1 after x=2 was acknowledged', () => {
    const { output } = replayScenario('primary-backup/08-read-at-primary-asleep-through-its-lease.txt', primaryBackupMutants['reads-from-believed-lease']);
    expect(output).toContain('n1 replied c3#1 ok 1');
  });

  it('votes for a backup that is behind, found by the property run', () => {
    const caught = firstCaught(primaryBackupMutants['promotes-behind']);
    expect(catalogue['promotes-behind'].caughtBy).toContain(caught?.violation?.property);
  });

  it('a backup that acknowledges entries before writing them down, found by the property run', () => {
    const caught = firstCaught(primaryBackupMutants['acks-before-durable']);
    expect(catalogue['acks-before-durable'].caughtBy).toContain(caught?.violation?.property);
  });
});

/** The first run of the catalogue's fuzz configuration, from seed 1, that finds anything (null: none in 300). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any algorithm's options
function firstCaught(algorithm: Algorithm<any>): ReturnType<typeof runsToCatch>['caught'] {
  return runsToCatch({ ...catalogueFuzzOptions, algorithm }, () => true, 300).caught;
}
