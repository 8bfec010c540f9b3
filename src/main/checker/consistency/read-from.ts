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
import { describeOperation } from '../index.ts';
import type { CheckedHistory, ConsistencyBudget, ConsistencyName, ModelResult, Witness, WitnessOperation } from './contract.ts';

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

export function witnessOperation(op: Operation): WitnessOperation {
  return { id: op.id, process: op.process, description: describeOperation(op), line: op.line };
}

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

const token = (v: KvScalar): string => (typeof v === 'string' ? `s${v}` : JSON.stringify(v));

/** The value an operation writes, when it is known from the operation alone. */
function writtenValue(op: Operation): KvScalar | undefined {
  if (op.f === 'write') return op.input as KvScalar;
  if (op.f === 'cas') return (op.input as [KvScalar, KvScalar])[1];
  if (op.f === 'delete') return null;
  return undefined;
}

interface KeyIndex {
  byValue: Map<string, Operation[]>;
  appendsBySuffix: Map<string, Operation[]>;
  suffixLengths: number[];
}

type Writer = Operation | 'initial' | 'thin-air' | 'ambiguous';

export function resolveReadFrom(history: CheckedHistory): Resolution {
  const ops = history.operations;
  const keys = new Map<string, KeyIndex>();
  const indexOf = (key: string): KeyIndex => {
    let k = keys.get(key);
    if (k === undefined) {
      k = { byValue: new Map(), appendsBySuffix: new Map(), suffixLengths: [] };
      keys.set(key, k);
    }
    return k;
  };
  for (const op of ops) {
    const k = indexOf(op.key);
    const value = writtenValue(op);
    if (value !== undefined) {
      const t = token(value);
      const list = k.byValue.get(t);
      if (list === undefined) k.byValue.set(t, [op]);
      else list.push(op);
    } else if (op.f === 'append') {
      const suffix = String(op.input);
      const list = k.appendsBySuffix.get(suffix);
      if (list === undefined) k.appendsBySuffix.set(suffix, [op]);
      else list.push(op);
      if (!k.suffixLengths.includes(suffix.length)) k.suffixLengths.push(suffix.length);
    }
  }
  // What each append wrote, as the reads reveal it (its own suffix after what it read).
  const appended = new Map<Operation, string>();
  const readFrom = new Map<Operation, Writer>();
  const pending: Operation[] = [];
  const resolve = (key: string, value: KvScalar, appendPrefix: boolean): Writer => {
    const k = indexOf(key);
    const candidates: Operation[] = [...(k.byValue.get(token(value)) ?? [])];
    // An append to an absent key starts from '', so there '' may be the initial value.
    const fromEmpty = appendPrefix && value === '';
    const initialToo = value === null || fromEmpty;
    if (fromEmpty) candidates.push(...(k.byValue.get(token(null)) ?? []));
    if (typeof value === 'string') {
      for (const length of k.suffixLengths) {
        if (length > value.length || length === 0) continue;
        for (const a of k.appendsBySuffix.get(value.slice(value.length - length)) ?? []) {
          const known = appended.get(a);
          if (known === undefined || known === value) candidates.push(a);
        }
      }
    }
    if (candidates.length === 0) return initialToo ? 'initial' : 'thin-air';
    if (candidates.length > 1 || initialToo) return 'ambiguous';
    const writer = candidates[0] as Operation;
    if (writer.f === 'append' && !appended.has(writer)) {
      appended.set(writer, value as string);
      pending.push(writer);
    }
    return writer;
  };
  const readValue = (op: Operation): KvScalar | undefined => {
    if (op.f === 'read') return op.output;
    if (op.f === 'cas') return (op.input as [KvScalar, KvScalar])[0];
    if (op.f === 'append') {
      const full = appended.get(op);
      return full === undefined ? undefined : full.slice(0, full.length - String(op.input).length);
    }
    return undefined;
  };
  const visit = (op: Operation): Writer | undefined => {
    const value = readValue(op);
    if (value === undefined) return undefined;
    const writer = resolve(op.key, value, op.f === 'append');
    readFrom.set(op, writer);
    return writer;
  };
  const included = new Set<Operation>();
  const thinAir: Operation[] = [];
  const ambiguity: { first: Operation | null } = { first: null };
  const settle = (op: Operation): void => {
    const writer = visit(op);
    if (writer === 'thin-air') thinAir.push(op);
    else if (writer === 'ambiguous') ambiguity.first ??= op;
    else if (writer !== undefined && writer !== 'initial' && !included.has(writer)) {
      included.add(writer);
      if (writer.f === 'cas' && writer.indefinite) pending.push(writer);
    }
  };
  for (const op of ops) {
    if (op.indefinite) continue;
    included.add(op);
    if (op.f === 'read' || op.f === 'cas') settle(op);
  }
  // Appends revealed by a read, and `info` cas ops found to have taken effect, read too.
  while (pending.length > 0) settle(pending.pop() as Operation);
  const figures = { operations: ops.length };
  if (thinAir.length > 0) {
    const op = thinAir[0] as Operation;
    const value = readValue(op);
    return {
      ok: false,
      result: (model) =>
        falseResult(
          model,
          { anomaly: 'thin-air read', operations: [witnessOperation(op)], why: `It reads ${JSON.stringify(value)}, which no operation on its key wrote.` },
          { ...figures, thinAirReads: thinAir.length },
        ),
    };
  }
  if (ambiguity.first !== null) {
    const op = ambiguity.first;
    return {
      ok: false,
      result: (model) =>
        unknownResult(model, `not differentiated: the value ${JSON.stringify(readValue(op))} read on line ${op.line} has more than one possible writer (these checks need each value written at most once per key)`, figures),
    };
  }
  const nodes = ops.filter((op) => included.has(op));
  const n = nodes.length;
  const nodeOf = new Map<Operation, number>();
  nodes.forEach((op, i) => nodeOf.set(op, i));
  const processIds = new Map<number, number>();
  const keyIds = new Map<string, number>();
  const process = new Int32Array(n);
  const key = new Int32Array(n);
  const writes = new Uint8Array(n);
  const rf = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const op = nodes[i] as Operation;
    let p = processIds.get(op.process);
    if (p === undefined) processIds.set(op.process, (p = processIds.size));
    let k = keyIds.get(op.key);
    if (k === undefined) keyIds.set(op.key, (k = keyIds.size));
    process[i] = p;
    key[i] = k;
    writes[i] = op.f === 'read' ? 0 : 1;
    const writer = readFrom.get(op);
    rf[i] = writer === undefined ? NO_READ : writer === 'initial' ? INITIAL : (nodeOf.get(writer as Operation) as number);
  }
  const lists: number[][] = Array.from({ length: processIds.size }, () => []);
  for (let i = 0; i < n; i++) (lists[process[i] as number] as number[]).push(i);
  const position = new Int32Array(n);
  const byProcess = lists.map((list) => {
    list.sort((a, b) => (nodes[a] as Operation).start - (nodes[b] as Operation).start || a - b);
    list.forEach((node, i) => (position[node] = i));
    return Int32Array.from(list);
  });
  return { ok: true, history: { nodes, process, key, writes, rf, byProcess, position, keys: keyIds.size } };
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
export function topologicalOrder(size: number, offsets: Int32Array, targets: Int32Array): { order: Int32Array } | { onCycle: number } {
  const indegree = new Int32Array(size);
  for (let e = 0; e < targets.length; e++) indegree[targets[e] as number]++;
  const order = new Int32Array(size);
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

/** Builds CSR successor lists from edge pairs. */
export class EdgeList {
  from: number[] = [];
  to: number[] = [];
  add(a: number, b: number): void {
    this.from.push(a);
    this.to.push(b);
  }
  csr(size: number): { offsets: Int32Array; targets: Int32Array } {
    const offsets = new Int32Array(size + 1);
    for (const a of this.from) offsets[a + 1]++;
    for (let v = 0; v < size; v++) offsets[v + 1] += offsets[v] as number;
    const fill = offsets.slice(0, size);
    const targets = new Int32Array(this.to.length);
    for (let e = 0; e < this.from.length; e++) {
      const a = this.from[e] as number;
      targets[fill[a] as number] = this.to[e] as number;
      fill[a]++;
    }
    return { offsets, targets };
  }
}
