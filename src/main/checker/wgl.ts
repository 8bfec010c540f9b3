// The Wing-Gong linearizability search with Lowe's memoization, laid out as Porcupine does it:
// calls and returns in one doubly linked list in real-time order; linearizing an operation lifts
// its call and return out of the list, backtracking puts them back. A cache of (set of linearized
// operations, model state) cuts every branch already known to fail. Sets are bitsets with a
// Zobrist hash kept incrementally, so a cache probe costs one XOR and a short compare.

import type { KvScalar } from '../../shared/history.ts';
import type { Operation } from './history.ts';

/** The state of one register; `null` is absent. */
export type RegisterState = KvScalar;

/** Applies an operation to a register: the next state, or `undefined` when the op cannot happen there. */
export function stepRegister(state: RegisterState, op: Operation): RegisterState | undefined {
  switch (op.f) {
    case 'read':
      return op.output === state ? state : undefined;
    case 'write':
      return op.input as KvScalar;
    case 'cas': {
      const [expected, next] = op.input as [KvScalar, KvScalar];
      return expected === state ? next : undefined;
    }
    case 'append':
      return (state === null ? '' : String(state)) + (op.input as string);
    case 'delete':
      return null;
  }
}

function hashState(state: RegisterState): number {
  if (state === null) return 0x9e3779b9;
  if (typeof state === 'boolean') return state ? 0x85ebca6b : 0xc2b2ae35;
  if (typeof state === 'number') return Math.imul((state * 2654435761) | 0, 0x27d4eb2d) ^ (state * 1e-3);
  let h = 0x811c9dc5;
  for (let i = 0; i < state.length; i++) h = Math.imul(h ^ state.charCodeAt(i), 0x01000193);
  return h;
}

interface Entry {
  op: number;
  isCall: boolean;
  time: number;
  match: Entry | null;
  prev: Entry | null;
  next: Entry | null;
}

export interface SearchResult {
  verdict: 'linearizable' | 'not_linearizable' | 'unknown';
  /** The longest order of operations (indexes into the input) found to be legal. */
  longestPrefix: number[];
  /** The state after that prefix. */
  stateAfterPrefix: RegisterState;
  /** Operations that could come next in real time after the longest prefix, none of which fits. */
  stuck: number[];
  iterations: number;
}

export interface SearchBudget {
  now: () => number;
  deadline: number;
  /** Off only for the benchmark's baseline: plain Wing-Gong, to show what the cache buys. */
  memoize?: boolean;
}

/** Searches one register's history (one key's operations) for a legal linearization. */
export function searchRegister(ops: readonly Operation[], budget: SearchBudget | null): SearchResult {
  const n = ops.length;
  if (n === 0) return { verdict: 'linearizable', longestPrefix: [], stateAfterPrefix: null, stuck: [], iterations: 0 };

  // Calls sort before returns at equal times: operations that touch in time are concurrent.
  const raw: Entry[] = [];
  for (let i = 0; i < n; i++) {
    const op = ops[i] as Operation;
    const call: Entry = { op: i, isCall: true, time: op.start, match: null, prev: null, next: null };
    const ret: Entry = { op: i, isCall: false, time: op.end, match: call, prev: null, next: null };
    call.match = ret;
    raw.push(call, ret);
  }
  raw.sort((a, b) => a.time - b.time || (a.isCall === b.isCall ? a.op - b.op : a.isCall ? -1 : 1));
  const head: Entry = { op: -1, isCall: false, time: -Infinity, match: null, prev: null, next: null };
  let last = head;
  for (const e of raw) {
    last.next = e;
    e.prev = last;
    last = e;
  }

  const lift = (call: Entry): void => {
    const ret = call.match as Entry;
    (call.prev as Entry).next = call.next;
    if (call.next) call.next.prev = call.prev;
    (ret.prev as Entry).next = ret.next;
    if (ret.next) ret.next.prev = ret.prev;
  };
  const unlift = (call: Entry): void => {
    const ret = call.match as Entry;
    (ret.prev as Entry).next = ret;
    if (ret.next) ret.next.prev = ret;
    (call.prev as Entry).next = call;
    if (call.next) call.next.prev = call;
  };

  const words = (n + 31) >>> 5;
  const bits = new Uint32Array(words);
  const zobrist = new Int32Array(n);
  let seed = 0x2545f491;
  for (let i = 0; i < n; i++) {
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    zobrist[i] = seed;
  }
  let setHash = 0;
  const cache = new Map<number, Array<{ bits: Uint32Array; state: RegisterState }>>();
  const memoize = budget?.memoize ?? true;
  const seen = (state: RegisterState): boolean => {
    if (!memoize) return false;
    const key = (setHash ^ hashState(state)) | 0;
    const bucket = cache.get(key);
    if (bucket !== undefined) {
      outer: for (const item of bucket) {
        if (item.state !== state) continue;
        for (let w = 0; w < words; w++) if (item.bits[w] !== bits[w]) continue outer;
        return true;
      }
      bucket.push({ bits: bits.slice(), state });
    } else {
      cache.set(key, [{ bits: bits.slice(), state }]);
    }
    return false;
  };

  const stack: Array<{ entry: Entry; state: RegisterState }> = [];
  let state: RegisterState = null;
  let best: number[] = [];
  let bestState: RegisterState = null;
  let iterations = 0;
  let entry = head.next;

  while (entry !== null) {
    if (budget !== null && (++iterations & 1023) === 0 && budget.now() > budget.deadline) {
      return { verdict: 'unknown', longestPrefix: best, stateAfterPrefix: bestState, stuck: [], iterations };
    }
    if (entry.isCall) {
      const call: Entry = entry;
      const op = ops[call.op] as Operation;
      const next = stepRegister(state, op);
      let moved = false;
      if (next !== undefined) {
        bits[call.op >>> 5] = (bits[call.op >>> 5] as number) | (1 << (call.op & 31));
        setHash ^= zobrist[call.op] as number;
        if (!seen(next)) {
          stack.push({ entry: call, state });
          state = next;
          lift(call);
          moved = true;
          if (stack.length > best.length) {
            best = stack.map((s) => s.entry.op);
            bestState = state;
          }
          entry = head.next;
        } else {
          bits[call.op >>> 5] = (bits[call.op >>> 5] as number) & ~(1 << (call.op & 31));
          setHash ^= zobrist[call.op] as number;
        }
      }
      if (!moved) entry = call.next;
      continue;
    }
    // A return: its operation was not linearized yet. Everything still un-placed that ends at
    // infinity (an `info`) may simply never have happened, so reaching one means success.
    if (entry.time === Number.POSITIVE_INFINITY) break;
    const top = stack.pop();
    if (top === undefined) {
      return { verdict: 'not_linearizable', longestPrefix: best, stateAfterPrefix: bestState, stuck: stuckAfter(ops, best), iterations };
    }
    state = top.state;
    const op = top.entry.op;
    bits[op >>> 5] = (bits[op >>> 5] as number) & ~(1 << (op & 31));
    setHash ^= zobrist[op] as number;
    unlift(top.entry);
    entry = top.entry.next;
  }
  return { verdict: 'linearizable', longestPrefix: best, stateAfterPrefix: bestState, stuck: [], iterations };
}

/** The operations that real time allows right after `prefix`: called before any other one returned. */
function stuckAfter(ops: readonly Operation[], prefix: readonly number[]): number[] {
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
