// Challenges in the window's service: the budget counts every fault by hand and refuses those past
// it (undoing stays free), an attempt on the live cluster is won through the same fault and client
// methods the window calls, history goals are declared won as they happen, the time limit judges,
// and the best scores survive in challenges.json, which a damaged or hostile file cannot break.

import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ChallengeView } from '../../src/shared/bridge.ts';
import { dispatch } from '../../src/main/app/api.ts';
import { PlaygroundService } from '../../src/main/app/service.ts';
import { ScoreBook, SCORES_FILE } from '../../src/main/app/challenges.ts';

const root = mkdtempSync(join(tmpdir(), 'challenges-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));
let dirs = 0;
const freshDir = (): string => join(root, `d${++dirs}`);

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
async function until(what: string, holds: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!holds()) {
    if (Date.now() > deadline) throw new Error(`waited ${ms} ms for ${what}`);
    await sleep(20);
  }
}

function leaderOf(service: PlaygroundService): string | null {
  return service.state().nodes.find((n) => n.state === 'up' && n.status?.role === 'leader')?.id ?? null;
}

async function call<T>(service: PlaygroundService, method: string, ...args: unknown[]): Promise<T> {
  const result = await dispatch(service, method, args);
  if (!result.ok) throw new Error(result.error);
  return result.value as T;
}

async function refused(service: PlaygroundService, method: string, ...args: unknown[]): Promise<string> {
  const result = await dispatch(service, method, args);
  expect(result.ok, `${method} should be refused`).toBe(false);
  return (result as { error: string }).error;
}

describe('challenges in the window', () => {
  it('lists the challenges with their configurations and no best score yet', async () => {
    const service = new PlaygroundService(freshDir());
    try {
      const list = await call<{ challenges: Array<{ id: string; configurations: Array<{ name: string; best: unknown }> }>; problem: string | null }>(service, 'listChallenges');
      expect(list.problem).toBeNull();
      expect(list.challenges.map((c) => c.id)).toEqual(['lose-acknowledged-write', 'read-a-stale-value', 'two-values-chosen']);
      expect(list.challenges.every((c) => c.configurations.length >= 2 && c.configurations.every((k) => k.best === null))).toBe(true);
      expect(await refused(service, 'startChallenge', 'win-everything', 0)).toMatch(/no challenge "win-everything"/);
      expect(await refused(service, 'startChallenge', 'read-a-stale-value', 9)).toMatch(/has 4 configurations, numbered from 0: not 9/);
      expect(await refused(service, 'startChallenge', 'read-a-stale-value', -1)).toMatch(/invalid startChallenge/);
      expect(await refused(service, 'judgeChallenge')).toMatch(/no challenge is being played/);
    } finally {
      await service.close();
    }
  });

  it('counts breaking faults by hand, refuses those past the budget, and leaves undoing free', async () => {
    const service = new PlaygroundService(freshDir());
    try {
      // Leaderless quorums, R = W = 1: a budget of 2 faults.
      const started = await call<ChallengeView>(service, 'startChallenge', 'read-a-stale-value', 0);
      expect(started).toMatchObject({ status: 'playing', budget: { faults: 2 }, faults: [], configurationName: 'Leaderless quorums, R = W = 1' });
      expect(service.state().workload).toMatchObject({ rate: 5, clients: 2, keys: 2 });
      await call(service, 'cutLink', 'n1', 'n2', true);
      await call(service, 'healLink', 'n1', 'n2', true);
      await call(service, 'skewClock', 'n3', 0, 0);
      await call(service, 'setLinkRule', 'n1', 'n3', null);
      expect((await call<ChallengeView>(service, 'challengeState')).faults).toEqual(['cut n1->n2']);
      // A fault that could not be done is not counted.
      await refused(service, 'nodeAction', 'n2', 'restart');
      await call(service, 'nodeAction', 'n2', 'kill');
      expect(await refused(service, 'partition', [['n1'], ['n3']])).toMatch(/budget is spent \(2 of 2 faults\): partition \(n1\) \(n3\) is not done\. Undoing is free/);
      expect(await refused(service, 'setLinkRule', null, null, { delayMs: 500 })).toMatch(/budget is spent/);
      expect(await refused(service, 'skewClock', 'n1', 1000, 0)).toMatch(/budget is spent/);
      // Undoing is free, past the budget too.
      await call(service, 'nodeAction', 'n2', 'restart');
      await call(service, 'heal');
      expect((await call<ChallengeView>(service, 'challengeState')).faults).toEqual(['cut n1->n2', 'crash n2']);
      // Leaving the challenge leaves the cluster running, free of any budget.
      expect(await call(service, 'leaveChallenge')).toBeNull();
      expect(await call(service, 'challengeState')).toBeNull();
      await call(service, 'partition', [['n1'], ['n2', 'n3']]);
      expect(service.state().nodes).toHaveLength(3);
    } finally {
      await service.close();
    }
  });

  it('is won through the window\'s own fault and client methods: an acknowledged write lost, live; the best score kept', async () => {
    const dir = freshDir();
    const service = new PlaygroundService(dir);
    try {
      // Primary-backup with asynchronous acks.
      await call(service, 'startChallenge', 'lose-acknowledged-write', 0);
      await until('a primary', () => leaderOf(service) !== null);
      const primary = leaderOf(service) as string;
      const others = service.state().nodes.map((n) => n.id).filter((id) => id !== primary);
      await call(service, 'partition', [[primary], others]);
      expect(await call(service, 'clientOperation', primary, { f: 'write', key: 'x', value: 1 }, 2000)).toMatchObject({ type: 'ok' });
      await call(service, 'nodeAction', primary, 'kill');
      await until('a new primary', () => leaderOf(service) !== null && leaderOf(service) !== primary);
      const judged = await call<ChallengeView>(service, 'judgeChallenge');
      expect(judged.status, JSON.stringify(judged.verdict)).toBe('won');
      expect(judged.verdict).toMatchObject({ won: true, newBest: true, correct: false, score: { faults: 2 }, witness: { anomaly: 'lost write' } });
      expect(judged.verdict?.text).toMatch(/acknowledged writes? lost \(.*of key "x"/);
      expect(judged.verdict?.witness?.operations).toContainEqual(expect.stringMatching(/write x 1$/));
      expect(judged.best).toMatchObject({ faults: 2 });
      // Judged once; the cluster runs on, every node up, and faults are no longer counted.
      expect(service.state().nodes.every((n) => n.state === 'up')).toBe(true);
      await call(service, 'nodeAction', primary, 'pause');
      expect((await call<ChallengeView>(service, 'challengeState')).faults).toHaveLength(2);
      const kept = JSON.parse(readFileSync(join(dir, SCORES_FILE), 'utf8')) as { version: number; best: Record<string, Record<string, { faults: number }>> };
      expect(kept.best['lose-acknowledged-write']?.['Primary-backup, asynchronous acks']).toMatchObject({ faults: 2 });
      const list = await call<{ challenges: Array<{ id: string; configurations: Array<{ best: unknown }> }> }>(service, 'listChallenges');
      expect(list.challenges[0]?.configurations[0]?.best).toMatchObject({ faults: 2, timeMs: judged.verdict?.score.timeMs });
    } finally {
      await service.close();
    }
    // Another app, the same data folder: the best score is still there.
    expect(new ScoreBook(dir).get('lose-acknowledged-write', 'Primary-backup, asynchronous acks')).toMatchObject({ faults: 2 });
  }, 30_000);

  it('declares a goal the history decides won as it happens, without judging', async () => {
    const service = new PlaygroundService(freshDir());
    try {
      await call(service, 'startChallenge', 'read-a-stale-value', 0);
      await call(service, 'setLinkRule', null, null, { delayMs: 1000 });
      expect(await call(service, 'clientOperation', 'n1', { f: 'write', key: 'x', value: 1 }, 3000)).toMatchObject({ type: 'ok' });
      expect(await call(service, 'clientOperation', 'n2', { f: 'read', key: 'x' }, 3000)).toMatchObject({ type: 'ok', value: null });
      await until('the stale read to be judged', () => service.challengeState()?.status === 'won', 5000);
      expect(service.challengeState()?.verdict).toMatchObject({ won: true, witness: { anomaly: 'stale read' }, score: { faults: 1 } });
    } finally {
      await service.close();
    }
  });

  it('judges when the time runs out, says when a configuration is correct, then leaves the cluster to free play', async () => {
    const library = join(root, 'short');
    mkdirSync(library, { recursive: true });
    writeFileSync(
      join(library, 'quick.yaml'),
      'title: Quick\nsummary: Two seconds.\ngoal: stale-read\nbudget: { faults: 1, time: 2s }\ncluster: { nodes: 3, seed: 1 }\nconfigurations:\n  - { name: ReadIndex, algorithm: raft, winnable: false }\n  - { name: R1, algorithm: leaderless, options: { r: 1, w: 1 }, winnable: true }\n',
    );
    const service = new PlaygroundService(freshDir(), { challengesDir: library });
    try {
      await call(service, 'startChallenge', 'quick', 0);
      expect(service.state().workload).toBeNull();
      await until('the time to run out', () => service.challengeState()?.status === 'not won', 6000);
      expect(service.challengeState()).toMatchObject({ elapsedMs: 2000, verdict: { won: false, correct: true, newBest: false } });
      // Judged, the cluster is free play: faults are no longer counted nor refused.
      await call(service, 'nodeAction', 'n1', 'kill');
      expect(service.challengeState()?.faults).toEqual([]);
      // A new cluster leaves the challenge.
      await call(service, 'newCluster', { algorithm: 'raft', options: {}, nodes: 3, seed: 1, sync: 'normal', networkDelayMs: 1, speed: 1 });
      expect(service.challengeState()).toBeNull();
    } finally {
      await service.close();
    }
  });
});

describe('the best scores file', () => {
  const badFiles: Array<[string, string | null, RegExp]> = [
    ['not JSON', '{"version": 1, "best": ', /it is not JSON/],
    ['another shape', '[1, 2, 3]', /not a scores file of this app/],
    ['a score that is not one', '{"version":1,"best":{"a":{"b":{"faults":-1,"timeMs":5,"at":"x"}}}}', /the score of "a", "b" is not a score/],
    ['a folder', null, /not a regular file/],
  ];
  for (const [what, content, why] of badFiles) {
    it(`sets ${what} aside with a message and starts over`, async () => {
      const dir = freshDir();
      mkdirSync(dir, { recursive: true });
      if (content === null) mkdirSync(join(dir, SCORES_FILE));
      else writeFileSync(join(dir, SCORES_FILE), content);
      const service = new PlaygroundService(dir);
      try {
        const list = await call<{ problem: string | null; challenges: Array<{ configurations: Array<{ best: unknown }> }> }>(service, 'listChallenges');
        expect(list.problem).toMatch(why);
        expect(list.problem).toMatch(/they start over/);
        expect(list.challenges.flatMap((c) => c.configurations).every((k) => k.best === null)).toBe(true);
        expect(existsSync(join(dir, `${SCORES_FILE}.unreadable`))).toBe(true);
      } finally {
        await service.close();
      }
    });
  }

  it('reads a hostile file without letting its keys become anything', () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, SCORES_FILE), '{"version":1,"best":{"__proto__":{"polluted":{"faults":1,"timeMs":1,"at":"x"}},"constructor":{"prototype":{"faults":0,"timeMs":0,"at":"y"}}}}');
    const book = new ScoreBook(dir);
    expect(book.problem).toBeNull();
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(book.get('__proto__', 'polluted')).toMatchObject({ faults: 1 });
    // Saving writes it back as data, and it reads back the same.
    expect(book.record('__proto__', 'polluted', { faults: 0, timeMs: 1 })).toBe(true);
    expect(new ScoreBook(dir).get('__proto__', 'polluted')).toMatchObject({ faults: 0 });
    expect(new ScoreBook(dir).get('constructor', 'prototype')).toMatchObject({ faults: 0, at: 'y' });
    // A huge file is not read at all.
    writeFileSync(join(dir, SCORES_FILE), ' '.repeat(2 << 20));
    expect(new ScoreBook(dir).problem).toMatch(/more than the app ever writes/);
  });

  it('keeps only a better score: fewer faults, then faster', () => {
    const dir = freshDir();
    mkdirSync(dir, { recursive: true });
    const book = new ScoreBook(dir);
    expect(book.record('c', 'k', { faults: 2, timeMs: 5000 })).toBe(true);
    expect(book.record('c', 'k', { faults: 2, timeMs: 6000 })).toBe(false);
    expect(book.record('c', 'k', { faults: 1, timeMs: 9000 })).toBe(true);
    expect(book.get('c', 'k')).toMatchObject({ faults: 1, timeMs: 9000 });
  });
});
