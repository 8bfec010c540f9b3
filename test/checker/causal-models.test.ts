// The causal family (causal memory, causal convergence, weak causal), PRAM and the session
// guarantees on the textbook anomalies and on each bad pattern of Bouajjani et al. (POPL 2017),
// with the witnesses they give.

import { describe, expect, it } from 'vitest';
import type { Operation } from '../../src/main/checker/history.ts';
import { causal, causalConvergence, weakCausal } from '../../src/main/checker/consistency/causal.ts';
import type { ConsistencyBudget, ConsistencyCheck, ConsistencyName, DataTypeName, ModelResult } from '../../src/main/checker/consistency/contract.ts';
import { pram } from '../../src/main/checker/consistency/pram.ts';
import { monotonicReads, monotonicWrites, readYourWrites, writesFollowReads } from '../../src/main/checker/consistency/session.ts';
import type { KvScalar } from '../../src/shared/history.ts';

const CHECKS: readonly ConsistencyCheck[] = [causal, causalConvergence, weakCausal, pram, readYourWrites, monotonicReads, monotonicWrites, writesFollowReads];
const budget = (): ConsistencyBudget => ({ now: () => 0, deadline: Infinity, memory: { used: 0, max: Infinity } });

/**
 * `p1 w x 1; p2 r x 1; p1 cas x 1 2; p3 app x "a"; p1 del x; p2 w x 3 ?` (? = unknown outcome),
 * one operation after the other in real time, in the order written.
 */
function history(text: string): Operation[] {
  return text
    .split(';')
    .map((s) => s.trim())
    .filter((s) => s !== '')
    .map((s, i) => {
      const indefinite = s.endsWith('?');
      const [p, f, key, a, b] = s.replace(/\?$/, '').trim().split(/\s+/) as [string, string, string, string?, string?];
      const value = (t: string | undefined): KvScalar => (t === undefined ? null : (JSON.parse(t) as KvScalar));
      const fs: Record<string, Operation['f']> = { w: 'write', r: 'read', cas: 'cas', app: 'append', del: 'delete' };
      const fn = fs[f] as Operation['f'];
      const input: Operation['input'] = fn === 'cas' ? [value(a), value(b)] : fn === 'read' || fn === 'delete' ? null : value(a);
      return { id: i, process: Number(p.slice(1)), f: fn, key, input, output: fn === 'read' ? value(a) : null, start: i * 10, end: indefinite ? Infinity : i * 10 + 5, indefinite, final: false, line: i + 1 };
    });
}

const run = (check: ConsistencyCheck, text: string, dataType: DataTypeName = 'kv'): ModelResult => check.check({ dataType, operations: history(text) }, budget());
const verdicts = (text: string): Record<string, string> => Object.fromEntries(CHECKS.map((c) => [c.name, run(c, text).verdict]));
const all = (verdict: string, except: Partial<Record<ConsistencyName, string>> = {}): Record<string, string> => Object.fromEntries(CHECKS.map((c) => [c.name, except[c.name] ?? verdict]));

describe('textbook anomalies', () => {
  it('a stale read in real time is no anomaly without real time', () => {
    expect(verdicts('p1 w x 1; p1 w x 2; p2 r x 1')).toEqual(all('true'));
  });

  it('IRIW: two readers see two independent writes in opposite orders, which causality allows', () => {
    expect(verdicts('p1 w x 1; p2 w y 1; p3 r x 1; p3 r y null; p4 r y 1; p4 r x null')).toEqual(all('true'));
  });

  it('a process not reading its own write', () => {
    const text = 'p1 w x 1; p1 r x null';
    expect(verdicts(text)).toEqual(all('false', { 'monotonic-reads': 'true', 'monotonic-writes': 'true', 'writes-follow-reads': 'true' }));
    const result = run(readYourWrites, text);
    expect(result.witness?.anomaly).toBe('not reading own write');
    expect(result.witness?.operations.map((o) => o.description)).toEqual(['write x 1', 'read x -> null']);
    expect(run(causal, text).witness?.anomaly).toBe('write CO-before a read of the initial value');
  });

  it('a causal chain broken: a write seen through another process, then unseen', () => {
    const text = 'p1 w x 1; p2 r x 1; p2 w y 1; p3 r y 1; p3 r x null';
    // p2's read of x before its write of y orders x's write before y's in every view
    // (writes-follow-reads), and p3 reads y, then x: its reads in order see x's write.
    expect(verdicts(text)).toEqual(all('true', { causal: 'false', 'causal-convergence': 'false', 'weak-causal': 'false', 'writes-follow-reads': 'false' }));
    const wfr = run(writesFollowReads, text).witness;
    expect(wfr?.anomaly).toBe('write not following its read');
    expect(wfr?.operations.map((o) => o.line)).toEqual([1, 2, 3, 4, 5]);
    const witness = run(weakCausal, text).witness;
    expect(witness?.anomaly).toBe('write CO-before a read of the initial value');
    expect(witness?.operations.map((o) => o.line)).toEqual([1, 2, 3, 4, 5]);
    expect(witness?.operations[0]).toEqual({ id: 0, process: 1, description: 'write x 1', line: 1 });
  });

  it('reads going back in time', () => {
    expect(run(monotonicReads, 'p1 w x 1; p2 r x 1; p2 r x null').witness?.anomaly).toBe('reads going back in time');
    const back = run(monotonicReads, 'p1 w x 1; p2 w x 2; p3 r x 1; p3 r x 2; p3 r x 1');
    expect(back.witness?.anomaly).toBe('reads going back in time');
    // Saw 1 (line 3), then 2 (line 2, seen on line 4), then 1 again.
    expect(back.witness?.operations.map((o) => o.line)).toEqual([1, 2, 3, 4, 5]);
    // Weakly causal all the same: each read alone is legal in its causal past (hence no
    // weak-causal -> writes-follow-reads edge in src/shared/consistency.ts).
    expect(verdicts('p1 w x 1; p2 w x 2; p3 r x 1; p3 r x 2; p3 r x 1')).toEqual(all('false', { 'weak-causal': 'true' }));
    // One writer's two writes read newest first: PRAM, causality and monotonic writes forbid it;
    // monotonic reads alone does not, as the reader may order the two writes either way.
    const text = 'p1 w x 1; p1 w x 2; p2 r x 2; p2 r x 1';
    expect(verdicts(text)).toEqual(all('false', { 'read-your-writes': 'true', 'monotonic-reads': 'true', 'writes-follow-reads': 'true' }));
    expect(run(pram, text).witness?.anomaly).toBe('writes seen out of program order');
    const mw = run(monotonicWrites, text).witness;
    expect(mw?.anomaly).toBe('writes seen out of order');
    expect(mw?.operations.map((o) => o.line)).toEqual([1, 2, 3, 4]);
  });

  it('a write not following its read', () => {
    // Each process writes after reading the other's write: each write must follow the other. PRAM
    // and the other session guarantees let each process see the other's write first.
    const text = 'p1 r x 2; p1 w x 1; p2 r x 1; p2 w x 2';
    expect(verdicts(text)).toEqual(all('true', { causal: 'false', 'causal-convergence': 'false', 'weak-causal': 'false', 'writes-follow-reads': 'false' }));
    const witness = run(writesFollowReads, text).witness;
    expect(witness?.anomaly).toBe('write not following its read');
    expect(witness?.operations.map((o) => o.line)).toEqual([1, 2, 3, 4]);
    // A cas that returns its own new value read it before writing it.
    expect(run(writesFollowReads, 'p1 r x 2; p1 cas x null 2').witness?.anomaly).toBe('write not following its read');
  });
});

describe('the bad patterns of Bouajjani et al.', () => {
  it('CyclicCO: each process reads what the other writes after its read', () => {
    const text = 'p1 r x 1; p1 w y 1; p2 r y 1; p2 w x 1';
    // Of the session guarantees, only writes-follow-reads orders a write after what its process read.
    expect(verdicts(text)).toEqual(all('true', { causal: 'false', 'causal-convergence': 'false', 'weak-causal': 'false', 'writes-follow-reads': 'false' }));
    const witness = run(causal, text).witness;
    expect(witness?.anomaly).toBe('cyclic causal order');
    // On one key alike.
    expect(verdicts('p1 r x 1; p1 w x 2; p2 r x 2; p2 w x 1')).toEqual(all('true', { causal: 'false', 'causal-convergence': 'false', 'weak-causal': 'false', 'writes-follow-reads': 'false' }));
    expect(witness?.operations.map((o) => o.line).sort()).toEqual([1, 2, 3, 4]);
  });

  it('WriteCOInitRead', () => {
    expect(run(weakCausal, 'p1 w x 1; p1 r x null').witness?.anomaly).toBe('write CO-before a read of the initial value');
  });

  it('ThinAirRead, for every check, even when values repeat', () => {
    for (const check of CHECKS) {
      const result = run(check, 'p1 w x 1; p2 w x 1; p1 r x 5');
      expect(result.verdict).toBe('false');
      expect(result.witness?.anomaly).toBe('thin-air read');
      expect(result.witness?.operations.map((o) => o.description)).toEqual(['read x -> 5']);
    }
  });

  it('WriteCORead: a read returns a write its causal past overwrote', () => {
    const text = 'p1 w x 1; p1 w x 2; p2 r x 2; p2 r x 1';
    const witness = run(weakCausal, text).witness;
    expect(witness?.anomaly).toBe('stale read in causal past');
    expect(witness?.operations.map((o) => o.line)).toEqual([1, 2, 3, 4]);
  });

  it('WriteHBInitRead: causally convergent, not causal memory (the paper’s CCv-not-CM shape)', () => {
    const text = 'p1 w z 1; p1 w x 1; p1 w y 1; p2 w x 2; p2 r z null; p2 r y 1; p2 r x 2';
    expect(verdicts(text)).toEqual(all('true', { causal: 'false', pram: 'false' }));
    const witness = run(causal, text).witness;
    expect(witness?.anomaly).toBe('write happens-before a read of the initial value');
    expect(witness?.operations[0]?.description).toBe('write z 1');
    expect(witness?.operations.at(-1)?.description).toBe('read z -> null');
  });

  it('CyclicCF: causal memory, not causal convergence', () => {
    const text = 'p1 w x 1; p2 w x 2; p1 r x 2; p2 r x 1';
    // Each process reads the other's write after its own: each orders the two its own way, which
    // read-your-writes (per process, as Terry et al.'s sessions) allows.
    expect(verdicts(text)).toEqual(all('true', { 'causal-convergence': 'false' }));
    const witness = run(causalConvergence, text).witness;
    expect(witness?.anomaly).toBe('cyclic conflict order');
    expect(witness?.operations.map((o) => o.line).sort()).toEqual([1, 2, 3, 4]);
  });

  it('CyclicHB: weakly causal, not causal memory', () => {
    const text = 'p1 w x 1; p1 w y 1; p2 w x 2; p3 r y 1; p3 r x 2; p3 r x 1';
    expect(run(weakCausal, text).verdict).toBe('true');
    const witness = run(causal, text).witness;
    expect(witness?.anomaly).toBe('cyclic happens-before');
    expect(witness?.operations.map((o) => o.line)).toEqual([1, 3, 5, 6]);
  });
});

describe('per observer: what PRAM and the session guarantees allow (src/shared/consistency.ts)', () => {
  it('two readers see two writes in opposite orders: all but causal convergence hold', () => {
    const text = 'p1 w x 1; p2 w x 2; p3 r x 1; p3 r x 2; p4 r x 2; p4 r x 1';
    expect(verdicts(text)).toEqual(all('true', { 'causal-convergence': 'false' }));
  });

  it('two cas each read the other: each process sees the other’s first, but each write read what the other wrote after', () => {
    expect(verdicts('p1 cas x 2 1; p2 cas x 1 2')).toEqual(all('true', { causal: 'false', 'causal-convergence': 'false', 'weak-causal': 'false', 'writes-follow-reads': 'false' }));
  });

  it('causal convergence, not PRAM, yet the session guarantees hold: a process’s own write is no part of monotonic writes’ view order', () => {
    const text = 'p1 w z 1; p1 w x 1; p1 w y 1; p2 w x 2; p2 r z null; p2 r y 1; p2 r x 2';
    expect(verdicts(text)).toEqual(all('true', { causal: 'false', pram: 'false' }));
  });

  it('a read of a write its own process makes later', () => {
    const result = run(readYourWrites, 'p1 r x 1; p1 w x 1');
    expect(result.witness?.anomaly).toBe('not reading own write');
    expect(result.witness?.why).toMatch(/only later/);
    expect(run(monotonicReads, 'p1 r x 1; p1 w x 1').verdict).toBe('true');
  });
});

describe('the history as these checks read it', () => {
  it('counters and sets are not defined here', () => {
    for (const check of CHECKS) {
      for (const dataType of ['counter', 'set'] as const) {
        const result = run(check, 'p1 w x 1', dataType);
        expect(result).toMatchObject({ verdict: 'unknown', reason: 'defined here for registers and key-value stores', witness: null });
      }
    }
  });

  it('a register (no keys) is one key', () => {
    const ops = history('p1 w x 1; p1 w x 2; p2 r x 2; p2 r x 1').map((op) => ({ ...op, key: '' }));
    const result = weakCausal.check({ dataType: 'register', operations: ops }, budget());
    expect(result.witness?.anomaly).toBe('stale read in causal past');
    expect(result.witness?.operations.map((o) => o.description)).toEqual(['write 1', 'write 2', 'read -> 2', 'read -> 1']);
  });

  it('a value written twice and read is not differentiated: unknown', () => {
    const result = run(causal, 'p1 w x 1; p2 w x 1; p3 r x 1');
    expect(result.verdict).toBe('unknown');
    expect(result.reason).toMatch(/not differentiated/);
    expect(run(causal, 'p1 w x 1; p2 w x 1; p3 r x null').verdict).toBe('true');
    expect(run(causal, 'p1 del x; p2 r x null').verdict).toBe('unknown');
  });

  it('an info write nobody read may not have happened; one that was read did', () => {
    expect(verdicts('p1 w x 1 ?; p1 r x null')).toEqual(all('true'));
    expect(verdicts('p1 w x 1 ?; p2 r x 1; p2 r x null')).toEqual(all('false'));
    expect(run(causal, 'p1 cas x 5 6 ?; p2 r x 6').witness?.anomaly).toBe('thin-air read');
  });

  it('appends: the reads reveal what each append read', () => {
    expect(verdicts('p1 app x "1,"; p2 app x "2,"; p3 r x "1,2,"; p3 r x "1,2,"')).toEqual(all('true'));
    // p3 sees append 2 (which read append 1's "1,"), then only append 1.
    const text = 'p1 app x "1,"; p2 app x "2,"; p3 r x "1,2,"; p3 r x "1,"';
    expect(run(weakCausal, text).witness?.anomaly).toBe('stale read in causal past');
    expect(run(causal, 'p1 app x "1,"; p2 app x "2,"; p3 r x "2,1,"; p3 r x "1,2,"').witness?.anomaly).toBe('thin-air read');
  });

  it('past the deadline or the memory: unknown, and the memory given back', () => {
    const ops = Array.from({ length: 3000 }, (_, i) => `p${(i % 3) + 1} ${i % 2 ? `r x ${i - 1}` : `w x ${i}`}`).join('; ');
    for (const check of CHECKS) {
      const late: ConsistencyBudget = { now: () => 10, deadline: 0, memory: { used: 0, max: Infinity } };
      expect(check.check({ dataType: 'kv', operations: history(ops) }, late).reason).toMatch(/out of time/);
      const small: ConsistencyBudget = { now: () => 0, deadline: Infinity, memory: { used: 5, max: 1000 } };
      expect(check.check({ dataType: 'kv', operations: history(ops) }, small).reason).toMatch(/out of memory/);
      expect(small.memory.used).toBe(5);
      expect(late.memory.used).toBe(0);
    }
  });

  it('figures count what the checks saw', () => {
    const result = run(causalConvergence, 'p1 w x 1; p2 r x 1; p2 w x 2');
    expect(result).toMatchObject({ verdict: 'true', witness: null, reason: null });
    expect(result.figures).toMatchObject({ operations: 3, reads: 1, writes: 2 });
  });
});
