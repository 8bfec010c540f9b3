// What the Wing-Gong searches (wgl.ts for registers, wgl-model.ts for counters and sets) walk:
// every operation's call and return in one doubly linked list in real-time order, as Porcupine
// lays it out. Linearizing an operation lifts its call and return out of the list; backtracking
// puts them back.

import type { Operation } from './history.ts';

export interface Entry {
  /** The operation's index in the searched list. */
  op: number;
  isCall: boolean;
  time: number;
  /** A call's return, a return's call. */
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

/** The list behind a head entry, and its entries in list order (`ordered`). */
export function callReturnList(ops: readonly Operation[]): { head: Entry; ordered: Entry[] } {
  const ordered: Entry[] = [];
  for (let i = 0; i < ops.length; i++) {
    const op = ops[i] as Operation;
    const call: Entry = { op: i, isCall: true, time: op.start, match: null, prev: null, next: null };
    const ret: Entry = { op: i, isCall: false, time: op.end, match: call, prev: null, next: null };
    call.match = ret;
    ordered.push(call, ret);
  }
  // Calls sort before returns at equal times: operations that touch in time are concurrent.
  ordered.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.op - b.op : a.isCall ? -1 : 1));
  const head: Entry = { op: -1, isCall: false, time: -Infinity, match: null, prev: null, next: null };
  let last = head;
  for (const e of ordered) {
    last.next = e;
    e.prev = last;
    last = e;
  }
  return { head, ordered };
}

export function lift(call: Entry): void {
  const ret = call.match as Entry;
  (call.prev as Entry).next = call.next;
  if (call.next) call.next.prev = call.prev;
  (ret.prev as Entry).next = ret.next;
  if (ret.next) ret.next.prev = ret.prev;
}

export function unlift(call: Entry): void {
  const ret = call.match as Entry;
  (ret.prev as Entry).next = ret;
  if (ret.next) ret.next.prev = ret;
  (call.prev as Entry).next = call;
  if (call.next) call.next.prev = call;
}

/** The operations that real time allows right after `prefix`: called before any other one returned. */
export function stuckAfter(ops: readonly Operation[], prefix: readonly number[]): number[] {
  const placed = new Set(prefix);
  let firstReturn = Number.POSITIVE_INFINITY;
  ops.forEach((op, i) => {
    if (!placed.has(i) && op.end < firstReturn) firstReturn = op.end;
  });
  const out: number[] = [];
  ops.forEach((op, i) => {
    if (!placed.has(i) && op.start <= firstReturn) out.push(i);
  });
  return out;
}

/** A random 32-bit key per operation (xorshift, fixed seed): a set's hash is the XOR of its members'. */
export function zobristKeys(n: number): Int32Array {
  const keys = new Int32Array(n);
  let seed = 0x2545f491;
  for (let i = 0; i < n; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    keys[i] = seed;
  }
  return keys;
}
