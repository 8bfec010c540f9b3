// The operations clients send, drawn from a seeded mix, on keys of one data type: registers (a
// key-value store), counters or sets. Write values are unique per key (an increasing counter), so
// that a read names exactly which write it saw; a cas expects one of the last few values written,
// so some succeed and some fail; a set's elements are unique per key too, and a remove takes one
// of the last few added.

import { DATA_TYPE_REQUESTS, type KvScalar, type OpFunction, type OpValue, type RequestFunction, type WorkloadDataType } from '../../shared/history.ts';
import type { KvOp } from '../../shared/protocol.ts';
import type { Rng } from '../../shared/rng.ts';

/** Relative weights of the requests; those of other data types are ignored. */
export type OperationMix = Partial<Record<RequestFunction, number>>;

/** The mix of each data type where a workload names none of its requests. */
export const DEFAULT_MIXES: Readonly<Record<WorkloadDataType, OperationMix>> = {
  kv: { read: 0.4, write: 0.3, cas: 0.15, append: 0.1, delete: 0.05 },
  counter: { read: 0.4, incr: 0.6 },
  set: { read: 0.4, add: 0.45, remove: 0.15 },
};

/** The data type a workload uses unless told: registers where served, else the first served. */
export function defaultDataType(served: Partial<Record<WorkloadDataType, unknown>>): WorkloadDataType {
  if (served.kv !== undefined) return 'kv';
  return (Object.keys(served)[0] as WorkloadDataType | undefined) ?? 'kv';
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
  private readonly requests: RequestFunction[];
  private readonly weights: number[];
  private readonly total: number;
  private readonly counter = new Map<string, number>();
  private readonly recent = new Map<string, KvScalar[]>();
  private readonly values: { index: number; of: number };

  /**
   * `served`: the requests the algorithm takes for this data type (others get no weight). Throws
   * a RangeError when nothing of the mix is left to send.
   */
  /**
   * `values`: where this generator's fresh values come from when several generators write the same
   * keys (one per client): the `index`-th of `of` interleaved sequences, so that no two clients
   * ever write the same value to a key and a read still names exactly which write it saw.
   */
  constructor(rng: Rng, keys: number, mix: OperationMix, dataType: WorkloadDataType = 'kv', served?: readonly RequestFunction[], values: { index: number; of: number } = { index: 0, of: 1 }) {
    this.rng = rng;
    this.keys = keys;
    this.values = values;
    const own = DATA_TYPE_REQUESTS[dataType];
    // A mix written for another data type (a register mix on a counter workload) names at most
    // the read of this one: the data type's own mix stands in for it.
    const named = own.some((f) => f !== 'read' && mix[f] !== undefined);
    this.requests = own.filter((f) => served === undefined || served.includes(f));
    this.weights = this.requests.map((f) => Math.max(0, (named ? mix[f] : DEFAULT_MIXES[dataType][f]) ?? 0));
    this.total = this.weights.reduce((sum, w) => sum + w, 0);
    if (!(this.total > 0)) throw new RangeError(`the workload's mix gives no weight to any ${dataType} request the algorithm serves (${this.requests.join(', ') || 'none'})`);
  }

  private fresh(key: string): number {
    const count = (this.counter.get(key) ?? 0) + 1;
    this.counter.set(key, count);
    const n = (count - 1) * this.values.of + this.values.index + 1;
    const recent = this.recent.get(key) ?? [];
    recent.push(n);
    if (recent.length > 4) recent.shift();
    this.recent.set(key, recent);
    return n;
  }

  private pick(): RequestFunction {
    let r = this.rng.next() * this.total;
    for (let i = 0; i < this.requests.length; i++) if ((r -= this.weights[i] as number) < 0) return this.requests[i] as RequestFunction;
    return this.requests[this.requests.length - 1] as RequestFunction;
  }

  next(): GeneratedOp {
    const rng = this.rng;
    const key = `k${rng.int(0, this.keys)}`;
    const f = this.pick();
    switch (f) {
      case 'read':
        return { f, key, value: null, op: { f, key } };
      case 'write': {
        const value = this.fresh(key);
        return { f, key, value, op: { f, key, value } };
      }
      case 'cas': {
        const recent = this.recent.get(key) ?? [];
        const expected = recent.length === 0 ? null : (recent[rng.int(0, recent.length)] as KvScalar);
        const value = this.fresh(key);
        return { f, key, value: [expected, value], op: { f, key, expected, value } };
      }
      case 'append': {
        const value = `${this.fresh(key)},`;
        return { f, key, value, op: { f, key, value } };
      }
      case 'delete':
        return { f, key, value: null, op: { f, key } };
      case 'incr': {
        const value = 1 + rng.int(0, 3);
        return { f: 'add', key, value, op: { f, key, value } };
      }
      case 'add': {
        const value = this.fresh(key);
        return { f, key, value, op: { f, key, value } };
      }
      case 'remove': {
        const recent = this.recent.get(key) ?? [];
        const value = recent.length === 0 ? 0 : (recent[rng.int(0, recent.length)] as KvScalar);
        return { f, key, value, op: { f, key, value } };
      }
    }
  }
}
