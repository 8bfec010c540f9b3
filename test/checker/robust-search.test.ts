// The linearizability search on the histories weak designs produce: many operations of unknown
// outcome, few keys, often not linearizable. It must name a violation one key shows at once even
// when another key's search is long, take out what no read can have seen without changing any
// verdict, and stay within its memory: past the budget, 'unknown', never a crash.
import { describe, expect, it } from 'vitest';
import { checkOperations, parseHistory, type Operation } from '../../src/main/checker/index.ts';
import { withInfoSettled, withoutUnobservedInfo } from '../../src/main/checker/unobserved.ts';
import { searchRegister, stepRegister } from '../../src/main/checker/wgl.ts';
import { createRng, type Rng } from '../../src/shared/rng.ts';
import type { HistoryEvent, KvScalar, OpFunction } from '../../src/shared/history.ts';

type Event = Pick<HistoryEvent, 'process' | 'type' | 'f'> & { key: string; value: HistoryEvent['value'] };
const jsonl = (events: Event[]): string => events.map((e) => JSON.stringify(e)).join('\n');

/**
 * A key whose search is long, and not linearizable: `2k` concurrent writes of unknown outcome,
 * each of the values 1..k written twice (so no read tells which of the two took effect), reads of
 * 1..k one after the other, then a read of a value never written. Every subset of the writes is
 * tried with every value before the search can say no.
 */
function slowKey(key: string, k: number, firstProcess: number): Event[] {
  const events: Event[] = [];
  const writers = Array.from({ length: 2 * k }, (_, i) => ({ process: firstProcess + i, value: (i % k) + 1 }));
  for (const w of writers) events.push({ process: w.process, type: 'invoke', f: 'write', key, value: w.value });
  for (const w of writers) events.push({ process: w.process, type: 'info', f: 'write', key, value: w.value });
  const reader = firstProcess + 2 * k;
  for (const value of [...Array.from({ length: k }, (_, i) => i + 1), 'never written']) events.push({ process: reader, type: 'invoke', f: 'read', key, value: null }, { process: reader, type: 'ok', f: 'read', key, value });
  return events;
}

/**
 * A key that is plainly not linearizable, after a few thousand sequential writes (so that its
 * search takes more steps than a budget check's interval): a write acknowledged, then a read of
 * something else.
 */
function staleKey(key: string, process: number): Event[] {
  const events: Event[] = [];
  for (let v = 1; v <= 3000; v++) events.push({ process, type: 'invoke', f: 'write', key, value: v }, { process, type: 'ok', f: 'write', key, value: v });
  events.push({ process, type: 'invoke', f: 'read', key, value: null }, { process, type: 'ok', f: 'read', key, value: 1 });
  return events;
}

/** Two writes at once and a read of either: linearizable in a few steps. */
function concurrentKey(key: string): Event[] {
  return [
    { process: 200, type: 'invoke', f: 'write', key, value: 1 },
    { process: 201, type: 'invoke', f: 'write', key, value: 2 },
    { process: 200, type: 'ok', f: 'write', key, value: 1 },
    { process: 201, type: 'ok', f: 'write', key, value: 2 },
    { process: 202, type: 'invoke', f: 'read', key, value: null },
    { process: 202, type: 'ok', f: 'read', key, value: 1 },
  ];
}

describe('a long search on one key', () => {
  it('does not hide a violation another key shows at once', () => {
    // The slow key sorts first. Searched one key after the other, it took the whole budget and
    // every key came out unknown; taking turns, the stale read is found in the first turn.
    const ops = parseHistory(jsonl([...slowKey('a', 8, 1), ...staleKey('z', 100)]), 'kv').operations;
    let clock = 0;
    const result = checkOperations(ops, { timeoutMs: 200, now: () => clock++ });
    expect(result.linearizable).toBe('false');
    expect(result.explanation?.key).toBe('z');
  });

  it('answers unknown once the memory budget is spent, naming the key, and checks the others', () => {
    const ops = parseHistory(jsonl([...slowKey('a', 10, 1), ...concurrentKey('b')]), 'kv').operations;
    const result = checkOperations(ops, { maxCacheBytes: 4 * 2 ** 20 });
    expect(result.linearizable).toBe('unknown');
    expect(result.unknownKeys).toEqual(['a']);
    // A smaller key of the same shape, with room enough, is decided: the budget, not the search, said unknown.
    const small = parseHistory(jsonl(slowKey('a', 4, 1)), 'kv').operations;
    expect(checkOperations(small, { maxCacheBytes: 4 * 2 ** 20 }).linearizable).toBe('false');
  });

  it('gives back the memory of a search that ended, so the next key has the whole budget', () => {
    const memory = { used: 0, max: Number.POSITIVE_INFINITY };
    const ops = parseHistory(jsonl(slowKey('a', 4, 1)), 'kv').operations;
    expect(searchRegister(ops, { now: () => 0, deadline: Number.POSITIVE_INFINITY, memory }).verdict).toBe('not_linearizable');
    expect(memory.used).toBe(0);
  });
});

/** Small random histories over few values, so that values repeat and reads are ambiguous. */
function smallHistory(rng: Rng): Event[] {
  const events: Event[] = [];
  const open = new Map<number, Event>();
  const fs: OpFunction[] = ['read', 'read', 'write', 'cas', 'append', 'delete'];
  const values: KvScalar[] = [1, 2, 'a', 'ab', null];
  const appendsOnly = rng.chance(0.4);
  for (let step = 0; step < 16; step++) {
    const process = rng.int(1, 4);
    const pending = open.get(process);
    if (pending === undefined) {
      const f = appendsOnly ? (rng.chance(0.5) ? 'read' : 'append') : (fs[rng.int(0, fs.length)] as OpFunction);
      const pick = (): KvScalar => values[rng.int(0, values.length)] as KvScalar;
      const value: Event['value'] = f === 'read' || f === 'delete' ? null : f === 'append' ? (rng.chance(0.5) ? 'a' : 'b') : f === 'cas' ? [pick(), pick()] : pick();
      const invoke: Event = { process, type: 'invoke', f, key: 'k', value };
      open.set(process, invoke);
      events.push(invoke);
    } else {
      open.delete(process);
      const outcome = rng.next();
      const type = outcome < 0.35 ? 'info' : outcome < 0.4 ? 'fail' : 'ok';
      const readValue = rng.chance(0.5) ? (values[rng.int(0, values.length)] as KvScalar) : ['a', 'b', 'ab', 'ba', 'aab'][rng.int(0, 5)];
      events.push({ ...pending, type, value: pending.f === 'read' && type === 'ok' ? (readValue as KvScalar) : pending.value });
    }
  }
  return events;
}

/**
 * Linearizable, straight from the definition: some order of the operations (those of unknown
 * outcome optional) fits real time and the register.
 */
function everyOrder(history: readonly Operation[]): boolean {
  const used = new Array<boolean>(history.length).fill(false);
  const required = history.filter((op) => !op.indefinite).length;
  const search = (state: KvScalar, placed: number): boolean => {
    if (placed === required) return true;
    for (let i = 0; i < history.length; i++) {
      const op = history[i] as Operation;
      if (used[i] || history.some((other, j) => !used[j] && j !== i && other.end < op.start)) continue;
      const next = stepRegister(state, op);
      if (next === undefined) continue;
      used[i] = true;
      const found = search(next, placed + (op.indefinite ? 0 : 1));
      used[i] = false;
      if (found) return true;
    }
    return false;
  };
  return search(null, 0);
}

describe('operations of unknown outcome that no read can have seen', () => {
  const ops = (events: Event[]): Operation[] => parseHistory(jsonl(events), 'kv').operations;

  it('are taken out: a write, cas or append whose value no read shows', () => {
    const history = ops([
      { process: 1, type: 'invoke', f: 'write', key: 'k', value: 1 },
      { process: 1, type: 'info', f: 'write', key: 'k', value: 1 },
      { process: 2, type: 'invoke', f: 'write', key: 'k', value: 2 },
      { process: 2, type: 'info', f: 'write', key: 'k', value: 2 },
      { process: 3, type: 'invoke', f: 'cas', key: 'k', value: [5, 3] },
      { process: 3, type: 'info', f: 'cas', key: 'k', value: [5, 3] },
      { process: 4, type: 'invoke', f: 'read', key: 'k', value: null },
      { process: 4, type: 'ok', f: 'read', key: 'k', value: 2 },
    ]);
    expect(withoutUnobservedInfo(history).map((op) => op.process)).toEqual([2, 4]);
  });

  it('are kept where they could matter: an append beside writes, a value a cas expects', () => {
    const history = ops([
      { process: 1, type: 'invoke', f: 'append', key: 'k', value: 'x' },
      { process: 1, type: 'info', f: 'append', key: 'k', value: 'x' },
      { process: 2, type: 'invoke', f: 'write', key: 'k', value: 'y' },
      { process: 2, type: 'info', f: 'write', key: 'k', value: 'y' },
      { process: 3, type: 'invoke', f: 'cas', key: 'k', value: ['y', 'z'] },
      { process: 3, type: 'ok', f: 'cas', key: 'k', value: ['y', 'z'] },
    ]);
    expect(withoutUnobservedInfo(history)).toHaveLength(3);
  });

  it('are kept and given the return of the read that must have seen them', () => {
    const history = ops([
      { process: 1, type: 'invoke', f: 'append', key: 'k', value: 'x,' },
      { process: 1, type: 'info', f: 'append', key: 'k', value: 'x,' },
      { process: 2, type: 'invoke', f: 'append', key: 'k', value: 'xx,' },
      { process: 2, type: 'info', f: 'append', key: 'k', value: 'xx,' },
      { process: 3, type: 'invoke', f: 'read', key: 'k', value: null },
      { process: 3, type: 'ok', f: 'read', key: 'k', value: 'xx,' },
      { process: 3, type: 'invoke', f: 'read', key: 'k', value: null },
      { process: 3, type: 'ok', f: 'read', key: 'k', value: 'xx,x,' },
    ]);
    const settled = withInfoSettled(history);
    // "xx," cannot be cut into "x," alone: its append took effect before the first read returned.
    expect(settled.find((op) => op.input === 'xx,')?.end).toBe(history[2]?.end);
    // "x," is seen only by the second read, which "xx," alone cannot explain either.
    expect(settled.find((op) => op.input === 'x,')?.end).toBe(history[3]?.end);
  });

  it('change no verdict: 500 small histories with repeated values, against the search over all of them and against every order', () => {
    let notLinearizable = 0;
    let prunedSome = 0;
    let settledSome = 0;
    for (let seed = 1; seed <= 500; seed++) {
      const history = ops(smallHistory(createRng(`unobserved-${seed}`)));
      const everything = searchRegister(history, null).verdict;
      expect(everything === 'linearizable', `seed ${seed}: the search against every order`).toBe(everyOrder(history));
      const pruned = withoutUnobservedInfo(history);
      if (pruned.length < history.length) prunedSome++;
      expect(searchRegister(pruned, null).verdict, `seed ${seed}`).toBe(everything);
      const settled = withInfoSettled(history);
      if (settled.some((op, i) => op.end !== pruned[i]?.end)) settledSome++;
      expect(searchRegister(settled, null).verdict, `seed ${seed}, settled`).toBe(everything);
      if (everything === 'not_linearizable') notLinearizable++;
    }
    // Both verdicts, and histories that lost or settled operations, in numbers that make the agreement mean something.
    expect(notLinearizable).toBeGreaterThan(50);
    expect(prunedSome).toBeGreaterThan(50);
    expect(settledSome).toBeGreaterThan(20);
  });
});
