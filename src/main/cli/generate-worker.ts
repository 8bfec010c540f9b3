// One of generate's worker threads: records a session and makes its share of the data set, as the
// main thread asks.

import { parentPort } from 'node:worker_threads';
import { BufferPool } from '../record/chunks.ts';
import { exportSessionShare, shareBuffers, type SessionShare } from '../record/export.ts';
import type { PoolMessage } from './worker-pool.ts';
import type { CliIo } from './cli.ts';
import { runSession, type RunSettings } from './run.ts';
import { ShareCapture } from '../record/share-capture.ts';

/** Record one session and make its share of the data set. */
export interface GenerateTask {
  settings: RunSettings & { recordFile: string };
  session: string;
}

/** The share's pieces are handed over without a copy. */
export interface GenerateAnswer extends SessionShare {
  exitCode: number;
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
  // A simulation's share is made as it runs; worker threads' is read back from the file.
  if (task.settings.sim) {
    const capture = new ShareCapture(task.session, pieces);
    const exitCode = await runSession(task.settings, quiet, capture);
    return { exitCode, ...capture.finish() };
  }
  const exitCode = await runSession(task.settings, quiet);
  // The file is read back while it is still warm; pieces written back meanwhile come in first.
  await new Promise((resolve) => setImmediate(resolve));
  return { exitCode, ...(await exportSessionShare(task.settings.recordFile, task.session, pieces)) };
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
