// The thread that measures both sides of a comparison: the main thread routes every message of two
// clusters and must not wait for a consistency search. It holds both client histories; each round
// brings the events since the last one and answers each side's measures on all of its history.

import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import type { ComparisonMeasures, ModelVerdictView } from '../../shared/bridge.ts';
import { CONSISTENCY_NAMES, type ConsistencyName } from '../../shared/consistency.ts';
import type { HistoryEvent, WorkloadDataType } from '../../shared/history.ts';
import { availabilitySeries, measureHistory } from '../checker/measures.ts';

export interface MeasuresRequest {
  type: 'round';
  /** Each side's client events since the last round, in the order they happened. */
  events: [HistoryEvent[], HistoryEvent[]];
  promises: [ConsistencyName | null, ConsistencyName | null];
  /** What the workload's keys hold. */
  dataType: WorkloadDataType;
  /** How long each side's consistency checks may search. */
  budgetMs: number;
  bucketMs: number;
  /** The comparison's time when the round was asked for. */
  atMs: number;
  /** The history clock's reading when the comparison started: where its charts count from. */
  originNs: number;
}

export type MeasuresAnswer = { type: 'measures'; sides: [ComparisonMeasures, ComparisonMeasures] } | { type: 'error'; message: string };

const port = parentPort;
if (port === null) throw new Error('comparison-thread.ts runs only as a worker thread');

/** As the consistency thread does: the measures can wait a round, the node threads cannot. */
function lowerThisThreadsPriority(): void {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(threadId) && threadId > 0) setPriority(threadId, 19);
  } catch {
    // Not Linux, or not allowed: the measures run at the app's priority.
  }
}

lowerThisThreadsPriority();
const histories: [HistoryEvent[], HistoryEvent[]] = [[], []];

function measure(history: readonly HistoryEvent[], promises: ConsistencyName | null, request: MeasuresRequest): ComparisonMeasures {
  const m = measureHistory(history, { dataType: request.dataType, promises, timeoutMs: request.budgetMs });
  const unknown = m.problem === null ? 'not settled in the time the comparison gives each round' : `the history cannot be checked: ${m.problem}`;
  const models: ModelVerdictView[] = CONSISTENCY_NAMES.map((model) => {
    const verdict = m.models[model];
    return { model, verdict, impliedBy: null, reason: verdict === 'unknown' ? unknown : null, witness: null };
  });
  // The series counts from the history's first event; the chart, like the faults, from the comparison's start.
  const first = history.find((e) => e.time !== undefined)?.time ?? 0;
  return {
    ops: m.ops,
    ok: m.ok,
    fail: m.fail,
    info: m.info,
    lostWrites: m.lostWrites,
    models,
    strongest: m.strongest,
    kept: m.kept,
    p50Ms: m.p50Ms,
    p99Ms: m.p99Ms,
    availability: m.availability,
    series: availabilitySeries(history, request.bucketMs).map((b) => ({ startMs: b.startMs + Math.max(0, first - request.originNs) / 1e6, ok: b.ok, tried: b.ended })),
    atMs: request.atMs,
  };
}

port.on('message', (request: MeasuresRequest) => {
  try {
    for (const side of [0, 1] as const) for (const event of request.events[side]) histories[side].push(event);
    const sides: [ComparisonMeasures, ComparisonMeasures] = [measure(histories[0], request.promises[0], request), measure(histories[1], request.promises[1], request)];
    port.postMessage({ type: 'measures', sides } satisfies MeasuresAnswer);
  } catch (error) {
    port.postMessage({ type: 'error', message: (error as Error).message } satisfies MeasuresAnswer);
  }
});
