// The last-writer-wins register (Shapiro et al. 2011, §3.2.1; Cassandra's cells): every write is
// stamped with its replica's clock reading, and of two writes the later stamp wins, ties going to
// the higher node id and, within a node, to its later write. Nothing orders writes but the clocks:
// of two concurrent writes one is silently lost, and a replica whose clock is behind loses even
// writes made after the others in real time (the `skew` command shows it). The vector counts the
// writes each replica has seen, so that gossip knows what a peer lacks.

import type { KvScalar } from '../../shared/history.ts';
import type { NodeId } from '../../shared/protocol.ts';
import { compareScalars } from '../kv/state-machine.ts';
import { compareNodeIds, formatVector, mergeVectors, nextDot, vectorLeq, type Dot, type VersionVector } from './dots.ts';

export interface Stamped {
  value: KvScalar;
  /** The writer's clock reading, in milliseconds. */
  ts: number;
  /** The writer and its update counter: the tie breaks. */
  dot: Dot;
}

export interface LwwState {
  t: 'lww-register';
  vv: VersionVector;
  /** Null before any write. */
  w: Stamped | null;
}

export function emptyLww(): LwwState {
  return { t: 'lww-register', vv: {}, w: null };
}

/** Which write wins: the later stamp, then the higher node id, then the node's later write. */
export function compareStamps(a: Stamped | null, b: Stamped | null): number {
  if (a === null || b === null) return a === null ? (b === null ? 0 : -1) : 1;
  return a.ts - b.ts || compareNodeIds(a.dot[0], b.dot[0]) || a.dot[1] - b.dot[1] || compareScalars(a.value, b.value);
}

export function writeStamped(state: LwwState, node: NodeId, value: KvScalar, clockMs: number): LwwState {
  const next = nextDot(state.vv, node);
  const mine: Stamped = { value, ts: clockMs, dot: next.dot };
  return { t: 'lww-register', vv: next.vv, w: compareStamps(mine, state.w) > 0 ? mine : state.w };
}

export function mergeLww(a: LwwState, b: LwwState): LwwState {
  return { t: 'lww-register', vv: mergeVectors(a.vv, b.vv), w: compareStamps(a.w, b.w) >= 0 ? a.w : b.w };
}

export function lwwLeq(a: LwwState, b: LwwState): boolean {
  return vectorLeq(a.vv, b.vv) && compareStamps(a.w, b.w) <= 0;
}

export function formatLww(state: LwwState): string {
  const w = state.w;
  return `${w === null ? 'null' : `${JSON.stringify(w.value)}@${w.ts}ms/${w.dot[0]}.${w.dot[1]}`} vv=${formatVector(state.vv)}`;
}
