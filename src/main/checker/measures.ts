// What one run's client history says about the system that served it, in the figures a
// comparison puts side by side: how many operations, how they ended, how fast the acknowledged
// ones were, how available the system was, which consistency models held, and how many
// acknowledged writes the final reads no longer hold. The same figures for the CLI's `compare`
// and the window's comparison panel.

import type { HistoryEvent, WorkloadDataType } from '../../shared/history.ts';
import { CONSISTENCY_NAMES, type ConsistencyName, type ConsistencyVerdict } from '../../shared/consistency.ts';
import { HistoryBuilder, HistoryError, type Operation } from './history.ts';
import { checkConsistency } from './consistency/registry.ts';
import type { ConsistencyBudget, ModelResult } from './consistency/contract.ts';

export interface Measures {
  /** Operations invoked. */
  ops: number;
  ok: number;
  fail: number;
  /** Ended with unknown outcome, or still open when the history ends. */
  info: number;
  /** Acknowledged writes the final reads no longer hold (null: no final reads to tell). */
  lostWrites: number | null;
  models: Record<ConsistencyName, ConsistencyVerdict>;
  /** The strongest models that hold. */
  strongest: ConsistencyName[];
  linearizable: ConsistencyVerdict;
  /** The promised model holds (true when nothing is promised); unknown is not kept. */
  kept: boolean;
  /** The promised model's result, for its witness (null when nothing is promised). */
  promised: ModelResult | null;
  /** Latency of acknowledged operations, milliseconds (null: none acknowledged). */
  p50Ms: number | null;
  p99Ms: number | null;
  /** Operations acknowledged over operations that ended (0 to 1; null when none ended). */
  availability: number | null;
  /** Why the models could not be judged (a history the checker refuses), else null. */
  problem: string | null;
}

export interface MeasureOptions {
  /** What the keys hold; absent: read off the history (inferDataType). */
  dataType?: WorkloadDataType;
  promises: ConsistencyName | null;
  /** The consistency checks' time budget, all together. */
  timeoutMs?: number;
}

/**
 * What a history's keys hold, read off its operations: a set has removes, or reads that return
 * lists while adds are made; a counter has adds; anything else is registers (whose reads may
 * return lists too: siblings).
 */
export function inferDataType(history: readonly HistoryEvent[]): WorkloadDataType {
  const reader = new DataTypeReader();
  for (const e of history) reader.add(e);
  return reader.dataType;
}

/** inferDataType one event at a time, for a history that grows (the live checks' thread). */
export class DataTypeReader {
  private removes = false;
  private adds = false;
  private listReads = false;

  add(e: HistoryEvent): void {
    if (e.f === 'remove') this.removes = true;
    else if (e.f === 'add') this.adds = true;
    else if (e.f === 'read' && e.type === 'ok' && Array.isArray(e.value)) this.listReads = true;
  }

  get dataType(): WorkloadDataType {
    if (this.removes) return 'set';
    return this.adds ? (this.listReads ? 'set' : 'counter') : 'kv';
  }
}

/** The history's operations as the checks take them, or why the checker refuses it. */
function operationsOf(history: readonly HistoryEvent[], dataType: WorkloadDataType): { operations: Operation[] } | { problem: string } {
  const builder = new HistoryBuilder(dataType);
  try {
    history.forEach((event, i) => builder.add(event, i + 1));
    builder.finish();
  } catch (error) {
    if (!(error instanceof HistoryError)) throw error;
    return { problem: error.message };
  }
  return { operations: builder.operations };
}

function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}

export function measureHistory(history: readonly HistoryEvent[], options: MeasureOptions): Measures {
  const open = new Map<number, HistoryEvent>();
  const latencies: number[] = [];
  let ops = 0;
  let ok = 0;
  let fail = 0;
  let info = 0;
  for (const e of history) {
    if (e.type === 'invoke') {
      ops++;
      open.set(e.process, e);
      continue;
    }
    const invoke = open.get(e.process);
    open.delete(e.process);
    if (e.type === 'ok') {
      ok++;
      if (invoke?.time !== undefined && e.time !== undefined) latencies.push((e.time - invoke.time) / 1e6);
    } else if (e.type === 'fail') fail++;
    else info++;
  }
  info += open.size;
  latencies.sort((a, b) => a - b);
  const ended = ok + fail + info;
  const base = { ops, ok, fail, info, p50Ms: percentile(latencies, 0.5), p99Ms: percentile(latencies, 0.99), availability: ended === 0 ? null : ok / ended };

  const models = Object.fromEntries(CONSISTENCY_NAMES.map((name) => [name, 'unknown'])) as Record<ConsistencyName, ConsistencyVerdict>;
  const dataType = options.dataType ?? inferDataType(history);
  const read = operationsOf(history, dataType);
  if ('problem' in read) return { ...base, lostWrites: null, models, strongest: [], linearizable: 'unknown', kept: options.promises === null, promised: null, problem: read.problem };
  const report = checkConsistency({ dataType, operations: read.operations }, CONSISTENCY_NAMES, budgetOf(options.timeoutMs ?? 10_000));
  for (const result of report.results) models[result.model] = result.verdict;
  const convergent = report.results.find((r) => r.model === 'convergent');
  const finalReads = convergent?.figures.finalReads ?? 0;
  const promised = options.promises === null ? null : (report.results.find((r) => r.model === options.promises) ?? null);
  return {
    ...base,
    lostWrites: finalReads > 0 && convergent?.figures.lost !== undefined ? convergent.figures.lost : null,
    models,
    strongest: report.strongest,
    linearizable: models.linearizable,
    kept: options.promises === null || promised?.verdict === 'true',
    promised,
    problem: null,
  };
}

export interface AvailabilityBucket {
  /** The bucket's start, milliseconds from the history's first event. */
  startMs: number;
  /** Operations that ended in the bucket, and how many of them were acknowledged. */
  ended: number;
  ok: number;
}

/** Availability over time: the operations that ended in each bucket of `bucketMs`, and the acknowledged ones. */
export function availabilitySeries(history: readonly HistoryEvent[], bucketMs: number): AvailabilityBucket[] {
  const first = history.find((e) => e.time !== undefined)?.time;
  if (first === undefined || !(bucketMs > 0)) return [];
  const buckets: AvailabilityBucket[] = [];
  for (const e of history) {
    if (e.type === 'invoke' || e.time === undefined) continue;
    const at = Math.max(0, Math.floor((e.time - first) / 1e6 / bucketMs));
    while (buckets.length <= at) buckets.push({ startMs: buckets.length * bucketMs, ended: 0, ok: 0 });
    const bucket = buckets[at] as AvailabilityBucket;
    bucket.ended++;
    if (e.type === 'ok') bucket.ok++;
  }
  return buckets;
}

/**
 * One model's verdict on a whole history (a run's promise): the model's own check, with what the
 * hierarchy lets it settle cheaply. A history the checker refuses is 'unknown', with the reason.
 */
export function judgePromise(history: readonly HistoryEvent[], dataType: WorkloadDataType, model: ConsistencyName, timeoutMs: number): ModelResult {
  const read = operationsOf(history, dataType);
  if ('problem' in read) return { model, verdict: 'unknown', witness: null, reason: `the history cannot be checked: ${read.problem}`, figures: {} };
  return checkConsistency({ dataType, operations: read.operations }, [model], budgetOf(timeoutMs)).results[0] as ModelResult;
}

/** The checks' time from now, and a gibibyte of memory. */
function budgetOf(timeoutMs: number): ConsistencyBudget {
  const started = performance.now();
  return { now: () => performance.now(), deadline: started + timeoutMs, memory: { used: 0, max: 2 ** 30 } };
}
