// The operations clients send, drawn from a seeded mix. Write values are unique per key (an
// increasing counter), so that a read names exactly which write it saw; a cas expects one of the
// last few values written, so some succeed and some fail.

import type { KvScalar, OpFunction, OpValue } from '../../shared/history.ts';
import type { KvOp } from '../../shared/protocol.ts';
import type { Rng } from '../../shared/rng.ts';

export interface OperationMix {
  read: number;
  write: number;
  cas: number;
  append: number;
  delete: number;
}

export interface GeneratedOp {
  f: OpFunction;
  key: string;
  /** As the history records it at invoke. */
  value: OpValue;
  op: KvOp;
}

export class WorkloadGenerator {
  private readonly rng: Rng;
  private readonly keys: number;
  private readonly mix: OperationMix;
  private readonly total: number;
  private readonly counter = new Map<string, number>();
  private readonly recent = new Map<string, KvScalar[]>();

  constructor(rng: Rng, keys: number, mix: OperationMix) {
    this.rng = rng;
    this.keys = keys;
    this.mix = mix;
    this.total = mix.read + mix.write + mix.cas + mix.append + mix.delete;
  }

  private fresh(key: string): number {
    const n = (this.counter.get(key) ?? 0) + 1;
    this.counter.set(key, n);
    const recent = this.recent.get(key) ?? [];
    recent.push(n);
    if (recent.length > 4) recent.shift();
    this.recent.set(key, recent);
    return n;
  }

  next(): GeneratedOp {
    const rng = this.rng;
    const key = `k${rng.int(0, this.keys)}`;
    const mix = this.mix;
    let r = rng.next() * this.total;
    if ((r -= mix.read) < 0) return { f: 'read', key, value: null, op: { f: 'read', key } };
    if ((r -= mix.write) < 0) {
      const value = this.fresh(key);
      return { f: 'write', key, value, op: { f: 'write', key, value } };
    }
    if ((r -= mix.cas) < 0) {
      const recent = this.recent.get(key) ?? [];
      const expected = recent.length === 0 ? null : (recent[rng.int(0, recent.length)] as KvScalar);
      const value = this.fresh(key);
      return { f: 'cas', key, value: [expected, value], op: { f: 'cas', key, expected, value } };
    }
    if ((r -= mix.append) < 0) {
      const value = `${this.fresh(key)},`;
      return { f: 'append', key, value, op: { f: 'append', key, value } };
    }
    return { f: 'delete', key, value: null, op: { f: 'delete', key } };
  }
}
