// Each known-bad primary-backup must be caught: by replaying the scenario whose interleaving
// exposes it, and (where the simulator's faults reach it) by the property run finding one on its
// own within 300 seeds.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InteractionEnv, parseScenario } from '../../src/main/scenario/interaction.ts';
import { fuzzOne, type FuzzRunResult } from '../../src/main/sim/fuzz.ts';
import { primaryBackupAlgorithm } from '../../src/nodes/primary-backup/primary-backup.ts';
import type { Algorithm, ConsensusNode } from '../../src/nodes/types.ts';
import { primaryBackupMutants, catalogue, catalogueFuzzOptions } from './primary-backup-mutants.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any algorithm's options
type AnyAlgorithm = Algorithm<any, ConsensusNode>;

/** Replays a scenario file on `algorithm`: what it printed, and what its monitors found. */
function replay(file: string, algorithm: AnyAlgorithm): { output: string; violations: string[] } {
  const monitor = algorithm.createMonitor();
  let step = 0;
  const env = new InteractionEnv({
    algorithm,
    onReady: (node, ready, status) => monitor.onReady?.(node, ready, status, ++step),
    onStart: (node, { storage, status }) => monitor.onNodeStart?.(node, storage.load(), status, ++step),
    onCrash: (node) => monitor.onNodeCrash?.(node, ++step),
  });
  const text = readFileSync(join(import.meta.dirname, '..', 'scenarios', 'primary-backup', file), 'utf8');
  const output = parseScenario(text).map((c) => env.run(c.command, c.args));
  monitor.finalCheck();
  return { output: output.join('\n'), violations: monitor.violations().map((v) => v.property) };
}

/** Seeds from 1 upward until the first run with a violation. */
function firstCaught(algorithm: AnyAlgorithm, limit: number): FuzzRunResult | null {
  for (let seed = 1; seed <= limit; seed++) {
    const run = fuzzOne({ ...catalogueFuzzOptions, algorithm, runs: 1, seed }, seed);
    if (run.violation !== null) return run;
  }
  return null;
}

describe('primary-backup mutants are caught', () => {
  it('the real primary-backup passes the scenarios the mutants fail', () => {
    expect(replay('06-most-up-to-date-promoted.txt', primaryBackupAlgorithm).violations).toEqual([]);
    expect(replay('02-sync-keeps-acknowledged-write.txt', primaryBackupAlgorithm).violations).toEqual([]);
    const read = replay('08-read-at-primary-asleep-through-its-lease.txt', primaryBackupAlgorithm).output;
    expect(read).toContain('n1 replied c3#1 not_leader (definite) leader=n2');
  });

  it('votes for a backup that is behind: n5, which missed x=2, is promoted without it', () => {
    expect(replay('06-most-up-to-date-promoted.txt', primaryBackupMutants['promotes-behind']).violations).toContain('primary_missing_acknowledged');
  });

  it('a backup that acknowledges entries before writing them down', () => {
    expect(replay('02-sync-keeps-acknowledged-write.txt', primaryBackupMutants['acks-before-durable']).violations).toContain('revealed_before_durable');
  });

  it('a primary that answers reads from the lease it believes it holds: asleep through it, it answers x=1 after x=2 was acknowledged', () => {
    const { output } = replay('08-read-at-primary-asleep-through-its-lease.txt', primaryBackupMutants['reads-from-believed-lease']);
    expect(output).toContain('n1 replied c3#1 ok 1');
  });

  it('votes for a backup that is behind, found by the property run', () => {
    const caught = firstCaught(primaryBackupMutants['promotes-behind'], 300);
    expect(catalogue['promotes-behind'].caughtBy).toContain(caught?.violation?.property);
  });

  it('a backup that acknowledges entries before writing them down, found by the property run', () => {
    const caught = firstCaught(primaryBackupMutants['acks-before-durable'], 300);
    expect(catalogue['acks-before-durable'].caughtBy).toContain(caught?.violation?.property);
  });
});
