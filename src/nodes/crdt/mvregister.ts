// The multi-value register (Dynamo's and Riak's siblings; Shapiro et al. 2011, §3.2.2): a write
// replaces the values it has seen and keeps the ones it has not. Two writes neither of which saw
// the other both stay, and a read returns them all (sorted), with the version vector of what it
// returned as its context; a write that carries that context replaces exactly what the reader saw.
// A write without a context replaces what its replica holds, as the register of the paper does.

import type { KvScalar, KvValue } from '../../shared/history.ts';
import type { NodeId } from '../../shared/protocol.ts';
import { covers, dotKey, formatVector, mergeVectors, nextDot, seen, type VersionVector } from './dots.ts';
import { distinctValues, formatTagged, joinStores, sortTagged, storeLeq, type Tagged } from './dot-store.ts';

export interface MvRegisterState {
  t: 'mv-register';
  vv: VersionVector;
  tagged: Tagged[];
}

export function emptyMvRegister(): MvRegisterState {
  return { t: 'mv-register', vv: {}, tagged: [] };
}

/**
 * Why `context` cannot come from this store, or null: a context may name updates of other
 * replicas this one has not heard of yet, but never more of this replica's own than it made.
 */
export function contextProblem(state: MvRegisterState, node: NodeId, context: VersionVector): string | null {
  const claimed = seen(context, node);
  const made = seen(state.vv, node);
  return claimed > made ? `the context claims ${claimed} updates of ${node} to this key, and ${node} made ${made}` : null;
}

/**
 * Writes `value`, replacing the values `context` covers (null: every value the replica holds).
 * Returns the new state and the context the writer gets back: what it had seen, and its write.
 */
export function writeValue(state: MvRegisterState, node: NodeId, value: KvScalar, context: VersionVector | null): { state: MvRegisterState; context: VersionVector } {
  const replaced = context ?? state.vv;
  // The write has seen what its context covers, even what has not reached this replica yet: when
  // that arrives, it is already overwritten.
  const next = nextDot(mergeVectors(state.vv, replaced), node);
  const kept = state.tagged.filter((t) => !covers(replaced, t.dot));
  // A vector that names this write names every earlier update of this replica too. If one of them
  // is still a value the writer did not see (a concurrent write here), the writer's next write
  // must not replace it: its context then leaves this write out, which keeps the two as siblings
  // at worst, where naming it would lose a write nobody read (dotted version vectors name single
  // dots; a plain vector cannot).
  const hidesSibling = kept.some((t) => t.dot[0] === node);
  return {
    state: { t: 'mv-register', vv: next.vv, tagged: sortTagged([...kept, { dot: next.dot, value }]) },
    context: hidesSibling ? replaced : mergeVectors(replaced, { [node]: next.dot[1] }),
  };
}

/** The dots of the values held, as a digest shows them: two replicas may have seen the same updates and still differ. */
export function heldDots(state: MvRegisterState): string {
  return state.tagged.map((t) => dotKey(t.dot)).join(',');
}

export function mergeMvRegisters(a: MvRegisterState, b: MvRegisterState): MvRegisterState {
  return { t: 'mv-register', ...joinStores(a, b) };
}

export function mvRegisterLeq(a: MvRegisterState, b: MvRegisterState): boolean {
  return storeLeq(a, b);
}

/** One value, or the sorted siblings; null before any write. */
export function mvRegisterValue(state: MvRegisterState): KvValue {
  const values = distinctValues(state);
  if (values.length === 0) return null;
  return values.length === 1 ? (values[0] as KvScalar) : values;
}

export function formatMvRegister(state: MvRegisterState): string {
  return `{${state.tagged.map(formatTagged).join(', ')}} vv=${formatVector(state.vv)}`;
}
