// The thread that checks every consistency model of a live cluster's client history: the main
// thread routes every message between nodes, and a search (sequential consistency's is
// NP-complete) must never hold a message up. It holds the history; each round brings the events
// since the last one and answers every model's verdict on all of it.

import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { parentPort } from 'node:worker_threads';
import { HistoryBuilder } from '../checker/history.ts';
import { DataTypeReader } from '../checker/measures.ts';
import type { HistoryEvent, WorkloadDataType } from '../../shared/history.ts';
import type { ConsistencyAnswer, ConsistencyRequest } from './consistency-protocol.ts';
import { modelVerdicts } from '../checker/consistency/verdict-views.ts';

const port = parentPort;
if (port === null) throw new Error('consistency-thread.ts runs only as a worker thread');

/**
 * Verdicts can wait a round; the node threads cannot (see recorder-writer.ts, which measured it):
 * at the lowest priority the checks take only the time the cluster leaves idle.
 */
function lowerThisThreadsPriority(): void {
  try {
    const threadId = Number(readlinkSync('/proc/thread-self').split('/').pop());
    if (Number.isInteger(threadId) && threadId > 0) setPriority(threadId, 19);
  } catch {
    // Not Linux, or not allowed: the checks run at the app's priority.
  }
}

lowerThisThreadsPriority();
// The data type is read off the history (registers until a counter's or a set's operation shows):
// when it changes, the history is built again from every event, under the new type.
const events: HistoryEvent[] = [];
const reader = new DataTypeReader();
let dataType: WorkloadDataType = 'kv';
let history = new HistoryBuilder(dataType);
let line = 0;

port.on('message', (message: ConsistencyRequest) => {
  try {
    events.push(...message.events);
    for (const event of message.events) reader.add(event);
    const now = reader.dataType;
    if (now !== dataType) {
      dataType = now;
      history = new HistoryBuilder(dataType);
      line = 0;
      for (const event of events) history.add(event, ++line);
    } else for (const event of message.events) history.add(event, ++line);
    // An operation still open may already have taken effect: it counts as of unknown outcome for now.
    const operations = [...history.operations, ...history.openAsIndefinite()];
    const verdicts = modelVerdicts(operations, message.budgetMs, { results: message.settled, times: new Map(message.times) }, undefined, dataType);
    port.postMessage({ type: 'verdicts', verdicts } satisfies ConsistencyAnswer);
  } catch (error) {
    port.postMessage({ type: 'error', message: (error as Error).message } satisfies ConsistencyAnswer);
  }
});
