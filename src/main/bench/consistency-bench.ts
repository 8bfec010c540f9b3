// The causal family and the session guarantees on large generated histories (unique values, so
// differentiated; linearizable by construction, so every check runs to the end and answers true).
// Targets from the issue: the session guarantees on 1,000,000 operations and causal memory on
// 10,000, each within 2 s.

import { checkOperations, HistoryBuilder, parseHistory, type Operation } from '../checker/index.ts';
import { generateHistory } from '../checker/generate.ts';
import { registerHistory } from './checker-bench.ts';
import { sequentialCheck } from '../checker/consistency/sequential.ts';
import { causal, causalConvergence, weakCausal } from '../checker/consistency/causal.ts';
import type { ConsistencyCheck } from '../checker/consistency/contract.ts';
import { pram } from '../checker/consistency/pram.ts';
import { resolveReadFrom } from '../checker/consistency/read-from.ts';
import { SESSION_GUARANTEES } from '../checker/consistency/session.ts';
import { convergentCheck } from '../checker/consistency/convergent.ts';
import { createRng } from '../../shared/rng.ts';
import { ResidentPeak, type BenchFigure, type BenchSuite } from './types.ts';

function operations(seed: string, count: number, keys: number, processes: number): { ops: Operation[]; readMs: number } {
  // Final reads too, for convergence (the other checks read them as plain reads).
  const events = generateHistory(createRng(seed), { processes, operations: count, keys, mix: { read: 2, write: 1, cas: 0.5 }, infoRate: 0.01, finalReads: true });
  const started = performance.now();
  const builder = new HistoryBuilder('kv');
  events.forEach((event, i) => builder.add(event, i + 1));
  builder.finish();
  return { ops: builder.operations, readMs: performance.now() - started };
}

function timed(check: ConsistencyCheck, ops: Operation[]): { ms: number; verdict: string } {
  const started = performance.now();
  const result = check.check({ dataType: 'kv', operations: ops }, { now: () => performance.now(), deadline: Infinity, memory: { used: 0, max: 4 * 2 ** 30 } });
  return { ms: performance.now() - started, verdict: result.verdict };
}

export const consistencyBench: BenchSuite = {
  name: 'consistency models',
  async run(progress) {
    const figures: BenchFigure[] = [];
    const memory = new ResidentPeak();

    progress('sequential against linearizable: the 100 register histories of the checker bench');
    // The same histories as the checker bench's (a).
    const registers = Array.from({ length: 100 }, (_, i) => parseHistory(registerHistory(100 + i, 5, 85), 'register').operations);
    const sequentialAll = (): string[] => registers.map((ops) => sequentialCheck.check({ dataType: 'register', operations: ops }, { now: () => performance.now(), deadline: performance.now() + 30_000, memory: { used: 0, max: 2 ** 30 } }).verdict);
    const linearizableAll = (): string[] => registers.map((ops) => checkOperations(ops, { timeoutMs: 30_000 }).linearizable);
    // A few milliseconds each: five alternating rounds, the fastest of each, so that neither side
    // pays the JIT's warming or a stray pause of the machine alone.
    let sequentialMs = Number.POSITIVE_INFINITY;
    let linearizableMs = Number.POSITIVE_INFINITY;
    let sequentialVerdicts: string[] = [];
    for (let round = 0; round < 5; round++) {
      const started = performance.now();
      sequentialVerdicts = sequentialAll();
      const between = performance.now();
      linearizableAll();
      sequentialMs = Math.min(sequentialMs, between - started);
      linearizableMs = Math.min(linearizableMs, performance.now() - between);
    }
    memory.sample();
    figures.push({
      name: 'consistency.sequential.registers',
      label: `sequential, 100 register histories, fastest of 5 rounds (${sequentialVerdicts.filter((v) => v === 'true').length} true, ${sequentialVerdicts.filter((v) => v === 'unknown').length} unknown)`,
      value: sequentialMs,
      unit: 'ms',
      baseline: { label: 'linearizable on the same histories, fastest of the same rounds', value: linearizableMs },
      ratio: sequentialMs / linearizableMs,
      better: 'lower',
      target: { text: '<= 2x linearizable', met: sequentialMs <= 2 * linearizableMs },
    });

    progress('session guarantees: 1,000,000 operations, 8 processes, 100 keys');
    const { ops: big, readMs } = operations('consistency-1m', 1_000_000, 100, 8);
    const resolve = performance.now();
    resolveReadFrom({ dataType: 'kv', operations: big });
    const resolveMs = performance.now() - resolve;
    figures.push({ name: 'consistency.readFrom.1m', label: `read-from of ${big.length.toLocaleString('en-US')} operations (once per history, shared by the checks)`, value: resolveMs, unit: 'ms', better: 'lower' });
    for (const check of [...SESSION_GUARANTEES, convergentCheck]) {
      const { ms, verdict } = timed(check, big);
      memory.sample();
      figures.push({
        name: `consistency.${check.name}.1m`,
        label: `${check.name} after it (${verdict})`,
        value: ms,
        unit: 'ms',
        // The floor any check pays: reading the same history's events into operations.
        baseline: { label: 'reading the 1,000,000 operations from their events', value: readMs },
        ratio: ms / readMs,
        better: 'lower',
        target: { text: '<= 2,000 ms with read-from, with a verdict', met: verdict !== 'unknown' && ms + resolveMs <= 2000 },
      });
    }
    for (const [keys, processes] of [[1, 5], [5, 5], [20, 10]] as const) {
      progress(`causal family: 10,000 operations, ${processes} processes, ${keys} key(s)`);
      const { ops } = operations(`consistency-10k-${keys}`, 10_000, keys, processes);
      for (const check of [causal, causalConvergence, weakCausal, pram]) {
        // The first check of a history pays its read-from: each is timed on a fresh copy.
        const { ms, verdict } = timed(check, [...ops]);
        figures.push({
          name: `consistency.${check.name}.10k.${keys}keys`,
          label: `${check.name}, ${ops.length.toLocaleString('en-US')} operations, ${keys} key(s) (${verdict})`,
          value: ms,
          unit: 'ms',
          better: 'lower',
          ...(check === causal ? { target: { text: '<= 2,000 ms', met: ms <= 2000 } } : {}),
        });
      }
    }
    const usedMiB = memory.addedMiB();
    figures.push({ name: 'consistency.memory', label: 'resident memory added while checking (peak sampled)', value: usedMiB, unit: 'MiB', better: 'lower', target: { text: '<= 1,024 MiB', met: usedMiB <= 1024 } });
    return figures;
  },
};
