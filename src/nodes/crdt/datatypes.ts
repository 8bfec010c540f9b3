// The five data types behind one set of operations, by the type tag every state carries: the
// empty state, the merge (a join: commutative, associative, idempotent), the order the merge
// climbs, what a peer lacks, the value a read returns, and a line for people.

import type { KvValue } from '../../shared/history.ts';
import { counterDelta, counterFingerprint, counterLeq, counterValue, emptyCounter, formatCounter, mergeCounters, withReplicas, witnessed, type CounterState } from './counter.ts';
import type { NodeId } from '../../shared/protocol.ts';
import { sameVector, type VersionVector, vectorLeq } from './dots.ts';
import { emptyLww, formatLww, lwwLeq, mergeLww, type LwwState } from './lww.ts';
import { emptyMvRegister, formatMvRegister, heldDots, mergeMvRegisters, mvRegisterLeq, mvRegisterValue, type MvRegisterState } from './mvregister.ts';
import { emptyOrSet, formatOrSet, mergeOrSets, orSetElements, orSetLeq, type OrSetState } from './orset.ts';

export const CRDT_TYPES = ['g-counter', 'pn-counter', 'or-set', 'lww-register', 'mv-register'] as const;
export type CrdtType = (typeof CRDT_TYPES)[number];

export type CrdtState = CounterState | OrSetState | LwwState | MvRegisterState;

/** `replicas`: the cluster's, which a counter needs to know when a request is settled everywhere. */
export function emptyState(t: CrdtType, replicas: readonly NodeId[] = []): CrdtState {
  switch (t) {
    case 'g-counter':
    case 'pn-counter':
      return emptyCounter(t, replicas);
    case 'or-set':
      return emptyOrSet();
    case 'lww-register':
      return emptyLww();
    case 'mv-register':
      return emptyMvRegister();
  }
}

/** The join of two states of one type. */
export function mergeStates(a: CrdtState, b: CrdtState): CrdtState {
  if (a.t !== b.t) throw new TypeError(`cannot merge a ${a.t} with a ${b.t}`);
  switch (a.t) {
    case 'g-counter':
    case 'pn-counter':
      return mergeCounters(a, b as CounterState);
    case 'or-set':
      return mergeOrSets(a, b as OrSetState);
    case 'lww-register':
      return mergeLww(a, b as LwwState);
    case 'mv-register':
      return mergeMvRegisters(a, b as MvRegisterState);
  }
}

/**
 * A state as replica `node` of a cluster of `replicas` holds it after a change: a counter's state
 * knows every replica and its own row is up to date with what it holds (counter.ts), and settles
 * what that allows. The other types keep nothing of the kind.
 */
export function heldBy(state: CrdtState, node: NodeId, replicas: readonly NodeId[]): CrdtState {
  return state.t === 'g-counter' || state.t === 'pn-counter' ? witnessed(withReplicas(state, replicas), node) : state;
}

/** a ≤ b in the order merges climb (a ⊔ b = b). States of different types are unordered. */
export function stateLeq(a: CrdtState, b: CrdtState): boolean {
  if (a.t !== b.t) return false;
  switch (a.t) {
    case 'g-counter':
    case 'pn-counter':
      return counterLeq(a, b as CounterState);
    case 'or-set':
      return orSetLeq(a, b as OrSetState);
    case 'lww-register':
      return lwwLeq(a, b as LwwState);
    case 'mv-register':
      return mvRegisterLeq(a, b as MvRegisterState);
  }
}

export function sameState(a: CrdtState, b: CrdtState): boolean {
  return stateLeq(a, b) && stateLeq(b, a);
}

/**
 * What a digest says of a key: the updates seen, and for the multi-value register the dots of the
 * values held too. A client's context lets a write overwrite values its replica has not received
 * yet, so two replicas can have seen the same updates, one still holding a value the other knows
 * overwritten. A counter adds a fingerprint of its rows and settled prefixes: two replicas that have
 * seen the same increments trade rows until they settle alike. For the other types the vector alone
 * decides the state.
 */
export interface Summary {
  vv: VersionVector;
  held?: string;
  /** A counter's fingerprint of its rows and settled prefixes (counter.ts). */
  rows?: string;
}

export function summarize(state: CrdtState): Summary {
  if (state.t === 'mv-register') return { vv: state.vv, held: heldDots(state) };
  if (state.t === 'g-counter' || state.t === 'pn-counter') return { vv: state.vv, rows: counterFingerprint(state) };
  return { vv: state.vv };
}

/** True when a replica whose summary is `mine` has nothing a replica with `theirs` lacks. */
export function covered(mine: Summary, theirs: Summary | undefined): boolean {
  if (theirs === undefined) return false;
  if (mine.held !== undefined) return sameVector(mine.vv, theirs.vv) && mine.held === theirs.held;
  return vectorLeq(mine.vv, theirs.vv) && mine.rows === theirs.rows;
}

/**
 * What a peer whose summary of the key is `peer` (undefined: it has none, or we do not know it)
 * lacks of `state`: for a counter its rows and settled prefixes and the increments past the
 * peer's vector, the whole state for the others (they are small: one tag per element or value in
 * force). Null: nothing.
 */
export function deltaFor(state: CrdtState, peer: Summary | undefined): CrdtState | null {
  if (covered(summarize(state), peer)) return null;
  return state.t === 'g-counter' || state.t === 'pn-counter' ? counterDelta(state, peer?.vv) : state;
}

/** What a read returns: a counter's number, a set's sorted elements, a register's value or siblings. */
export function readValue(state: CrdtState): KvValue {
  switch (state.t) {
    case 'g-counter':
    case 'pn-counter':
      return counterValue(state);
    case 'or-set':
      return orSetElements(state);
    case 'lww-register':
      return state.w === null ? null : state.w.value;
    case 'mv-register':
      return mvRegisterValue(state);
  }
}

export function formatState(state: CrdtState): string {
  switch (state.t) {
    case 'g-counter':
    case 'pn-counter':
      return formatCounter(state);
    case 'or-set':
      return formatOrSet(state);
    case 'lww-register':
      return formatLww(state);
    case 'mv-register':
      return formatMvRegister(state);
  }
}

export function isCrdtType(value: unknown): value is CrdtType {
  return typeof value === 'string' && (CRDT_TYPES as readonly string[]).includes(value);
}
