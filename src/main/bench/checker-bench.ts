// The linearizability checker on histories of the shapes Jepsen produces. Targets come from the
// issue (Porcupine's speed on such histories); the baseline, measured in the same run, is the same
// search without Lowe's memoization (plain Wing-Gong), on the histories where it finishes in time.

import { checkOperations, IncrementalChecker, parseHistory, partitionByKey, type Operation } from '../checker/index.ts';
import { generateHistory, injectAnomaly, toJsonLines } from '../checker/generate.ts';
import { searchRegister } from '../checker/wgl.ts';
import { createRng } from '../../shared/rng.ts';
import type { HistoryEvent } from '../../shared/history.ts';
import { ResidentPeak, type BenchFigure, type BenchSuite } from './types.ts';

const casHeavy = { read: 3, write: 2, cas: 5 };

/** Jepsen-shaped single-register histories, cas-heavy, ~10% info; (a) is 100 of them, seeds 100.., 5 processes, 85 operations. */
export function registerHistory(seed: number, processes: number, operations: number): string {
  return toJsonLines(generateHistory(createRng(seed), { processes, operations, keys: 1, mix: casHeavy, infoRate: 0.1, register: true }));
}

/**
 * Makes a late read that saw an append return what the key held before that append, where the
 * append had been acknowledged before the read began: a stale read, the anomaly weak replication
 * produces (a value that was current once, not one never written).
 */
function injectStaleRead(events: HistoryEvent[]): void {
  const acknowledgedAt = new Map<string, number>();
  events.forEach((e) => e.f === 'append' && e.type === 'ok' && acknowledgedAt.set(`${e.key}:${String(e.value)}`, e.time ?? 0));
  const invokedAt = new Map<number, number>();
  const reads: Array<{ index: number; start: number }> = [];
  events.forEach((e, index) => {
    if (e.type === 'invoke') invokedAt.set(e.process, e.time ?? 0);
    else if (e.type === 'ok' && e.f === 'read') reads.push({ index, start: invokedAt.get(e.process) ?? 0 });
  });
  for (const { index, start } of reads.reverse()) {
    const event = events[index] as HistoryEvent;
    if (typeof event.value !== 'string') continue;
    const parts = event.value.split(',').filter((part) => part !== '');
    const last = `${parts.at(-1)},`;
    const acked = acknowledgedAt.get(`${event.key}:${last}`);
    if (parts.length < 2 || acked === undefined || acked >= start) continue;
    events[index] = { ...event, value: `${parts.slice(0, -1).join(',')},` };
    return;
  }
  throw new Error('no read to make stale');
}

function time<T>(fn: () => T): { ms: number; value: T } {
  const started = performance.now();
  const value = fn();
  return { ms: performance.now() - started, value };
}

export const checkerBench: BenchSuite = {
  name: 'linearizability checker',
  async run(progress) {
    const figures: BenchFigure[] = [];
    const memory = new ResidentPeak();

    progress('(a) 100 register histories, 5 processes, ~170 events, cas-heavy, ~10% info');
    const a = Array.from({ length: 100 }, (_, i) => registerHistory(100 + i, 5, 85));
    const aParsed = a.map((text) => parseHistory(text, 'register'));
    for (const p of aParsed.slice(0, 5)) checkOperations(p.operations); // warm up the JIT
    const aRun = time(() => a.map((text) => checkOperations(parseHistory(text, 'register').operations, { timeoutMs: 30_000 }).linearizable));
    memory.sample();
    const aBase = time(() =>
      aParsed.map((p) => searchRegister(p.operations as Operation[], { now: () => performance.now(), deadline: performance.now() + 2000, memoize: false }).verdict),
    );
    figures.push({
      name: 'checker.a.total',
      label: `(a) 100 register histories (${a.reduce((n, t) => n + t.split('\n').length - 1, 0)} events, all ${aRun.value.every((v) => v === 'true') ? 'linearizable' : 'checked'})`,
      value: aRun.ms,
      unit: 'ms',
      baseline: { label: `without memoization${aBase.value.includes('unknown') ? `, ${aBase.value.filter((v) => v === 'unknown').length} cut off at 2 s` : ''}`, value: aBase.ms },
      ratio: aBase.ms / aRun.ms,
      better: 'lower',
      target: { text: '<= 1,500 ms', met: aRun.ms <= 1500 },
    });

    progress('(a) again, each with one injected anomaly: the search must exhaust every order');
    const broken = Array.from({ length: 100 }, (_, i) => {
      const rng = createRng(100 + i);
      const events = generateHistory(rng, { processes: 5, operations: 85, keys: 1, mix: casHeavy, infoRate: 0.1, register: true });
      injectAnomaly(rng, events);
      return parseHistory(toJsonLines(events), 'register');
    });
    const brokenRun = time(() => broken.map((p) => checkOperations(p.operations, { timeoutMs: 30_000 }).linearizable));
    memory.sample();
    const brokenBase = time(() => {
      const deadline = performance.now() + 5000;
      return broken.map((p) => searchRegister(p.operations as Operation[], { now: () => performance.now(), deadline, memoize: false }).verdict);
    });
    const cutOff = brokenBase.value.filter((v) => v === 'unknown').length;
    figures.push({
      name: 'checker.a-broken.total',
      label: `(a') the same 100 histories with one anomaly each (${brokenRun.value.filter((v) => v === 'false').length} found not linearizable)`,
      value: brokenRun.ms,
      unit: 'ms',
      baseline: { label: `without memoization${cutOff > 0 ? `, ${cutOff} histories cut off when 5 s ran out` : ''}`, value: brokenBase.ms },
      ratio: brokenBase.ms / brokenRun.ms,
      better: 'lower',
      target: { text: '<= 1,500 ms', met: brokenRun.ms <= 1500 },
    });

    progress('(b) one kv history, 50 processes, ~3,500 events, read/write/append over 10 keys');
    const b = toJsonLines(generateHistory(createRng(7), { processes: 50, operations: 1750, keys: 10, mix: { read: 4, write: 3, append: 3 }, infoRate: 0.05 }));
    const bRun = time(() => checkOperations(parseHistory(b, 'kv').operations, { timeoutMs: 30_000 }));
    memory.sample();
    const bKeys = partitionByKey(parseHistory(b, 'kv').operations);
    const bBase = time(() => {
      const deadline = performance.now() + 5000;
      return [...bKeys.values()].map((ops) => searchRegister(ops, { now: () => performance.now(), deadline, memoize: false }).verdict);
    });
    figures.push({
      name: 'checker.b.total',
      label: `(b) kv history, ${b.split('\n').length - 1} events, ${bRun.value.keys} keys: ${bRun.value.linearizable}`,
      value: bRun.ms,
      unit: 'ms',
      baseline: { label: `without memoization${bBase.value.includes('unknown') ? ' (cut off at 5 s)' : ''}`, value: bBase.ms },
      ratio: bBase.ms / bRun.ms,
      better: 'lower',
      target: { text: '<= 500 ms', met: bRun.ms <= 500 },
    });

    progress('(c) one register history, 10 processes, ~800 events, without partitioning');
    const c = parseHistory(registerHistory(11, 10, 400), 'register');
    const cRun = time(() => checkOperations(c.operations, { timeoutMs: 30_000 }));
    memory.sample();
    figures.push({ name: 'checker.c.total', label: `(c) register history, ${c.events} events: ${cRun.value.linearizable}`, value: cRun.ms, unit: 'ms', better: 'lower' });

    for (const processes of [5, 10, 20]) {
      for (const operations of [100, 400, 1600]) {
        const parsed = parseHistory(registerHistory(1000 + processes + operations, processes, operations), 'register');
        const run = time(() => checkOperations(parsed.operations, { timeoutMs: 10_000 }));
        memory.sample();
        figures.push({
          name: `checker.scale.p${processes}.e${operations * 2}`,
          label: `scaling: ${processes} processes, ${parsed.events} events: ${run.value.linearizable}`,
          value: run.ms,
          unit: 'ms',
          better: 'lower',
        });
      }
    }
    progress('(d) long histories: one key, 5,000 and 40,000 operations, 6 processes, ~1% info');
    // What a session of many minutes gives the checker: the search must stay linear in length.
    const long = (operations: number): Operation[] =>
      parseHistory(toJsonLines(generateHistory(createRng(17), { processes: 6, operations, keys: 1, mix: casHeavy, infoRate: 0.01, register: true })), 'register').operations;
    const shortOps = long(5000);
    const longOps = long(40_000);
    checkOperations(shortOps); // warm up
    const shortRun = time(() => checkOperations(shortOps, { timeoutMs: 60_000 }));
    const longRun = time(() => checkOperations(longOps, { timeoutMs: 60_000 }));
    memory.sample();
    const linear = shortRun.ms * (longOps.length / shortOps.length);
    figures.push({
      name: 'checker.long.40k',
      label: `(d) one key, ${longOps.length} operations: ${longRun.value.linearizable}`,
      value: longRun.ms,
      unit: 'ms',
      baseline: { label: `${shortOps.length} operations of the same kind (${shortRun.ms.toFixed(0)} ms), scaled linearly`, value: linear },
      // Above 1 by what info operations cost: one that never took effect stays outside the set the
      // search holds, and every cache entry keeps a word for it (see wgl.ts).
      ratio: longRun.ms / linear,
      better: 'lower',
    });

    progress('(e) the live check: a kv history fed event by event, checked every 1,000 events');
    // What the window does during a long workload: the check's cost should follow the recent
    // history, not the whole session's (IncrementalChecker cuts at quiescent points).
    const feed = generateHistory(createRng(23), { processes: 8, operations: 40_000, keys: 4, mix: { read: 4, write: 3, cas: 2, append: 1 }, infoRate: 0 });
    const liveCheck = (settleAfter: number): { worst: number; verdict: string } => {
      const checker = new IncrementalChecker('kv', { settleAfter });
      let worst = 0;
      let verdict = '';
      feed.forEach((event, i) => {
        checker.add(event);
        if ((i + 1) % 1000 !== 0 && i + 1 !== feed.length) return;
        const run = time(() => checker.check({ timeoutMs: 10_000 }).linearizable);
        worst = Math.max(worst, run.ms);
        verdict = run.value;
      });
      return { worst, verdict };
    };
    const cutting = liveCheck(256);
    const whole = liveCheck(Number.POSITIVE_INFINITY);
    memory.sample();
    figures.push({
      name: 'checker.live.worst',
      label: `(e) live check of ${feed.length} events, every 1,000 (${cutting.verdict}): the slowest check`,
      value: cutting.worst,
      unit: 'ms',
      baseline: { label: `searching each changed key's whole history every time (${whole.verdict})`, value: whole.worst },
      ratio: cutting.worst / whole.worst,
      better: 'lower',
    });

    progress('(f) many clients, few keys: 50 processes appending to and reading 10 keys, ~4,200 events, one stale read, and its linearizable twin');
    // The shape of history weak designs produce, on which the search used to run out of time on
    // every key or out of heap. The baseline is the search as it was: keys one after another, the
    // info operations as they come, no cut on appended keys (cut off at 5 s).
    for (const broken of [true, false]) {
      const rng = createRng(broken ? 31 : 37);
      const events = generateHistory(rng, { processes: 50, operations: 2100, keys: 10, mix: { append: 1, read: 1 }, infoRate: 0.05 });
      if (broken) injectStaleRead(events);
      const parsed = parseHistory(toJsonLines(events), 'kv');
      const run = time(() => checkOperations(parsed.operations, { timeoutMs: 30_000 }));
      memory.sample();
      const base = time(() => {
        const deadline = performance.now() + 5000;
        const verdicts = [...partitionByKey(parsed.operations).values()].map((ops) => searchRegister(ops, { now: () => performance.now(), deadline, cutAppends: false, memory: { used: 0, max: 2 * 2 ** 30 } }).verdict);
        return verdicts.includes('not_linearizable') ? 'false' : verdicts.includes('unknown') ? 'unknown' : 'true';
      });
      figures.push({
        name: `checker.few-keys.${broken ? 'broken' : 'twin'}`,
        label: `(f) 50 processes, 10 keys, ${parsed.events} events${broken ? ', one stale read' : ''}: ${run.value.linearizable}`,
        value: run.ms,
        unit: 'ms',
        baseline: { label: `the search as it was: ${base.value}${base.ms >= 5000 ? ' (cut off at 5 s)' : ''}`, value: base.ms },
        ratio: base.ms / run.ms,
        better: 'lower',
      });
    }

    const usedMiB = memory.addedMiB();
    figures.push({ name: 'checker.memory', label: 'resident memory added while checking (peak sampled)', value: usedMiB, unit: 'MiB', better: 'lower', target: { text: '<= 1,024 MiB', met: usedMiB <= 1024 } });
    return figures;
  },
};
