// One node in its own thread: the algorithm, its SQLite file, and one port to the main process,
// which is the network. The order of a Ready is kept here: the transaction commits, then the
// Ready goes to the main process, which only then lets its messages and replies out.

import { parentPort, workerData } from 'node:worker_threads';
import { createRng } from '../../shared/rng.ts';
import { getAlgorithm } from '../index.ts';
import type { ConsensusNode } from '../types.ts';
import type { FromWorker, ToWorker, WorkerConfig } from './protocol.ts';
import { SqliteStorage } from './sqlite-storage.ts';

const config = workerData as WorkerConfig;
const port = parentPort;
if (port === null) throw new Error('worker.ts runs only as a worker thread');

function post(message: FromWorker): void {
  (port as NonNullable<typeof port>).postMessage(message);
}

function fail(error: unknown): void {
  post({ type: 'failed', message: error instanceof Error ? error.message : String(error) });
  // A failed node stops for good; the main process marks it crashed and the cluster goes on.
  process.exit(1);
}

let storage: SqliteStorage;
let node: ConsensusNode;
try {
  const algorithm = getAlgorithm(config.algorithm);
  if (algorithm === undefined) throw new Error(`unknown algorithm ${config.algorithm}`);
  storage = new SqliteStorage(config.dbPath, { node: config.id, sync: config.sync });
  const persisted = storage.load();
  const rng = createRng(config.seed).fork(`${config.id}/${config.restarts}`);
  node = algorithm.create({ id: config.id, bootstrapVoters: config.bootstrapVoters, rng, options: { ...algorithm.defaultOptions, ...(config.options as object) } }, persisted);
  post({ type: 'started', status: node.status(), persisted });
  drain();
} catch (error) {
  fail(error);
}

function drain(): void {
  while (node.hasReady()) {
    const ready = node.ready();
    storage.writeReady(ready.persist, ready.applied);
    const sent = config.reportDetail ? ready : { persist: null, messages: ready.messages, applied: [], replies: ready.replies };
    post({ type: 'ready', ready: sent, status: node.status(), loggedEntries: ready.persist?.log?.entries.length ?? 0 });
  }
}

port.on('message', (message: ToWorker) => {
  if (message.type === 'close') {
    storage.close();
    post({ type: 'closed' });
    return;
  }
  try {
    for (const input of message.inputs) node.step(input);
    drain();
  } catch (error) {
    fail(error);
  }
});
