// One of generate's worker threads: records a session, or exports one session's share of the
// data set, as the main thread asks.

import { parentPort } from 'node:worker_threads';
import { exportSessionShare, type DATASET_LINE_FILES, type PartCounts } from '../record/export.ts';
import type { CliIo } from './cli.ts';
import { runSession, type RunSettings } from './run.ts';

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

async function generateOne(task: GenerateTask): Promise<GenerateAnswer> {
  const exitCode = await runSession(task.settings, quiet);
  const share = await exportSessionShare(task.settings.recordFile, task.session);
  return { exitCode, ...share };
}

/** The pieces' memory, handed over rather than copied; small pieces share Node's buffer pool and are copied. */
function transferable(answer: GenerateAnswer): ArrayBuffer[] {
  const own = Object.values(answer.data).flatMap((pieces) => pieces.filter((bytes) => bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength).map((bytes) => bytes.buffer as ArrayBuffer));
  return [...new Set(own)];
}

port.on('message', (task: GenerateTask) => {
  generateOne(task).then(
    (value) => port.postMessage({ ok: true, value }, transferable(value)),
    (error: unknown) => port.postMessage({ ok: false, error: error instanceof Error ? error.message : String(error) }),
  );
});
