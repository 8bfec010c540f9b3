// A set of values each tagged with the dot of the update that wrote it, with the version vector
// of everything its replica has seen: the state of the add-wins OR-set (one tagged element per add
// still in force) and of the multi-value register (one tagged value per write not yet
// overwritten). Its join is the causal one (Almeida et al. 2018, "DotMap"/"DotSet" with a causal
// context): a tagged value survives a merge when the other side holds it too, or has not seen its
// dot at all; a dot the other side has seen and no longer holds was removed or overwritten there,
// by someone who saw it, and goes.

import type { KvScalar } from '../../shared/history.ts';
import { compareScalars } from '../kv/state-machine.ts';
import { compareDots, covers, dotKey, mergeVectors, vectorLeq, type Dot, type VersionVector } from './dots.ts';

export interface Tagged {
  dot: Dot;
  value: KvScalar;
}

export interface DotStore {
  vv: VersionVector;
  /** Sorted by dot; each dot is covered by vv. */
  tagged: Tagged[];
}

const taggedKey = (t: Tagged): string => `${dotKey(t.dot)}|${JSON.stringify(t.value)}`;

export function joinStores(a: DotStore, b: DotStore): DotStore {
  const inA = new Set(a.tagged.map(taggedKey));
  const inB = new Set(b.tagged.map(taggedKey));
  const tagged: Tagged[] = [];
  for (const t of a.tagged) if (inB.has(taggedKey(t)) || !covers(b.vv, t.dot)) tagged.push(t);
  for (const t of b.tagged) if (!inA.has(taggedKey(t)) && !covers(a.vv, t.dot)) tagged.push(t);
  return { vv: mergeVectors(a.vv, b.vv), tagged: sortTagged(tagged) };
}

/** The canonical order (by dot), so that equal stores are equal JSON. */
export function sortTagged(tagged: Tagged[]): Tagged[] {
  return tagged.sort((x, y) => compareDots(x.dot, y.dot) || compareScalars(x.value, y.value));
}

/**
 * a ≤ b (their join is b): b has seen everything a has, and every value b holds that a has seen,
 * a holds too (b cannot bring back what a removed).
 */
export function storeLeq(a: DotStore, b: DotStore): boolean {
  if (!vectorLeq(a.vv, b.vv)) return false;
  const inA = new Set(a.tagged.map(taggedKey));
  const inB = new Set(b.tagged.map(taggedKey));
  if (!b.tagged.every((t) => !covers(a.vv, t.dot) || inA.has(taggedKey(t)))) return false;
  // What a holds, b holds, or b has seen it go.
  return a.tagged.every((t) => inB.has(taggedKey(t)) || covers(b.vv, t.dot));
}

/** The distinct values, sorted as the key-value store sorts a set. */
export function distinctValues(store: DotStore): KvScalar[] {
  const out: KvScalar[] = [];
  for (const t of [...store.tagged].sort((x, y) => compareScalars(x.value, y.value))) {
    const last = out[out.length - 1];
    if (out.length === 0 || compareScalars(last as KvScalar, t.value) !== 0) out.push(t.value);
  }
  return out;
}

export function formatTagged(t: Tagged): string {
  return `${JSON.stringify(t.value)}@${dotKey(t.dot)}`;
}
