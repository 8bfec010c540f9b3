// One node in its own thread: the algorithm, its SQLite file, and one port to the main process,
// which is the network. The order of a Ready is kept here: unless the node says its outputs reveal
// nothing of the write (Ready.persistFirst false), the transaction commits, then the Ready goes to
// the main process, which only then lets its messages and replies out.

import { parentPort, workerData } from 'node:worker_threads';
import { createRng } from '../../shared/rng.ts';
import { getAlgorithm } from '../index.ts';
import type { AppliedEntry, ConsensusNode, PersistBatch, Ready } from '../types.ts';
import type { FromWorker, ToWorker, WorkerConfig } from './protocol.ts';
import { fromWireInput, toWireEnvelope } from './wire.ts';
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

/**
 * A write nothing waits for (a commit index, the applied entries mirrored into the kv table): it
 * rides along with the next write, or goes on its own after DEFERRED_WRITE_MS. Under load that is
 * one transaction (one fsync) per round of client writes instead of two. A crash before it lands
 * loses nothing the node needs: Raft relearns its commit index and re-applies from the log; the
 * kv table, which people inspect, is at most that much behind.
 */
const DEFERRED_WRITE_MS = 20;
let deferred: { batch: PersistBatch | null; applied: AppliedEntry[] } | null = null;

function write(batch: PersistBatch | null, applied: readonly AppliedEntry[]): void {
  if (deferred !== null) {
    // The newer batch's hard state, when it has one, supersedes the deferred one.
    const earlier = deferred;
    deferred = null;
    batch = batch === null ? earlier.batch : { ...batch, hardState: batch.hardState ?? earlier.batch?.hardState };
    applied = earlier.applied.length === 0 ? applied : [...earlier.applied, ...applied];
  }
  storage.writeReady(batch, applied);
}

function flushDeferred(): void {
  if (deferred === null) return;
  try {
    write(null, []);
  } catch (error) {
    fail(error);
  }
}

function defer(batch: PersistBatch | null, applied: readonly AppliedEntry[]): void {
  if (deferred === null) {
    deferred = { batch, applied: [...applied] };
    setTimeout(flushDeferred, DEFERRED_WRITE_MS);
    return;
  }
  if (batch !== null) deferred.batch = batch;
  for (const entry of applied) deferred.applied.push(entry);
}

function report(ready: Ready): void {
  const messages = ready.messages.map(toWireEnvelope);
  const sent = config.reportDetail ? { ...ready, messages } : { persist: null, messages, applied: [], replies: ready.replies };
  post({ type: 'ready', ready: sent, status: node.status(), loggedEntries: ready.persist?.log?.entries.length ?? 0 });
}

function drain(): void {
  while (node.hasReady()) {
    const ready = node.ready();
    const persist = ready.persist;
    if (ready.persistFirst !== false) {
      write(persist, ready.applied);
      report(ready);
    } else if (persist === null || (persist.log === undefined && persist.snapshot === undefined && persist.records === undefined)) {
      report(ready);
      defer(persist, ready.applied);
    } else {
      // A leader's new entries: out to the followers first, to the disk meanwhile, and durable
      // before this thread reads the next input (the acknowledgements that would count them).
      report(ready);
      write(persist, ready.applied);
    }
  }
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

port.on('message', (message: ToWorker) => {
  if (message.type === 'inspect') {
    post({ type: 'inspection', requestId: message.requestId, detail: node.inspect?.() ?? null });
    return;
  }
  if (message.type === 'close') {
    flushDeferred();
    storage.close();
    post({ type: 'closed' });
    return;
  }
  try {
    for (const input of message.inputs) node.step(fromWireInput(input));
    drain();
  } catch (error) {
    fail(error);
  }
});
