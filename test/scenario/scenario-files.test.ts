// Scenario files: the built-in library passes, mistakes are reported at their line and column,
// and an expectation that does not hold fails the run with what was seen instead.

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { parseScenario, ScenarioFileError } from '../../src/main/scenario/file.ts';
import { runScenario } from '../../src/main/scenario/runner.ts';
import { libraryFiles, scenarioCommand } from '../../src/main/cli/scenario.ts';
import { main } from '../../src/main/cli/cli.ts';
import { readFileSync } from 'node:fs';

const dir = mkdtempSync(join(tmpdir(), 'scenario-files-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), stdin: process.stdin });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const HEAD = 'title: t\ncluster:\n  algorithm: raft\n  nodes: 3\nsteps:\n';

describe('the built-in scenario library', () => {
  for (const path of libraryFiles()) {
    it(`passes: ${path.split('/').pop()}`, async () => {
      const scenario = parseScenario(readFileSync(path, 'utf8'), path);
      const result = await runScenario(scenario);
      const failures = result.steps.flatMap((s) => [...(s.error === null ? [] : [`step ${s.index + 1}: ${s.error}`]), ...s.checks.filter((c) => !c.ok).map((c) => `step ${s.index + 1}: ${c.text}`)]);
      expect(failures).toEqual([]);
      expect(result.passed).toBe(true);
    });
  }

  it('lists one line per scenario, and runs them all', async () => {
    const listed = await cli('scenario', 'list');
    expect(listed.code).toBe(0);
    expect(listed.out.split('\n')).toHaveLength(libraryFiles().length);
    expect(scenarioCommand).toBeTypeOf('function');
  });
});

describe('mistakes in a scenario file, at their line and column', () => {
  const cases: Array<[string, RegExp]> = [
    [HEAD + '  - do: { crash: n1 }\n    sometimes: 3\n', /:7:5: unknown key "sometimes"/],
    [HEAD + '  - do:\n      - crash: node-one\n', /:7:16: crash: .*a node: n1, n2, \.\.\., leader or follower/],
    [HEAD + '  - at: soon\n    do: heal\n', /:6:9: "at": /],
    [HEAD + '  - do:\n      - explode: n1\n', /:7:9: unknown action "explode"/],
    [HEAD + '  - do: [crash: n1\n', /f\.yaml:\d+:\d+: Flow sequence/],
    ['title: t\nsteps:\n  - do: heal\n', /:1:1: "cluster" is missing/],
    [HEAD + '  - within: 2s\n    do: heal\n', /:6:13: "within" bounds a "when"/],
    [HEAD + '  - expect: { read: { key: x, returns: 1, at: n1, extra: 1 } }\n', /:6:\d+: /],
    [HEAD + '  - {}\n', /:6:5: a step needs something/],
    [HEAD + '  - do: { wait: 99999999s }\n', /:6:\d+: wait: .*at most an hour/],
    [HEAD + '  - at: 2h\n', /:6:\d+: "at": /],
    [HEAD + '  - do: { crash: n1 }\n  - do: { crash: n2 }\n    do: heal\n', /:8:5: Map keys must be unique/],
    [HEAD + '  - do:\n      - add-node: leader\n', /:7:19: add-node: the new node's name: n4, n5, \.\.\./],
    [HEAD + '  - do:\n      - command: { node: leader, action: add_server, peer: four }\n', /:7:60: command: "peer": a node/],
  ];
  for (const [text, why] of cases) {
    it(`${why}`, () => {
      expect(() => parseScenario(text, 'f.yaml')).toThrow(ScenarioFileError);
      expect(() => parseScenario(text, 'f.yaml')).toThrow(why);
    });
  }

  it('refuses a file whose aliases would expand without bound, quickly and with a message', () => {
    const levels = ['a: &a ["x","x","x","x","x","x","x","x","x"]'];
    for (const [i, name] of ['b', 'c', 'd', 'e', 'f', 'g'].entries()) levels.push(`${name}: &${name} [${Array(9).fill(`*${'abcdef'[i]}`).join(',')}]`);
    const started = performance.now();
    expect(() => parseScenario(`${levels.join('\n')}\ntitle: t\n`, 'bomb.yaml')).toThrow(/bomb\.yaml: cannot be read: .*alias/i);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('exits 2 with the message, before running anything, for a bad file among good ones', async () => {
    const bad = file('bad.yaml', HEAD + '  - do: { crash: n1 }\n    sometimes: 3\n');
    const r = await cli('scenario', 'run', libraryFiles()[0] as string, bad);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/bad\.yaml:7:5: unknown key "sometimes"/);
    expect(r.out).toBe('');
    expect((await cli('scenario', 'run', join(dir, 'missing.yaml'))).err).toMatch(/no such file/);
    const options = file('options.yaml', 'title: t\ncluster:\n  algorithm: raft\n  options: { warpDrive: true }\nsteps:\n  - do: heal\n');
    expect(await cli('scenario', 'run', options)).toMatchObject({ code: 2, err: expect.stringMatching(/unknown option\(s\) warpDrive/) });
    const algorithm = file('algorithm.yaml', 'title: t\ncluster:\n  algorithm: zab\nsteps:\n  - do: heal\n');
    expect(await cli('scenario', 'run', algorithm)).toMatchObject({ code: 2, err: expect.stringMatching(/no algorithm "zab"/) });
  });
});

describe('running a scenario', () => {
  it('fails an expectation that does not hold, saying what it saw, and exits 1', async () => {
    const wrong = file('wrong.yaml', HEAD + '  - when: leader\n    do:\n      - write: { key: x, value: 1 }\n    expect:\n      - read: { key: x, returns: 2 }\n      - monitor: holds\n');
    const r = await cli('scenario', 'run', wrong);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/FAIL a read of x returns 2: it returned 1/);
    expect(r.out).toMatch(/ok {3}the safety monitors hold/);
    expect(r.out).toMatch(/^FAIL .*wrong\.yaml: 1 of 2 expectations held$/m);
  });

  it('stops at a step whose condition never holds, and at a fault on a node that is not there', async () => {
    const never = parseScenario(HEAD + '  - do: { partition: [[n1], [n2], [n3]] }\n  - when: leader\n    within: 1s\n  - do: heal\n', 'never.yaml');
    const result = await runScenario(never);
    expect(result.passed).toBe(false);
    expect(result.steps).toHaveLength(2);
    expect(result.steps[1]?.error).toMatch(/waited 1000 ms for a leader, in vain/);
    const missing = await runScenario(parseScenario(HEAD + '  - do: { crash: n7 }\n', 'missing.yaml'));
    expect(missing.steps[0]?.error).toMatch(/there is no node n7 \(nodes: n1, n2, n3\)/);
  });

  it('adds a node and makes it a voter with a command about it, and says what the leader answered', async () => {
    // A write first: a new leader changes membership only after it committed an entry of its term.
    const text = HEAD + '  - when: leader\n    do:\n      - write: { key: x, value: 1 }\n      - add-node: n4\n      - command: { node: leader, action: add_server, peer: n4 }\n  - when: { status: { node: n4, field: voters, equals: [n1, n2, n3, n4] } }\n    within: 2s\n';
    const result = await runScenario(parseScenario(text, 'grow.yaml'));
    expect(result.steps.map((s) => s.error)).toEqual([null, null]);
    expect(result.steps[0]?.events).toEqual(expect.arrayContaining(['add node n4', expect.stringMatching(/^admin n\d add_server$/)]));
    const wrongName = await runScenario(parseScenario(HEAD + '  - do: { add-node: n7 }\n', 'gap.yaml'));
    expect(wrongName.steps[0]?.error).toMatch(/add node n7: the new node is n4, not n7/);
  });

  it('refuses a command that needs a peer without one, a peer for one that takes none, and a node added to a fixed membership', async () => {
    const noPeer = await runScenario(parseScenario(HEAD + '  - when: leader\n    do: { command: { node: leader, action: remove_server } }\n', 'a.yaml'));
    expect(noPeer.steps[0]?.error).toMatch(/remove_server is about another node: name it with peer/);
    const extraPeer = await runScenario(parseScenario(HEAD + '  - do: { command: { node: n1, action: campaign, peer: n2 } }\n', 'b.yaml'));
    expect(extraPeer.steps[0]?.error).toMatch(/campaign takes no peer/);
    const notLeader = await runScenario(parseScenario(HEAD + '  - when: leader\n    do: { command: { node: follower, action: remove_server, peer: n3 } }\n', 'c.yaml'));
    expect(notLeader.steps[0]?.events.at(-1)).toMatch(/^n\d refused: /);
    const fixed = await runScenario(parseScenario('title: t\ncluster: { algorithm: multipaxos, nodes: 3 }\nsteps:\n  - do: { add-node: n4 }\n', 'd.yaml'));
    expect(fixed.steps[0]?.error).toMatch(/Multi-Paxos has a fixed membership: no node can be added/);
  });

  it('is deterministic: the same file runs the same way', async () => {
    const text = readFileSync(libraryFiles()[0] as string, 'utf8');
    const a = await runScenario(parseScenario(text, 'a'));
    const b = await runScenario(parseScenario(text, 'a'));
    expect(JSON.stringify(a)).toBe(JSON.stringify(b));
  });
});

describe('a recorded session as a scenario file', () => {
  it('writes the faults and client operations at their times, and the file runs', async () => {
    const session = join(dir, 'run.session');
    expect((await cli('run', '--sim', '--duration', '2s', '--faults', 'partition,kill', '--fault-interval', '400ms', '--record', session)).code).toBe(0);
    const out = join(dir, 'from-session.yaml');
    expect(await cli('scenario', 'from-session', session, '--out', out)).toMatchObject({ code: 0 });
    const text = readFileSync(out, 'utf8');
    const scenario = parseScenario(text, out);
    expect(scenario.algorithm).toBe('raft');
    const actions = scenario.steps.flatMap((s) => s.actions);
    expect(actions.filter((a) => a.kind === 'fault').length).toBeGreaterThan(2);
    expect(actions.filter((a) => a.kind === 'op').length).toBeGreaterThan(20);
    const atTimes = scenario.steps.map((s) => s.atMs ?? 0);
    expect(atTimes).toEqual([...atTimes].sort((a, b) => a - b));
    expect((await runScenario(scenario)).steps.at(-1)?.checks).toEqual([{ ok: true, text: expect.stringMatching(/monitors hold/) }]);
    expect(await cli('scenario', 'from-session', session, '--out', out)).toMatchObject({ code: 2, err: expect.stringMatching(/never overwrites/) });
    expect(await cli('scenario', 'from-session', out)).toMatchObject({ code: 2, err: expect.stringMatching(/not a session file/) });
  });
});
