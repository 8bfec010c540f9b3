// What the safety monitors read of a Ready: which entries a node made durable and which it
// applied, each as (index, term, what it holds). A worker thread sends this instead of the Ready's
// entries: a few numbers and a short text per entry cross to the main thread, which would
// otherwise decode every entry of every node and fingerprint it there, on the thread that routes
// every message.

import type { LogEntry } from '../shared/protocol.ts';
import type { Ready } from './types.ts';

/** [index, term, fingerprint] */
export type EntryDigest = [number, number, string];

/**
 * [index, term, fingerprint, ack, what]: `ack` is `clientId:seq` for a command that changes the
 * store (what a client's acknowledgement names), `what` the words for a report; both null otherwise.
 */
export type AppliedDigest = [number, number, string, string | null, string | null];

export interface ReadyDigest {
  /** [index, term] of a snapshot the Ready made durable. */
  snapshot: [number, number] | null;
  log: { from: number; entries: EntryDigest[] } | null;
  applied: AppliedDigest[];
}

const fingerprints = new WeakMap<object, string>();

/**
 * What an entry holds, as text to compare. Commands, nearly every entry, are spelled out field by
 * field: cheaper than JSON of the nested object, and a worker's entries are fresh objects each, so
 * a cache keyed by object would only fill up. Other entries are rare and cached.
 */
export function entryFingerprint(entry: LogEntry): string {
  if (entry.data.type === 'command') {
    const { clientId, seq, op } = entry.data.request;
    let text = `c${clientId}#${seq} ${op.f} ${JSON.stringify(op.key)}`;
    if (op.f === 'cas') text += ` ${JSON.stringify(op.expected)}`;
    if (op.f === 'write' || op.f === 'cas' || op.f === 'append') text += ` ${JSON.stringify(op.value)}`;
    return text;
  }
  let fp = fingerprints.get(entry.data);
  if (fp === undefined) {
    fp = JSON.stringify(entry.data);
    fingerprints.set(entry.data, fp);
  }
  return fp;
}

export function digestReady(ready: Pick<Ready, 'persist' | 'applied'>): ReadyDigest {
  const persist = ready.persist;
  const log = persist?.log;
  return {
    snapshot: persist?.snapshot ? [persist.snapshot.index, persist.snapshot.term] : null,
    log: log ? { from: log.from, entries: log.entries.map((e) => [e.index, e.term, entryFingerprint(e)]) } : null,
    applied: ready.applied.map(({ entry }) => {
      const data = entry.data;
      const writes = data.type === 'command' && data.request.op.f !== 'read';
      return [
        entry.index,
        entry.term,
        entryFingerprint(entry),
        writes ? `${data.request.clientId}:${data.request.seq}` : null,
        writes ? `c${data.request.clientId}#${data.request.seq} ${data.request.op.f} ${data.request.op.key}` : null,
      ];
    }),
  };
}
