// The replicated key-value store every algorithm serves. Commands are applied exactly once per
// (clientId, seq): a retried request that was already applied gets the reply it got the first time.
// A key holds what its first operation makes it: a register (write, cas, append), a counter (incr)
// or a set (add, remove; kept sorted, so that equal sets read equal).

import type { KvScalar, KvValue } from '../../shared/history.ts';
import type { ClientReplyResult, ClientRequest, KvOp, KvSnapshotData } from '../../shared/protocol.ts';

interface Session {
  seq: number;
  result: ClientReplyResult;
}

export type ApplyOutcome =
  | { kind: 'applied'; result: ClientReplyResult }
  | { kind: 'duplicate'; result: ClientReplyResult }
  | { kind: 'stale' };

export class KvStateMachine {
  private readonly data = new Map<string, KvValue>();
  private readonly sessions = new Map<number, Session>();

  static fromSnapshot(snapshot: KvSnapshotData | null): KvStateMachine {
    const sm = new KvStateMachine();
    if (snapshot) {
      for (const [key, value] of snapshot.kv) sm.data.set(key, value);
      for (const [clientId, seq, result] of snapshot.sessions) sm.sessions.set(clientId, { seq, result });
    }
    return sm;
  }

  read(key: string): KvValue {
    const value = this.data.get(key);
    return value === undefined ? null : value;
  }

  get size(): number {
    return this.data.size;
  }

  entries(): IterableIterator<[string, KvValue]> {
    return this.data.entries();
  }

  apply(request: ClientRequest): ApplyOutcome {
    const session = this.sessions.get(request.clientId);
    if (session !== undefined) {
      if (request.seq === session.seq) return { kind: 'duplicate', result: session.result };
      if (request.seq < session.seq) return { kind: 'stale' };
    }
    const result = this.execute(request.op);
    this.sessions.set(request.clientId, { seq: request.seq, result });
    return { kind: 'applied', result };
  }

  private execute(op: KvOp): ClientReplyResult {
    switch (op.f) {
      case 'read':
        return { ok: true, value: this.read(op.key) };
      case 'write':
        this.data.set(op.key, op.value);
        return { ok: true, value: null };
      case 'cas': {
        const current = this.read(op.key);
        if (Array.isArray(current)) return wrongType(op.key, current, 'a register');
        if (current !== op.expected) {
          return { ok: false, error: 'cas_mismatch', message: `expected ${JSON.stringify(op.expected)}, found ${JSON.stringify(current)}` };
        }
        this.data.set(op.key, op.value);
        return { ok: true, value: null };
      }
      case 'append': {
        const current = this.read(op.key);
        if (Array.isArray(current)) return wrongType(op.key, current, 'a string');
        this.data.set(op.key, (current === null ? '' : String(current)) + op.value);
        return { ok: true, value: null };
      }
      case 'delete':
        this.data.delete(op.key);
        return { ok: true, value: null };
      case 'incr': {
        const current = this.read(op.key);
        if (current !== null && typeof current !== 'number') return wrongType(op.key, current, 'a counter');
        this.data.set(op.key, (current ?? 0) + op.value);
        return { ok: true, value: null };
      }
      case 'add':
      case 'remove': {
        const current = this.read(op.key);
        if (current !== null && !Array.isArray(current)) return wrongType(op.key, current, 'a set');
        const next = setWith(current ?? [], op.value, op.f === 'add');
        if (next.length === 0) this.data.delete(op.key);
        else this.data.set(op.key, next);
        return { ok: true, value: null };
      }
    }
  }

  snapshot(): KvSnapshotData {
    const sessions: KvSnapshotData['sessions'] = [];
    for (const [clientId, session] of this.sessions) sessions.push([clientId, session.seq, session.result]);
    return { kv: [...this.data.entries()], sessions };
  }
}

function wrongType(key: string, current: KvValue, wanted: string): ClientReplyResult {
  return { ok: false, error: 'wrong_type', message: `${key} holds ${JSON.stringify(current)}, not ${wanted}` };
}

/** Sets are sorted arrays: one canonical form, so that equal sets compare equal as JSON. */
export function compareScalars(a: KvScalar, b: KvScalar): number {
  const rank = (v: KvScalar): number => (v === null ? 0 : typeof v === 'boolean' ? 1 : typeof v === 'number' ? 2 : 3);
  const ra = rank(a);
  const rb = rank(b);
  if (ra !== rb) return ra - rb;
  if (typeof a === 'number' && typeof b === 'number') return a - b;
  const sa = String(a);
  const sb = String(b);
  return sa < sb ? -1 : sa > sb ? 1 : 0;
}

function setWith(elements: readonly KvScalar[], element: KvScalar, present: boolean): KvScalar[] {
  const at = elements.findIndex((e) => compareScalars(e, element) >= 0);
  const found = at >= 0 && compareScalars(elements[at] as KvScalar, element) === 0;
  if (present === found) return [...elements];
  const next = [...elements];
  if (present) next.splice(at < 0 ? next.length : at, 0, element);
  else next.splice(at, 1);
  return next;
}
