// Challenges: the checker judges each goal on the attempt's history, the budget counts what breaks
// and refuses what goes past it, and, the heart of it, scripted players win every winnable
// configuration of the built-in library while no script of the set wins a correct one. All on the
// simulator, so every attempt plays the same way each time.

import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BudgetLedger, betterScore, builtInChallenges, countsAgainstBudget, judgeGoal, parseChallenge, parseMoves, playChallenge, ScenarioFileError, type Challenge } from '../../src/main/scenario/challenge.ts';
import type { Fault } from '../../src/shared/fault.ts';
import type { HistoryEvent } from '../../src/shared/history.ts';
import { main } from '../../src/main/cli/cli.ts';
import { createRng } from '../../src/shared/rng.ts';

const library = new Map(builtInChallenges().map((c) => [c.id, c]));
const challenge = (id: string): Challenge => library.get(id) as Challenge;

const moves = (text: string): ReturnType<typeof parseMoves> => parseMoves(`moves:\n${text}`, 'moves.yaml');

/**
 * Scripts a player might try, each within its challenge's budget. `wins` names the configurations
 * it is known to win; it must win those, and every correct configuration must resist all of them.
 */
const SCRIPTS: Record<string, Array<{ name: string; moves: string; wins: string[] }>> = {
  'lose-acknowledged-write': [
    {
      name: 'cut the primary off, write to it, kill it, wait',
      moves: readFileSync('docs/challenges/lose-acknowledged-write.moves.yaml', 'utf8').replace(/^[\s\S]*?moves:\n/, ''),
      wins: ['Primary-backup, asynchronous acks'],
    },
    { name: 'kill the leader while a write is in flight', moves: '  - when: leader\n    do:\n      - write: { key: x, value: 1, to: leader, background: true }\n      - wait: 3ms\n      - kill: leader\n      - wait: 8s\n', wins: [] },
    { name: 'slow one link, write, kill the leader', moves: '  - when: leader\n    do:\n      - link: { from: leader, to: n2, delayMs: 3000 }\n      - write: { key: x, value: 1, to: leader }\n      - kill: leader\n      - wait: 8s\n', wins: [] },
    { name: 'isolate n1 and n3 in turn, writing to each', moves: '  - when: leader\n    do:\n      - isolate: n1\n      - write: { key: x, value: 1, to: n1, background: true }\n      - wait: 500ms\n      - kill: n1\n      - isolate: n3\n      - write: { key: x, value: 2, to: n3, background: true }\n      - wait: 500ms\n      - kill: n3\n      - wait: 8s\n', wins: [] },
  ],
  'read-a-stale-value': [
    { name: 'slow every link, write at n1, read at n2', moves: '  - do:\n      - network: { delayMs: 1000 }\n      - write: { key: x, value: 1, to: n1 }\n      - read: { key: x, to: n2 }\n', wins: ['Leaderless quorums, R = W = 1'] },
    {
      name: 'cut the leader off, write through the new one, read at the old',
      moves: '  - when: leader\n    do:\n      - write: { key: x, value: 1, to: leader }\n      - isolate: n2\n  - when: { leader-among: [n1, n3] }\n    within: 10s\n    do:\n      - write: { key: x, value: 2, to: leader }\n      - read: { key: x, to: n2 }\n',
      wins: ['Raft, reads from the leader\'s own state'],
    },
    { name: 'cut the writer off, heal, read elsewhere', moves: '  - do:\n      - partition: [[n1], [n2, n3]]\n      - write: { key: x, value: 1, to: n1 }\n      - heal\n      - read: { key: x, to: n2 }\n      - read: { key: x, to: n3 }\n', wins: ['Leaderless quorums, R = W = 1'] },
    { name: 'slow two links of n1, write at n1, read at n2 and n3', moves: '  - do:\n      - link: { from: n1, to: n2, delayMs: 2000 }\n      - link: { from: n1, to: n3, delayMs: 2000 }\n      - write: { key: x, value: 1, to: n1 }\n      - read: { key: x, to: n2 }\n      - read: { key: x, to: n3 }\n', wins: [] },
  ],
  'two-values-chosen': [
    {
      name: 'split brain: cut off and pause the primary, cas at the new one, resume, cas at the old',
      moves: '  - when: leader\n    do:\n      - isolate: n1\n      - pause: n1\n  - when: { leader-among: [n2, n3] }\n    within: 10s\n    do:\n      - cas: { key: x, expected: null, value: 2, to: leader }\n      - resume: n1\n      - cas: { key: x, expected: null, value: 1, to: n1 }\n',
      wins: ['Primary-backup without fencing'],
    },
    { name: 'cut the leader off, cas at it and at the new leader', moves: '  - when: leader\n    do:\n      - isolate: n1\n      - cas: { key: x, expected: null, value: 1, to: n1 }\n  - when: { leader-among: [n2, n3] }\n    within: 10s\n    do:\n      - cas: { key: x, expected: null, value: 2, to: leader }\n', wins: ['Primary-backup without fencing'] },
    { name: 'cas at two nodes at once, no fault', moves: '  - when: leader\n    do:\n      - cas: { key: x, expected: null, value: 1, to: n1, background: true }\n      - cas: { key: x, expected: null, value: 2, to: n2, background: true }\n      - cas: { key: x, expected: null, value: 3, to: n3 }\n      - wait: 1s\n', wins: [] },
  ],
};

describe('the built-in challenges', () => {
  it('each has a winnable configuration and a correct one, and a set of scripts', () => {
    expect([...library.keys()].sort()).toEqual(Object.keys(SCRIPTS).sort());
    for (const c of library.values()) {
      expect(c.configurations.some((k) => k.winnable), c.id).toBe(true);
      expect(c.configurations.some((k) => !k.winnable), c.id).toBe(true);
    }
  });

  for (const [id, scripts] of Object.entries(SCRIPTS)) {
    const c = challenge(id);
    for (const [index, configuration] of c.configurations.entries()) {
      it(`${id}: ${configuration.name} ${configuration.winnable ? 'is won by a script' : 'resists every script'}`, async () => {
        const outcomes: string[] = [];
        for (const script of scripts) {
          const attempt = await playChallenge(c, index, moves(script.moves));
          expect(attempt.score.faults, script.name).toBeLessThanOrEqual(c.budget.faults);
          // A script known to win must; no script may win a correct configuration.
          if (script.wins.includes(configuration.name)) {
            expect(attempt.won, `${script.name}: ${attempt.judgement.text} ${attempt.stopped ?? ''}`).toBe(true);
            expect(attempt.judgement.witness).not.toBeNull();
          }
          if (!configuration.winnable) expect(attempt.won, `${script.name} won a correct configuration: ${attempt.judgement.text}`).toBe(false);
          outcomes.push(`${script.name}: ${attempt.won ? 'won' : 'not won'}`);
        }
        expect(outcomes.some((o) => o.endsWith(': won'))).toBe(configuration.winnable);
      });
    }
  }

  // Beyond the hand-written scripts: players drawn from a seeded generator, each doing up to the
  // budget's breaking faults (and undoing some, free) between the goal's operations at random nodes
  // and times. No correct configuration may give way to any of them.
  for (const [id] of Object.entries(SCRIPTS)) {
    const c = challenge(id);
    it(`${id}: no generated player wins a correct configuration`, async () => {
      const players = Array.from({ length: 48 }, (_, i) => generatedMoves(c, 1000 + i));
      let wonWinnable = 0;
      for (const [index, configuration] of c.configurations.entries()) {
        for (const text of players) {
          const attempt = await playChallenge(c, index, moves(text));
          expect(attempt.score.faults).toBeLessThanOrEqual(c.budget.faults);
          if (configuration.winnable) wonWinnable += attempt.won ? 1 : 0;
          else expect(attempt.won, `${configuration.name} gave way to:\n${text}\n${attempt.judgement.text}`).toBe(false);
        }
      }
      // The generator is no straw man: it wins some attempts where winning is possible.
      expect(wonWinnable).toBeGreaterThan(0);
    }, 60_000);
  }

  it('judges with the checker\'s witness, in words', async () => {
    const c = challenge('lose-acknowledged-write');
    const attempt = await playChallenge(c, 0, moves(SCRIPTS['lose-acknowledged-write']?.[0]?.moves ?? ''));
    expect(attempt.won).toBe(true);
    expect(attempt.score).toEqual({ faults: 2, timeMs: expect.any(Number) });
    expect(attempt.faults).toEqual(['partition (n1) (n2,n3)', 'crash n1']);
    expect(attempt.judgement.text).toMatch(/acknowledged writes? lost \(.*1 of key "x"/);
    expect(attempt.judgement.witness?.anomaly).toBe('lost write');
    expect(attempt.judgement.witness?.operations.map((o) => o.description)).toContain('write x 1');
  });

  it('plays the same attempt the same way every time', async () => {
    const c = challenge('two-values-chosen');
    const script = moves(SCRIPTS['two-values-chosen']?.[0]?.moves ?? '');
    const [a, b] = [await playChallenge(c, 0, script), await playChallenge(c, 0, script)];
    expect(a.score).toEqual(b.score);
    expect(a.judgement).toEqual(b.judgement);
  });
});

describe('the budget', () => {
  it('counts what breaks, and undoing is free', () => {
    const counts = (f: Fault): boolean => countsAgainstBudget(f);
    expect(counts({ kind: 'crash', node: 'n1' })).toBe(true);
    expect(counts({ kind: 'pause', node: 'n1' })).toBe(true);
    expect(counts({ kind: 'partition', groups: [['n1'], ['n2']] })).toBe(true);
    expect(counts({ kind: 'cut', from: 'n1', to: 'n2' })).toBe(true);
    expect(counts({ kind: 'link', from: 'n1', to: 'n2', rule: { delayMs: 100 } })).toBe(true);
    expect(counts({ kind: 'network', rule: { drop: 0.5 } })).toBe(true);
    expect(counts({ kind: 'clock-skew', node: 'n1', offsetMs: -5000, drift: 0 })).toBe(true);
    expect(counts({ kind: 'admin', node: 'n1', command: { type: 'campaign' } })).toBe(true);
    expect(counts({ kind: 'restart', node: 'n1' })).toBe(false);
    expect(counts({ kind: 'resume', node: 'n1' })).toBe(false);
    expect(counts({ kind: 'heal' })).toBe(false);
    expect(counts({ kind: 'uncut', from: 'n1', to: 'n2' })).toBe(false);
    expect(counts({ kind: 'link', from: 'n1', to: 'n2', rule: null })).toBe(false);
    expect(counts({ kind: 'network', rule: null })).toBe(false);
    expect(counts({ kind: 'clock-skew', node: 'n1', offsetMs: 0, drift: 0 })).toBe(false);
  });

  it('refuses a fault past it or past the time, never an undo', () => {
    const ledger = new BudgetLedger({ faults: 1, timeMs: 10_000 });
    const crash: Fault = { kind: 'crash', node: 'n1' };
    expect(ledger.refusal(crash, 0)).toBeNull();
    ledger.charge(crash);
    ledger.charge({ kind: 'restart', node: 'n1' });
    expect(ledger.used).toBe(1);
    expect(ledger.refusal(crash, 0)).toMatch(/budget is spent \(1 of 1 faults\): crash n1 is not done/);
    expect(ledger.refusal({ kind: 'heal' }, 20_000)).toBeNull();
    expect(new BudgetLedger({ faults: 5, timeMs: 10_000 }).refusal(crash, 10_000)).toMatch(/time is up \(10 s\)/);
  });

  it('stops a scripted attempt at the first fault past it', async () => {
    const c = challenge('read-a-stale-value');
    const attempt = await playChallenge(c, 0, moves('  - do:\n      - cut: [n1, n2]\n      - cut: [n1, n3]\n      - heal\n      - cut: [n2, n3]\n      - write: { key: x, value: 1, to: n1 }\n'));
    expect(attempt.score.faults).toBe(2);
    expect(attempt.stopped).toMatch(/budget is spent \(2 of 2 faults\): cut n2->n3 is not done/);
    expect(attempt.steps[0]?.events).toEqual(['cut n1->n2', 'cut n1->n3', 'heal']);
  });

  it('does not count a goal reached after the time ran out', async () => {
    const c: Challenge = { ...challenge('read-a-stale-value'), budget: { faults: 2, timeMs: 1000 } };
    const attempt = await playChallenge(c, 0, moves('  - at: 2s\n  - do:\n      - write: { key: x, value: 1, to: n1 }\n'));
    expect(attempt.won).toBe(false);
    const late = await playChallenge({ ...challenge('read-a-stale-value'), budget: { faults: 2, timeMs: 1000 } }, 0, moves('  - at: 2s\n    do:\n      - network: { delayMs: 1000 }\n'));
    expect(late.stopped).toMatch(/time is up \(1 s\)/);
    expect(late.score.timeMs).toBe(1000);
  });

  it('keeps the best score: fewer faults, then faster', () => {
    expect(betterScore({ faults: 2, timeMs: 5000 }, null)).toBe(true);
    expect(betterScore({ faults: 1, timeMs: 9000 }, { faults: 2, timeMs: 1000 })).toBe(true);
    expect(betterScore({ faults: 2, timeMs: 900 }, { faults: 2, timeMs: 1000 })).toBe(true);
    expect(betterScore({ faults: 2, timeMs: 1000 }, { faults: 2, timeMs: 1000 })).toBe(false);
    expect(betterScore({ faults: 3, timeMs: 10 }, { faults: 2, timeMs: 1000 })).toBe(false);
  });
});

describe('the judge', () => {
  let t = 0;
  const op = (process: number, f: HistoryEvent['f'], key: string, value: HistoryEvent['value'], type: HistoryEvent['type'], result?: HistoryEvent['value'], final?: boolean): HistoryEvent[] => [
    { process, type: 'invoke', f, key, value, time: (t += 1000), ...(final ? { final } : {}) },
    { process, type, f, key, value: result === undefined ? value : result, time: (t += 1000), ...(final ? { final } : {}) },
  ];

  it('two values chosen: two acknowledged cas from one value to two, that no order explains', () => {
    const both = [...op(1, 'cas', 'x', [null, 1], 'ok'), ...op(2, 'cas', 'x', [null, 2], 'ok')];
    const judged = judgeGoal('two-values', both);
    expect(judged.reached).toBe(true);
    expect(judged.witness?.operations.length).toBeGreaterThan(0);
    // A delete in between puts null back: an order explains both.
    const explained = [...op(1, 'cas', 'x', [null, 1], 'ok'), ...op(3, 'delete', 'x', null, 'ok'), ...op(2, 'cas', 'x', [null, 2], 'ok')];
    expect(judgeGoal('two-values', explained)).toMatchObject({ reached: false, text: expect.stringMatching(/an order of the key's operations explains them/) });
    // One of them failed, or ended unknown: not both chosen.
    expect(judgeGoal('two-values', [...op(1, 'cas', 'x', [null, 1], 'ok'), ...op(2, 'cas', 'x', [null, 2], 'info')]).reached).toBe(false);
  });

  it('a stale read: a value older than one acknowledged before the read began', () => {
    expect(judgeGoal('stale-read', [...op(1, 'write', 'x', 1, 'ok'), ...op(2, 'read', 'x', null, 'ok', null)]).reached).toBe(true);
    expect(judgeGoal('stale-read', [...op(1, 'write', 'x', 1, 'ok'), ...op(2, 'read', 'x', null, 'ok', 1)]).reached).toBe(false);
    // Overlapping the write, either answer is fine.
    const overlap: HistoryEvent[] = [
      { process: 1, type: 'invoke', f: 'write', key: 'x', value: 1, time: 1 },
      { process: 2, type: 'invoke', f: 'read', key: 'x', value: null, time: 2 },
      { process: 2, type: 'ok', f: 'read', key: 'x', value: null, time: 3 },
      { process: 1, type: 'ok', f: 'write', key: 'x', value: 1, time: 4 },
    ];
    expect(judgeGoal('stale-read', overlap).reached).toBe(false);
  });

  it('a lost write needs final reads, and one that misses an acknowledged last write', () => {
    const write = op(1, 'write', 'x', 1, 'ok');
    expect(judgeGoal('lost-write', write)).toMatchObject({ reached: false, text: expect.stringMatching(/no final reads/) });
    expect(judgeGoal('lost-write', [...write, ...op(2, 'read', 'x', null, 'ok', null, true)])).toMatchObject({ reached: true, witness: { anomaly: 'lost write' } });
    expect(judgeGoal('lost-write', [...write, ...op(2, 'read', 'x', null, 'ok', 1, true)]).reached).toBe(false);
  });

  it('names every key that lost writes, the person\'s first, with its witness', () => {
    const history = [...op(1, 'write', 'k0', 5, 'ok'), ...op(2, 'write', 'x', 1, 'ok'), ...op(3, 'read', 'k0', null, 'ok', null, true), ...op(4, 'read', 'x', null, 'ok', null, true)];
    const judged = judgeGoal('lost-write', history, undefined, new Set(['k0', 'k1']));
    expect(judged.text).toMatch(/^2 acknowledged writes lost \(1 of key "x", 1 of key "k0"\)/);
    expect(judged.witness?.operations.map((o) => o.description)).toContain('write x 1');
    expect(judgeGoal('lost-write', history).witness?.operations.map((o) => o.description)).toContain('write k0 5');
  });
});

describe('challenge files', () => {
  const HEAD = 'title: t\nsummary: s\ngoal: stale-read\nbudget: { faults: 1, time: 10s }\n';
  const cases: Array<[string, string, RegExp]> = [
    ['unknown goal', 'title: t\nsummary: s\ngoal: win\nbudget: { faults: 1, time: 10s }\ncluster: {}\nconfigurations: [{ name: a, algorithm: raft, winnable: true }]\n', /c\.yaml:3:7: "goal"/],
    ['unknown algorithm', `${HEAD}cluster: {}\nconfigurations:\n  - name: a\n    algorithm: zab\n    winnable: true\n`, /c\.yaml:8:16: no algorithm "zab"/],
    ['bad option', `${HEAD}cluster: {}\nconfigurations:\n  - name: a\n    algorithm: raft\n    options: { readMode: sometimes }\n    winnable: true\n`, /c\.yaml:9:14: options: .*readMode/],
    ['two configurations named alike', `${HEAD}cluster: {}\nconfigurations:\n  - { name: a, algorithm: raft, winnable: true }\n  - { name: a, algorithm: raft, winnable: false }\n`, /c\.yaml:8:13: two configurations are named "a"/],
    ['no winnable word', `${HEAD}cluster: {}\nconfigurations:\n  - { name: a, algorithm: raft }\n`, /c\.yaml:7:5: "winnable" is missing/],
    ['an unknown key', `${HEAD}cluster: { nodes: 3, leader: n1 }\nconfigurations:\n  - { name: a, algorithm: raft, winnable: true }\n`, /c\.yaml:5:22: unknown key "leader"/],
    ['a time too short', 'title: t\nsummary: s\ngoal: stale-read\nbudget: { faults: 1, time: 10ms }\ncluster: {}\nconfigurations: [{ name: a, algorithm: raft, winnable: true }]\n', /c\.yaml:4:28: "time": at least a second/],
  ];
  for (const [what, text, why] of cases) {
    it(`reports ${what} at its line and column`, () => {
      expect(() => parseChallenge(text, 'c.yaml')).toThrow(ScenarioFileError);
      expect(() => parseChallenge(text, 'c.yaml')).toThrow(why);
    });
  }

  it('reads moves as scenario steps, and refuses expectations in them', () => {
    expect(moves('  - do: heal\n')).toHaveLength(1);
    expect(() => moves('  - do: heal\n    expect: { monitor: holds }\n')).toThrow(/moves\.yaml:3:13: moves do not expect anything/);
    expect(() => moves('  - ask: { kill: n1 }\n')).toThrow(/moves\.yaml:2:10: moves are done, not asked for/);
    expect(() => moves('  - do: { explode: n1 }\n')).toThrow(/moves\.yaml:2:9: unknown action "explode"/);
    expect(() => parseMoves('steps: []\n', 'm.yaml')).toThrow(/m\.yaml:1:1: "moves" is missing/);
  });
});

describe('consensus-playground challenge', () => {
  async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), stdin: process.stdin });
    return { code, out: out.join('\n'), err: err.join('\n') };
  }
  const MOVES = 'docs/challenges/lose-acknowledged-write.moves.yaml';

  it('lists the built-in challenges with their configurations', async () => {
    const { code, out } = await cli('challenge', 'list');
    expect(code).toBe(0);
    for (const c of library.values()) expect(out).toContain(`${c.id}: ${c.title}`);
    expect(out).toContain('--config 1: Primary-backup, asynchronous acks');
  });

  it('plays a scripted attempt: exit 0 won, 1 not won, with the witness and the score', async () => {
    const won = await cli('challenge', 'try', 'lose-acknowledged-write', '--config', '1', '--moves', MOVES);
    expect(won.code).toBe(0);
    expect(won.out).toMatch(/WON: \d+ acknowledged writes? lost \(.*1 of key "x"/);
    expect(won.out).toMatch(/anomaly: lost write/);
    expect(won.out).toMatch(/score: 2 of 3 faults \(partition \(n1\) \(n2,n3\), crash n1\), \d+\.\d s of 120 s/);
    const resisted = await cli('challenge', 'try', 'lose-acknowledged-write', '--config', '3', '--moves', MOVES);
    expect(resisted.code).toBe(1);
    expect(resisted.out).toMatch(/NOT WON: every acknowledged write is still there/);
    expect(resisted.out).toMatch(/This configuration is correct/);
  });

  it('exit 2 on bad input, with the line and column of a mistake', async () => {
    expect(await cli('challenge', 'try', 'no-such-challenge', '--config', '1', '--moves', MOVES)).toMatchObject({ code: 2, err: expect.stringMatching(/no built-in challenge "no-such-challenge"/) });
    expect(await cli('challenge', 'try', 'lose-acknowledged-write', '--moves', MOVES)).toMatchObject({ code: 2, err: expect.stringMatching(/--config N is required \(1 to 3\)/) });
    expect(await cli('challenge', 'try', 'lose-acknowledged-write', '--config', '4', '--moves', MOVES)).toMatchObject({ code: 2 });
    expect(await cli('challenge', 'try', 'lose-acknowledged-write', '--config', '1', '--moves', 'missing.yaml')).toMatchObject({ code: 2, err: expect.stringMatching(/missing\.yaml: no such file/) });
    expect(await cli('challenge', 'try', 'lose-acknowledged-write', '--config', '1', '--moves', 'test/scenario/challenges.test.ts')).toMatchObject({ code: 2, err: expect.stringMatching(/challenges\.test\.ts:\d+:\d+: /) });
    expect(await cli('challenge', 'fly')).toMatchObject({ code: 2, err: expect.stringMatching(/unknown subcommand "fly"/) });
    expect((await cli('challenge', '--help')).code).toBe(0);
  });
});

/** A player's moves drawn from `seed`: breaking faults within the budget, free undoing, the goal's operations, waits. */
function generatedMoves(c: Challenge, seed: number): string {
  const rng = createRng(seed);
  const random = (): number => rng.next();
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const nodes = Array.from({ length: c.nodes }, (_, i) => `n${i + 1}`);
  const down = new Set<string>();
  const paused = new Set<string>();
  const lines: string[] = [];
  let value = 0;
  const up = (): string[] => nodes.filter((n) => !down.has(n) && !paused.has(n));
  const operation = (): string[] => {
    const at = random() < 0.5 ? 'n1' : pick(nodes);
    switch (c.goal) {
      case 'lost-write':
        return [`      - write: { key: x, value: ${++value}, to: ${at}, background: true }`];
      case 'stale-read':
        return [`      - write: { key: x, value: ${++value}, to: ${at}, background: true }`, `      - wait: ${pick([10, 200, 1000])}ms`, `      - read: { key: x, to: ${pick(nodes)}, background: true }`];
      case 'two-values':
        return [`      - cas: { key: x, expected: null, value: ${++value}, to: ${at}, background: true }`, `      - wait: ${pick([100, 3000, 6000])}ms`, `      - cas: { key: x, expected: null, value: ${++value}, to: ${pick(nodes.filter((n) => n !== at))}, background: true }`];
    }
  };
  // Each breaking fault of the budget, the goal's operations right after it, a wait, and now and
  // then an undoing (free); the faults' kinds, targets and the waits are drawn.
  for (let fault = 0; fault < c.budget.faults && up().length > 1; fault++) {
    const target = up().includes('n1') && random() < 0.5 ? 'n1' : pick(up());
    const other = pick(nodes.filter((n) => n !== target));
    const kind = pick(['isolate', 'isolate', 'crash', 'crash', 'pause', 'cut', 'link', 'network'] as const);
    if (kind === 'crash') down.add(target);
    if (kind === 'pause') paused.add(target);
    lines.push(
      kind === 'isolate' || kind === 'crash' || kind === 'pause'
        ? `      - ${kind}: ${target}`
        : kind === 'cut'
          ? `      - cut: [${target}, ${other}]`
          : kind === 'link'
            ? `      - link: { from: ${target}, to: ${other}, delayMs: ${pick([500, 2000, 5000])} }`
            : `      - network: { delayMs: ${pick([200, 1000, 3000])} }`,
    );
    lines.push(`      - wait: ${pick([5, 100, 500])}ms`, ...operation(), `      - wait: ${pick([5, 100, 1000, 4000, 7000])}ms`);
    if (random() < 0.2 && (down.size > 0 || paused.size > 0)) {
      const back = pick([...down, ...paused]);
      lines.push(`      - ${down.has(back) ? 'restart' : 'resume'}: ${back}`, ...operation());
      down.delete(back);
      paused.delete(back);
    } else if (random() < 0.1) lines.push('      - heal', ...operation());
  }
  // From 4 s on: every configuration has its primary or leader by then.
  return `  - at: 4s\n    do:\n${lines.join('\n')}\n      - wait: 8s\n`;
}
