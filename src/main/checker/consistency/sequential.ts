// Sequential consistency (Lamport 1979): one total order of all the operations that keeps each
// process's own order (program order; real time between processes does not count) and is legal
// for the data type.
//
// Not compositional: each key's history may have a sequential order while the whole has none
// (IRIW: two readers that see two independent writes in opposite orders). A kv history is
// searched whole, its state the value of every key (keys no operation touches are left out).
//
// The search is a depth-first walk over "which process places its next operation", memoized on
// (each process's position, which operations of unknown outcome are placed, the state): a point
// reached twice fails the second time as it did the first. An operation of unknown outcome
// (`info`) may take effect anywhere after its process's earlier operations, or never; it is not
// held in its process's order with the operations after it (Jepsen's processes never invoke again
// after an info, so nothing is lost, and a history that does is still judged by the definition).
// The walk first keeps to the orders real time allows (a linearizable history is sequential, and
// that search is short), for a bounded number of steps, and when it found none tries every order;
// candidates are tried in the order of their start (in every order: those of unknown outcome last).

import type { Operation } from '../history.ts';
import { modelOf, partitionByKey } from '../models/index.ts';
import { witnessOperation } from './witness.ts';
import { withoutUnobservedInfo } from '../unobserved.ts';
import { checkOperations } from '../index.ts';
import { STEPS_PER_CHECK } from '../wgl.ts';
import type { CheckedHistory, ConsistencyBudget, ConsistencyCheck, ModelResult } from './contract.ts';

/** A memo entry's cost beside its text: the Set's slot and the string's header. */
const MEMO_ENTRY_BYTES = 64;

interface Placeable {
  op: Operation;
  key: number;
  process: number;
  /** Definite: its index in its process's chain. Info: how many of its process's definite operations must be placed first. */
  index: number;
  /** Info operations only: its bit among them. */
  info: number;
}

/** The share of the budget the linearizability search may take before the search of every order. */
const LINEARIZATION_SHARE = 0.25;
/** Its memory: a history hard to linearize (most of all one that is not) gives up early, not the heap. */
const LINEARIZATION_MEMORY = 64 * 2 ** 20;

export function checkSequential(history: CheckedHistory, budget: ConsistencyBudget): ModelResult {
  // A linearization is a sequential order (it keeps each process's order, real time being
  // stricter), and the key-by-key linearizability search finds one fastest when there is one: on
  // the checker bench's register histories the search of every order took 3.8 times as long.
  const linearization = checkOperations(history.operations, {
    dataType: history.dataType,
    timeoutMs: Math.max(0, (budget.deadline - budget.now()) * LINEARIZATION_SHARE),
    now: budget.now,
    maxCacheBytes: Math.max(0, Math.min(budget.memory.max - budget.memory.used, LINEARIZATION_MEMORY)),
  });
  if (linearization.linearizable === 'true') return { model: 'sequential', verdict: 'true', witness: null, reason: null, figures: { operations: history.operations.length, linearizable: 1 } };
  return searchSequentialOrder(history, budget);
}

/** The search of every order that keeps each process's order, without trying a linearization first. */
export function searchSequentialOrder(history: CheckedHistory, budget: ConsistencyBudget): ModelResult {
  const model = modelOf(history.dataType);
  const registers = history.dataType === 'register' || history.dataType === 'kv';
  // Dropping an info operation no read can have seen changes no verdict for any order, not only
  // a real-time one: the argument in unobserved.ts never uses real time.
  const byKey = partitionByKey(history.operations);
  const keys = [...byKey.keys()].sort();
  const ops: Operation[] = [];
  for (const key of keys) ops.push(...(registers ? withoutUnobservedInfo(byKey.get(key) as Operation[]) : (byKey.get(key) as Operation[])));
  const keyIndex = new Map(keys.map((k, i) => [k, i]));
  const figures: Record<string, number> = { operations: history.operations.length, processes: 0, statesVisited: 0, longestOrder: 0 };
  if (ops.length === 0) return { model: 'sequential', verdict: 'true', witness: null, reason: null, figures };

  const processes = [...new Set(ops.map((op) => op.process))].sort((a, b) => a - b);
  figures.processes = processes.length;
  const chains: Placeable[][] = processes.map(() => []);
  const infos: Placeable[] = [];
  const byProcess = new Map<number, Operation[]>();
  for (const op of ops) {
    const own = byProcess.get(op.process);
    if (own === undefined) byProcess.set(op.process, [op]);
    else own.push(op);
  }
  processes.forEach((process, p) => {
    const own = (byProcess.get(process) as Operation[]).sort((a, b) => a.start - b.start || a.id - b.id);
    for (const op of own) {
      const chain = chains[p] as Placeable[];
      if (op.indefinite) infos.push({ op, key: keyIndex.get(op.key) as number, process: p, index: chain.length, info: infos.length });
      else chain.push({ op, key: keyIndex.get(op.key) as number, process: p, index: chain.length, info: -1 });
    }
  });
  const definite = chains.reduce((n, c) => n + c.length, 0);

  const pos = new Int32Array(processes.length);
  const infoPlaced = new Uint8Array(infos.length);
  // The same, sixteen to a character in the memo's keys: a long history keeps hundreds of info operations.
  const infoWords = new Uint16Array((infos.length + 15) >>> 4);
  const states: unknown[] = keys.map(() => model.init());
  const stateKeys: string[] = states.map((s) => model.key(s));
  let placed = 0;
  const memo = new Set<string>();
  let memoBytes = 0;
  // Each process's position, kept short: a bit for each process done with its operations, and the
  // positions of those part way (the rest have placed none). Jepsen gives a process that got an
  // info a new number, so a history can have thousands of processes, nearly all of them done or
  // not begun at any point of the search, and a key with every position made each thousands long.
  const doneWords = new Uint16Array((processes.length + 15) >>> 4);
  const partWay = new Set<number>();
  const bitsText = (words: Uint16Array): string => {
    // In slices: a spread of a very long array would overflow the stack.
    let text = '';
    for (let i = 0; i < words.length; i += 4096) text += String.fromCharCode(...words.subarray(i, i + 4096));
    return text;
  };
  const memoKey = (): string => {
    const positions = [...partWay].sort((a, b) => a - b).map((p) => `${p}:${pos[p] as number}`);
    return `${bitsText(doneWords)}|${positions.join(',')}|${bitsText(infoWords)}|${stateKeys.join('\u0001')}`;
  };
  const moved = (p: number): void => {
    const at = pos[p] as number;
    const length = (chains[p] as Placeable[]).length;
    if (at === length) doneWords[p >>> 4] = (doneWords[p >>> 4] as number) | (1 << (p & 15));
    else doneWords[p >>> 4] = (doneWords[p >>> 4] as number) & ~(1 << (p & 15));
    if (at > 0 && at < length) partWay.add(p);
    else partWay.delete(p);
  };

  /**
   * realTime: only what real time allows next (called before every unplaced operation returned),
   * which are the linearizable orders: a linearizable history, the common case, is found sequential
   * at about the cost of a linearizability search, where the free order backtracks a lot before it
   * finds one. Program order is real-time order within a process, so each such order counts.
   */
  const candidates = (realTime: boolean): Placeable[] => {
    const out: Placeable[] = [];
    let firstReturn = Number.POSITIVE_INFINITY;
    let readNow: Placeable | null = null;
    for (let p = 0; p < chains.length; p++) {
      const next = (chains[p] as Placeable[])[pos[p] as number];
      if (next === undefined) continue;
      out.push(next);
      if (next.op.end < firstReturn) firstReturn = next.op.end;
      if (readNow === null && next.op.f === 'read' && model.step(states[next.key], next.op) !== undefined) readNow = next;
    }
    // A read that fits now goes now, and alone: in any order that places it later, the operations
    // in between see the same states without it (a read changes nothing), so moving it here keeps
    // the order legal, its process's order, and real time (it is a candidate, so nothing unplaced
    // returned before it began). Without this, writes that readers order one way are tried in
    // every subset before the reads that pin them down.
    if (readNow !== null && (!realTime || readNow.op.start <= firstReturn)) return [readNow];
    for (const info of infos) if (infoPlaced[info.info] === 0 && (pos[info.process] as number) >= info.index) out.push(info);
    // Calls and returns at equal times are concurrent, as in the linearizability search.
    const allowed = realTime ? out.filter((c) => c.op.start <= firstReturn) : out;
    // In real time, each in the order of its start, as the linearizability search tries them. In
    // any order, those of unknown outcome last: placed only where nothing else fits, which is
    // where a read shows them; tried first, every pile of them placed ahead is a branch to undo.
    const infoLast = !realTime;
    return allowed.sort((a, b) => (infoLast ? Number(a.op.indefinite) - Number(b.op.indefinite) : 0) || a.op.start - b.op.start || a.op.id - b.op.id);
  };
  interface Frame {
    candidates: Placeable[];
    next: number;
    /** The candidate placed below this frame, and the key's state before it. */
    placed: Placeable | null;
    before: unknown;
  }
  const place = (c: Placeable, state: unknown): void => {
    states[c.key] = state;
    stateKeys[c.key] = model.key(state);
    if (c.info >= 0) {
      infoPlaced[c.info] = 1;
      infoWords[c.info >>> 4] = (infoWords[c.info >>> 4] as number) | (1 << (c.info & 15));
    } else {
      pos[c.process]++;
      placed++;
      moved(c.process);
    }
  };
  const unplace = (c: Placeable, before: unknown): void => {
    states[c.key] = before;
    stateKeys[c.key] = model.key(before);
    if (c.info >= 0) {
      infoPlaced[c.info] = 0;
      infoWords[c.info >>> 4] = (infoWords[c.info >>> 4] as number) & ~(1 << (c.info & 15));
    } else {
      pos[c.process]--;
      placed--;
      moved(c.process);
    }
  };

  // The deepest point reached, for the witness: each process's position there, and the states.
  let deepest = { placed: -1, pos: new Int32Array(0), states: [] as unknown[] };
  let steps = 0;
  let reason: string | null = null;
  let visited = 0;
  /** `maxSteps`: past it, the run gives up ('false': none found, which proves nothing for a run in real time). */
  const run = (realTime: boolean, maxSteps: number): 'true' | 'false' | 'unknown' => {
    const firstStep = steps;
    const stack: Frame[] = [{ candidates: candidates(realTime), next: 0, placed: null, before: null }];
    try {
      search: while (stack.length > 0) {
        const frame = stack[stack.length - 1] as Frame;
        if (frame.placed !== null) {
          unplace(frame.placed, frame.before);
          frame.placed = null;
        }
        if (steps - firstStep > maxSteps) return 'false';
        if (++steps % STEPS_PER_CHECK === 0) {
          if (budget.memory.used > budget.memory.max) {
            reason = `out of memory: the search held about ${Math.round(memoBytes / 2 ** 20)} MB of states visited`;
            return 'unknown';
          }
          if (budget.deadline !== Number.POSITIVE_INFINITY && budget.now() > budget.deadline) {
            reason = `out of time after ${visited + memo.size} states of the search`;
            return 'unknown';
          }
        }
        while (frame.next < frame.candidates.length) {
          const c = frame.candidates[frame.next++] as Placeable;
          const before = states[c.key];
          const after = model.step(before, c.op);
          if (after === undefined) continue;
          place(c, after);
          if (placed === definite) return 'true';
          const key = memoKey();
          if (memo.has(key)) {
            unplace(c, before);
            continue;
          }
          memo.add(key);
          const bytes = MEMO_ENTRY_BYTES + 2 * key.length;
          memoBytes += bytes;
          budget.memory.used += bytes;
          if (!realTime && placed > deepest.placed) deepest = { placed, pos: pos.slice(), states: [...states] };
          frame.placed = c;
          frame.before = before;
          stack.push({ candidates: candidates(realTime), next: 0, placed: null, before: null });
          continue search;
        }
        stack.pop();
      }
      return 'false';
    } finally {
      // Back to the empty order, the memo and its memory given back, for the next run.
      for (let i = stack.length - 1; i >= 0; i--) {
        const frame = stack[i] as Frame;
        if (frame.placed !== null) unplace(frame.placed, frame.before);
      }
      visited += memo.size;
      memo.clear();
      budget.memory.used -= memoBytes;
      memoBytes = 0;
    }
  };
  // The run in real time is a short cut, so it gets a bounded share: a few steps per operation. Its
  // start order places every operation of unknown outcome as early as it can, which a history of
  // many such operations, each read late, makes a search of all their subsets.
  let verdict = run(true, 10_000 + 20 * ops.length);
  if (verdict === 'false') verdict = run(false, Number.POSITIVE_INFINITY);
  figures.statesVisited = visited;
  figures.longestOrder = verdict === 'true' ? definite : Math.max(0, deepest.placed);
  if (verdict !== 'false') return { model: 'sequential', verdict, witness: null, reason, figures };

  if (deepest.placed < 0) deepest = { placed: 0, pos: new Int32Array(processes.length), states: keys.map(() => model.init()) };
  const stuck: Operation[] = [];
  chains.forEach((chain, p) => {
    const next = chain[deepest.pos[p] as number];
    if (next !== undefined) stuck.push(next.op);
  });
  const touched = [...new Set(stuck.map((op) => keyIndex.get(op.key) as number))].sort((a, b) => a - b);
  const leaves = touched.map((k) => `${keys[k] === '' ? '' : `${keys[k]} = `}${model.describeState(deepest.states[k])}`).join(', ');
  const why =
    `No order of all ${definite} completed operations keeps each process's own order and is legal for a ${history.dataType}: ` +
    `the longest such order places ${deepest.placed}, leaving ${leaves}, and no process's next operation can come after it.`;
  return { model: 'sequential', verdict: 'false', witness: { anomaly: 'no sequential order', operations: stuck.map(witnessOperation), why }, reason: null, figures };
}

export const sequentialCheck: ConsistencyCheck = {
  name: 'sequential',
  summary: 'one order of all operations, each process in its own order, legal for the data type (Lamport 1979)',
  check: checkSequential,
};
