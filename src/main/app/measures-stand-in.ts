// STAND-IN for src/main/checker/measures.ts, which the lead engineer is writing: the same
// signatures (measureHistory, availabilitySeries) so the comparison can be built against them now.
// Delete this file and import from '../checker/measures.ts' once that lands on main.

import type { ConsistencyName } from '../../shared/consistency.ts';
import { CONSISTENCY_NAMES } from '../../shared/consistency.ts';
import type { HistoryEvent, KvScalar, WorkloadDataType } from '../../shared/history.ts';
import { HistoryBuilder } from '../checker/history.ts';
import { modelVerdicts } from '../checker/consistency/verdict-views.ts';
import { percentile } from '../../shared/stats.ts';

export interface Measures {
  ops: number;
  ok: number;
  fail: number;
  info: number;
  lostWrites: number;
  strongest: ConsistencyName[];
  models: Record<ConsistencyName, 'true' | 'false' | 'unknown'>;
  linearizable: 'true' | 'false' | 'unknown';
  kept: boolean;
  p50Ms: number | null;
  p99Ms: number | null;
  /** ok over tried, null before anything completed. */
  availability: number | null;
}

export interface AvailabilityBucket {
  /** Start of the bucket, milliseconds from the history's time zero. */
  startMs: number;
  ok: number;
  tried: number;
}

const NS_PER_MS = 1e6;

export function measureHistory(history: readonly HistoryEvent[], options: { dataType: WorkloadDataType; promises: ConsistencyName | null; timeoutMs?: number }): Measures {
  const open = new Map<number, HistoryEvent>();
  const latencies: number[] = [];
  let ok = 0;
  let fail = 0;
  let info = 0;
  for (const event of history) {
    if (event.type === 'invoke') {
      open.set(event.process, event);
      continue;
    }
    const invoke = open.get(event.process);
    open.delete(event.process);
    if (event.type === 'ok') {
      ok++;
      if (invoke?.time !== undefined && event.time !== undefined) latencies.push((event.time - invoke.time) / NS_PER_MS);
    } else if (event.type === 'fail') fail++;
    else info++;
  }
  latencies.sort((a, b) => a - b);

  const builder = new HistoryBuilder(options.dataType);
  history.forEach((event, i) => builder.add(event, i + 1));
  const verdicts = modelVerdicts([...builder.operations, ...builder.openAsIndefinite()], options.timeoutMs ?? 1000);
  const models = Object.fromEntries(CONSISTENCY_NAMES.map((name) => [name, 'unknown'])) as Measures['models'];
  for (const m of verdicts.models) models[m.model] = m.verdict;
  const tried = ok + fail + info;
  return {
    ops: open.size + tried,
    ok,
    fail,
    info,
    lostWrites: lostWrites(history),
    strongest: verdicts.strongest,
    models,
    linearizable: models.linearizable,
    kept: options.promises === null || models[options.promises] !== 'false',
    p50Ms: percentile(latencies, 0.5),
    p99Ms: percentile(latencies, 0.99),
    availability: tried === 0 ? null : ok / tried,
  };
}

/**
 * Acknowledged writes that a later read shows gone: a read invoked after the write was acknowledged
 * returned a value that only writes finished before this write began could have written (or the
 * initial null, with no delete on the key). A rough count; the lead's measures decide the real one.
 */
function lostWrites(history: readonly HistoryEvent[]): number {
  /** `acknowledged` false: of unknown outcome (info), so it may have written its value at any time after it began. */
  interface Write { key: string; value: KvScalar; start: number; end: number; acknowledged: boolean }
  const invokes = new Map<number, HistoryEvent>();
  const writes: Write[] = [];
  const reads: Array<{ key: string; value: unknown; start: number }> = [];
  const deleted = new Set<string>();
  for (const [i, event] of history.entries()) {
    const time = event.time ?? i;
    if (event.type === 'invoke') {
      invokes.set(event.process, { ...event, time });
      if (event.f === 'delete' && event.key !== undefined) deleted.add(event.key);
      continue;
    }
    const invoke = invokes.get(event.process);
    invokes.delete(event.process);
    if (invoke === undefined || event.type === 'fail' || event.key === undefined) continue;
    if (event.f === 'write') writes.push({ key: event.key, value: invoke.value as KvScalar, start: invoke.time as number, end: event.type === 'ok' ? time : Number.POSITIVE_INFINITY, acknowledged: event.type === 'ok' });
    else if (event.f === 'read' && event.type === 'ok') reads.push({ key: event.key, value: event.value, start: invoke.time as number });
  }
  const byKey = new Map<string, Write[]>();
  for (const w of writes) byKey.set(w.key, [...(byKey.get(w.key) ?? []), w]);
  let lost = 0;
  for (const w of writes) {
    if (!w.acknowledged) continue;
    const same = byKey.get(w.key) ?? [];
    const gone = reads.some((r) => {
      if (r.key !== w.key || r.start <= w.end || r.value === w.value) return false;
      if (r.value === null) return !deleted.has(w.key);
      const writers = same.filter((o) => o.value === r.value);
      return writers.length > 0 && writers.every((o) => o.end < w.start);
    });
    if (gone) lost++;
  }
  return lost;
}

/** ok over tried per bucket of completions, by completion time from the history's time zero. */
export function availabilitySeries(history: readonly HistoryEvent[], bucketMs: number): AvailabilityBucket[] {
  const buckets: AvailabilityBucket[] = [];
  for (const event of history) {
    if (event.type === 'invoke' || event.time === undefined) continue;
    const index = Math.floor(event.time / NS_PER_MS / bucketMs);
    while (buckets.length <= index) buckets.push({ startMs: buckets.length * bucketMs, ok: 0, tried: 0 });
    const bucket = buckets[index] as AvailabilityBucket;
    bucket.tried++;
    if (event.type === 'ok') bucket.ok++;
  }
  return buckets;
}
