import { describe, expect, it } from 'vitest';
import { RaftLog } from '../../src/nodes/raft/log.ts';
import { Progress } from '../../src/nodes/raft/progress.ts';
import { committedIndex, tallyVotes } from '../../src/nodes/raft/quorum.ts';
import { KvStateMachine } from '../../src/nodes/kv/state-machine.ts';
import { MemoryStorage } from '../../src/nodes/storage.ts';
import type { LogEntry } from '../../src/shared/protocol.ts';

const noop = (index: number, term: number): LogEntry => ({ index, term, data: { type: 'noop' } });

describe('RaftLog', () => {
  it('keeps matching entries and truncates from the first conflict', () => {
    const log = new RaftLog();
    [noop(1, 1), noop(2, 1), noop(3, 2), noop(4, 2)].forEach((e) => log.append(e));
    log.takeUnstable();
    const last = log.appendFromLeader(2, [noop(3, 2), noop(4, 3), noop(5, 3)]);
    expect(last).toBe(5);
    expect([1, 2, 3, 4, 5].map((i) => log.term(i))).toEqual([1, 1, 2, 3, 3]);
    expect(log.takeUnstable()).toEqual({ from: 4, entries: [noop(4, 3), noop(5, 3)] });
  });

  it('does not truncate on a stale, shorter append that matches', () => {
    const log = new RaftLog();
    [noop(1, 1), noop(2, 1), noop(3, 1)].forEach((e) => log.append(e));
    log.appendFromLeader(0, [noop(1, 1)]);
    expect(log.lastIndex).toBe(3);
  });

  it('finds the first index of a term for fast backtracking', () => {
    const log = new RaftLog();
    [noop(1, 1), noop(2, 2), noop(3, 2), noop(4, 2), noop(5, 4)].forEach((e) => log.append(e));
    expect(log.firstIndexOfTerm(2, 4)).toBe(2);
    expect(log.lastIndexOfTerm(2)).toBe(4);
    expect(log.lastIndexOfTerm(3)).toBe(0);
  });

  it('compacts into a snapshot and reports terms at its edge', () => {
    const log = new RaftLog();
    [noop(1, 1), noop(2, 1), noop(3, 2)].forEach((e) => log.append(e));
    log.takeUnstable();
    log.compactTo(2, 1);
    expect(log.term(2)).toBe(1);
    expect(log.term(1)).toBe(-1);
    expect(log.firstIndex).toBe(3);
    expect(log.slice(3, 3)).toEqual([noop(3, 2)]);
    expect(log.takeUnstable()).toBeNull();
  });
});

describe('Progress', () => {
  it('ignores stale rejections and backs up on fresh ones', () => {
    const pr = new Progress(10);
    pr.maybeUpdate(5);
    expect(pr.rejected(8, 7)).toBe(false); // we did not send prev=8 last
    expect(pr.rejected(9, 7)).toBe(true);
    expect(pr.next).toBe(7);
  });

  it('pauses in replicate state when the window is full and reopens on acknowledgement', () => {
    const pr = new Progress(1);
    pr.maybeUpdate(0);
    pr.becomeReplicate();
    pr.sentEntries(3);
    pr.sentEntries(6);
    expect(pr.isPaused(2)).toBe(true);
    pr.maybeUpdate(3);
    expect(pr.isPaused(2)).toBe(false);
    expect(pr.next).toBe(7);
  });
});

describe('quorum', () => {
  it('takes the highest index a majority holds', () => {
    const match: Record<string, number> = { a: 9, b: 7, c: 5, d: 3, e: 1 };
    expect(committedIndex(['a', 'b', 'c', 'd', 'e'], (id) => match[id] ?? 0)).toBe(5);
    expect(committedIndex(['a', 'b', 'c', 'd'], (id) => match[id] ?? 0)).toBe(5);
  });

  it('decides an election as soon as the outcome is certain', () => {
    const voters = ['a', 'b', 'c', 'd', 'e'];
    expect(tallyVotes(voters, new Map([['a', true], ['b', true]]))).toBe('pending');
    expect(tallyVotes(voters, new Map([['a', true], ['b', true], ['c', true]]))).toBe('won');
    expect(tallyVotes(voters, new Map([['a', true], ['b', false], ['c', false], ['d', false]]))).toBe('lost');
  });
});

describe('KvStateMachine', () => {
  it('applies a retried request once and returns its first result', () => {
    const sm = new KvStateMachine();
    expect(sm.apply({ clientId: 1, seq: 1, op: { f: 'append', key: 'k', value: 'a' } }).kind).toBe('applied');
    expect(sm.apply({ clientId: 1, seq: 1, op: { f: 'append', key: 'k', value: 'a' } }).kind).toBe('duplicate');
    expect(sm.read('k')).toBe('a');
    expect(sm.apply({ clientId: 1, seq: 0, op: { f: 'delete', key: 'k' } }).kind).toBe('stale');
  });

  it('fails a cas against the wrong value without changing anything', () => {
    const sm = new KvStateMachine();
    sm.apply({ clientId: 1, seq: 1, op: { f: 'write', key: 'k', value: 1 } });
    const outcome = sm.apply({ clientId: 1, seq: 2, op: { f: 'cas', key: 'k', expected: 2, value: 3 } });
    expect(outcome.kind === 'applied' && outcome.result.ok).toBe(false);
    expect(sm.read('k')).toBe(1);
    const copy = KvStateMachine.fromSnapshot(sm.snapshot());
    expect(copy.read('k')).toBe(1);
    expect(copy.apply({ clientId: 1, seq: 2, op: { f: 'cas', key: 'k', expected: 2, value: 3 } }).kind).toBe('duplicate');
  });
});

describe('MemoryStorage', () => {
  it('replaces the log tail and keeps what a snapshot does not cover', () => {
    const storage = new MemoryStorage();
    storage.write({ log: { from: 1, entries: [noop(1, 1), noop(2, 1), noop(3, 1)] }, hardState: { term: 1, vote: 'n1', commit: 0 } });
    storage.write({ log: { from: 3, entries: [noop(3, 2), noop(4, 2)] } });
    storage.write({ snapshot: { index: 2, term: 1, voters: ['n1'], data: { kv: [], sessions: [] } } });
    const state = storage.load();
    expect(state.entries.map((e) => `${e.index}/${e.term}`)).toEqual(['3/2', '4/2']);
    expect(state.hardState.vote).toBe('n1');
    expect(() => storage.write({ log: { from: 9, entries: [] } })).toThrow(/gap/);
  });
});
