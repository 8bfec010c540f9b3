// The add-wins observed-remove set (Shapiro et al., "A comprehensive study of CRDTs", 2011, §3.3.5;
// the optimized form of Bieniusa et al., 2012): each add tags its element with a fresh dot; a
// remove takes away the tags of that element its replica holds, and nothing else. An add the
// remover had not seen (concurrent, or made elsewhere during a partition) keeps its tag, so the
// element survives: concurrent add and remove, the add wins.
//
// An add also drops the older tags of its element at its replica: they stand for the same element,
// and one tag per add still in force is all the set needs. A remove that took something away takes
// a dot of its own (never a tag) so that its vector moves on and gossip carries the removal.

import type { KvScalar } from '../../shared/history.ts';
import type { NodeId } from '../../shared/protocol.ts';
import { compareScalars } from '../kv/state-machine.ts';
import { formatVector, nextDot, type VersionVector } from './dots.ts';
import { distinctValues, formatTagged, joinStores, sortTagged, storeLeq, type Tagged } from './dot-store.ts';

export interface OrSetState {
  t: 'or-set';
  vv: VersionVector;
  tagged: Tagged[];
}

export function emptyOrSet(): OrSetState {
  return { t: 'or-set', vv: {}, tagged: [] };
}

const isElement = (element: KvScalar) => (t: Tagged) => compareScalars(t.value, element) === 0;

export function addElement(state: OrSetState, node: NodeId, element: KvScalar): OrSetState {
  const next = nextDot(state.vv, node);
  return { t: 'or-set', vv: next.vv, tagged: sortTagged([...state.tagged.filter((t) => !isElement(element)(t)), { dot: next.dot, value: element }]) };
}

/** Null when the element is not there: nothing to remove, nothing to write or gossip. */
export function removeElement(state: OrSetState, node: NodeId, element: KvScalar): OrSetState | null {
  if (!state.tagged.some(isElement(element))) return null;
  return { t: 'or-set', vv: nextDot(state.vv, node).vv, tagged: state.tagged.filter((t) => !isElement(element)(t)) };
}

export function mergeOrSets(a: OrSetState, b: OrSetState): OrSetState {
  return { t: 'or-set', ...joinStores(a, b) };
}

export function orSetLeq(a: OrSetState, b: OrSetState): boolean {
  return storeLeq(a, b);
}

export function orSetElements(state: OrSetState): KvScalar[] {
  return distinctValues(state);
}

export function formatOrSet(state: OrSetState): string {
  return `{${state.tagged.map(formatTagged).join(', ')}} vv=${formatVector(state.vv)}`;
}
