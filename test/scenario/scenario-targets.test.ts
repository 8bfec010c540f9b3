// The same scenario on the simulator, on a live cluster of worker threads, and with a person at
// the window: what a lesson asks is waited for and checked, or done by the runner when nobody is
// there.

import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { parseScenario, ScenarioFileError } from '../../src/main/scenario/file.ts';
import { runScenario, type Person } from '../../src/main/scenario/runner.ts';
import { SimScenarioCluster } from '../../src/main/scenario/target.ts';
import { libraryFiles } from '../../src/main/cli/scenario.ts';
import { main } from '../../src/main/cli/cli.ts';
import type { Fault } from '../../src/shared/fault.ts';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), stdin: process.stdin });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const ASKING = `title: asks
cluster: { algorithm: raft, nodes: 3, seed: 4 }
steps:
  - when: leader
    do: { write: { key: x, value: 1 } }
    ask: { kill: leader }
  - when: leader
    within: 5s
    expect:
      - read: { key: x, returns: 1 }
      - status: { node: leader, field: role, equals: leader }
`;

describe('what a lesson asks of the person', () => {
  it('is done by the runner when nobody is at the window', async () => {
    const result = await runScenario(parseScenario(ASKING, 'asks.yaml'));
    expect(result.passed).toBe(true);
    expect(result.steps[0]?.events).toEqual(expect.arrayContaining([expect.stringMatching(/^crash n\d$/), expect.stringMatching(/a lesson asks you to do this: crash n\d/)]));
  });

  it('waits for the person, who does it, and the lesson goes on from what they did', async () => {
    let sim: SimScenarioCluster | null = null;
    const asked: Fault[][] = [];
    const person: Person = {
      async asked(faults) {
        asked.push([...faults]);
        // The person kills the node themselves, through the cluster, as the window would.
        for (const fault of faults) await sim?.fault(fault);
        return [];
      },
      paused: async () => undefined,
    };
    const result = await runScenario(parseScenario(ASKING, 'asks.yaml'), {
      person,
      cluster: async (setup) => (sim = new SimScenarioCluster(setup)),
    });
    expect(asked).toHaveLength(1);
    const killed = asked[0]?.[0];
    expect(killed).toMatchObject({ kind: 'crash' });
    expect(result.steps[0]?.events).toContain(`you did it: crash ${(killed as { node: string }).node}`);
    expect(result.passed).toBe(true);
    expect(sim === null ? null : (sim as SimScenarioCluster).isUp((killed as { node: string }).node)).toBe(false);
  });

  it('does what the person left to it ("do it for me")', async () => {
    const person: Person = { asked: async (faults) => [...faults], paused: async () => undefined };
    const result = await runScenario(parseScenario(ASKING, 'asks.yaml'), { person });
    expect(result.passed).toBe(true);
    expect(result.steps[0]?.events.some((e) => e.startsWith('you did it'))).toBe(false);
    expect(result.steps[0]?.events).toEqual(expect.arrayContaining([expect.stringMatching(/^crash n\d$/)]));
  });

  it('waits at a pause until the person goes on', async () => {
    let resume = (): void => undefined;
    let pausedWith: string | null = null;
    const person: Person = {
      asked: async () => [],
      paused: (message) => {
        pausedWith = message;
        return new Promise<void>((resolve) => (resume = resolve));
      },
    };
    const text = 'title: p\ncluster: { algorithm: raft }\nsteps:\n  - do: { wait-for-user: "Look at the leader" }\n  - when: leader\n';
    const running = runScenario(parseScenario(text, 'p.yaml'), { person });
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(pausedWith).toBe('Look at the leader');
    resume();
    const result = await running;
    expect(result.passed).toBe(true);
    expect(result.steps[0]?.events).toContain('you went on');
  });

  it('shows the person each step as it begins, and what it does as it happens', async () => {
    const seen: string[] = [];
    const person: Person = {
      asked: async (faults) => [...faults],
      paused: async () => undefined,
      progress: (step) => seen.push(`${step.index}:${step.events.length}:${step.checks.length}`),
    };
    await runScenario(parseScenario(ASKING, 'asks.yaml'), { person });
    // Step 1: its narration before its leader is elected (no event yet), then each event as it comes.
    expect(seen[0]).toBe('0:0:0');
    expect(seen).toContain('0:1:0');
    expect(seen).toContain('1:0:0');
    expect(seen.at(-1)).toBe('1:1:2');
  });

  it('takes faults only, and says where a mistake is', () => {
    const bad = 'title: b\ncluster: { algorithm: raft }\nsteps:\n  - ask:\n      - write: { key: x, value: 1 }\n';
    expect(() => parseScenario(bad, 'b.yaml')).toThrow(ScenarioFileError);
    expect(() => parseScenario(bad, 'b.yaml')).toThrow(/^b\.yaml:5:9: a lesson asks the person for faults .*not client operations: put those under "do"/);
    expect(() => parseScenario('title: b\ncluster: { algorithm: raft }\nsteps:\n  - ask: { explode: n1 }\n', 'b.yaml')).toThrow(/b\.yaml:4:\d+: unknown action "explode"/);
  });
});

describe('scenario run --live', () => {
  it('runs library lessons on worker threads with SQLite files, and they hold there too', { timeout: 60_000 }, async () => {
    const lessons = libraryFiles().filter((f) => /01-raft-election|09-primary-backup-async|08-crdt-convergence/.test(f));
    expect(lessons).toHaveLength(3);
    const r = await cli('scenario', 'run', '--live', ...lessons);
    expect(r.err).toBe('');
    expect(r.out).toMatch(/^== .*01-raft-election\.yaml\), live$/m);
    expect(r.out).toMatch(/ok {3}at least 1 acknowledged write lost: 1 lost/);
    expect(r.out).toMatch(/3 of 3 scenarios passed/);
    expect(r.code).toBe(0);
  });

  it('skips, live, a file written for the simulator only, and says why', async () => {
    const figure8 = libraryFiles().find((f) => f.includes('figure-8')) as string;
    const r = await cli('scenario', 'run', '--live', figure8);
    expect(r.out).toMatch(/skipped live, it runs on the simulator only \(a live cluster of threads is too late/);
    expect(r.code).toBe(0);
  });

  it('fails, live, an expectation that does not hold', { timeout: 30_000 }, async () => {
    const wrong = join(import.meta.dirname, 'fixtures', 'wrong-read.yaml');
    const r = await cli('scenario', 'run', '--live', wrong);
    expect(r.out).toMatch(/FAIL a read of x returns 2: it returned 1/);
    expect(r.code).toBe(1);
  });
});
