// A data type as the checks see it, after Porcupine's Model (Init, Step, Equal, Partition,
// DescribeOperation, DescribeState): the searches for linearizable and sequential orders know
// nothing of registers, counters or sets beyond this.

import type { KvScalar } from '../../../shared/history.ts';
import type { DataTypeName } from '../consistency/contract.ts';
import type { Operation } from '../history.ts';

export interface DataModel<S> {
  name: DataTypeName;
  /** The state before any operation (one key's: a kv history is a register per key). */
  init(): S;
  /** The state after `op` in `state`, or undefined when `op` cannot happen there (a read that does not match). */
  step(state: S, op: Operation): S | undefined;
  /**
   * Equal states have equal keys and unequal ones different keys: what memoization compares,
   * instead of Porcupine's Equal plus a hash.
   */
  key(state: S): string;
  /** The state as a history value (a set: its elements in order), for explanations. */
  value(state: S): KvScalar | KvScalar[];
  describeState(state: S): string;
}

/**
 * Operations by key (Porcupine's Partition). Every data type here is keyed the same way: a key's
 * operations touch only that key's state, so linearizability, which is compositional, is
 * searched key by key. Sequential consistency is not compositional: it searches them whole.
 */
export function partitionByKey(operations: readonly Operation[]): Map<string, Operation[]> {
  const byKey = new Map<string, Operation[]>();
  for (const op of operations) {
    const list = byKey.get(op.key);
    if (list === undefined) byKey.set(op.key, [op]);
    else list.push(op);
  }
  return byKey;
}

/** One operation as a person finds it in the history (`write x 3`, `add s 7 (unknown outcome)`, `read x -> 2 (final)`). */
export function describeOperation(op: Operation): string {
  const key = op.key === '' ? '' : ` ${op.key}`;
  const v = (x: unknown): string => JSON.stringify(x);
  const outcome = op.indefinite ? ' (unknown outcome)' : '';
  switch (op.f) {
    case 'read':
      return `read${key} -> ${v(op.output)}${op.final ? ' (final)' : ''}`;
    case 'write':
      return `write${key} ${v(op.input)}${outcome}`;
    case 'cas': {
      const [expected, next] = op.input as [KvScalar, KvScalar];
      return `cas${key} ${v(expected)} -> ${v(next)}${outcome}`;
    }
    case 'append':
      return `append${key} ${v(op.input)}${outcome}`;
    case 'delete':
      return `delete${key}${outcome}`;
    case 'add':
      return `add${key} ${v(op.input)}${outcome}`;
    case 'remove':
      return `remove${key} ${v(op.input)}${outcome}`;
  }
}
