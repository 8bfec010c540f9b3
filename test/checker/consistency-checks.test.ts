import { describe, expect, it } from 'vitest';
import type { ConsistencyBudget, DataTypeName } from '../../src/main/checker/consistency/contract.ts';
import { checkConvergent, convergentCheck } from '../../src/main/checker/consistency/convergent.ts';
import { checkSequential, sequentialCheck } from '../../src/main/checker/consistency/sequential.ts';
import { staleness } from '../../src/main/checker/consistency/staleness.ts';
import { generateHistory } from '../../src/main/checker/generate.ts';
import { parseHistory, type Operation } from '../../src/main/checker/history.ts';
import { createRng } from '../../src/shared/rng.ts';
import { checkOperations, renderExplanation, type Explanation } from '../../src/main/checker/index.ts';

const budget = (over: Partial<ConsistencyBudget> = {}): ConsistencyBudget => ({ now: () => 0, deadline: Number.POSITIVE_INFINITY, memory: { used: 0, max: Number.POSITIVE_INFINITY }, ...over });

type Ev = { process: number; type?: string; f: string; key?: string; value?: unknown; final?: boolean; time?: number };
/** An operation that completes before the next begins: invoke and ok on consecutive lines. */
const op = (process: number, f: string, value: unknown, extra: Partial<Ev> = {}): Ev[] => [
  { process, type: 'invoke', f, value: f === 'read' ? null : value, ...extra },
  { process, type: 'ok', f, value, ...extra },
];
const text = (events: Ev[]): string => events.map((e) => JSON.stringify({ type: 'invoke', value: null, ...e })).join('\n');
const history = (dataType: DataTypeName, events: Ev[]) => ({ dataType, operations: parseHistory(text(events), dataType).operations });
const sequential = (dataType: DataTypeName, events: Ev[]) => checkSequential(history(dataType, events), budget());
const linearizable = (dataType: DataTypeName, events: Ev[]) => checkOperations(history(dataType, events).operations, { dataType }).linearizable;

describe('sequential', () => {
  it('a stale read by another process is sequential, though not linearizable', () => {
    const events = [...op(1, 'write', 1), ...op(2, 'read', null)];
    expect(linearizable('register', events)).toBe('false');
    expect(sequential('register', events).verdict).toBe('true');
  });

  it('a process that does not read its own write is not, and the witness names its read', () => {
    const result = sequential('register', [...op(1, 'write', 1), ...op(2, 'read', 1), ...op(1, 'read', null)]);
    expect(result.verdict).toBe('false');
    expect(result.witness?.anomaly).toBe('no sequential order');
    expect(result.witness?.operations).toContainEqual({ id: 2, process: 1, description: 'read -> null', line: 5 });
    expect(result.witness?.why).toMatch(/^No order of all 3 completed operations keeps each process's own order/);
  });

  it('IRIW: two readers see two independent writes in opposite orders; each key alone is fine (not compositional)', () => {
    const events = [
      ...op(1, 'write', 1, { key: 'x' }),
      ...op(2, 'write', 1, { key: 'y' }),
      ...op(3, 'read', 1, { key: 'x' }),
      ...op(3, 'read', null, { key: 'y' }),
      ...op(4, 'read', 1, { key: 'y' }),
      ...op(4, 'read', null, { key: 'x' }),
    ];
    const result = sequential('kv', events);
    expect(result.verdict).toBe('false');
    expect(result.witness?.operations.length).toBeGreaterThan(0);
    for (const key of ['x', 'y']) expect(sequential('kv', events.filter((e) => e.key === key)).verdict).toBe('true');
  });

  it('counters and sets: a read that no order of the adds explains', () => {
    expect(sequential('counter', [...op(1, 'add', 1), ...op(1, 'read', 0)]).verdict).toBe('false');
    expect(sequential('counter', [...op(1, 'add', 1), ...op(2, 'read', 0), ...op(2, 'read', 1)]).verdict).toBe('true');
    expect(sequential('counter', [...op(1, 'add', 1), ...op(2, 'read', 1), ...op(2, 'read', 0)]).verdict).toBe('false');
    expect(sequential('set', [...op(1, 'add', 'a'), ...op(1, 'remove', 'a'), ...op(2, 'read', ['a']), ...op(2, 'read', [])]).verdict).toBe('true');
    expect(sequential('set', [...op(1, 'add', 'a'), ...op(1, 'remove', 'a'), ...op(2, 'read', ['a']), ...op(2, 'read', []), ...op(2, 'read', ['a'])]).verdict).toBe('false');
  });

  it('an operation of unknown outcome may take effect or not, after its process\'s earlier operations', () => {
    const info = (process: number, f: string, value: unknown): Ev[] => [
      { process, type: 'invoke', f, value },
      { process, type: 'info', f, value },
    ];
    expect(sequential('register', [...info(1, 'write', 1), ...op(2, 'read', 1), ...op(2, 'read', null)]).verdict).toBe('false');
    expect(sequential('register', [...info(1, 'write', 1), ...op(2, 'read', null), ...op(2, 'read', 1)]).verdict).toBe('true');
    expect(sequential('register', [...info(1, 'write', 1), ...op(2, 'read', null)]).verdict).toBe('true');
    // Not before its own process's earlier write: 2 then 1 is the only order, and the read of 2 after 1 has none.
    expect(sequential('register', [...op(1, 'write', 2), ...info(1, 'write', 1), ...op(2, 'read', 1), ...op(2, 'read', 2)]).verdict).toBe('false');
  });

  it('many operations of unknown outcome (more than a memo word holds), each read once', () => {
    const events: Ev[] = [];
    for (let p = 1; p <= 40; p++) events.push({ process: p, f: 'write', value: p });
    for (let p = 1; p <= 40; p++) events.push({ process: p, type: 'info', f: 'write', value: p });
    for (let v = 1; v <= 40; v++) events.push(...op(41, 'read', v));
    expect(sequential('register', events).verdict).toBe('true');
  });

  it('past the deadline or the memory: unknown with the reason, and the memory given back', () => {
    // Six writers of unique values and a read of a value none wrote: every interleaving is tried.
    const events: Ev[] = [];
    for (let p = 1; p <= 6; p++) for (let i = 0; i < 3; i++) events.push(...op(p, 'write', p * 10 + i));
    events.push(...op(7, 'read', 999));
    const parsed = history('register', events);
    expect(checkSequential(parsed, budget()).verdict).toBe('false');
    const late = checkSequential(parsed, budget({ now: () => 1, deadline: 0 }));
    expect(late.verdict).toBe('unknown');
    expect(late.reason).toMatch(/^out of time/);
    expect(late.witness).toBeNull();
    const memory = { used: 0, max: 10_000 };
    const full = checkSequential(parsed, budget({ memory }));
    expect(full.verdict).toBe('unknown');
    expect(full.reason).toMatch(/^out of memory/);
    expect(memory.used).toBe(0);
  });

  it('is registered under its contract name', () => {
    expect(sequentialCheck.name).toBe('sequential');
    expect(sequentialCheck.check(history('register', []), budget()).verdict).toBe('true');
  });
});

describe('convergent', () => {
  const final = (process: number, value: unknown, key?: string): Ev[] => op(process, 'read', value, { final: true, ...(key === undefined ? {} : { key }) });
  const converge = (dataType: DataTypeName, events: Ev[]) => checkConvergent(history(dataType, events));

  it('a lost write: the final reads agree on a value an acknowledged write overwrote', () => {
    const result = converge('register', [...op(1, 'write', 1), ...op(2, 'write', 2), ...final(3, 1), ...final(4, 1)]);
    expect(result.verdict).toBe('false');
    expect(result.witness?.anomaly).toBe('lost write');
    expect(result.witness?.operations.map((o) => o.description)).toEqual(['write 2', 'read -> 1 (final)']);
    expect(result.figures).toMatchObject({ lost: 1, neverRead: 1, finalReads: 2, keys: 1 });
  });

  it('concurrent writes may end either way; a write of unknown outcome may win', () => {
    const both = (seen: number): Ev[] => [
      { process: 1, type: 'invoke', f: 'write', value: 1 },
      { process: 2, type: 'invoke', f: 'write', value: 2 },
      { process: 1, type: 'ok', f: 'write', value: 1 },
      { process: 2, type: 'ok', f: 'write', value: 2 },
      ...final(3, seen),
    ];
    expect(converge('register', both(1)).verdict).toBe('true');
    expect(converge('register', both(2)).verdict).toBe('true');
    expect(converge('register', both(3)).witness?.anomaly).toBe('final value never written');
    const recovered = converge('register', [...op(1, 'write', 1), { process: 2, f: 'write', value: 2 }, { process: 2, type: 'info', f: 'write', value: 2 }, ...final(3, 2)]);
    expect(recovered.verdict).toBe('true');
    expect(recovered.figures.recovered).toBe(1);
  });

  it('final reads that disagree', () => {
    const result = converge('kv', [...op(1, 'write', 1, { key: 'x' }), ...final(2, 1, 'x'), ...final(3, null, 'x')]);
    expect(result.verdict).toBe('false');
    expect(result.witness?.anomaly).toBe('divergent final reads');
    expect(result.witness?.operations).toHaveLength(2);
  });

  it('no final reads: unknown, for the history or for the keys written and not read at the end', () => {
    expect(converge('register', [...op(1, 'write', 1)]).reason).toMatch(/^no final reads/);
    const result = converge('kv', [...op(1, 'write', 1, { key: 'x' }), ...op(1, 'write', 1, { key: 'y' }), ...final(2, 1, 'x')]);
    expect(result.verdict).toBe('unknown');
    expect(result.reason).toBe('no final reads (or appends mixed with overwrites) for key "y"');
  });

  it('sets, as Jepsen\'s set-full: lost, never read, stale, recovered', () => {
    const events = [
      ...op(1, 'add', 1),
      ...op(1, 'add', 2),
      ...op(2, 'read', [1, 2]),
      ...op(1, 'add', 3),
      ...op(2, 'read', [1]),
      { process: 4, f: 'add', value: 4 },
      { process: 4, type: 'info', f: 'add', value: 4 },
      ...op(1, 'add', 5),
      ...op(1, 'remove', 5),
      ...final(3, [4, 1, 5]),
    ];
    const result = converge('set', events);
    expect(result.verdict).toBe('false');
    expect(result.witness?.anomaly).toBe('lost write');
    // 2 was read, then lost; 3 was never read at all; 4 (unknown outcome) made it; 5 was removed: not judged.
    expect(result.figures).toMatchObject({ lost: 2, neverRead: 1, stale: 0, recovered: 1 });
    const healed = converge('set', [...op(1, 'add', 1), ...op(2, 'read', []), ...final(3, [1])]);
    expect(healed.verdict).toBe('true');
    expect(healed.figures.stale).toBe(1);
    expect(converge('set', [...op(1, 'add', 1), ...final(3, [1, 9])]).witness?.anomaly).toBe('unexpected element');
  });

  it('counters: between the acknowledged adds and those with every add of unknown outcome that moves it', () => {
    const adds = [...op(1, 'add', 1), ...op(1, 'add', 2), { process: 2, f: 'add', value: 5 }, { process: 2, type: 'info', f: 'add', value: 5 }, { process: 3, f: 'add', value: -1 }, { process: 3, type: 'info', f: 'add', value: -1 }];
    for (const [value, verdict] of [[1, 'false'], [2, 'true'], [3, 'true'], [8, 'true'], [9, 'false']] as const) {
      expect(converge('counter', [...adds, ...final(4, value)]).verdict, String(value)).toBe(verdict);
    }
    expect(converge('counter', [...adds, ...final(4, 1)]).figures.lost).toBe(1);
    expect(converge('counter', [...adds, ...final(4, 9)]).witness?.anomaly).toBe('phantom add');
  });

  it('appends: every acknowledged suffix in the final value', () => {
    const appends = [...op(1, 'append', 'a', { key: 'l' }), ...op(1, 'append', 'b', { key: 'l' })];
    expect(converge('kv', [...appends, ...final(2, 'ab', 'l')]).verdict).toBe('true');
    const lost = converge('kv', [...appends, ...final(2, 'a', 'l')]);
    expect(lost.verdict).toBe('false');
    expect(lost.figures.lost).toBe(1);
    expect(convergentCheck.check(history('kv', [...appends, ...final(2, 'ab', 'l')]), budget()).verdict).toBe('true');
  });
});

describe('staleness', () => {
  it('counts the versions a read missed and how long the first of them had been acknowledged', () => {
    const t = (events: Ev[]): Ev[] => events.map((e, i) => ({ ...e, time: i * 1_000_000 }));
    const events = t([...op(1, 'write', 1, { key: 'x' }), ...op(1, 'write', 2, { key: 'x' }), ...op(1, 'write', 3, { key: 'x' }), ...op(2, 'read', 1, { key: 'x' }), ...op(2, 'read', 3, { key: 'x' }), ...op(3, 'read', 2, { key: 'x' })]);
    const figures = staleness(history('kv', events), true);
    // The read of 1 began at 6 ms: 2 (done at 3 ms) and 3 were newer. The read of 2 began at 10 ms, 5 ms after 3 was done.
    expect(figures).toEqual({ reads: 3, staleReads: 2, versionsBehind: { median: 1.5, max: 2 }, msBehind: { median: 4, max: 5 }, unit: 'ms' });
  });

  it('without times, in positions; appends by the suffixes a read lacks', () => {
    const events = [...op(1, 'append', 'a', { key: 'l' }), ...op(1, 'append', 'b', { key: 'l' }), ...op(2, 'read', 'a', { key: 'l' }), ...op(2, 'read', 'ab', { key: 'l' })];
    expect(staleness(history('kv', events), false)).toEqual({ reads: 2, staleReads: 1, versionsBehind: { median: 1, max: 1 }, msBehind: { median: 1, max: 1 }, unit: 'positions' });
  });

  it('leaves out keys whose values repeat, and reads of values only a write of unknown outcome wrote', () => {
    const repeated = [...op(1, 'write', 1), ...op(1, 'write', 1), ...op(2, 'read', 1)];
    expect(staleness(history('register', repeated), false).reads).toBe(0);
    const unknown = [{ process: 1, f: 'write', value: 5 }, { process: 1, type: 'info', f: 'write', value: 5 }, ...op(2, 'write', 6), ...op(3, 'read', 5)];
    expect(staleness(history('register', unknown), false)).toMatchObject({ reads: 0, staleReads: 0 });
    expect(staleness(history('register', [...op(1, 'write', 1), ...op(2, 'read', null)]), false)).toMatchObject({ reads: 1, staleReads: 1 });
  });
});

describe('linearizability of counters and sets', () => {
  it('a counter read that misses an add acknowledged before it began, explained with the counter', () => {
    const events = [...op(1, 'add', 2), ...op(2, 'read', 0)];
    expect(sequential('counter', events).verdict).toBe('true');
    const result = checkOperations(history('counter', events).operations, { dataType: 'counter' });
    expect(result.linearizable).toBe('false');
    expect(result.explanation).toMatchObject({ key: '', dataType: 'counter', longestPrefix: [0], stateAfterPrefix: 2, cannotPlace: [1] });
    expect(renderExplanation(result.explanation as Explanation, history('counter', events).operations)).toContain('consistent with real time and with a counter');
  });

  it('a set read of an element removed before it began; concurrent ones may see either', () => {
    const stale = [...op(1, 'add', 'a'), ...op(1, 'remove', 'a'), ...op(2, 'read', ['a'])];
    const result = checkOperations(history('set', stale).operations, { dataType: 'set' });
    expect(result.linearizable).toBe('false');
    expect(result.explanation).toMatchObject({ dataType: 'set', longestPrefix: [0, 1], stateAfterPrefix: [], cannotPlace: [2] });
    const concurrent: Ev[] = [...op(1, 'add', 'a'), { process: 1, f: 'remove', value: 'a' }, ...op(2, 'read', ['a']), ...op(3, 'read', []), { process: 1, type: 'ok', f: 'remove', value: 'a' }];
    expect(checkOperations(history('set', concurrent).operations, { dataType: 'set' }).linearizable).toBe('true');
  });

  it('keyed counters are searched key by key, and a search past its memory says unknown', () => {
    const events = [...op(1, 'add', 1, { key: 'a' }), ...op(2, 'add', 5, { key: 'b' }), ...op(3, 'read', 1, { key: 'a' }), ...op(3, 'read', 5, { key: 'b' })];
    expect(checkOperations(history('counter', events).operations, { dataType: 'counter' })).toMatchObject({ linearizable: 'true', keys: 2 });
    const busy: Ev[] = [];
    for (let p = 1; p <= 12; p++) busy.push({ process: p, f: 'add', value: p });
    for (let p = 1; p <= 12; p++) busy.push({ process: p, type: 'info', f: 'add', value: p });
    busy.push(...op(13, 'read', 1000));
    expect(checkOperations(history('counter', busy).operations, { dataType: 'counter' }).linearizable).toBe('false');
    expect(checkOperations(history('counter', busy).operations, { dataType: 'counter', maxCacheBytes: 0 })).toMatchObject({ linearizable: 'unknown', unknownKeys: [''] });
  });
});

describe('staleness against its definition', () => {
  it('counts only versions newer in every real-time order: a write that overlapped the one read is not counted', () => {
    const events: Ev[] = [
      { process: 1, f: 'write', key: 'x', value: 1 },
      { process: 2, f: 'write', key: 'x', value: 2 },
      { process: 2, type: 'ok', f: 'write', key: 'x', value: 2 },
      { process: 1, type: 'ok', f: 'write', key: 'x', value: 1 },
      ...op(3, 'read', 2, { key: 'x' }),
    ];
    expect(staleness(history('kv', events), false)).toMatchObject({ reads: 1, staleReads: 0 });
  });

  it('delimited appends are read as whole elements: 2, is not in 12,', () => {
    const events = [...op(1, 'append', '12,', { key: 'l' }), ...op(1, 'append', '2,', { key: 'l' }), ...op(2, 'read', '12,', { key: 'l' })];
    expect(staleness(history('kv', events), false)).toMatchObject({ reads: 1, staleReads: 1, versionsBehind: { median: 1, max: 1 } });
    expect(checkConvergent(history('kv', [...events, ...op(3, 'read', '12,', { key: 'l', final: true })])).figures.lost).toBe(1);
  });

  it('150 generated histories with stale reads put in: the figures a pass over every write gives, and none before', () => {
    let staleSeen = 0;
    for (let seed = 1; seed <= 150; seed++) {
      const rng = createRng(`staleness-${seed}`);
      const appends = seed % 3 === 0;
      const events = generateHistory(rng, { processes: 4, operations: 60, keys: 2, mix: appends ? { read: 3, append: 2 } : { read: 3, write: 2, cas: 1 }, infoRate: 0.1 });
      const parsed = history('kv', events as Ev[]);
      // Linearizable as generated: not one stale read.
      expect(staleness(parsed, true).staleReads, `seed ${seed}`).toBe(0);
      // Some reads return an older value (registers) or lose their last suffix (appends).
      const written = new Map<string, unknown[]>();
      const changed = events.map((e) => {
        if (e.type === 'ok' && e.f !== 'read') written.set(e.key as string, [...(written.get(e.key as string) ?? []), Array.isArray(e.value) ? e.value[1] : e.value]);
        if (e.type !== 'ok' || e.f !== 'read' || !rng.chance(0.3)) return e;
        if (appends) return typeof e.value === 'string' ? { ...e, value: e.value.split(',').slice(0, -2).map((s) => `${s},`).join('') } : e;
        const older = written.get(e.key as string) ?? [];
        return { ...e, value: older.length === 0 ? null : older[rng.int(0, older.length)] };
      });
      const ops = history('kv', changed as Ev[]).operations;
      const figures = staleness({ dataType: 'kv', operations: ops }, true);
      // From the definition: acknowledged versions that began after the read version's write completed and completed before the read began.
      const behind: number[] = [];
      const times: number[] = [];
      for (const read of ops.filter((o) => o.f === 'read')) {
        const writes = ops.filter((o) => o.key === read.key && o.f !== 'read');
        let newer: typeof writes;
        if (appends) {
          const held = typeof read.output === 'string' ? read.output.split(',').slice(0, -1).map((s) => `${s},`) : [];
          newer = writes.filter((w) => !w.indefinite && w.end < read.start && !held.includes(w.input as string));
        } else {
          const valueOf = (w: Operation): unknown => (w.f === 'cas' ? (w.input as unknown[])[1] : w.input);
          const writer = writes.find((w) => valueOf(w) === read.output);
          if (read.output !== null && (writer === undefined || writer.indefinite)) continue;
          const since = read.output === null ? Number.NEGATIVE_INFINITY : (writer as Operation).end;
          newer = writes.filter((w) => !w.indefinite && w.start > since && w.end < read.start);
        }
        if (newer.length > 0) {
          behind.push(newer.length);
          times.push((read.start - Math.min(...newer.map((w) => w.end))) / 1e6);
        }
      }
      const max = (xs: number[]): number => (xs.length === 0 ? 0 : Math.max(...xs));
      expect(figures.staleReads, `seed ${seed}`).toBe(behind.length);
      expect(figures.versionsBehind.max, `seed ${seed}`).toBe(max(behind));
      expect(figures.msBehind.max, `seed ${seed}`).toBeCloseTo(max(times), 9);
      staleSeen += behind.length;
    }
    expect(staleSeen).toBeGreaterThan(300);
  });
});
