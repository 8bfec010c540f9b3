// The library's lessons can fail: each one run with the protection it shows taken away (an option
// off, or a mutant from test/mutants standing in for the algorithm) no longer passes, and the
// checks that fail are the ones the lesson is about.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseScenario, type Action, type Expectation, type Scenario } from '../../src/main/scenario/file.ts';
import { runScenario, type ScenarioResult } from '../../src/main/scenario/runner.ts';
import type { Algorithm } from '../../src/nodes/types.ts';
import { catalogue } from '../mutants/mutants.ts';
import { multiPaxosMutants } from '../mutants/multipaxos-mutants.ts';

const LIBRARY = join(import.meta.dirname, '../../src/main/scenario/library');

function lesson(name: string, options: Record<string, unknown> = {}): Scenario {
  const scenario = parseScenario(readFileSync(join(LIBRARY, name), 'utf8'), name);
  return { ...scenario, options: { ...scenario.options, ...options } };
}

/** What failed, one line each: a step that could not run, or a check that did not hold. */
function failures(result: ScenarioResult): string[] {
  return result.steps.flatMap((s) => [...(s.error === null ? [] : [`step ${s.index + 1}: ${s.error}`]), ...s.checks.filter((c) => !c.ok).map((c) => `step ${s.index + 1}: ${c.text}`)]);
}

function mutant(name: string): Algorithm<unknown> {
  return catalogue[name]?.algorithm as unknown as Algorithm<unknown>;
}

describe('15: a split vote', () => {
  it('passes as written', async () => {
    expect(failures(await runScenario(lesson('15-raft-split-vote.yaml')))).toEqual([]);
  });

  it('with PreVote the split costs no term: the checks of term 2 and of a later term fail', async () => {
    const failed = failures(await runScenario(lesson('15-raft-split-vote.yaml', { preVote: true })));
    expect(failed).toContainEqual(expect.stringMatching(/^step 4: n2's term is 2: it is 1/));
    expect(failed).toContainEqual(expect.stringMatching(/^step 5: .*'s term is above 2: it is 2/));
  });

  it('a node that votes twice in a term elects two leaders', async () => {
    const failed = failures(await runScenario(lesson('15-raft-split-vote.yaml'), { algorithm: mutant('double-vote') }));
    expect(failed).toContainEqual(expect.stringMatching(/^step 5: the safety monitors hold: .*both leaders of term 2/));
  });

  it('without randomized election timeouts the split repeats and nobody leads', async () => {
    const failed = failures(await runScenario(lesson('15-raft-split-vote.yaml'), { algorithm: mutant('fixed-election-timeout') }));
    expect(failed).toContainEqual(expect.stringMatching(/^step 5: waited 3000 ms for a leader, in vain/));
  });
});

describe('16: a membership change', () => {
  it('passes as written', async () => {
    expect(failures(await runScenario(lesson('16-raft-membership.yaml')))).toEqual([]);
  });

  it('without the removal, two servers of four are no majority: the last write is not acknowledged', async () => {
    const scenario = lesson('16-raft-membership.yaml');
    const removal = (a: Action): boolean => a.kind === 'fault' && a.fault.kind === 'command' && a.fault.action === 'remove_server';
    const removed = (e: Expectation): boolean => e.kind === 'status' && JSON.stringify(e.equals) === '["n2","n3","n4"]';
    const steps = scenario.steps.map((step) => ({ ...step, actions: step.actions.filter((a) => !removal(a)), expect: step.expect.filter((e) => !removed(e)) }));
    expect(steps.flatMap((s) => s.actions).length).toBe(scenario.steps.flatMap((s) => s.actions).length - 1);
    const failed = failures(await runScenario({ ...scenario, steps }));
    expect(failed).toEqual([expect.stringMatching(/^step 8: a read of x returns 2: it ended info/)]);
  });
});

describe('17: Figure 8', () => {
  it('passes as written', async () => {
    expect(failures(await runScenario(lesson('17-raft-figure-8.yaml')))).toEqual([]);
  });

  it('a leader that commits an earlier term by counting replicas commits x = 1, which a later leader erases', async () => {
    const failed = failures(await runScenario(lesson('17-raft-figure-8.yaml'), { algorithm: mutant('commits-earlier-term') }));
    expect(failed).toContainEqual(expect.stringMatching(/^step 8: n1's commit is 2: it is 3/));
    expect(failed).toContainEqual(expect.stringMatching(/^step 10: the safety monitors hold: /));
  });
});

describe('18 and 19: CheckQuorum and PreVote, on (04 and 05 show them off)', () => {
  it('pass as written', async () => {
    expect(failures(await runScenario(lesson('18-raft-check-quorum.yaml')))).toEqual([]);
    expect(failures(await runScenario(lesson('19-raft-prevote-on.yaml')))).toEqual([]);
  });

  it('without CheckQuorum the cut-off leader never steps down, and answers the stale read', async () => {
    const off = lesson('18-raft-check-quorum.yaml', { checkQuorum: false });
    expect(failures(await runScenario(off))).toEqual([expect.stringMatching(/^step 3: waited 1000 ms for n2's leader to be null, in vain/)]);
    // Without the step that waits for it to step down, the rest runs: the read is the stale one.
    const onward = await runScenario({ ...off, steps: off.steps.filter((s) => s.when?.kind !== 'status') });
    expect(onward.steps.at(-1)?.events).toContain('read x at n2: ok 1');
    expect(failures(onward)).toEqual([expect.stringMatching(/linearizable holds: the history is not linearizable/)]);
  });

  it('without PreVote the node that was away raises its term and deposes the leader', async () => {
    const failed = failures(await runScenario(lesson('19-raft-prevote-on.yaml', { preVote: false })));
    expect(failed).toContainEqual(expect.stringMatching(/^step 4: n2's term is below 3: it is \d\d/));
    expect(failed).toContainEqual(expect.stringMatching(/^step 5: n1's role is "leader": it is "follower"/));
  });
});

describe('20: a value recovered from the promises', () => {
  it('passes as written', async () => {
    expect(failures(await runScenario(lesson('20-multipaxos-recovered-value.yaml')))).toEqual([]);
  });

  it('a leader that ignores the values the promises report fills slot 1 with a no-op: the read misses x = 1', async () => {
    const algorithm = multiPaxosMutants['ignores-promised-values'] as unknown as Algorithm<unknown>;
    const failed = failures(await runScenario(lesson('20-multipaxos-recovered-value.yaml'), { algorithm }));
    expect(failed).toEqual([expect.stringMatching(/^step 7: a read of x at n3 returns 1: it returned null/)]);
  });

  it('had a majority accepted x = 1 unknown to all, ignoring the promises would undo a choice: the monitors catch it', async () => {
    const name = '20-multipaxos-recovered-value.yaml';
    const text = readFileSync(join(LIBRARY, name), 'utf8');
    // n5 accepts x = 1 too (chosen: three of five), and nobody learns it: n1 hears no acceptor's answer.
    const chosen = text.replace('      - partition: [[n1, n2], [n3, n4, n5]]\n', '      - partition: [[n1, n2, n5], [n3, n4]]\n      - cut: [n2, n1]\n      - cut: [n5, n1]\n');
    expect(chosen).not.toBe(text);
    const scenario = parseScenario(chosen, name);
    expect(failures(await runScenario(scenario))).toEqual([]);
    const algorithm = multiPaxosMutants['ignores-promised-values'] as unknown as Algorithm<unknown>;
    const failed = failures(await runScenario(scenario, { algorithm }));
    expect(failed).toContainEqual(expect.stringMatching(/^step 7: the safety monitors hold: .*slot 1/));
  });
});
