// Convergence (eventual consistency, Vogels 2009): once faults have healed and writes have stopped
// for a while, every replica answers the same, and the answer holds every acknowledged write. The
// history says when that is with final reads (`"final": true`), issued after the quiet period;
// a key with writes but no final read cannot be judged ('unknown').
//
// Per key, the final reads must agree with each other, and then, by data type:
//
// - set (as Jepsen's set-full): an element whose add was acknowledged and that no remove names
//   (a remove of unknown outcome counts: it may have happened) must be in the final value; it is
//   lost otherwise. An element no add names must not be there. An element added with unknown
//   outcome may be there (recovered) or not. Elements some remove names are not judged.
// - counter: the final value lies between what the acknowledged adds give with the adds of
//   unknown outcome that lower it, and with those that raise it (for a g-counter: between the
//   acknowledged sum and that plus every add of unknown outcome).
// - append (a kv key of appends and reads): every acknowledged append's suffix is in the final
//   value (as appends.ts reads a value: whole elements when the suffixes are delimited).
// - register, kv: the final value is one a "last write" wrote: a write, cas or delete (acknowledged
//   or of unknown outcome) that no acknowledged write began after it completed; with no
//   acknowledged write at all, the initial null is allowed too. A write some acknowledged write
//   followed in real time was overwritten in every replica's view of real time, so ending with
//   its value means the later acknowledged write was lost.
//
// Figures, counted in the items each type writes (set elements, appended suffixes, register writes):
// lost (acknowledged, absent from the final value; counters: keys whose final value is below the
// acknowledged adds), neverRead (lost ones no read at all returned: Jepsen's never-read), stale
// (at the end, but some read that began after their acknowledgement missed them), recovered
// (written with unknown outcome, at the end), finalReads, keys (keys judged).

import type { KvScalar } from '../../../shared/history.ts';
import type { Operation } from '../history.ts';
import { canonicalSet, partitionByKey } from '../models/index.ts';
import type { CheckedHistory, ConsistencyCheck, ModelResult, Witness } from './contract.ts';
import { AppendIndex } from './appends.ts';
import { witnessOperation } from './witness.ts';

interface KeyVerdict {
  witness: Witness | null;
  lost: number;
  neverRead: number;
  stale: number;
  recovered: number;
}

const show = (key: string): string => (key === '' ? 'the object (no key)' : `key ${JSON.stringify(key)}`);
const canonical = (value: Operation['output']): string => (Array.isArray(value) ? canonicalSet(value).join('\n') : JSON.stringify(value));

function newValue(op: Operation): KvScalar {
  if (op.f === 'cas') return (op.input as [KvScalar, KvScalar])[1];
  if (op.f === 'delete') return null;
  return op.input as KvScalar;
}

/** Whether a read that began after `op` was acknowledged missed what `present` says it wrote. */
function missedLater(op: Operation, reads: readonly Operation[], present: (read: Operation) => boolean): boolean {
  return reads.some((r) => !r.final && r.start > op.end && !present(r));
}

function judgeSet(key: string, ops: readonly Operation[], final: readonly KvScalar[], finalRead: Operation, reads: readonly Operation[]): KeyVerdict {
  const out: KeyVerdict = { witness: null, lost: 0, neverRead: 0, stale: 0, recovered: 0 };
  const at = new Set(canonicalSet(final));
  const removed = new Set(ops.filter((op) => op.f === 'remove').map((op) => JSON.stringify(op.input)));
  const adds = new Map<string, Operation[]>();
  for (const op of ops) {
    if (op.f !== 'add') continue;
    const element = JSON.stringify(op.input);
    const same = adds.get(element);
    if (same === undefined) adds.set(element, [op]);
    else same.push(op);
  }
  const readSets = new Map(reads.map((r) => [r, new Set(canonicalSet(r.output as KvScalar[]))]));
  const lostOps: Operation[] = [];
  for (const [element, own] of adds) {
    if (removed.has(element)) continue;
    const acknowledged = own.filter((op) => !op.indefinite).sort((a, b) => a.end - b.end)[0];
    if (acknowledged === undefined) {
      if (at.has(element)) out.recovered++;
      continue;
    }
    if (!at.has(element)) {
      out.lost++;
      lostOps.push(acknowledged);
      if (!reads.some((r) => readSets.get(r)?.has(element) === true)) out.neverRead++;
    } else if (missedLater(acknowledged, reads, (r) => readSets.get(r)?.has(element) === true)) out.stale++;
  }
  const unexpected = [...at].filter((e) => !adds.has(e));
  if (lostOps.length > 0) {
    out.witness = {
      anomaly: 'lost write',
      operations: [...lostOps.slice(0, 8), finalRead].map(witnessOperation),
      why: `The final reads of ${show(key)} agree, but ${lostOps.length} acknowledged add${lostOps.length === 1 ? '' : 's'} that no remove names ${lostOps.length === 1 ? 'is' : 'are'} missing from them (${lostOps.slice(0, 3).map((op) => JSON.stringify(op.input)).join(', ')}${lostOps.length > 3 ? ', ...' : ''}).`,
    };
  } else if (unexpected.length > 0) {
    out.witness = { anomaly: 'unexpected element', operations: [witnessOperation(finalRead)], why: `The final reads of ${show(key)} hold ${unexpected.slice(0, 3).join(', ')}, which no add ever named.` };
  }
  return out;
}

function judgeCounter(key: string, ops: readonly Operation[], final: number, finalRead: Operation): KeyVerdict {
  const out: KeyVerdict = { witness: null, lost: 0, neverRead: 0, stale: 0, recovered: 0 };
  let low = 0;
  let high = 0;
  for (const op of ops) {
    if (op.f !== 'add') continue;
    const amount = op.input as number;
    if (!op.indefinite) {
      low += amount;
      high += amount;
    } else if (amount < 0) low += amount;
    else high += amount;
  }
  if (final < low || final > high) {
    if (final < low) out.lost = 1;
    const adds = ops.filter((op) => op.f === 'add');
    out.witness = {
      anomaly: final < low ? 'lost write' : 'phantom add',
      operations: [...adds.slice(0, 8), finalRead].map(witnessOperation),
      why: `The final reads of ${show(key)} agree on ${final}, but its ${adds.length} adds (acknowledged, and of unknown outcome taking effect or not) can only sum to between ${low} and ${high}.`,
    };
  }
  return out;
}

function judgeAppends(key: string, ops: readonly Operation[], final: KvScalar, finalRead: Operation, reads: readonly Operation[]): KeyVerdict {
  const out: KeyVerdict = { witness: null, lost: 0, neverRead: 0, stale: 0, recovered: 0 };
  const text = typeof final === 'string' ? final : '';
  const index = new AppendIndex(ops);
  const atEnd = index.held(text);
  const textOf = (r: Operation): string => (typeof r.output === 'string' ? r.output : '');
  const lostOps = index.byEnd.filter((op) => !atEnd.has(op));
  out.lost = lostOps.length;
  if (lostOps.length > 0) {
    const everRead = new Set<Operation>();
    for (const r of reads) for (const op of index.held(textOf(r))) everRead.add(op);
    out.neverRead = lostOps.filter((op) => !everRead.has(op)).length;
  }
  const missedLater = new Set<Operation>();
  for (const r of reads) if (!r.final) for (const op of index.missedBefore(textOf(r), r.start)) missedLater.add(op);
  out.stale = [...missedLater].filter((op) => atEnd.has(op)).length;
  out.recovered = ops.filter((op) => op.f === 'append' && op.indefinite && text.includes(op.input as string)).length;
  if (lostOps.length > 0) {
    out.witness = {
      anomaly: 'lost write',
      operations: [...lostOps.slice(0, 8), finalRead].map(witnessOperation),
      why: `The final reads of ${show(key)} agree on ${JSON.stringify(final)}, which lacks ${lostOps.length} acknowledged append${lostOps.length === 1 ? '' : 's'} (${lostOps.slice(0, 3).map((op) => JSON.stringify(op.input)).join(', ')}${lostOps.length > 3 ? ', ...' : ''}).`,
    };
  }
  return out;
}

/** A register read shows a value: returns it, or holds it among its siblings (concurrent values kept together). */
const shows = (output: Operation['output'], value: KvScalar): boolean => (Array.isArray(output) ? output.includes(value) : output === value);

// A register that keeps concurrent values (siblings) may end with several: each must be one a last
// write wrote, and an acknowledged last write is lost only when none of them is its value.
function judgeRegister(key: string, ops: readonly Operation[], final: KvScalar | KvScalar[], finalRead: Operation, reads: readonly Operation[]): KeyVerdict {
  const out: KeyVerdict = { witness: null, lost: 0, neverRead: 0, stale: 0, recovered: 0 };
  const writes = ops.filter((op) => op.f === 'write' || op.f === 'cas' || op.f === 'delete');
  const acknowledged = writes.filter((op) => !op.indefinite);
  // No acknowledged write began after it completed: it ended at or after the latest such start.
  const latestStart = acknowledged.reduce((latest, w) => Math.max(latest, w.start), Number.NEGATIVE_INFINITY);
  const isLast = (w: Operation): boolean => w.end >= latestStart;
  const last = writes.filter(isLast);
  const values = Array.isArray(final) ? final : [final];
  const allowed = values.length > 0 && values.every((v) => last.some((w) => newValue(w) === v) || (acknowledged.length === 0 && v === null));
  for (const w of last) {
    if (!shows(final, newValue(w))) continue;
    if (w.indefinite) out.recovered++;
    else if (missedLater(w, reads, (r) => shows(r.output, newValue(w)))) out.stale++;
  }
  if (allowed) return out;
  const lostOps = last.filter((w) => !w.indefinite && !shows(final, newValue(w)));
  out.lost = lostOps.length;
  out.neverRead = lostOps.filter((w) => !reads.some((r) => shows(r.output, newValue(w)))).length;
  const writtenEver = values.every((v) => writes.some((w) => newValue(w) === v) || v === null);
  out.witness = {
    anomaly: writtenEver ? 'lost write' : 'final value never written',
    operations: [...lostOps.slice(0, 8), finalRead].map(witnessOperation),
    why: writtenEver
      ? `The final reads of ${show(key)} agree on ${JSON.stringify(final)}, a value that a later acknowledged write overwrote: ${lostOps.length === 1 ? 'that write is' : `those ${lostOps.length} writes are`} lost.`
      : `The final reads of ${show(key)} agree on ${JSON.stringify(final)}, a value no write wrote.`,
  };
  return out;
}

export function checkConvergent(history: CheckedHistory): ModelResult {
  const figures: Record<string, number> = { lost: 0, stale: 0, neverRead: 0, recovered: 0, finalReads: 0, keys: 0 };
  const result = (verdict: ModelResult['verdict'], witness: Witness | null, reason: string | null): ModelResult => ({ model: 'convergent', verdict, witness, reason, figures });
  const finals = history.operations.filter((op) => op.f === 'read' && op.final && !op.indefinite);
  figures.finalReads = finals.length;
  if (finals.length === 0) return result('unknown', null, 'no final reads: mark reads issued after faults healed and a quiet period with "final": true');
  let witness: Witness | null = null;
  const unjudged: string[] = [];
  const byKey = partitionByKey(history.operations);
  for (const key of [...byKey.keys()].sort()) {
    const ops = byKey.get(key) as Operation[];
    const reads = ops.filter((op) => op.f === 'read' && !op.indefinite);
    const keyFinals = reads.filter((op) => op.final);
    const writes = ops.filter((op) => op.f !== 'read');
    if (keyFinals.length === 0) {
      if (writes.length > 0) unjudged.push(key);
      continue;
    }
    figures.keys++;
    const distinct = new Map<string, Operation>();
    for (const r of keyFinals) if (!distinct.has(canonical(r.output))) distinct.set(canonical(r.output), r);
    if (distinct.size > 1) {
      witness ??= {
        anomaly: 'divergent final reads',
        operations: [...distinct.values()].map(witnessOperation),
        why: `The final reads of ${show(key)} disagree (${[...distinct.values()].map((r) => JSON.stringify(r.output)).join(' against ')}): after the quiet period the replicas still differ.`,
      };
      continue;
    }
    const finalRead = keyFinals[0] as Operation;
    let verdict: KeyVerdict;
    if (history.dataType === 'set') verdict = judgeSet(key, ops, finalRead.output as KvScalar[], finalRead, reads);
    else if (history.dataType === 'counter') verdict = judgeCounter(key, ops, finalRead.output as number, finalRead);
    else if (writes.some((op) => op.f === 'append')) {
      if (writes.some((op) => op.f !== 'append')) {
        // What a final value must hold after appends and overwrites interleave depends on the order nobody saw.
        unjudged.push(key);
        figures.keys--;
        continue;
      }
      verdict = judgeAppends(key, ops, finalRead.output as KvScalar, finalRead, reads);
    } else verdict = judgeRegister(key, ops, finalRead.output, finalRead, reads);
    figures.lost = (figures.lost as number) + verdict.lost;
    figures.neverRead = (figures.neverRead as number) + verdict.neverRead;
    figures.stale = (figures.stale as number) + verdict.stale;
    figures.recovered = (figures.recovered as number) + verdict.recovered;
    witness ??= verdict.witness;
  }
  if (witness !== null) return result('false', witness, null);
  if (unjudged.length > 0) {
    const named = unjudged.slice(0, 5).map((k) => JSON.stringify(k)).join(', ') + (unjudged.length > 5 ? `, and ${unjudged.length - 5} more` : '');
    return result('unknown', null, `no final reads (or appends mixed with overwrites) for key${unjudged.length === 1 ? '' : 's'} ${named}`);
  }
  return result('true', null, null);
}

export const convergentCheck: ConsistencyCheck = {
  name: 'convergent',
  summary: 'after the faults heal and writes stop, final reads agree and hold every acknowledged write (Vogels 2009)',
  check: (history) => checkConvergent(history),
};
