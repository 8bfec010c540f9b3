// One node in its own thread: the algorithm, its SQLite file, and one port to the main process,
// which is the network. The order of a Ready is kept here: unless the node says its outputs reveal
// nothing of the write (Ready.persistFirst false), the transaction commits, then the Ready goes to
// the main process, which only then lets its messages and replies out.

import { parentPort, workerData } from 'node:worker_threads';
import { createRng } from '../../shared/rng.ts';
import { getAlgorithm } from '../index.ts';
import type { AppliedEntry, ConsensusNode, PersistBatch, Ready } from '../types.ts';
import type { FromWorker, ToWorker, WireEnvelope, WireReady, WorkerConfig } from './protocol.ts';
import { decodeInputBatch } from './wire.ts';
import { digestReady } from '../ready-digest.ts';
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
 * A write nothing waits for (a commit index, a node's own snapshot) rides along with the next
 * write, or goes on its own after DEFERRED_WRITE_MS. Under load that is one transaction (one
 * fsync) per round of client writes instead of two, and a snapshot taken while applying does not
 * hold up the replies. A crash before it lands loses nothing the node needs: Raft relearns its
 * commit index, and the log on disk still holds what the snapshot folds. Applied entries go to the
 * storage, which mirrors them into the kv table with a write once they are MIRROR_MS old (see
 * SqliteStorage.writeReady); the mirror timer below makes sure they land when no write comes.
 * Both timers write on their own only when nothing carried their batch for a while: under load a
 * timer that fired on time beat the next round's write to it, and each such write alone cost the
 * node an fsync at sync full (a leader made one every 20 ms, each node a mirror every 50 ms).
 */
const DEFERRED_WRITE_MS = 20;
/** How long after the mirror is due the timer lets a write carry it before writing it alone. */
const MIRROR_GRACE_MS = 20;
let deferred: PersistBatch | null = null;
/** When what `deferred` holds began to wait: a write in between carried what the timer was set for. */
let deferredSince = 0;
let deferredTimer: NodeJS.Timeout | null = null;
let mirrorTimer: NodeJS.Timeout | null = null;

/** A deferred batch and a newer one as one: the newer hard state and snapshot, when present, supersede. */
function merge(older: PersistBatch, newer: PersistBatch): PersistBatch {
  return { ...newer, hardState: newer.hardState ?? older.hardState, snapshot: newer.snapshot ?? older.snapshot };
}

function write(batch: PersistBatch | null, applied: readonly AppliedEntry[]): void {
  if (deferred !== null && batch !== null) {
    batch = merge(deferred, batch);
    deferred = null;
  }
  storage.writeReady(batch, applied);
  armMirror();
}

function armMirror(): void {
  if (mirrorTimer !== null) return;
  const due = storage.mirrorDueInMs();
  if (due === null) return;
  mirrorTimer = setTimeout(() => {
    mirrorTimer = null;
    if (storage.mirrorDueInMs() === 0) guarded(() => storage.flushMirror());
    armMirror();
  }, due + MIRROR_GRACE_MS);
}

function guarded(fn: () => void): void {
  try {
    fn();
  } catch (error) {
    fail(error);
  }
}

/** Writes what waits; from its timer only once it waited DEFERRED_WRITE_MS (see above), on close at once. */
function flushDeferred(now = false): void {
  if (deferredTimer !== null) clearTimeout(deferredTimer);
  deferredTimer = null;
  if (deferred === null) return;
  const waited = performance.now() - deferredSince;
  if (!now && waited < DEFERRED_WRITE_MS) {
    deferredTimer = setTimeout(flushDeferred, DEFERRED_WRITE_MS - waited);
    return;
  }
  const batch = deferred;
  deferred = null;
  guarded(() => storage.writeReady(batch, []));
}

function defer(batch: PersistBatch | null, applied: readonly AppliedEntry[]): void {
  storage.writeReady(null, applied);
  armMirror();
  if (batch === null) return;
  if (deferred === null) deferredSince = performance.now();
  deferred = deferred === null ? batch : merge(deferred, batch);
  deferredTimer ??= setTimeout(flushDeferred, DEFERRED_WRITE_MS);
}

/**
 * Message bodies as JSON. A node hands one body object to several peers (a leader's append to
 * followers in step): it is serialized once.
 */
function encodeMessages(envelopes: Ready['messages']): WireEnvelope[] {
  let lastBody: object | null = null;
  let lastJson = '';
  return envelopes.map((envelope) => {
    if (envelope.body !== lastBody) {
      lastBody = envelope.body;
      lastJson = JSON.stringify(envelope.body);
    }
    return { src: envelope.src, dest: envelope.dest, type: envelope.body.type, body: lastJson };
  });
}

function report(ready: Ready): void {
  const messages = encodeMessages(ready.messages);
  const replies = ready.replies.length === 0 ? '[]' : JSON.stringify(ready.replies);
  const digest = config.reportDigest ? JSON.stringify(digestReady(ready)) : null;
  const detail = config.reportDetail ? JSON.stringify({ persist: ready.persist, applied: ready.applied }) : null;
  const sent: WireReady = { persistFirst: ready.persistFirst, messages, replies, detail, digest };
  post({ type: 'ready', ready: sent, status: node.status(), loggedEntries: ready.persist?.log?.entries.length ?? 0 });
}

function drain(): void {
  while (node.hasReady()) {
    const ready = node.ready();
    const persist = ready.persist;
    if (ready.persistFirst !== false) {
      write(persist, ready.applied);
      report(ready);
    } else if (persist === null || (persist.log === undefined && persist.records === undefined)) {
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
    flushDeferred(true);
    guarded(() => storage.close());
    post({ type: 'closed' });
    return;
  }
  try {
    for (const input of decodeInputBatch(message.inputs)) node.step(input);
    drain();
  } catch (error) {
    fail(error);
  }
});
