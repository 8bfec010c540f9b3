// The baseline for the cluster's throughput: one thread appending log entries to its own SQLite
// file, in the same sync mode and batch size as the cluster, doing nothing else.
import { parentPort, workerData } from 'node:worker_threads';
import { openLogTable } from './log-table.ts';

interface WriterJob {
  path: string;
  sync: 'full' | 'normal';
  batch: number;
  /** Written first and not counted, as the cluster's warm-up is not (see WARMUP_MS). */
  warmupMs: number;
  durationMs: number;
}

const job = workerData as WriterJob;
const { db, insert } = openLogTable(job.path, job.sync);
let index = 0;
const appendBatch = db.transaction((n: number) => {
  for (let i = 0; i < n; i++) {
    index++;
    insert.run(index, 1, JSON.stringify({ type: 'command', request: { clientId: 1 + (index % 50), seq: index, op: { f: 'write', key: `k${index % 8}`, value: index } } }));
  }
});
const warmupStarted = performance.now();
while (performance.now() - warmupStarted < job.warmupMs) appendBatch(job.batch);
const warmupEntries = index;
const started = performance.now();
while (performance.now() - started < job.durationMs) appendBatch(job.batch);
const seconds = (performance.now() - started) / 1000;
db.close();
parentPort?.postMessage({ entries: index - warmupEntries, seconds });
