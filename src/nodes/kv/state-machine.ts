// The replicated key-value store every algorithm serves. Commands are applied exactly once per
// (clientId, seq): a retried request that was already applied gets the reply it got the first time.

import type { KvScalar } from '../../shared/history.ts';
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
  private readonly data = new Map<string, KvScalar>();
  private readonly sessions = new Map<number, Session>();

  static fromSnapshot(snapshot: KvSnapshotData | null): KvStateMachine {
    const sm = new KvStateMachine();
    if (snapshot) {
      for (const [key, value] of snapshot.kv) sm.data.set(key, value);
      for (const [clientId, seq, result] of snapshot.sessions) sm.sessions.set(clientId, { seq, result });
    }
    return sm;
  }

  read(key: string): KvScalar {
    const value = this.data.get(key);
    return value === undefined ? null : value;
  }

  get size(): number {
    return this.data.size;
  }

  entries(): IterableIterator<[string, KvScalar]> {
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
        if (current !== op.expected) {
          return { ok: false, error: 'cas_mismatch', message: `expected ${JSON.stringify(op.expected)}, found ${JSON.stringify(current)}` };
        }
        this.data.set(op.key, op.value);
        return { ok: true, value: null };
      }
      case 'append': {
        const current = this.read(op.key);
        this.data.set(op.key, (current === null ? '' : String(current)) + op.value);
        return { ok: true, value: null };
      }
      case 'delete':
        this.data.delete(op.key);
        return { ok: true, value: null };
    }
  }

  snapshot(): KvSnapshotData {
    const sessions: KvSnapshotData['sessions'] = [];
    for (const [clientId, session] of this.sessions) sessions.push([clientId, session.seq, session.result]);
    return { kv: [...this.data.entries()], sessions };
  }
}
