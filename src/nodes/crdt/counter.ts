// The counters: a G-counter (increments only) and a PN-counter (either sign), in one shape.
//
// A textbook G-counter keeps one number per replica and merges by the element-wise maximum. That
// counts a retried increment twice when the retry reaches another replica than the first attempt
// did (a client that timed out cannot know whether the first one took effect): the two replicas
// each add it to their own entry. Here every increment keeps its client's id and sequence number
// beside its dot, and the value counts each (client, seq) once, so a retry anywhere is harmless. The
// per-replica vector (what the node card and `state` show) is the sum of the increments each
// replica made; the merge is the union of increments, the element-wise maximum of the vectors.
// The price is memory: a key keeps one small record per increment (gossip sends only the ones the
// peer lacks).

import type { NodeId } from '../../shared/protocol.ts';
import { compareDots, compareNodeIds, covers, dotKey, formatVector, mergeVectors, nextDot, vectorLeq, type Dot, type VersionVector } from './dots.ts';

export type CounterType = 'g-counter' | 'pn-counter';

export interface Increment {
  dot: Dot;
  /** The request that made it, `c<clientId>#<seq>`: the same operation retried has the same id. */
  op: string;
  amount: number;
}

export interface CounterState {
  t: CounterType;
  vv: VersionVector;
  /** Sorted by dot. */
  incs: Increment[];
}

export function emptyCounter(t: CounterType): CounterState {
  return { t, vv: {}, incs: [] };
}

export function operationId(clientId: number, seq: number): string {
  return `c${clientId}#${seq}`;
}

export function hasOperation(state: CounterState, op: string): boolean {
  return state.incs.some((inc) => inc.op === op);
}

export function increment(state: CounterState, node: NodeId, op: string, amount: number): CounterState {
  const next = nextDot(state.vv, node);
  return { t: state.t, vv: next.vv, incs: [...state.incs, { dot: next.dot, op, amount }].sort((a, b) => compareDots(a.dot, b.dot)) };
}

function incrementKey(inc: Increment): string {
  return `${dotKey(inc.dot)}|${inc.op}|${inc.amount}`;
}

/**
 * Union of the increments, maximum of the vectors. A dot on both sides is the same increment; if
 * the records ever differed (a replica that reused a dot: the monitors report it), the smaller
 * record wins on every replica alike, so that the merge stays commutative.
 */
export function mergeCounters(a: CounterState, b: CounterState): CounterState {
  const byDot = new Map<string, Increment>();
  for (const inc of [...a.incs, ...b.incs]) {
    const key = dotKey(inc.dot);
    const held = byDot.get(key);
    if (held === undefined || compareIncrements(inc, held) < 0) byDot.set(key, inc);
  }
  return { t: a.t, vv: mergeVectors(a.vv, b.vv), incs: [...byDot.values()].sort((x, y) => compareDots(x.dot, y.dot)) };
}

function compareIncrements(a: Increment, b: Increment): number {
  return compareDots(a.dot, b.dot) || (a.op < b.op ? -1 : a.op > b.op ? 1 : a.amount - b.amount);
}

/** a ≤ b: b has seen and holds every increment a has. */
export function counterLeq(a: CounterState, b: CounterState): boolean {
  if (!vectorLeq(a.vv, b.vv)) return false;
  const held = new Set(b.incs.map(incrementKey));
  return a.incs.every((inc) => held.has(incrementKey(inc)));
}

/** What a peer whose vector is `peer` lacks: the increments past it (null: nothing). */
export function counterDelta(state: CounterState, peer: VersionVector | undefined): CounterState | null {
  if (peer !== undefined && vectorLeq(state.vv, peer)) return null;
  return { t: state.t, vv: state.vv, incs: peer === undefined ? state.incs : state.incs.filter((inc) => !covers(peer, inc.dot)) };
}

/** Each operation once: the increment with its lowest dot, where a retry made two. */
export function countedIncrements(state: CounterState): Increment[] {
  const byOp = new Map<string, Increment>();
  for (const inc of state.incs) if (!byOp.has(inc.op)) byOp.set(inc.op, inc);
  return [...byOp.values()];
}

export function counterValue(state: CounterState): number {
  return countedIncrements(state).reduce((sum, inc) => sum + inc.amount, 0);
}

/** The textbook vector: per replica, what its counted increments added and took away. */
export function perReplica(state: CounterState): Array<{ node: NodeId; up: number; down: number }> {
  const totals = new Map<NodeId, { up: number; down: number }>();
  for (const inc of countedIncrements(state)) {
    const entry = totals.get(inc.dot[0]) ?? { up: 0, down: 0 };
    if (inc.amount >= 0) entry.up += inc.amount;
    else entry.down -= inc.amount;
    totals.set(inc.dot[0], entry);
  }
  return [...totals.keys()].sort(compareNodeIds).map((node) => ({ node, ...(totals.get(node) as { up: number; down: number }) }));
}

export function formatCounter(state: CounterState): string {
  const vector = perReplica(state)
    .map(({ node, up, down }) => `${node}:+${up}${state.t === 'pn-counter' ? `-${down}` : ''}`)
    .join(' ');
  const retried = state.incs.length - countedIncrements(state).length;
  return `${counterValue(state)} = [${vector}] (${state.incs.length} increment${state.incs.length === 1 ? '' : 's'}${retried > 0 ? `, ${retried} a retry` : ''}) vv=${formatVector(state.vv)}`;
}

/** An increment as a message shows it: `c1#2@n1.1+3`. */
export function formatIncrement(inc: Increment): string {
  return `${inc.op}@${inc.dot[0]}.${inc.dot[1]}${inc.amount >= 0 ? '+' : ''}${inc.amount}`;
}
