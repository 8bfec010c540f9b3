import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { generateHistory, injectAnomaly, toJsonLines } from '../../src/main/checker/generate.ts';
import { HistoryError, parseHistory, type ModelName } from '../../src/main/checker/history.ts';
import { createRng, hashString } from '../../src/shared/rng.ts';

const jsonl = (...events: object[]): string => events.map((e) => JSON.stringify(e)).join('\n');
const errorOf = (text: string, model: ModelName): string => {
  try {
    parseHistory(text, model);
  } catch (error) {
    expect(error).toBeInstanceOf(HistoryError);
    return (error as Error).message;
  }
  return 'parsed';
};

describe('counter and set operations', () => {
  it('a counter: adds of any integer, reads of an integer, with or without a key', () => {
    const parsed = parseHistory(
      jsonl(
        { process: 1, type: 'invoke', f: 'add', value: 3 },
        { process: 1, type: 'ok', f: 'add', value: 3 },
        { process: 2, type: 'invoke', f: 'add', value: -1 },
        { process: 2, type: 'info', f: 'add', value: -1 },
        { process: 3, type: 'invoke', f: 'read', value: null, final: true },
        { process: 3, type: 'ok', f: 'read', value: 2 },
        { process: 4, type: 'invoke', f: 'add', key: 'c', value: 5 },
        { process: 4, type: 'ok', f: 'add', key: 'c', value: 5 },
      ),
      'counter',
    );
    expect(parsed.operations.map((op) => [op.f, op.key, op.input, op.output, op.indefinite, op.final])).toEqual([
      ['add', '', 3, null, false, false],
      ['add', '', -1, null, true, false],
      ['read', '', null, 2, false, true],
      ['add', 'c', 5, null, false, false],
    ]);
    expect(parsed.timed).toBe(false);
  });

  it('a set: add and remove of scalars, reads of the whole set; final on the completion counts too', () => {
    const parsed = parseHistory(
      jsonl(
        { process: 1, type: 'invoke', f: 'add', value: 'a', time: 10 },
        { process: 1, type: 'ok', f: 'add', value: 'a', time: 20 },
        { process: 1, type: 'invoke', f: 'remove', value: 7, time: 30 },
        { process: 1, type: 'ok', f: 'remove', value: 7, time: 40 },
        { process: 2, type: 'invoke', f: 'read', value: null, time: 50 },
        { process: 2, type: 'ok', f: 'read', value: ['a', 1, null], final: true, time: 60 },
      ),
      'set',
    );
    expect(parsed.operations.map((op) => [op.f, op.input, op.output, op.final, op.start, op.end])).toEqual([
      ['add', 'a', null, false, 10, 20],
      ['remove', 7, null, false, 30, 40],
      ['read', null, ['a', 1, null], true, 50, 60],
    ]);
    expect(parsed.timed).toBe(true);
  });

  it('bad operations name their line and what is wrong', () => {
    const add = (value: unknown) => jsonl({ process: 1, type: 'invoke', f: 'add', value });
    expect(errorOf(add(1.5), 'counter')).toBe('line 1: a counter add needs an integer value');
    expect(errorOf(add('3'), 'counter')).toBe('line 1: a counter add needs an integer value');
    expect(errorOf(add([1]), 'set')).toBe('line 1: a set add needs a scalar value (a string, number, boolean or null)');
    expect(errorOf(jsonl({ process: 1, type: 'invoke', f: 'remove', value: { a: 1 } }), 'set')).toMatch(/^line 1: a set remove needs a scalar/);
    const read = (value: unknown) => jsonl({ process: 1, type: 'invoke', f: 'read', value: null }, { process: 1, type: 'ok', f: 'read', value });
    expect(errorOf(read(1.25), 'counter')).toBe('line 2: a counter read must complete with an integer');
    expect(errorOf(read(3), 'set')).toBe('line 2: a set read must complete with an array of scalars (the whole set)');
    expect(errorOf(read([1, [2]]), 'set')).toBe('line 2: a set read must complete with an array of scalars (the whole set)');
    expect(errorOf(read([1]), 'kv')).toBe('line 1: the kv model needs a "key" on every event');
    // A list of scalars is a register's siblings (a store that keeps concurrent values); a nested one is nothing.
    expect(errorOf(read([1, 2]), 'register')).toBe('parsed');
    expect(errorOf(read([1, [2]]), 'register')).toBe('line 2: a read must complete with a string, number, boolean or null (or a list of them: siblings)');
    expect(errorOf(add(1), 'kv')).toBe('line 1: "add" is not an operation of the kv model (use --model counter or set)');
    expect(errorOf(jsonl({ process: 1, type: 'invoke', f: 'remove', value: 1 }), 'counter')).toBe('line 1: "remove" is not an operation of the counter model (use --model set)');
    expect(errorOf(jsonl({ process: 1, type: 'invoke', f: 'write', value: 1 }), 'set')).toBe('line 1: "write" is not an operation of the set model (use --model register or kv)');
    expect(errorOf(jsonl({ process: 1, type: 'invoke', f: 'append', value: 'x' }), 'register')).toBe('line 1: "append" is not an operation of the register model (use --model kv)');
    expect(errorOf(jsonl({ process: 1, type: 'invoke', f: 'add', value: 1, final: true }), 'counter')).toBe('line 1: "final" marks reads only, not "add"');
    expect(errorOf(jsonl({ process: 1, type: 'invoke', f: 'read', value: null, final: 'yes' }), 'counter')).toBe('line 1: "final" must be true or false');
    expect(errorOf(jsonl({ process: 1, type: 'invoke', f: 'inc', value: 1 }), 'counter')).toMatch(/^line 1: unknown "f" "inc" \(expected one of read, write, cas, append, delete, add, remove\)/);
  });
});

describe('backward compatibility', () => {
  it('the fixture files parse as before (plus final: false on every operation)', () => {
    const dir = join(import.meta.dirname, 'fixtures');
    const stale = parseHistory(readFileSync(join(dir, 'stale-read.jsonl'), 'utf8'), 'kv');
    expect(stale.operations).toEqual([
      { id: 0, process: 1, f: 'write', key: 'x', input: 1, output: null, final: false, start: 0, end: 1, indefinite: false, line: 1 },
      { id: 1, process: 1, f: 'write', key: 'x', input: 2, output: null, final: false, start: 2, end: 3, indefinite: false, line: 3 },
      { id: 2, process: 2, f: 'read', key: 'x', input: null, output: 1, final: false, start: 4, end: 5, indefinite: false, line: 5 },
    ]);
    const concurrent = parseHistory(readFileSync(join(dir, 'concurrent-writes.jsonl'), 'utf8'), 'register');
    expect(concurrent.operations.map((op) => [op.key, op.input, op.output, op.start, op.end, op.line])).toEqual([
      ['', 1, null, 0, 2, 1],
      ['', 2, null, 1, 3, 2],
      ['', null, 1, 4, 5, 5],
    ]);
    expect(() => parseHistory(readFileSync(join(dir, 'bad-two-invokes.jsonl'), 'utf8'), 'kv')).toThrow('line 2: process 1 invokes again while its invoke on line 1 is still open');
  });

  it('60 generated register and kv histories parse to exactly what the parser before counters and sets gave', () => {
    // The hash of the old parser's output over these histories, computed with the commit before this format (2a72f99).
    const OLD_PARSER_HASH = 1125973723;
    let h = 0x811c9dc5;
    for (let seed = 1; seed <= 60; seed++) {
      const rng = createRng(`compat-${seed}`);
      const register = seed % 3 === 0;
      const events = generateHistory(rng, { processes: 4, operations: 40, keys: 3, mix: register ? { read: 3, write: 2, cas: 2 } : { read: 3, write: 2, cas: 2, append: 1, delete: 1 }, infoRate: 0.15, register });
      if (seed % 2 === 0) injectAnomaly(rng, events);
      const parsed = parseHistory(toJsonLines(events), register ? 'register' : 'kv');
      expect(parsed.operations.every((op) => !op.final)).toBe(true);
      const old = { operations: parsed.operations.map(({ final: _final, ...rest }) => rest), invoked: parsed.invoked, failed: parsed.failed, events: parsed.events };
      h = hashString(JSON.stringify(old), h);
    }
    expect(h).toBe(OLD_PARSER_HASH);
  });
});
