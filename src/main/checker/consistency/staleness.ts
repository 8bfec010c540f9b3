// How stale reads were (after k-atomicity, Aiyer, Alvisi and Bazzi 2005): for each read of a
// register or kv key, how many acknowledged versions newer than the one it returned had already
// completed when it began, and for how long the first of them had been acknowledged.
//
// A register's version order is not in the history. A version counts as newer than the one read
// when its write began after that one's write completed: newer in every order real time allows.
// Writes that overlapped the one read could have come before it or after; they are not counted,
// so the figures are lower bounds, and a linearizable history has no stale read (ordering versions
// by completion instead flagged one read in twelve of linearizable histories). Values must be
// unique per key to tell versions apart: keys that write a value twice, or delete (null then
// means two things), are left out, and so are reads of a value only a write of unknown outcome
// wrote (its place in the order is unknown). An append key needs no approximation: a read shows
// which suffixes it holds, so the versions it missed are the acknowledged appends, completed
// before it began, whose suffix it lacks.
//
// Counters and sets have no versions to count here: their reads are not judged (reads: 0).

import type { KvScalar } from '../../../shared/history.ts';
import type { Operation } from '../history.ts';
import { partitionByKey } from '../models/index.ts';
import { AppendIndex } from './appends.ts';
import type { CheckedHistory } from './contract.ts';

export interface Spread {
  median: number;
  max: number;
}

export interface StalenessFigures {
  /** Reads judged. */
  reads: number;
  /** Reads that returned a version older than one acknowledged before they began. */
  staleReads: number;
  /** Over the stale reads (0 and 0 when there are none): versions behind. */
  versionsBehind: Spread;
  /** Over the stale reads: how long the first version they missed had been acknowledged, in `unit`. */
  msBehind: Spread;
  /** 'ms' when the history has times (nanoseconds, converted); 'positions' (event counts in the file) when not. */
  unit: 'ms' | 'positions';
}

function spread(values: number[]): Spread {
  if (values.length === 0) return { median: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  const median = sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
  return { median, max: sorted[sorted.length - 1] as number };
}

interface Behind {
  versions: number;
  time: number;
}

function registerKey(ops: readonly Operation[], reads: readonly Operation[]): Array<Behind | null> | null {
  const writes = ops.filter((op) => op.f === 'write' || op.f === 'cas' || op.f === 'delete');
  if (writes.some((op) => op.f === 'delete')) return null;
  const valueOf = (op: Operation): KvScalar => (op.f === 'cas' ? (op.input as [KvScalar, KvScalar])[1] : (op.input as KvScalar));
  const values = writes.map(valueOf);
  if (new Set(values).size !== values.length || values.includes(null)) return null;
  const writerOf = new Map(writes.map((op) => [valueOf(op), op]));
  const versions = writes.filter((op) => !op.indefinite).sort((a, b) => a.end - b.end);
  // Two Fenwick trees over the versions' starts, latest start first, filled as reads come in order
  // of their start with the versions done before: how many began after a given moment, and the
  // earliest of their completions. A read then costs a logarithm, not a pass over the writes.
  const starts = [...new Set(versions.map((op) => op.start))].sort((a, b) => b - a);
  const slot = new Map(starts.map((t, i) => [t, i]));
  const count = new Int32Array(starts.length + 1);
  const earliest = new Float64Array(starts.length + 1).fill(Number.POSITIVE_INFINITY);
  const insert = (op: Operation): void => {
    for (let i = (slot.get(op.start) as number) + 1; i <= starts.length; i += i & -i) {
      count[i]++;
      earliest[i] = Math.min(earliest[i] as number, op.end);
    }
  };
  /** Over the versions inserted that began after `time`: how many, and the earliest completion. */
  const after = (time: number): Behind => {
    let k = 0;
    let high = starts.length;
    while (k < high) {
      const mid = (k + high) >>> 1;
      if ((starts[mid] as number) > time) k = mid + 1;
      else high = mid;
    }
    let n = 0;
    let first = Number.POSITIVE_INFINITY;
    for (let i = k; i > 0; i -= i & -i) {
      n += count[i] as number;
      first = Math.min(first, earliest[i] as number);
    }
    return { versions: n, time: first };
  };
  const out: Array<Behind | null> = reads.map(() => null);
  const order = reads.map((_, i) => i).sort((a, b) => (reads[a] as Operation).start - (reads[b] as Operation).start);
  let added = 0;
  for (const i of order) {
    const read = reads[i] as Operation;
    while (added < versions.length && (versions[added] as Operation).end < read.start) insert(versions[added++] as Operation);
    const writer = read.output === null ? null : writerOf.get(read.output as KvScalar);
    // A value no write wrote, or one a write of unknown outcome wrote: no place in the order to count from.
    if (writer === undefined || writer?.indefinite === true) continue;
    const newer = after(writer === null ? Number.NEGATIVE_INFINITY : writer.end);
    out[i] = newer.versions === 0 ? { versions: 0, time: 0 } : { versions: newer.versions, time: read.start - newer.time };
  }
  return out;
}

function appendKey(ops: readonly Operation[], reads: readonly Operation[]): Array<Behind | null> {
  const index = new AppendIndex(ops);
  return reads.map((read) => {
    const missed = index.missedBefore(typeof read.output === 'string' ? read.output : '', read.start);
    if (missed.length === 0) return { versions: 0, time: 0 };
    return { versions: missed.length, time: read.start - (missed[0] as Operation).end };
  });
}

/** `timed`: whether the positions are the events' `time` in nanoseconds (ParsedHistory.timed). */
export function staleness(history: CheckedHistory, timed: boolean): StalenessFigures {
  const unit = timed ? 'ms' : 'positions';
  const judged: Behind[] = [];
  if (history.dataType === 'register' || history.dataType === 'kv') {
    for (const ops of partitionByKey(history.operations).values()) {
      const reads = ops.filter((op) => op.f === 'read' && !op.indefinite);
      const writers = ops.filter((op) => op.f !== 'read');
      const appendsOnly = writers.length > 0 && writers.every((op) => op.f === 'append');
      const mixed = !appendsOnly && writers.some((op) => op.f === 'append');
      if (mixed) continue;
      const behind = appendsOnly ? appendKey(ops, reads) : registerKey(ops, reads);
      if (behind === null) continue;
      for (const b of behind) if (b !== null) judged.push(b);
    }
  }
  const stale = judged.filter((b) => b.versions > 0);
  const scale = timed ? 1e-6 : 1;
  return {
    reads: judged.length,
    staleReads: stale.length,
    versionsBehind: spread(stale.map((b) => b.versions)),
    msBehind: spread(stale.map((b) => b.time * scale)),
    unit,
  };
}
