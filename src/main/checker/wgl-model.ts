// Wing-Gong with Lowe's memoization over any data model (counter, set): the search of wgl.ts
// without what only a register needs (cut states, sparse cache sets). The register keeps its own
// search there: a step through a model's functions and a state key built as text cost it speed
// it has been measured on. Same list of calls and returns in real-time order, same cache of
// (operations linearized, state) cutting branches known to fail, same budget and pauses.

import type { KvScalar } from '../../shared/history.ts';
import type { Operation } from './history.ts';
import { callReturnList, lift, stuckAfter, unlift, zobristKeys, type Entry } from './call-list.ts';
import type { DataModel } from './models/model.ts';
import { STEPS_PER_CHECK, type SearchBudget, type SearchResult } from './wgl.ts';

export type ModelSearchResult = Omit<SearchResult, 'stateAfterPrefix'> & { stateAfterPrefix: KvScalar | KvScalar[] };


/** A cache entry's cost beside its bitset and its state's text (see wgl.ts's ENTRY_BYTES). */
const ENTRY_BYTES = 400;

/** Searches one key's operations for an order that real time allows and the model accepts; pauses as registerSearch does. */
export function* modelSearch<S>(ops: readonly Operation[], model: DataModel<S>, budget: SearchBudget | null): Generator<number, ModelSearchResult, void> {
  const memory = budget?.memory ?? { used: 0, max: Number.POSITIVE_INFINITY };
  let cacheBytes = 0;
  try {
    return yield* search();
  } finally {
    memory.used -= cacheBytes;
  }

  function* search(): Generator<number, ModelSearchResult, void> {
    const n = ops.length;
    const initial = model.init();
    const { head } = callReturnList(ops);

    const words = (n + 31) >>> 5;
    const bits = new Uint32Array(words);
    const zobrist = zobristKeys(n);
    let setHash = 0;
    const flip = (op: number): void => {
      bits[op >>> 5] = ((bits[op >>> 5] as number) ^ (1 << (op & 31))) >>> 0;
      setHash ^= zobrist[op] as number;
    };
    const hashText = (text: string): number => {
      let h = 0x811c9dc5;
      for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
      return h;
    };
    const cache = new Map<number, Array<{ set: Uint32Array; state: string }>>();
    const memoize = budget?.memoize ?? true;
    const seen = (stateKey: string): boolean => {
      if (!memoize) return false;
      const hash = (setHash ^ hashText(stateKey)) | 0;
      let bucket = cache.get(hash);
      if (bucket === undefined) {
        bucket = [];
        cache.set(hash, bucket);
      } else {
        for (const item of bucket) if (item.state === stateKey && item.set.every((w, i) => w === bits[i])) return true;
      }
      bucket.push({ set: bits.slice(), state: stateKey });
      const bytes = ENTRY_BYTES + 4 * words + 2 * stateKey.length;
      cacheBytes += bytes;
      memory.used += bytes;
      return false;
    };
    const overBudget = (): SearchResult['exhausted'] | null => {
      if (memory.used > memory.max) return 'memory';
      if (budget !== null && budget.deadline !== Number.POSITIVE_INFINITY && budget.now() > budget.deadline) return 'time';
      return null;
    };

    const stack: Array<{ entry: Entry; state: S }> = [];
    let state = initial;
    let best: number[] = [];
    let bestState = initial;
    let iterations = 0;
    // Copying the order only when a backtrack would lose it keeps a long search linear (wgl.ts does the same, more finely).
    let bestOnStack = false;
    const keepBest = (): void => {
      if (!bestOnStack) return;
      best = stack.map((s) => s.entry.op);
      bestOnStack = false;
    };
    let entry = head.next;
    for (;;) {
      const placedAll = entry === null || (!entry.isCall && entry.time === Number.POSITIVE_INFINITY);
      if (placedAll) break;
      if (++iterations % STEPS_PER_CHECK === 0) {
        const exhausted = overBudget();
        if (exhausted !== null) {
          keepBest();
          return { verdict: 'unknown', exhausted, longestPrefix: best, stateAfterPrefix: model.value(bestState), stuck: [], iterations };
        }
        yield iterations;
      }
      const current = entry as Entry;
      if (current.isCall) {
        const next = model.step(state, ops[current.op] as Operation);
        let moved = false;
        if (next !== undefined) {
          flip(current.op);
          if (!seen(model.key(next))) {
            stack.push({ entry: current, state });
            state = next;
            lift(current);
            moved = true;
            if (stack.length > best.length && !bestOnStack) bestOnStack = true;
            if (bestOnStack) bestState = state;
            entry = head.next;
          } else {
            flip(current.op);
          }
        }
        if (!moved) entry = current.next;
        continue;
      }
      // A return whose operation is not placed: back up.
      keepBest();
      const top = stack.pop();
      if (top === undefined) return { verdict: 'not_linearizable', longestPrefix: best, stateAfterPrefix: model.value(bestState), stuck: stuckAfter(ops, best), iterations };
      state = top.state;
      flip(top.entry.op);
      unlift(top.entry);
      entry = top.entry.next;
    }
    keepBest();
    return { verdict: 'linearizable', longestPrefix: best, stateAfterPrefix: model.value(state), stuck: [], iterations };
  }
}
