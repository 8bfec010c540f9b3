// One of generate's worker threads: records a session, or exports one session's share of the
// data set, as the main thread asks.

import { parentPort } from 'node:worker_threads';
import { BufferPool } from '../record/chunks.ts';
import { exportSessionShare, shareBuffers, type DATASET_LINE_FILES, type PartCounts } from '../record/export.ts';
import type { PoolMessage } from './worker-pool.ts';
import type { CliIo } from './cli.ts';
import { runSession, type RunSettings } from './run.ts';
import { TransitionCapture } from '../record/transition-capture.ts';

/** Record one session, then write its share of the data set while its file is still warm. */
export interface GenerateTask {
  settings: RunSettings & { recordFile: string };
  session: string;
}

export interface GenerateAnswer {
  exitCode: number;
  counts: PartCounts;
  /** The session's lines for each data set file, handed over without a copy. */
  data: Record<(typeof DATASET_LINE_FILES)[number], Uint8Array[]>;
}

const port = parentPort;
if (port === null) throw new Error('generate-worker.ts runs only as a worker thread');
const quiet: CliIo = { out: () => undefined, err: () => undefined, stdin: process.stdin };
/** A share's pieces, back from the main thread once written (a session's share is about 100 MB). */
const pieces = new BufferPool(160 * 1024 * 1024);

async function generateOne(task: GenerateTask): Promise<GenerateAnswer> {
  // Pieces of an earlier share that the main thread has written by now come in with this turn of
  // the event loop (see WorkerPool.giveBack), and this session fills them instead of new memory.
  await new Promise((resolve) => setImmediate(resolve));
  // A simulation's transitions are written as it runs; worker threads' come from re-execution.
  const capture = task.settings.sim ? new TransitionCapture(task.session, pieces) : undefined;
  const exitCode = await runSession(task.settings, quiet, capture);
  // And those written while it ran, for the rest of the share.
  await new Promise((resolve) => setImmediate(resolve));
  const share = await exportSessionShare(task.settings.recordFile, task.session, pieces, capture?.finish());
  return { exitCode, ...share };
}

port.on('message', (message: PoolMessage<GenerateTask>) => {
  if ('spent' in message) {
    for (const buffer of message.spent) pieces.give(buffer);
    return;
  }
  generateOne(message.task).then(
    (value) => port.postMessage({ ok: true, value }, shareBuffers(value.data)),
    (error: unknown) => port.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
