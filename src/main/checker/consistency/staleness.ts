// How stale reads were (after k-atomicity, Aiyer, Alvisi and Bazzi 2005): for each read of a
// register or kv key, how many acknowledged versions newer than the one it returned had already
// completed when it began, and for how long the first of them had been acknowledged.
//
// A register's version order is not in the history. It is approximated by the order in which
// acknowledged writes (write, cas) completed: exact when writes do not overlap, and when they do,
// either order could be the real one. Values must be unique per key to tell versions apart: keys
// that write a value twice, or delete (null then means two things), are left out, and so are reads
// of a value only a write of unknown outcome wrote (its place in the order is unknown). An append
// key needs no approximation: a read shows which suffixes it holds, so the versions it missed are
// the acknowledged appends, completed before it began, whose suffix it lacks.
//
// Counters and sets have no versions to count here: their reads are not judged (reads: 0).

import type { KvScalar } from '../../../shared/history.ts';
import type { Operation } from '../history.ts';
import { partitionByKey } from '../models/index.ts';
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
  const versions = writes.filter((op) => !op.indefinite).sort((a, b) => a.end - b.end || a.id - b.id);
  const rank = new Map(versions.map((op, i) => [valueOf(op), i]));
  return reads.map((read) => {
    const returned = read.output === null ? -1 : rank.get(read.output as KvScalar);
    if (returned === undefined) return null;
    // Versions sorted by completion: those done before the read began are a prefix.
    let done = 0;
    while (done < versions.length && (versions[done] as Operation).end < read.start) done++;
    const behind = Math.max(0, done - returned - 1);
    return { versions: behind, time: behind === 0 ? 0 : read.start - (versions[returned + 1] as Operation).end };
  });
}

function appendKey(ops: readonly Operation[], reads: readonly Operation[]): Array<Behind | null> {
  const appends = ops.filter((op) => op.f === 'append' && !op.indefinite);
  return reads.map((read) => {
    const text = typeof read.output === 'string' ? read.output : '';
    const missed = appends.filter((op) => op.end < read.start && !text.includes(op.input as string));
    if (missed.length === 0) return { versions: 0, time: 0 };
    return { versions: missed.length, time: read.start - Math.min(...missed.map((op) => op.end)) };
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
