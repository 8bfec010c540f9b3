// One node of the bench's consensus-free cluster: a round of Raft's messages and SQLite writes with
// none of its logic. The leader (n1) writes each batch of requests as log entries and sends them
// to every follower through the main thread; a follower writes them and answers; once a majority
// holds a batch the leader answers its clients. No terms, no timers, no state machine: what is
// left is what the architecture itself costs, threads, posts through the main thread and SQLite,
// the ceiling a Raft on it could reach.

import { parentPort, workerData } from 'node:worker_threads';
import { openLogTable } from './log-table.ts';

export interface SkeletonNodeJob {
  path: string;
  sync: 'full' | 'normal';
  /** Followers' acknowledgements a batch needs besides the leader's own write (a majority in all). */
  acksNeeded: number;
}

/** What crosses the main thread: `to` the nodes it goes to, or `replies` for the clients. */
export type SkeletonPost = { to: string[]; text: string } | { replies: string };

const job = workerData as SkeletonNodeJob;
const port = parentPort;
if (port === null) throw new Error('round-skeleton.ts runs only as a worker thread');

const { db, insert } = openLogTable(job.path, job.sync);
const append = db.transaction((entries: Array<{ index: number; data: unknown }>) => {
  for (const entry of entries) insert.run(entry.index, 1, JSON.stringify(entry.data));
});

interface Request {
  clientId: number;
  seq: number;
}

let lastIndex = 0;
/** The leader's batches waiting for acknowledgements, by their last index. */
const waiting = new Map<number, { acks: number; replies: string }>();

port.on('message', (text: string) => {
  const message = JSON.parse(text) as { type: string; from: string; requests?: Request[]; entries?: Array<{ index: number; data: unknown }>; match?: number };
  if (message.type === 'requests') {
    const requests = message.requests as Request[];
    const entries = requests.map((request) => ({ index: ++lastIndex, data: { type: 'command', request } }));
    // Out to the followers first, to the disk meanwhile, as the Raft worker does.
    port.postMessage({ to: job.acksNeeded === 0 ? [] : ['followers'], text: JSON.stringify({ type: 'append', from: 'n1', entries }) } satisfies SkeletonPost);
    append(entries);
    const replies = JSON.stringify(requests.map((r) => ({ kind: 'client', clientId: r.clientId, seq: r.seq, ok: true, value: null })));
    if (job.acksNeeded === 0) port.postMessage({ replies } satisfies SkeletonPost);
    else waiting.set(lastIndex, { acks: 0, replies });
  } else if (message.type === 'append') {
    const entries = message.entries as Array<{ index: number; data: unknown }>;
    append(entries);
    port.postMessage({ to: [message.from], text: JSON.stringify({ type: 'ack', match: (entries.at(-1) as { index: number }).index }) } satisfies SkeletonPost);
  } else if (message.type === 'ack') {
    const batch = waiting.get(message.match as number);
    if (batch !== undefined && ++batch.acks === job.acksNeeded) {
      waiting.delete(message.match as number);
      port.postMessage({ replies: batch.replies } satisfies SkeletonPost);
    }
  }
});
