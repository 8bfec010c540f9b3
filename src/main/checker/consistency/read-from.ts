// The read-from view of a register or key-value history that the causal family of checks
// (causal.ts, pram.ts, session.ts) works on: which write each read returned, each process's
// operations in program order, and which operations of unknown outcome took effect.
//
// - A cas that succeeded reads its expected value and writes its new one, atomically; an append
//   reads the whole previous string and writes the whole new one, so the reads of appends reveal
//   the order of the appends they contain; a delete writes null; the initial value is null.
// - An `info` write, cas or append whose value someone read took effect, and is included; one
//   whose value nobody read may never have happened, and is left out: every model here is closed
//   under leaving out a write nobody read (its order constraints only fall away).
// - An append that completed but whose new string no read shows: what it read is unknown, and any
//   model here lets it read the last write its view already orders before it (that adds no
//   order), so it counts as a write nobody reads.
// - The checks are exact for differentiated histories (each value written at most once per key).
//   When a read's value has two possible writers, the read-from relation is not determined and the
//   checks answer 'unknown'; a read of a value nobody wrote is a violation of every model either way.

import type { KvScalar } from '../../../shared/history.ts';
import type { Operation } from '../history.ts';
import type { CheckedHistory, ConsistencyBudget, ConsistencyName, ModelResult, Witness } from './contract.ts';
import { witnessOperation } from './witness.ts';

/** rf[] for a read of the initial value. */
export const INITIAL = -1;
/** rf[] for an operation that reads nothing (a write, a delete, an append no read shows). */
export const NO_READ = -2;

/** The included operations as nodes 0..n-1, with program order and read-from. */
export interface ReadFromHistory {
  nodes: Operation[];
  /** Dense process index per node. */
  process: Int32Array;
  /** Dense key index per node. */
  key: Int32Array;
  writes: Uint8Array;
  /** Node whose value this node read, INITIAL or NO_READ. */
  rf: Int32Array;
  /** Each process's nodes in program order (invoke order). */
  byProcess: Int32Array[];
  /** Position of each node in its process's program order. */
  position: Int32Array;
  keys: number;
}

export type Resolution = { ok: true; history: ReadFromHistory } | { ok: false; result: (model: ConsistencyName) => ModelResult };

export function falseResult(model: ConsistencyName, witness: Witness, figures: Record<string, number>): ModelResult {
  return { model, verdict: 'false', witness, reason: null, figures };
}

export function unknownResult(model: ConsistencyName, reason: string, figures: Record<string, number> = {}): ModelResult {
  return { model, verdict: 'unknown', witness: null, reason, figures };
}

/** 'unknown' for the data types these models are not defined for here; null otherwise. */
export function undefinedFor(model: ConsistencyName, history: CheckedHistory): ModelResult | null {
  if (history.dataType === 'register' || history.dataType === 'kv') return null;
  return unknownResult(model, 'defined here for registers and key-value stores');
}


/** The value an operation writes, when it is known from the operation alone. */
function writtenValue(op: Operation): KvScalar | undefined {
  if (op.f === 'write') return op.input as KvScalar;
  if (op.f === 'cas') return (op.input as [KvScalar, KvScalar])[1];
  if (op.f === 'delete') return null;
  return undefined;
}

/** byValue's mark for a value written more than once. */
const SEVERAL = -1;
// Codes of a resolved read, beside a writer's index, INITIAL and NO_READ.
const THIN_AIR = -3;
const AMBIGUOUS = -4;

interface KeyIndex {
  id: number;
  /** Value (a Map tells 1 from "1") -> the index of the one operation writing it, or SEVERAL. */
  byValue: Map<KvScalar, number>;
  appendsBySuffix: Map<string, number[]>;
  suffixLengths: number[];
}

// The checks of one run share the history's operations array: they resolve it once. Held weakly,
// so a run's resolution goes with its history.
const resolutions = new WeakMap<readonly Operation[], Resolution>();

export function resolveReadFrom(history: CheckedHistory): Resolution {
  let resolution = resolutions.get(history.operations);
  if (resolution === undefined) {
    resolution = resolve(history.operations);
    resolutions.set(history.operations, resolution);
  }
  return resolution;
}

function resolve(ops: readonly Operation[]): Resolution {
  const count = ops.length;
  const keys = new Map<string, KeyIndex>();
  const keyOf: KeyIndex[] = new Array<KeyIndex>(count);
  for (let i = 0; i < count; i++) {
    const op = ops[i] as Operation;
    let k = keys.get(op.key);
    if (k === undefined) {
      k = { id: keys.size, byValue: new Map(), appendsBySuffix: new Map(), suffixLengths: [] };
      keys.set(op.key, k);
    }
    keyOf[i] = k;
    const value = writtenValue(op);
    if (value !== undefined) {
      k.byValue.set(value, k.byValue.has(value) ? SEVERAL : i);
    } else if (op.f === 'append') {
      const suffix = String(op.input);
      const list = k.appendsBySuffix.get(suffix);
      if (list === undefined) k.appendsBySuffix.set(suffix, [i]);
      else list.push(i);
      if (!k.suffixLengths.includes(suffix.length)) k.suffixLengths.push(suffix.length);
    }
  }
  // What each append wrote, as the reads reveal it (its own suffix after what it read).
  const appended = new Map<number, string>();
  const rfOf = new Int32Array(count).fill(NO_READ);
  const included = new Uint8Array(count);
  const pending: number[] = [];
  const resolve = (k: KeyIndex, value: KvScalar, appendPrefix: boolean): number => {
    // An append to an absent key starts from '', so there '' may be the initial value.
    const fromEmpty = appendPrefix && value === '';
    let writer = k.byValue.get(value) ?? THIN_AIR;
    let candidates = writer === THIN_AIR ? 0 : writer === SEVERAL ? 2 : 1;
    if (fromEmpty) {
      const deleted = k.byValue.get(null);
      if (deleted !== undefined) candidates += 1;
    }
    if (typeof value === 'string' && k.suffixLengths.length > 0) {
      for (const length of k.suffixLengths) {
        if (length > value.length || length === 0) continue;
        for (const a of k.appendsBySuffix.get(value.slice(value.length - length)) ?? []) {
          const known = appended.get(a);
          if (known !== undefined && known !== value) continue;
          candidates++;
          writer = a;
        }
      }
    }
    if (candidates === 0) return value === null || fromEmpty ? INITIAL : THIN_AIR;
    if (candidates > 1 || value === null || fromEmpty) return AMBIGUOUS;
    const op = ops[writer] as Operation;
    if (op.f === 'append' && !appended.has(writer)) {
      appended.set(writer, value as string);
      pending.push(writer);
    }
    return writer;
  };
  const readValue = (i: number): KvScalar | undefined => {
    const op = ops[i] as Operation;
    if (op.f === 'read') return op.output as KvScalar;
    if (op.f === 'cas') return (op.input as [KvScalar, KvScalar])[0];
    if (op.f === 'append') {
      const full = appended.get(i);
      return full === undefined ? undefined : full.slice(0, full.length - String(op.input).length);
    }
    return undefined;
  };
  let thinAir = -1;
  let thinAirReads = 0;
  let ambiguous = -1;
  const settle = (i: number): void => {
    const value = readValue(i);
    if (value === undefined) return;
    const writer = resolve(keyOf[i] as KeyIndex, value, (ops[i] as Operation).f === 'append');
    rfOf[i] = writer;
    if (writer === THIN_AIR) {
      if (thinAir < 0) thinAir = i;
      thinAirReads++;
    } else if (writer === AMBIGUOUS) {
      if (ambiguous < 0) ambiguous = i;
    } else if (writer >= 0 && !included[writer]) {
      included[writer] = 1;
      const w = ops[writer] as Operation;
      if (w.f === 'cas' && w.indefinite) pending.push(writer);
    }
  };
  for (let i = 0; i < count; i++) {
    const op = ops[i] as Operation;
    if (op.indefinite) continue;
    included[i] = 1;
    if (op.f === 'read' || op.f === 'cas') settle(i);
  }
  // Appends revealed by a read, and `info` cas ops found to have taken effect, read too.
  while (pending.length > 0) settle(pending.pop() as number);
  const figures = { operations: count };
  if (thinAir >= 0) {
    const op = ops[thinAir] as Operation;
    const value = readValue(thinAir);
    return {
      ok: false,
      result: (model) =>
        falseResult(
          model,
          { anomaly: 'thin-air read', operations: [witnessOperation(op)], why: `It reads ${JSON.stringify(value)}, which no operation on its key wrote.` },
          { ...figures, thinAirReads },
        ),
    };
  }
  if (ambiguous >= 0) {
    const op = ops[ambiguous] as Operation;
    const value = readValue(ambiguous);
    return {
      ok: false,
      result: (model) =>
        unknownResult(model, `not differentiated: the value ${JSON.stringify(value)} read on line ${op.line} has more than one possible writer (these checks need each value written at most once per key)`, figures),
    };
  }
  const nodeOf = new Int32Array(count).fill(-1);
  const nodes: Operation[] = [];
  for (let i = 0; i < count; i++) if (included[i]) nodeOf[i] = nodes.push(ops[i] as Operation) - 1;
  const n = nodes.length;
  const processIds = new Map<number, number>();
  const process = new Int32Array(n);
  const key = new Int32Array(n);
  const writes = new Uint8Array(n);
  const rf = new Int32Array(n);
  const sizes: number[] = [];
  for (let i = 0; i < count; i++) {
    const v = nodeOf[i] as number;
    if (v < 0) continue;
    const op = ops[i] as Operation;
    let p = processIds.get(op.process);
    if (p === undefined) {
      processIds.set(op.process, (p = processIds.size));
      sizes.push(0);
    }
    sizes[p]++;
    process[v] = p;
    key[v] = (keyOf[i] as KeyIndex).id;
    writes[v] = op.f === 'read' ? 0 : 1;
    const from = rfOf[i] as number;
    rf[v] = from >= 0 ? (nodeOf[from] as number) : from;
  }
  const byProcess = sizes.map((size) => new Int32Array(size));
  const fill = new Int32Array(sizes.length);
  for (let v = 0; v < n; v++) {
    const p = process[v] as number;
    (byProcess[p] as Int32Array)[fill[p]++ as number] = v;
  }
  const position = new Int32Array(n);
  for (const list of byProcess) {
    // A process invokes again only after its operation completed, so completion order (the
    // history's) is usually invoke order already.
    let sorted = true;
    for (let i = 1; i < list.length && sorted; i++) sorted = (nodes[list[i - 1] as number] as Operation).start <= (nodes[list[i] as number] as Operation).start;
    if (!sorted) list.sort((a, b) => (nodes[a] as Operation).start - (nodes[b] as Operation).start || a - b);
    list.forEach((node, i) => (position[node] = i));
  }
  return { ok: true, history: { nodes, process, key, writes, rf, byProcess, position, keys: keys.size } };
}

/** Deadline and memory checks, every few thousand steps; the memory given back at the end. */
export class Meter {
  private steps = 0;
  private held = 0;
  private readonly budget: ConsistencyBudget;
  constructor(budget: ConsistencyBudget) {
    this.budget = budget;
  }

  /** false: past the deadline. */
  step(count = 1): boolean {
    this.steps += count;
    if (this.steps < 4096) return true;
    this.steps = 0;
    return this.budget.now() <= this.budget.deadline;
  }

  /** false: the bytes would take the checks past their memory. */
  take(bytes: number): boolean {
    if (this.budget.memory.used + bytes > this.budget.memory.max) return false;
    this.budget.memory.used += bytes;
    this.held += bytes;
    return true;
  }

  /** Gives back bytes taken earlier, before the end (a per-process view's bitsets). */
  give(bytes: number): void {
    this.budget.memory.used -= bytes;
    this.held -= bytes;
  }

  release(): void {
    this.budget.memory.used -= this.held;
    this.held = 0;
  }
}

export const OUT_OF_TIME = 'out of time: the budget ended before the check did';
export const OUT_OF_MEMORY = 'out of memory: the check would hold more than the budget allows';

/** Shortest cycle through `start` in a graph given by successors, as nodes in order; null if none. */
export function shortestCycleThrough(start: number, size: number, successors: (v: number, visit: (w: number) => void) => void): number[] | null {
  const parent = new Int32Array(size).fill(-1);
  const queue = [start];
  let found = -1;
  for (let head = 0; head < queue.length && found < 0; head++) {
    const v = queue[head] as number;
    successors(v, (w) => {
      if (found >= 0) return;
      if (w === start) {
        found = v;
        return;
      }
      if (parent[w] !== -1) return;
      parent[w] = v;
      queue.push(w);
    });
  }
  if (found < 0) return null;
  const cycle: number[] = [];
  for (let v = found; v !== start; v = parent[v] as number) cycle.push(v);
  cycle.push(start);
  return cycle.reverse();
}

/**
 * A topological order of a graph given by successor lists in CSR form (Kahn), or, when it has a
 * cycle, a node on one.
 */
export function topologicalOrder(size: number, offsets: Int32Array, targets: Int32Array, scratch?: Scratch): { order: Int32Array } | { onCycle: number } {
  const indegree = scratch?.int32('topological.indegree', size, 0) ?? new Int32Array(size);
  for (let e = 0; e < targets.length; e++) indegree[targets[e] as number]++;
  const order = scratch?.int32('topological.order', size, 0) ?? new Int32Array(size);
  let tail = 0;
  for (let v = 0; v < size; v++) if (indegree[v] === 0) order[tail++] = v;
  for (let head = 0; head < tail; head++) {
    const v = order[head] as number;
    for (let e = offsets[v] as number; e < (offsets[v + 1] as number); e++) {
      const w = targets[e] as number;
      if (--indegree[w] === 0) order[tail++] = w;
    }
  }
  if (tail === size) return { order };
  // Every node left has a predecessor left: walk predecessors until one repeats.
  const left = new Uint8Array(size);
  for (let v = 0; v < size; v++) if ((indegree[v] as number) > 0) left[v] = 1;
  const pred = new Int32Array(size).fill(-1);
  for (let v = 0; v < size; v++) {
    if (!left[v]) continue;
    for (let e = offsets[v] as number; e < (offsets[v + 1] as number); e++) if (left[targets[e] as number]) pred[targets[e] as number] = v;
  }
  let v = left.indexOf(1);
  const seen = new Uint8Array(size);
  while (!seen[v]) {
    seen[v] = 1;
    v = pred[v] as number;
  }
  return { onCycle: v };
}

/**
 * Buffers that the views of one check reuse: a view's arrays (tens of megabytes on a history of a
 * million operations) would otherwise be garbage that each next view's allocations make the
 * collector sweep, with the whole history, again and again.
 */
export class Scratch {
  private readonly buffers = new Map<string, Int32Array<ArrayBuffer>>();
  private readonly lists = new Map<string, EdgeList>();

  /** The slot's buffer as `length` numbers, each set to `fill`. */
  int32(slot: string, length: number, fill: number): Int32Array<ArrayBuffer> {
    let buffer = this.buffers.get(slot);
    if (buffer === undefined || buffer.length < length) {
      buffer = new Int32Array(Math.ceil(length * 1.25) + 16);
      this.buffers.set(slot, buffer);
    }
    const view = buffer.subarray(0, length);
    view.fill(fill);
    return view;
  }

  /** The slot's edge list, emptied. */
  edges(slot: string): EdgeList {
    let list = this.lists.get(slot);
    if (list === undefined) {
      list = new EdgeList();
      this.lists.set(slot, list);
    }
    list.count = 0;
    return list;
  }
}

/** Edge pairs in growing typed arrays (a million edges without a million small objects), to CSR. */
export class EdgeList {
  private a: Int32Array;
  private b: Int32Array;
  count = 0;

  /** capacity: the edges expected, so that a large graph is not copied as it grows. */
  constructor(capacity = 64) {
    this.a = new Int32Array(Math.max(capacity, 16));
    this.b = new Int32Array(Math.max(capacity, 16));
  }

  add(from: number, to: number): void {
    if (this.count === this.a.length) {
      const a = new Int32Array(this.count * 2);
      const b = new Int32Array(this.count * 2);
      a.set(this.a);
      b.set(this.b);
      this.a = a;
      this.b = b;
    }
    this.a[this.count] = from;
    this.b[this.count] = to;
    this.count++;
  }

  from(e: number): number {
    return this.a[e] as number;
  }

  to(e: number): number {
    return this.b[e] as number;
  }

  /** The first edge a -> b at or after `start`, or -1. */
  find(a: number, b: number, start = 0): number {
    for (let e = start; e < this.count; e++) if (this.a[e] === a && this.b[e] === b) return e;
    return -1;
  }

  clone(): EdgeList {
    const copy = new EdgeList();
    copy.a = this.a.slice();
    copy.b = this.b.slice();
    copy.count = this.count;
    return copy;
  }

  /** Copies `other`'s edges into this list, keeping this list's arrays when they are large enough. */
  copyFrom(other: EdgeList, room = 0): this {
    if (this.a.length < other.count + room) {
      this.a = new Int32Array(other.count + room);
      this.b = new Int32Array(other.count + room);
    }
    this.a.set(other.a.subarray(0, other.count));
    this.b.set(other.b.subarray(0, other.count));
    this.count = other.count;
    return this;
  }

  /**
   * Successors per node; with `reverse`, predecessors. With `scratch`, in its buffers under
   * `slot` (valid until the next call with the same slot).
   */
  csr(size: number, reverse = false, scratch?: Scratch, slot = 'csr'): { offsets: Int32Array; targets: Int32Array } {
    const from = reverse ? this.b : this.a;
    const to = reverse ? this.a : this.b;
    const offsets = scratch?.int32(`${slot}.offsets`, size + 1, 0) ?? new Int32Array(size + 1);
    for (let e = 0; e < this.count; e++) offsets[(from[e] as number) + 1]++;
    for (let v = 0; v < size; v++) offsets[v + 1] += offsets[v] as number;
    const fill = scratch?.int32(`${slot}.fill`, size, 0) ?? new Int32Array(size);
    fill.set(offsets.subarray(0, size));
    const targets = scratch?.int32(`${slot}.targets`, this.count, 0) ?? new Int32Array(this.count);
    for (let e = 0; e < this.count; e++) {
      const a = from[e] as number;
      targets[fill[a] as number] = to[e] as number;
      fill[a]++;
    }
    return { offsets, targets };
  }
}
