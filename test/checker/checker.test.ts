import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkOperations, HistoryBuilder, HistoryError, IncrementalChecker, parseHistory, type ModelName, type Operation } from '../../src/main/checker/index.ts';
import { searchRegister, stepRegister, type SearchResult } from '../../src/main/checker/wgl.ts';
import { generateHistory, injectAnomaly, toJsonLines } from '../../src/main/checker/generate.ts';
import { createRng } from '../../src/shared/rng.ts';
import type { HistoryEvent, KvScalar } from '../../src/shared/history.ts';

type E = Partial<HistoryEvent> & Pick<HistoryEvent, 'process' | 'type' | 'f'>;
const lines = (...events: E[]): string => events.map((e) => JSON.stringify({ key: 'x', value: null, ...e })).join('\n');
const verdict = (text: string, model: ModelName = 'kv'): string => checkOperations(parseHistory(text, model).operations).linearizable;

const w = (p: number, v: KvScalar): E[] => [
  { process: p, type: 'invoke', f: 'write', value: v },
  { process: p, type: 'ok', f: 'write', value: v },
];
const r = (p: number, v: KvScalar): E[] => [
  { process: p, type: 'invoke', f: 'read' },
  { process: p, type: 'ok', f: 'read', value: v },
];

describe('hand-made histories', () => {
  it('a stale read is caught', () => {
    expect(verdict(lines(...w(1, 1), ...w(1, 2), ...r(2, 1)))).toBe('false');
  });
  it('a lost write is caught', () => {
    expect(verdict(lines(...w(1, 1), ...w(2, 2), ...r(3, 1), ...r(3, 1)))).toBe('false');
  });
  it('a read of a value never written is caught', () => {
    expect(verdict(lines(...w(1, 1), ...r(2, 7)))).toBe('false');
  });
  it('a cas that succeeds against the wrong value is caught', () => {
    const history = lines(...w(1, 1), { process: 2, type: 'invoke', f: 'cas', value: [5, 6] }, { process: 2, type: 'ok', f: 'cas', value: [5, 6] }, ...r(1, 6));
    expect(verdict(history)).toBe('false');
    expect(verdict(history.replace(/\[5,6\]/g, '[1,6]'))).toBe('true');
  });
  it('two concurrent writes are legal in either order', () => {
    const both = (seen: number) =>
      lines(
        { process: 1, type: 'invoke', f: 'write', value: 1 },
        { process: 2, type: 'invoke', f: 'write', value: 2 },
        { process: 1, type: 'ok', f: 'write', value: 1 },
        { process: 2, type: 'ok', f: 'write', value: 2 },
        ...r(3, seen),
        ...r(3, seen),
      );
    expect(verdict(both(1))).toBe('true');
    expect(verdict(both(2))).toBe('true');
  });
  it('an info write whose value shows up later is legal', () => {
    expect(verdict(lines({ process: 1, type: 'invoke', f: 'write', value: 3 }, { process: 1, type: 'info', f: 'write', value: 3 }, ...r(2, null), ...r(2, 3)))).toBe('true');
  });
  it('an info write that never shows up is legal, and so is an invoke never completed', () => {
    expect(verdict(lines(...w(1, 1), { process: 2, type: 'invoke', f: 'write', value: 9 }, { process: 2, type: 'info', f: 'write', value: 9 }, ...r(3, 1)))).toBe('true');
    expect(verdict(lines(...w(1, 1), { process: 2, type: 'invoke', f: 'write', value: 9 }, ...r(3, 1)))).toBe('true');
  });
  it('a failed operation certainly did not happen', () => {
    expect(verdict(lines({ process: 1, type: 'invoke', f: 'write', value: 4 }, { process: 1, type: 'fail', f: 'write' }, ...r(2, 4)))).toBe('false');
  });
  it('append and delete follow the kv model', () => {
    const h = lines({ process: 1, type: 'invoke', f: 'append', value: 'a' }, { process: 1, type: 'ok', f: 'append', value: 'a' }, { process: 1, type: 'invoke', f: 'append', value: 'b' }, { process: 1, type: 'ok', f: 'append', value: 'b' }, ...r(2, 'ab'), { process: 2, type: 'invoke', f: 'delete' }, { process: 2, type: 'ok', f: 'delete' }, ...r(2, null));
    expect(verdict(h)).toBe('true');
    expect(verdict(h.replace('"value":"ab"', '"value":"ba"'))).toBe('false');
  });
  it('explains a violation with the key, the longest legal prefix and what cannot come next', () => {
    const parsed = parseHistory(lines(...w(1, 1), ...w(1, 2), ...r(2, 1)), 'kv');
    const result = checkOperations(parsed.operations);
    expect(result.explanation?.key).toBe('x');
    expect(result.explanation?.longestPrefix).toEqual([0, 1]);
    expect(result.explanation?.cannotPlace).toEqual([2]);
    expect(result.explanation?.processes.map((p) => p.process)).toEqual([1, 2]);
  });
  it('uses time when given instead of file order', () => {
    const h = [
      { process: 2, type: 'invoke', f: 'read', key: 'x', value: null, time: 50 },
      { process: 2, type: 'ok', f: 'read', key: 'x', value: 1, time: 60 },
      { process: 1, type: 'invoke', f: 'write', key: 'x', value: 1, time: 10 },
      { process: 1, type: 'ok', f: 'write', key: 'x', value: 1, time: 20 },
    ];
    expect(verdict(h.map((e) => JSON.stringify(e)).join('\n'))).toBe('true');
  });
});

describe('malformed input names the line', () => {
  const cases: Array<[string, RegExp]> = [
    ['{"process": 1, "type": "invoke", "f": "write", "key": "x", "value": 1}\n{not json', /line 2: bad JSON/],
    ['{"process": 1, "type": "invoke", "f": "increment", "key": "x", "value": 1}', /line 1: unknown "f"/],
    ['{"process": 1, "type": "invoke", "f": "write", "key": "x", "value": 1}\n{"process": 1, "type": "invoke", "f": "write", "key": "x", "value": 2}', /line 2: process 1 invokes again/],
    ['{"process": 1, "type": "ok", "f": "write", "key": "x", "value": 1}', /line 1: ok for process 1 with no open invoke/],
  ];
  for (const [text, message] of cases) {
    it(String(message), () => {
      expect(() => parseHistory(text, 'kv')).toThrow(HistoryError);
      expect(() => parseHistory(text, 'kv')).toThrow(message);
    });
  }
});

/** Tries every order of the operations that respects real time: the reference for small histories. */
function bruteForce(ops: Operation[]): boolean {
  const byKey = new Map<string, Operation[]>();
  for (const op of ops) byKey.set(op.key, [...(byKey.get(op.key) ?? []), op]);
  for (const keyOps of byKey.values()) {
    const used = new Array<boolean>(keyOps.length).fill(false);
    const required = keyOps.filter((o) => !o.indefinite).length;
    const search = (state: KvScalar, placedRequired: number): boolean => {
      if (placedRequired === required) return true;
      for (let i = 0; i < keyOps.length; i++) {
        if (used[i]) continue;
        const op = keyOps[i] as Operation;
        // Real time: nothing unplaced may have returned before this op was called.
        if (keyOps.some((other, j) => !used[j] && j !== i && other.end < op.start)) continue;
        const next = stepRegister(state, op);
        if (next === undefined) continue;
        used[i] = true;
        const ok = search(next, placedRequired + (op.indefinite ? 0 : 1));
        used[i] = false;
        if (ok) return true;
      }
      return false;
    };
    if (!search(null, 0)) return false;
  }
  return true;
}

describe('generated histories', () => {
  it('agree with a brute-force checker on small histories, linearizable and broken alike', () => {
    let broken = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const rng = createRng(seed);
      const events = generateHistory(rng, { processes: 3, operations: 7, keys: 2, mix: { read: 3, write: 2, cas: 2, append: 1, delete: 1 }, infoRate: 0.15 });
      if (seed % 2 === 0 && injectAnomaly(rng, events)) broken++;
      const ops = parseHistory(toJsonLines(events), 'kv').operations;
      const fast = checkOperations(ops).linearizable;
      expect(fast, `seed ${seed}`).toBe(bruteForce(ops) ? 'true' : 'false');
    }
    expect(broken).toBeGreaterThan(100);
  });

  it('are linearizable by construction and stop being so with one injected anomaly', () => {
    for (let seed = 1; seed <= 40; seed++) {
      const rng = createRng(seed);
      const events = generateHistory(rng, { processes: 5, operations: 200, keys: 3, mix: { read: 4, write: 3, cas: 2, append: 1 }, infoRate: 0.1 });
      expect(verdict(toJsonLines(events)), `seed ${seed}`).toBe('true');
      injectAnomaly(rng, events);
      expect(verdict(toJsonLines(events)), `seed ${seed} with an anomaly`).toBe('false');
    }
  });

  it('keep long histories linear: the same verdict and longest legal order with either layout of the search cache', () => {
    // Thousands of operations on one key: what a session of minutes gives the live checker.
    const search = (ops: readonly Operation[], sets: 'dense' | 'sparse'): SearchResult => searchRegister(ops, { now: () => 0, deadline: Infinity, sets });
    for (let seed = 1; seed <= 6; seed++) {
      const rng = createRng(seed);
      const events = generateHistory(rng, { processes: 6, operations: 5000, keys: 1, mix: { read: 3, write: 2, cas: 4 }, infoRate: seed % 2 === 0 ? 0.01 : 0, register: true });
      if (seed > 3) injectAnomaly(rng, events);
      const ops = parseHistory(toJsonLines(events), 'register').operations;
      const dense = search(ops, 'dense');
      const sparse = search(ops, 'sparse');
      expect(sparse.verdict, `seed ${seed}`).toBe(seed > 3 ? 'not_linearizable' : 'linearizable');
      expect(dense.verdict).toBe(sparse.verdict);
      expect(sparse.longestPrefix).toEqual(dense.longestPrefix);
      expect(sparse.iterations).toBe(dense.iterations);
      // The longest order is legal: each step fits the register, none goes against real time, and
      // it ends in the state reported.
      let state: KvScalar = null;
      sparse.longestPrefix.forEach((index, position) => {
        const op = ops[index] as Operation;
        const next = stepRegister(state, op);
        expect(next, `seed ${seed}: step ${position} of the longest order`).not.toBe(undefined);
        state = next as KvScalar;
        const later = sparse.longestPrefix.slice(position + 1).find((j) => (ops[j] as Operation).end < op.start);
        expect(later, `seed ${seed}: an operation ordered after ${index} ended before it began`).toBe(undefined);
      });
      expect(state).toBe(sparse.stateAfterPrefix);
      if (sparse.verdict === 'linearizable') expect(sparse.longestPrefix.length).toBe(ops.filter((op) => op.end !== Number.POSITIVE_INFINITY).length + sparse.longestPrefix.filter((i) => (ops[i] as Operation).end === Number.POSITIVE_INFINITY).length);
    }
  });

  it('answer unknown, not a guess, when the time budget runs out', () => {
    const events = generateHistory(createRng(3), { processes: 20, operations: 2000, keys: 1, mix: { read: 1, write: 1, cas: 3 }, infoRate: 0.3, register: true });
    let clock = 0;
    const result = checkOperations(parseHistory(toJsonLines(events), 'register').operations, { timeoutMs: 5, now: () => (clock += 1) });
    expect(result.linearizable).toBe('unknown');
  });
});

describe('incremental checking', () => {
  it('counts a write still open as possibly done, so a read that saw it is no violation', () => {
    const checker = new IncrementalChecker('kv');
    checker.add({ process: 1, type: 'invoke', f: 'write', key: 'x', value: 5 });
    checker.add({ process: 2, type: 'invoke', f: 'read', key: 'x', value: null });
    checker.add({ process: 2, type: 'ok', f: 'read', key: 'x', value: 5 });
    expect(checker.check().linearizable).toBe('true');
  });

  it('flags a violation as soon as the event that causes it arrives', () => {
    const checker = new IncrementalChecker('kv');
    const events = generateHistory(createRng(9), { processes: 4, operations: 100, keys: 2, mix: { read: 3, write: 3 }, infoRate: 0 });
    for (const e of events) checker.add(e);
    expect(checker.check().linearizable).toBe('true');
    checker.add({ process: 99, type: 'invoke', f: 'read', key: 'k0', value: null, time: 1e9 });
    checker.add({ process: 99, type: 'ok', f: 'read', key: 'k0', value: 'never-written', time: 1e9 + 1 });
    const result = checker.check();
    expect(result.linearizable).toBe('false');
    expect(result.explanation?.key).toBe('k0');
  });

  it('cuts histories at quiescent points and still agrees with a search over the whole history at every moment', () => {
    let settled = 0;
    let settledWithInfo = 0;
    let violations = 0;
    for (let seed = 1; seed <= 90; seed++) {
      const rng = createRng(seed);
      // Info operations go on across cuts: a third of the histories have none, the rest some or many.
      const infoRate = [0, 0.05, 0.2][seed % 3] as number;
      const events = generateHistory(rng, { processes: 2 + (seed % 4), operations: 120 + rng.int(0, 200), keys: 1 + (seed % 2), mix: { read: 4, write: 3, cas: 2, append: 1, delete: 1 }, infoRate });
      if (seed % 2 === 0) injectAnomaly(rng, events);
      const live = new IncrementalChecker('kv', { settleAfter: 3 });
      const reference = new HistoryBuilder('kv');
      let line = 0;
      let nextCheck = rng.int(1, 30);
      for (let i = 0; i < events.length; i++) {
        live.add(events[i]);
        reference.add(events[i], ++line);
        if (i + 1 !== nextCheck && i + 1 !== events.length) continue;
        nextCheck += rng.int(1, 30);
        const whole = checkOperations([...reference.operations, ...reference.openAsIndefinite()]).linearizable;
        expect(live.check().linearizable, `seed ${seed}, after event ${i + 1}`).toBe(whole);
      }
      settled += live.settledOperations;
      if (infoRate > 0) settledWithInfo += live.settledOperations;
      if (live.check().linearizable === 'false') violations++;
    }
    // The cuts were taken, past info operations too, and both verdicts were met often.
    expect(settled).toBeGreaterThan(3000);
    expect(settledWithInfo).toBeGreaterThan(2000);
    expect(violations).toBeGreaterThan(20);
    expect(violations).toBeLessThan(90);
  });

  it('carries every unplaced info operation across a cut, for each way of reaching a value', () => {
    const live = new IncrementalChecker('kv', { settleAfter: 1 });
    const op = (process: number, f: 'read' | 'write' | 'cas', value: unknown, start: number, end: number | 'info', result?: unknown): void => {
      live.add({ process, type: 'invoke', f, key: 'x', value, time: start });
      if (end === 'info') live.add({ process, type: 'info', f, key: 'x', value, time: start + 1 });
      else live.add({ process, type: 'ok', f, key: 'x', value: f === 'read' ? result : value, time: end });
    };
    // Before the cut, 5 is reached by the info write (the info cas still pending) or by the info
    // cas from 3 (the info write still pending).
    op(1, 'write', 3, 1, 2);
    op(2, 'write', 5, 3, 'info');
    op(3, 'cas', [3, 5], 5, 'info');
    op(4, 'read', null, 7, 8, 5);
    live.add({ process: 1, type: 'invoke', f: 'write', key: 'x', value: 4, time: 20 });
    expect(live.check().linearizable).toBe('true');
    expect(live.settledOperations).toBe(4);
    // After it, only the pending write can bring 5 back over a 4.
    live.add({ process: 1, type: 'ok', f: 'write', key: 'x', value: 4, time: 21 });
    op(4, 'read', null, 22, 23, 5);
    expect(live.check().linearizable).toBe('true');
  });

  it('does not cut between operations that touch in time: they are concurrent', () => {
    const live = new IncrementalChecker('kv', { settleAfter: 1 });
    // The read begins the instant the write returns, so it may come first and see nothing.
    live.add({ process: 1, type: 'invoke', f: 'write', key: 'x', value: 1, time: 1 });
    live.add({ process: 1, type: 'ok', f: 'write', key: 'x', value: 1, time: 5 });
    live.add({ process: 2, type: 'invoke', f: 'read', key: 'x', value: null, time: 5 });
    expect(live.check().linearizable).toBe('true');
    live.add({ process: 2, type: 'ok', f: 'read', key: 'x', value: null, time: 8 });
    live.add({ process: 3, type: 'invoke', f: 'read', key: 'y', value: null, time: 9 });
    expect(live.check().linearizable).toBe('true');
  });

  it('takes at most the share of a busy thread it is given: a check that took t waits t / share', () => {
    const checker = new IncrementalChecker('kv');
    let clock = 0;
    // Every reading of this clock moves it 10 ms on: the first check reads 10 as it starts and 20
    // as it ends (no time budget, no reading in between), so it cost 10 ms and is due again at 110.
    const now = (): number => (clock += 10);
    for (const e of generateHistory(createRng(4), { processes: 3, operations: 50, keys: 1, mix: { read: 1, write: 1 }, infoRate: 0 })) checker.add(e);
    const first = checker.checkAtMost(0.1, { now });
    expect(first.linearizable).toBe('true');
    // A read of a value never written arrives; until the check is due again, the last verdict stands.
    checker.add({ process: 9, type: 'invoke', f: 'read', key: 'k0', value: null, time: 1e12 });
    checker.add({ process: 9, type: 'ok', f: 'read', key: 'k0', value: 'never-written', time: 1e12 + 1 });
    clock = 90; // reads 100
    expect(checker.checkAtMost(0.1, { now })).toBe(first);
    clock = 100; // reads 110
    expect(checker.checkAtMost(0.1, { now }).linearizable).toBe('false');
  });
});

describe('consensus-playground check', () => {
  const bin = join(import.meta.dirname, '..', '..', 'src', 'main', 'cli', 'consensus-playground.mjs');
  const fixtures = join(import.meta.dirname, 'fixtures');
  const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'check', ...args], { encoding: 'utf8' });

  it('prints one line per file and exits 0 when all are linearizable', () => {
    const result = run('--model', 'kv', join(fixtures, 'concurrent-writes.jsonl'));
    expect(result.status).toBe(0);
    expect(result.stdout).toMatch(/^.*concurrent-writes\.jsonl: linearizable: true, ops: 3, keys: 1, ms: \d+\n$/);
  });

  it('explains a violation and exits 1, checking every file in one call', () => {
    const result = run('--model', 'kv', join(fixtures, 'concurrent-writes.jsonl'), join(fixtures, 'stale-read.jsonl'));
    expect(result.status).toBe(1);
    expect(result.stdout).toMatch(/stale-read\.jsonl: linearizable: false, ops: 3, keys: 1, ms: \d+/);
    expect(result.stdout).toContain('none of these can come next');
    expect(result.stdout).toContain('read x -> 1 (line 5)');
  });

  it('exits 2 on malformed input, naming the line, and still checks the other files', () => {
    const result = run('--model', 'kv', join(fixtures, 'bad-two-invokes.jsonl'), join(fixtures, 'concurrent-writes.jsonl'));
    expect(result.status).toBe(2);
    expect(result.stdout).toContain('bad-two-invokes.jsonl: error: line 2: process 1 invokes again');
    expect(result.stdout).toContain('concurrent-writes.jsonl: linearizable: true');
  });

  it('exits 3 when the search runs out of time', () => {
    const dir = mkdtempSync(join(tmpdir(), 'check-'));
    const file = join(dir, 'hard.jsonl');
    writeFileSync(file, toJsonLines(generateHistory(createRng(3), { processes: 30, operations: 6000, keys: 1, mix: { read: 1, write: 1, cas: 3 }, infoRate: 0.3, register: true })));
    const result = run('--model', 'register', '--timeout', '1ms', file);
    expect(result.status).toBe(3);
    expect(result.stdout).toContain('linearizable: unknown');
  });

  it('reads standard input and prints JSON', () => {
    const text = lines(...w(1, 1), ...r(2, 1));
    const result = spawnSync(process.execPath, [bin, 'check', '--model', 'kv', '--json', '-'], { input: text, encoding: 'utf8' });
    expect(result.status).toBe(0);
    expect(JSON.parse(result.stdout)).toMatchObject({ file: '-', linearizable: 'true', ops: 2, keys: 1 });
  });

  it('rejects a missing model with exit 2', () => {
    expect(run(join(fixtures, 'stale-read.jsonl')).status).toBe(2);
  });
});
