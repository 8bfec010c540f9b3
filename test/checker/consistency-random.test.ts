// The searches against checkers written straight from the definitions: every order of the
// operations (and every choice of which operations of unknown outcome took effect) is tried, on
// histories small enough for that.

import { describe, expect, it } from 'vitest';
import { checkSequential, searchSequentialOrder } from '../../src/main/checker/consistency/sequential.ts';
import type { ConsistencyBudget, DataTypeName } from '../../src/main/checker/consistency/contract.ts';
import { generateHistory, toJsonLines } from '../../src/main/checker/generate.ts';
import { parseHistory, type Operation } from '../../src/main/checker/history.ts';
import { checkOperations } from '../../src/main/checker/index.ts';
import { modelOf } from '../../src/main/checker/models/index.ts';
import { createRng, type Rng } from '../../src/shared/rng.ts';
import type { KvScalar } from '../../src/shared/history.ts';

const budget = (): ConsistencyBudget => ({ now: () => 0, deadline: Number.POSITIVE_INFINITY, memory: { used: 0, max: Number.POSITIVE_INFINITY } });

interface Event {
  process: number;
  type: 'invoke' | 'ok' | 'info' | 'fail';
  f: string;
  key?: string;
  value: unknown;
}

/**
 * A tiny history: half of them from a real sequential run with overlapping intervals (so that
 * both verdicts come up often; in half of those, reads may see an older state), the rest with
 * reads of random values.
 */
function tinyHistory(rng: Rng, dataType: DataTypeName): Event[] {
  const events: Event[] = [];
  const open = new Map<number, Event>();
  const keys = dataType === 'kv' ? ['x', 'y'] : dataType === 'register' ? [undefined] : rng.chance(0.3) ? ['a', 'b'] : [undefined];
  const truth = new Map<string, unknown>();
  const honest = rng.chance(0.5);
  // Honest runs whose reads may see a state a few writes old: stale reads, sequential more often than linearizable.
  const lagging = honest && rng.chance(0.8);
  const past = new Map<string, unknown[]>();
  const init = (): unknown => (dataType === 'counter' ? 0 : dataType === 'set' ? [] : null);
  let written = 0;
  const total = rng.int(3, 7);
  let invoked = 0;
  while (invoked < total || open.size > 0) {
    const process = rng.int(1, 4);
    const pending = open.get(process);
    if (pending === undefined) {
      if (invoked >= total) continue;
      invoked++;
      const key = keys[rng.int(0, keys.length)];
      const reading = rng.chance(0.45);
      let f: string;
      let value: unknown = null;
      if (reading) f = 'read';
      else if (dataType === 'counter') {
        f = 'add';
        value = rng.int(-1, 3);
      } else if (dataType === 'set') {
        f = rng.chance(0.7) ? 'add' : 'remove';
        value = rng.int(1, 3);
      } else if (rng.chance(0.25)) {
        f = 'cas';
        value = [rng.chance(0.5) ? null : rng.int(1, written + 2), ++written];
      } else {
        f = 'write';
        value = ++written;
      }
      const invoke: Event = { process, type: 'invoke', f, ...(key === undefined ? {} : { key }), value };
      open.set(process, invoke);
      events.push(invoke);
      // Takes effect at once in the honest runs: the read's value is what it sees now.
      const k = key ?? '';
      const now = truth.has(k) ? truth.get(k) : init();
      const older = past.get(k) ?? [];
      if (f === 'read') (invoke as Event & { seen?: unknown }).seen = lagging ? ([init(), ...older][Math.max(0, older.length - rng.int(0, 3))] ?? now) : now;
      else if (rng.chance(0.85)) {
        (invoke as Event & { applied?: boolean }).applied = true;
        if (f === 'write') truth.set(k, value);
        else if (f === 'cas') {
          const [expected, next] = value as [KvScalar, KvScalar];
          if (expected === now) truth.set(k, next);
          else (invoke as Event & { failed?: boolean }).failed = true;
        } else if (f === 'add' && dataType === 'counter') truth.set(k, (now as number) + (value as number));
        else if (f === 'add') truth.set(k, [...new Set([...(now as number[]), value as number])].sort());
        else truth.set(k, (now as number[]).filter((e) => e !== value));
        past.set(k, [...older, truth.get(k)]);
      }
      continue;
    }
    if (rng.chance(0.4)) continue;
    open.delete(process);
    const p = pending as Event & { seen?: unknown; applied?: boolean; failed?: boolean };
    let type: Event['type'] = p.f === 'read' ? 'ok' : p.applied !== true ? (rng.chance(0.5) ? 'info' : 'fail') : p.failed === true ? 'fail' : rng.chance(0.15) ? 'info' : 'ok';
    if (p.f === 'read' && rng.chance(0.05)) type = 'info';
    let value = pending.value;
    if (p.f === 'read') {
      if (honest) value = p.seen;
      else if (dataType === 'counter') value = rng.int(-1, 4);
      else if (dataType === 'set') value = [1, 2].filter(() => rng.chance(0.5));
      else value = rng.chance(0.3) ? null : rng.int(1, written + 1);
    }
    const { process: _p, f, key } = pending;
    events.push({ process: _p, type, f, ...(key === undefined ? {} : { key }), value });
  }
  // Half as Jepsen numbers processes: one that got an info goes on under a new number.
  const renumber = rng.chance(0.5);
  const current = new Map<number, number>();
  let fresh = 10;
  return events.map(({ process, type, f, key, value }) => {
    const id = current.get(process) ?? process;
    if (renumber && type === 'info') current.set(process, fresh++);
    return { process: id, type, f, ...(key === undefined ? {} : { key }), value };
  });
}

/** Whether some order of some of the operations is legal: every definite one placed, `before` kept. */
function someLegalOrder(ops: readonly Operation[], dataType: DataTypeName, before: (a: Operation, b: Operation) => boolean): boolean {
  const model = modelOf(dataType);
  const infos = ops.filter((op) => op.indefinite);
  for (let mask = 0; mask < 1 << infos.length; mask++) {
    const chosen = ops.filter((op) => !op.indefinite || (mask >> infos.indexOf(op)) & 1);
    const placed = new Set<Operation>();
    const states = new Map<string, unknown>();
    const walk = (): boolean => {
      if (placed.size === chosen.length) return true;
      for (const op of chosen) {
        if (placed.has(op) || chosen.some((other) => !placed.has(other) && other !== op && before(other, op))) continue;
        const state = states.has(op.key) ? states.get(op.key) : model.init();
        const next = model.step(state, op);
        if (next === undefined) continue;
        placed.add(op);
        states.set(op.key, next);
        const found = walk();
        placed.delete(op);
        states.set(op.key, state);
        if (found) return true;
      }
      return false;
    };
    if (walk()) return true;
  }
  return false;
}

/** Linearizability by its definition: real-time order kept. */
const bruteLinearizable = (ops: readonly Operation[], dataType: DataTypeName): boolean => someLegalOrder(ops, dataType, (a, b) => a.end < b.start);

/**
 * Sequential consistency by its definition: a process's completed operations stay before
 * everything it invoked after them; an operation of unknown outcome is held only after its
 * process's earlier operations.
 */
const bruteSequential = (ops: readonly Operation[], dataType: DataTypeName): boolean =>
  someLegalOrder(ops, dataType, (a, b) => a.process === b.process && !a.indefinite && a.start < b.start);

const DATA_TYPES: DataTypeName[] = ['register', 'kv', 'counter', 'set'];

describe('against the definitions, on tiny histories of every data type (400 for linearizable, 600 for sequential)', () => {
  it('linearizable: register, kv, counter and set', () => {
    const seen = { true: 0, false: 0 };
    for (const dataType of DATA_TYPES) {
      for (let seed = 1; seed <= 100; seed++) {
        const events = tinyHistory(createRng(`lin-${dataType}-${seed}`), dataType);
        const ops = parseHistory(events.map((e) => JSON.stringify(e)).join('\n'), dataType).operations;
        const expected = bruteLinearizable(ops, dataType);
        expect(checkOperations(ops, { dataType }).linearizable, `${dataType} seed ${seed}`).toBe(String(expected));
        seen[String(expected) as 'true' | 'false']++;
      }
    }
    expect(seen.true).toBeGreaterThan(80);
    expect(seen.false).toBeGreaterThan(80);
  });

  it('sequential: register, kv, counter and set', () => {
    const seen = { true: 0, false: 0, notLinearizable: 0 };
    for (const dataType of DATA_TYPES) {
      for (let seed = 1; seed <= 150; seed++) {
        const events = tinyHistory(createRng(`seq-${dataType}-${seed}`), dataType);
        const ops = parseHistory(events.map((e) => JSON.stringify(e)).join('\n'), dataType).operations;
        const expected = bruteSequential(ops, dataType);
        const result = checkSequential({ dataType, operations: ops }, budget());
        expect(result.verdict, `${dataType} seed ${seed}`).toBe(String(expected));
        expect(result.witness === null, `${dataType} seed ${seed}`).toBe(expected);
        // The search of every order on its own too: the linearization tried first settles most.
        expect(searchSequentialOrder({ dataType, operations: ops }, budget()).verdict, `${dataType} seed ${seed}, searched`).toBe(String(expected));
        seen[String(expected) as 'true' | 'false']++;
        if (expected && !bruteLinearizable(ops, dataType)) seen.notLinearizable++;
      }
    }
    expect(seen.true).toBeGreaterThan(80);
    expect(seen.false).toBeGreaterThan(80);
    // Sequential and not linearizable: the histories where the two checks differ.
    expect(seen.notLinearizable).toBeGreaterThan(15);
  });
});

describe('the hierarchy on random histories', () => {
  it('every linearizable history is sequential (200 generated kv and register histories of 30 operations)', () => {
    let linearizable = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const rng = createRng(`hierarchy-${seed}`);
      const register = seed % 2 === 0;
      const events = generateHistory(rng, { processes: 4, operations: 30, keys: 2, mix: register ? { read: 3, write: 2, cas: 1 } : { read: 3, write: 2, cas: 1, append: 1, delete: 1 }, infoRate: 0.1, register });
      const dataType: DataTypeName = register ? 'register' : 'kv';
      const ops = parseHistory(toJsonLines(events), dataType).operations;
      expect(checkOperations(ops).linearizable).toBe('true');
      linearizable++;
      expect(checkSequential({ dataType, operations: ops }, budget()).verdict, `seed ${seed}`).toBe('true');
    }
    expect(linearizable).toBe(200);
  });

  it('a long linearizable kv history (3,000 operations, some of unknown outcome) is found sequential, searched whole', () => {
    const events = generateHistory(createRng('long-sequential'), { processes: 5, operations: 3000, keys: 3, mix: { read: 4, write: 3, cas: 2, append: 1 }, infoRate: 0.05 });
    const ops = parseHistory(toJsonLines(events), 'kv').operations;
    // The search of every order itself, not the linearization checkSequential tries first.
    const result = searchSequentialOrder({ dataType: 'kv', operations: ops }, budget());
    expect(result.verdict).toBe('true');
    expect(result.figures.longestOrder).toBe(ops.filter((op) => !op.indefinite).length);
  });

  it('twenty processes that each write and read back their value, and one that reads every value in turn (not linearizable: the writes were done before)', () => {
    const lines: string[] = [];
    const ev = (process: number, type: string, f: string, value: unknown): void => void lines.push(JSON.stringify({ process, type, f, value }));
    for (let p = 1; p <= 20; p++) ev(p, 'invoke', 'write', p);
    for (let p = 1; p <= 20; p++) ev(p, 'ok', 'write', p);
    for (let p = 1; p <= 20; p++) ev(p, 'invoke', 'read', null);
    for (let p = 1; p <= 20; p++) ev(p, 'ok', 'read', p);
    for (let v = 1; v <= 20; v++) {
      ev(21, 'invoke', 'read', null);
      ev(21, 'ok', 'read', v);
    }
    const ops = parseHistory(lines.join('\n'), 'register').operations;
    expect(checkSequential({ dataType: 'register', operations: ops }, budget()).verdict).toBe('true');
  });

  it('and on the tiny ones of every data type: linearizable implies sequential', () => {
    for (const dataType of DATA_TYPES) {
      for (let seed = 1; seed <= 100; seed++) {
        const events = tinyHistory(createRng(`hier-${dataType}-${seed}`), dataType);
        const ops = parseHistory(events.map((e) => JSON.stringify(e)).join('\n'), dataType).operations;
        if (checkOperations(ops, { dataType }).linearizable === 'true') expect(checkSequential({ dataType, operations: ops }, budget()).verdict).toBe('true');
      }
    }
  });
});
