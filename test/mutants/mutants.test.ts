// Each known-bad Raft must be caught: otherwise the checks that pass for the real one prove
// nothing. The scenario files replay the exact interleaving that exposes a bug; the property run
// must find what random faults can reach on their own.

import { describe, expect, it } from 'vitest';
import { replayScenario } from './replay.ts';
import { createRaftMonitor as createSafetyMonitor } from '../../src/nodes/raft/monitors.ts';

type SafetyProperty = string;
import { runFuzz, runsToCatch } from '../../src/main/sim/fuzz.ts';
import { raftAlgorithm, type RaftNode } from '../../src/nodes/raft/raft.ts';
import type { Algorithm } from '../../src/nodes/types.ts';
import type { RaftOptions } from '../../src/nodes/raft/options.ts';
import { catalogue, catalogueFuzzOptions, CATCH_WITHIN, mutants } from './mutants.ts';

function violationsOfScenario(file: string, algorithm: Algorithm<RaftOptions, RaftNode>): SafetyProperty[] {
  return replayScenario(file, algorithm as Algorithm<unknown, RaftNode>).violations;
}

describe('mutants are caught', () => {
  it('the real Raft passes the scenarios the mutants fail', () => {
    expect(violationsOfScenario('05-figure-8.txt', raftAlgorithm)).toEqual([]);
    expect(violationsOfScenario('13-vote-survives-restart.txt', raftAlgorithm)).toEqual([]);
  });

  it('committing an entry of an earlier term by counting replicas (Figure 8)', () => {
    const found = violationsOfScenario('05-figure-8.txt', mutants['commits-earlier-term']);
    // n1 applies x=1 at index 2 once a majority holds it; n5 later applies its own entry there.
    // (Nobody was told x=1 succeeded: the proposer crashed before, so no acknowledgement is lost.)
    expect(found).toContain('state_machine_safety');
    expect(found).toContain('leader_completeness');
  });

  it('forgetting to persist the vote', () => {
    expect(violationsOfScenario('13-vote-survives-restart.txt', mutants['forgets-vote'])).toContain('election_safety');
  });

});

// The fuzzer on its own, seeds 1, 2, 3... until the first failure the mutant's bug explains: it must
// come within CATCH_WITHIN runs. The same configuration must leave the real Raft alone, or a catch
// would prove nothing.
describe('the fuzzer catches the catalogue', () => {
  it(`the real Raft passes ${CATCH_WITHIN} runs of the catalogue's configuration`, () => {
    const result = runFuzz({ ...catalogueFuzzOptions, algorithm: raftAlgorithm, runs: CATCH_WITHIN });
    expect(result.runs.filter((r) => r.violation !== null).map((r) => `seed ${r.seed}: ${r.violation?.property}: ${r.violation?.message}`)).toEqual([]);
  });

  for (const [name, mutant] of Object.entries(catalogue)) {
    it(`${name} (${mutant.kind}) within ${CATCH_WITHIN} runs`, () => {
      const found = runsToCatch({ ...catalogueFuzzOptions, algorithm: mutant.algorithm }, (run) => mutant.caughtBy.includes(run.violation?.property ?? ''), CATCH_WITHIN);
      expect(found.runs, `not caught; other failures: ${found.other.map((r) => `${r.seed}:${r.violation?.property}`).join(' ')}`).not.toBeNull();
      expect(found.runs).toBeLessThanOrEqual(CATCH_WITHIN);
    });
  }
});

describe('the safety monitor compares entries by what they hold', () => {
  const status = (id: string) => ({ id, role: 'follower' as const, term: 1, leader: null, votedFor: null, commit: 0, applied: 0, lastIndex: 1, snapshotIndex: 0, voters: ['n1', 'n2'] });
  const persisted = (op: Record<string, unknown>) => ({
    persist: { log: { from: 1, entries: [{ index: 1, term: 1, data: { type: 'command' as const, request: { clientId: 1, seq: 1, op } } }] } },
    messages: [],
    applied: [],
    replies: [],
  });
  const verdict = (a: Record<string, unknown>, b: Record<string, unknown>): SafetyProperty[] => {
    const monitor = createSafetyMonitor();
    monitor.onReady?.('n1', persisted(a) as never, status('n1'), 1);
    monitor.onReady?.('n2', persisted(b) as never, status('n2'), 2);
    return monitor.violations().map((v) => v.property);
  };

  it('the same command at one index and term on two nodes is fine; any field that differs is a violation', () => {
    expect(verdict({ f: 'cas', key: 'x', expected: 1, value: 2 }, { f: 'cas', key: 'x', expected: 1, value: 2 })).toEqual([]);
    expect(verdict({ f: 'cas', key: 'x', expected: 1, value: 2 }, { f: 'cas', key: 'x', expected: 3, value: 2 })).toEqual(['log_matching']);
    expect(verdict({ f: 'write', key: 'x', value: 1 }, { f: 'write', key: 'x', value: '1' })).toEqual(['log_matching']);
    expect(verdict({ f: 'write', key: 'x', value: 1 }, { f: 'append', key: 'x', value: 1 })).toEqual(['log_matching']);
    expect(verdict({ f: 'read', key: 'x' }, { f: 'read', key: 'y' })).toEqual(['log_matching']);
  });
});
