// The Wing-Gong linearizability search with Lowe's memoization, laid out as Porcupine does it:
// calls and returns in one doubly linked list in real-time order; linearizing an operation lifts
// its call and return out of the list, backtracking puts them back. A cache of (set of linearized
// operations, model state) cuts every branch already known to fail. Sets are bitsets with a
// Zobrist hash kept incrementally, so a cache probe costs one XOR and a short compare.
//
// Bits are numbered by call time, so the set the search holds is, nearly always, every operation
// up to some point and a few past it. On a long history the cache keeps that shape, not the
// bitset: the words that are not all ones, up to the last word with a one. A copy of the whole
// bitset per cache entry made long histories quadratic in time and memory (a key of 25,000
// operations: 78 MB of copies). Short, highly concurrent histories backtrack a lot over a few
// words, where copying them is cheaper than keeping the shape.

import type { KvScalar } from '../../shared/history.ts';
import type { Operation } from './history.ts';
import { callReturnList, lift, stuckAfter, unlift, zobristKeys, type Entry } from './call-list.ts';

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
    default:
      // A counter's or a set's operation: no register has it.
      return undefined;
  }
}

/** What a read of an appended key returned, as the text a value of that key is (absent: empty). */
function readText(op: Operation): string {
  return op.output === null ? '' : typeof op.output === 'string' ? op.output : '\u0000not text';
}

function hashState(state: RegisterState): number {
  if (state === null) return 0x9e3779b9;
  if (typeof state === 'boolean') return state ? 0x85ebca6b : 0xc2b2ae35;
  if (typeof state === 'number') return Math.imul((state * 2654435761) | 0, 0x27d4eb2d) ^ (state * 1e-3);
  let h = 0x811c9dc5;
  for (let i = 0; i < state.length; i++) h = Math.imul(h ^ state.charCodeAt(i), 0x01000193);
  return h;
}

/**
 * V8's cost of a cache entry beside its set's bytes: the object, the typed array and its buffer, a
 * bucket slot. Measured: 9 concurrent appends of unknown outcome, 2.96 million steps, held 352 MB
 * of live heap after a full collection, which these figures estimate within 5%.
 */
const ENTRY_BYTES = 400;
/** A state string's header; its characters come on top (flat, one byte each: the hash and the compare flatten it). */
const STRING_BYTES = 24;
/** A new bucket: a Map entry and an array. */
const BUCKET_BYTES = 80;

/** Keys of more operations than this many words of bits keep the cache's sets sparse (see the top). */
const SPARSE_FROM_WORDS = 128;


export interface SearchResult {
  verdict: 'linearizable' | 'not_linearizable' | 'unknown';
  /** With 'unknown': which bound the search reached. */
  exhausted?: 'time' | 'memory' | 'iterations';
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
  /**
   * The bytes the caches of the searches sharing this budget may hold (estimated: their sets,
   * states and buckets), past which a search stops with 'unknown': a history that keeps no bound
   * in sight must not take the process's heap with it. `used` is shared by every search given the
   * same object, and each gives back its own when it ends.
   */
  memory?: { used: number; max: number };
  /** Steps past which the search stops with 'unknown' (exhausted: 'iterations'), to be tried again with more. */
  maxIterations?: number;
  /** Off only for the benchmark's baseline: plain Wing-Gong, to show what the cache buys. */
  memoize?: boolean;
  /** Off only for the benchmark's baseline: appended keys searched without the cut (see growsOnly). */
  cutAppends?: boolean;
  /** How the cache keeps its sets; by the key's length unless a test wants one way (see the top). */
  sets?: 'dense' | 'sparse';
}

export interface SearchFrom {
  /** The register's value before the first operation (null: absent). */
  initial?: RegisterState;
  /**
   * Collects how every legal order of the operations can end, instead of stopping at the first
   * order found: the value, and the operations of unknown outcome (`info`) it left unplaced, which
   * may still take effect later or never (indexes into the operations). What a segment of history
   * leaves for the next one (see IncrementalChecker). Linearizable when any is collected.
   */
  finals?: Array<{ state: RegisterState; unplaced: number[] }>;
}

/** Steps between two looks at the budget (and the pauses of a search run in turns). */
export const STEPS_PER_CHECK = 1024;

/** Searches one register's history (one key's operations) for a legal linearization. */
export function searchRegister(ops: readonly Operation[], budget: SearchBudget | null, from: SearchFrom = {}): SearchResult {
  const search = startRegisterSearch(ops, budget, from);
  try {
    return search.run(Number.POSITIVE_INFINITY) as SearchResult;
  } finally {
    search.release();
  }
}

/** A search that runs a number of steps at a time, so that several can take turns. */
export interface RegisterSearch<R = SearchResult> {
  /** Runs until an answer (returned), or `steps` more steps (null: call again to go on). */
  run(steps: number): R | null;
  /** Gives back the cache's memory to the budget; the search is over. */
  release(): void;
}

export function startRegisterSearch(ops: readonly Operation[], budget: SearchBudget | null, from: SearchFrom = {}): RegisterSearch {
  const memory = budget?.memory ?? { used: 0, max: Number.POSITIVE_INFINITY };
  let cacheBytes = 0;
  let released = false;
  const run = search();
  return {
    run,
    release: () => {
      if (released) return;
      released = true;
      memory.used -= cacheBytes;
    },
  };

  function search(): (steps: number) => SearchResult | null {
    const n = ops.length;
    const initial = from.initial ?? null;
    const finals = from.finals ?? null;
    if (n === 0) {
      finals?.push({ state: initial, unplaced: [] });
      return () => ({ verdict: 'linearizable', longestPrefix: [], stateAfterPrefix: initial, stuck: [], iterations: 0 });
    }
    const neverReturned: number[] = [];
    ops.forEach((op, i) => op.end === Number.POSITIVE_INFINITY && neverReturned.push(i));

    const { head, ordered: raw } = callReturnList(ops);


    // Each operation's bit: the rank of its call in real time.
    const rank = new Int32Array(n);
    let calls = 0;
    for (const e of raw) if (e.isCall) rank[e.op] = calls++;
    const words = (n + 31) >>> 5;
    const bits = new Uint32Array(words);
    /** The highest word with a bit set, -1 when none is. */
    let topWord = -1;
    /** Words up to topWord that are not all ones: with topWord, they say which bits are set. */
    const partWords = new Set<number>();
    const sparse = budget?.sets === undefined ? words > SPARSE_FROM_WORDS : budget.sets === 'sparse';
    const FULL = 0xffffffff;
    const zobrist = zobristKeys(n);
    let setHash = 0;
    const include = (op: number): void => {
      const r = rank[op] as number;
      const w = r >>> 5;
      bits[w] = ((bits[w] as number) | (1 << (r & 31))) >>> 0;
      setHash ^= zobrist[op] as number;
      if (!sparse) return;
      for (let skipped = topWord + 1; skipped < w; skipped++) partWords.add(skipped);
      if (w > topWord) topWord = w;
      if (bits[w] === FULL) partWords.delete(w);
      else partWords.add(w);
    };
    const included = (op: number): boolean => {
      const r = rank[op] as number;
      return (((bits[r >>> 5] as number) >>> (r & 31)) & 1) === 1;
    };
    const exclude = (op: number): void => {
      const r = rank[op] as number;
      const w = r >>> 5;
      bits[w] = ((bits[w] as number) & ~(1 << (r & 31))) >>> 0;
      setHash ^= zobrist[op] as number;
      if (!sparse) return;
      partWords.add(w);
      while (topWord >= 0 && bits[topWord] === 0) partWords.delete(topWord--);
    };
    // A key of appends and reads only: its value only grows, so every read not placed yet will see
    // an extension of the value now. A step whose value the shortest such read does not start
    // with leads nowhere, however the rest is ordered: cut at once. Without this, concurrent
    // appends were tried in every order until a read far ahead refuted each (a key of 207
    // operations, 14 at once: 16 million steps; with it, a few hundred).
    const growsOnly = (budget?.cutAppends ?? true) && ops.every((op) => op.f === 'read' || op.f === 'append');
    const readsShortestFirst = growsOnly ? ops.flatMap((op, i) => (op.f === 'read' ? [i] : [])).sort((a, b) => readText(ops[a] as Operation).length - readText(ops[b] as Operation).length) : [];
    const readPosition = new Int32Array(growsOnly ? n : 0).fill(-1);
    readsShortestFirst.forEach((op, position) => (readPosition[op] = position));
    /** readsShortestFirst[firstUnplaced] is the shortest read not placed (kept up to date by place and unplace). */
    let firstUnplaced = 0;
    // Registers never need the bookkeeping: they place and unplace with no wrapper in the way.
    const place = !growsOnly
      ? include
      : (op: number): void => {
          include(op);
          if (readPosition[op] !== firstUnplaced) return;
          while (firstUnplaced < readsShortestFirst.length && included(readsShortestFirst[firstUnplaced] as number)) firstUnplaced++;
        };
    const unplace = !growsOnly
      ? exclude
      : (op: number): void => {
          exclude(op);
          const position = readPosition[op] as number;
          if (position >= 0 && position < firstUnplaced) firstUnplaced = position;
        };
    const leadsSomewhere = (next: RegisterState): boolean => {
      if (firstUnplaced >= readsShortestFirst.length || typeof next !== 'string') return true;
      return readText(ops[readsShortestFirst[firstUnplaced] as number] as Operation).startsWith(next);
    };
    /** The set as the cache keeps it: the bitset; sparse, topWord and each partial word's index and bits, in order. */
    const shape = (): Uint32Array | Float64Array => {
      if (!sparse) return bits.slice();
      const indexes = [...partWords].sort((a, b) => a - b);
      const out = new Float64Array(1 + 2 * indexes.length);
      out[0] = topWord;
      for (let i = 0; i < indexes.length; i++) {
        out[1 + 2 * i] = indexes[i] as number;
        out[2 + 2 * i] = bits[indexes[i] as number] as number;
      }
      return out;
    };
    /** Whether a kept shape is the set held now, read off the bitset without building a shape. */
    const isCurrent = (kept: Uint32Array | Float64Array): boolean => {
      if (!sparse) {
        for (let w = 0; w < words; w++) if (kept[w] !== bits[w]) return false;
        return true;
      }
      if (kept[0] !== topWord || kept.length !== 1 + 2 * partWords.size) return false;
      // Every kept partial word matches, and there are as many as now: the same words are partial.
      for (let i = 1; i < kept.length; i += 2) if (bits[kept[i] as number] !== kept[i + 1]) return false;
      return true;
    };
    const cache = new Map<number, Array<{ set: Uint32Array | Float64Array; state: RegisterState }>>();
    const memoize = budget?.memoize ?? true;
    /** What the cache holds, estimated: each entry's object, its set's array and its bucket's slot. */
    const remember = (bucket: Array<{ set: Uint32Array | Float64Array; state: RegisterState }>, state: RegisterState): void => {
      const set = shape();
      bucket.push({ set, state });
      const bytes = ENTRY_BYTES + set.byteLength + (typeof state === 'string' ? STRING_BYTES + state.length : 0);
      cacheBytes += bytes;
      memory.used += bytes;
    };
    const seen = (state: RegisterState): boolean => {
      if (!memoize) return false;
      const key = (setHash ^ hashState(state)) | 0;
      let bucket = cache.get(key);
      if (bucket !== undefined) {
        for (const item of bucket) if (item.state === state && isCurrent(item.set)) return true;
      } else {
        bucket = [];
        cache.set(key, bucket);
        cacheBytes += BUCKET_BYTES;
        memory.used += BUCKET_BYTES;
      }
      remember(bucket, state);
      return false;
    };
    const maxIterations = budget?.maxIterations ?? Number.POSITIVE_INFINITY;
    /** Which bound the search has reached, if any; looked at every STEPS_PER_CHECK steps. */
    const overBudget = (iterations: number): SearchResult['exhausted'] | null => {
      if (memory.used > memory.max) return 'memory';
      if (iterations >= maxIterations) return 'iterations';
      if (budget !== null && budget.deadline !== Number.POSITIVE_INFINITY && budget.now() > budget.deadline) return 'time';
      return null;
    };

    const stack: Array<{ entry: Entry; state: RegisterState }> = [];
    // The longest legal order so far, for the explanation. While the search goes deeper, the stack
    // itself holds it (bestOnStack); it is copied out when a backtrack is about to shorten the stack
    // below its length, and only from the depth the stack has kept since the last copy (lowWater).
    // Copying the whole order at every new depth made a search of n operations cost n^2: 25,000
    // operations on one key took 14 s instead of a fraction of one.
    const best: number[] = [];
    let bestState: RegisterState = initial;
    let bestLength = 0;
    let bestOnStack = false;
    let lowWater = 0;
    const keepBest = (): void => {
      if (!bestOnStack) return;
      for (let i = lowWater; i < bestLength; i++) best[i] = (stack[i] as { entry: Entry }).entry.op;
      best.length = bestLength;
      lowWater = bestLength;
      bestOnStack = false;
    };
    // Where a run stopped, for the next to go on from: the hot loop keeps them in locals.
    let savedIterations = 0;
    let savedEntry: Entry | null = head.next;
    let savedState: RegisterState = initial;

    return (steps: number): SearchResult | null => {
      let iterations = savedIterations;
      let entry = savedEntry;
      let state = savedState;
      const pauseAt = iterations + steps;
      for (;;) {
        // Every operation that returned is placed (the list is empty, or what is left of it ends at
        // infinity): a legal order. Unless every way to end is wanted, done.
        const placedAll = entry === null || (!entry.isCall && entry.time === Number.POSITIVE_INFINITY);
        if (placedAll) {
          if (finals === null) break;
          finals.push({ state, unplaced: neverReturned.filter((i) => !included(i)) });
        } else if (++iterations % STEPS_PER_CHECK === 0) {
          const exhausted = overBudget(iterations);
          if (exhausted !== null) {
            keepBest();
            return { verdict: 'unknown', exhausted, longestPrefix: best, stateAfterPrefix: bestState, stuck: [], iterations };
          }
          if (iterations >= pauseAt) {
            savedIterations = iterations;
            savedEntry = entry;
            savedState = state;
            return null;
          }
        }
        if (!placedAll && (entry as Entry).isCall) {
          const call = entry as Entry;
          const op = ops[call.op] as Operation;
          const stepped = stepRegister(state, op);
          const next = stepped !== undefined && growsOnly && !leadsSomewhere(stepped) ? undefined : stepped;
          let moved = false;
          if (next !== undefined) {
            place(call.op);
            if (!seen(next)) {
              stack.push({ entry: call, state });
              state = next;
              lift(call);
              moved = true;
              if (stack.length > bestLength) {
                bestLength = stack.length;
                bestState = state;
                bestOnStack = true;
              }
              entry = head.next;
            } else {
              unplace(call.op);
            }
          }
          if (!moved) entry = call.next;
          continue;
        }
        // A return whose operation was not linearized yet, or the end of a legal order while every way
        // to end is collected: back up and look for the next.
        if (stack.length === bestLength) keepBest();
        const top = stack.pop();
        if (stack.length < lowWater) lowWater = stack.length;
        if (top === undefined) {
          if (finals !== null && finals.length > 0) break;
          return { verdict: 'not_linearizable', longestPrefix: best, stateAfterPrefix: bestState, stuck: stuckAfter(ops, best), iterations };
        }
        state = top.state;
        unplace(top.entry.op);
        unlift(top.entry);
        entry = top.entry.next;
      }
      keepBest();
      return { verdict: 'linearizable', longestPrefix: best, stateAfterPrefix: bestState, stuck: [], iterations };
    };
  }
}
