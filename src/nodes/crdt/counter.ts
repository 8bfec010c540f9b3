// The counters: a G-counter (increments only) and a PN-counter (either sign), in one shape.
//
// A textbook G-counter keeps one number per replica and merges by the element-wise maximum. That
// counts a retried increment twice when the retry reaches another replica than the first attempt
// did (a client that timed out cannot know whether the first one took effect): the two replicas
// each add it to their own entry. Here every increment keeps its request's id (client and seq)
// beside its dot until no copy of that request can turn up anywhere any more, and the value counts
// each request once, so a retry anywhere is harmless. The per-replica vector (what the node card
// and `state` show) is the sum of the increments each replica made.
//
// Bounded: per client, the requests up to a seq every replica has moved past are settled, folded
// into one total per replica; only the few above it stay individual. So a key's state grows with
// its clients and replicas, not with its increments. Why folding is safe:
//
//   1. A client has one request open at a time and gives every request a higher seq than the last
//      (a retry reuses the open one's seq; src/main/sim/simulation.ts sendRequest/finish). So once
//      any seq above s exists, the client is done with s: it will never wait for an answer to s.
//   2. Hence a replica takes a request (c, s) on a key only when s is above every seq of c its state
//      of the key holds (its frontier for c). A copy of an older request still in the network is
//      `superseded`: refused, and nobody listens to the refusal. Requests are never counted twice
//      and never counted late, whatever order copies arrive in.
//   3. Each replica's state records, per replica, the highest frontier it knows that replica had
//      (every replica raises its own row to its frontier after each change, and rows merge by
//      maximum; a row travels only inside that replica's state, or a state that merged it, so whoever
//      knows "r had frontier f" holds everything r held then). By 2, r never takes a seq at or
//      below its frontier afterwards.
//   4. So when every replica's row for c is at least B, every request (c, s <= B) that was ever
//      counted anywhere, with every copy of it, is in this state: the fold of those up to B gives
//      the same totals on every replica (a copy's total goes to the replica of its lowest dot, as
//      before). Seqs <= B that are not there (reads, other keys, refused or abandoned requests) are
//      gaps that can no longer fill, so they do not block the prefix.
//
// What does not fold: while a replica is down or cut off, its row stays behind, and the individual
// increments above it wait (exactly as many as were made meanwhile). An op id not of the form
// `c<client>#<seq>` has no seq to settle by: it stays an exact record.

import type { NodeId } from '../../shared/protocol.ts';
import { compareDots, compareNodeIds, covers, dotKey, formatVector, mergeVectors, nextDot, vectorLeq, type Dot, type VersionVector } from './dots.ts';

export type CounterType = 'g-counter' | 'pn-counter';

export interface Increment {
  dot: Dot;
  /** The request that made it, `c<clientId>#<seq>`: the same operation retried has the same id. */
  op: string;
  amount: number;
}

/** A client's requests up to `upTo`, folded: per replica that counted them, [added, taken away]. */
export interface Settled {
  upTo: number;
  by: Record<NodeId, readonly [number, number]>;
}

// Client ids key `frontier` rows and `settled` as integer-like strings, which objects keep in
// numeric order whatever the insertion order: equal states are equal JSON.
export interface CounterState {
  t: CounterType;
  vv: VersionVector;
  /**
   * Per replica of the cluster (its keys are the replicas), per client id: the highest seq of the
   * client that replica held on this key, as far as this state knows.
   */
  frontier: Record<NodeId, Record<string, number>>;
  /** Per client id, the settled prefix of its requests. */
  settled: Record<string, Settled>;
  /** The increments not settled yet, sorted by dot. */
  incs: Increment[];
}

export function emptyCounter(t: CounterType, replicas: readonly NodeId[] = []): CounterState {
  return withReplicas({ t, vv: {}, frontier: {}, settled: {}, incs: [] }, replicas);
}

/**
 * A state that knows every replica of the cluster (a fold waits for each one's row), and a state
 * from storage written before settling existed, made whole.
 */
export function withReplicas(state: CounterState, replicas: readonly NodeId[]): CounterState {
  const frontier: Record<NodeId, Record<string, number>> = { ...(state.frontier ?? {}) };
  let added = false;
  for (const node of replicas) {
    if (Object.hasOwn(frontier, node)) continue;
    frontier[node] = {};
    added = true;
  }
  if (!added && state.frontier !== undefined && state.settled !== undefined) return state;
  return { t: state.t, vv: state.vv, frontier: sortByNode(frontier), settled: state.settled ?? {}, incs: state.incs };
}

export function operationId(clientId: number, seq: number): string {
  return `c${clientId}#${seq}`;
}

const OPERATION = /^c(\d+)#(\d+)$/;

function parseOperation(op: string): { client: string; seq: number } | null {
  const match = OPERATION.exec(op);
  return match === null ? null : { client: String(Number(match[1])), seq: Number(match[2]) };
}

function settledTo(state: CounterState, client: string): number {
  return Object.hasOwn(state.settled, client) ? (state.settled[client] as Settled).upTo : 0;
}

/** The highest seq of `client` this state holds, settled or not. */
function highestSeq(state: CounterState, client: string): number {
  let high = settledTo(state, client);
  for (const inc of state.incs) {
    const id = parseOperation(inc.op);
    if (id !== null && id.client === client && id.seq > high) high = id.seq;
  }
  return high;
}

/**
 * What a replica holding `state` makes of request `op`: counted already (a retry: answer ok),
 * superseded (the client has since sent a later request, so it is done with this one and this is a
 * stale copy: taking it now could count it after another replica settled it as a gap), or new.
 */
export function requestStatus(state: CounterState, op: string): 'applied' | 'superseded' | 'new' {
  if (state.incs.some((inc) => inc.op === op)) return 'applied';
  const id = parseOperation(op);
  if (id === null) return 'new';
  // The settled bound is always a request some replica counted (it is a replica's frontier).
  if (id.seq === settledTo(state, id.client)) return 'applied';
  return id.seq < highestSeq(state, id.client) ? 'superseded' : 'new';
}

export function hasOperation(state: CounterState, op: string): boolean {
  return requestStatus(state, op) === 'applied';
}

export function increment(state: CounterState, node: NodeId, op: string, amount: number): CounterState {
  const next = nextDot(state.vv, node);
  const incs = [...state.incs, { dot: next.dot, op, amount }].sort((a, b) => compareDots(a.dot, b.dot));
  return witnessed({ ...state, vv: next.vv, incs }, node);
}

/** `node`'s state after a change: its own row raised to what it holds, and what that settles. */
export function witnessed(state: CounterState, node: NodeId): CounterState {
  const own: Record<string, number> = { ...(state.frontier[node] ?? {}) };
  const clients = new Set([...Object.keys(state.settled), ...state.incs.flatMap((inc) => parseOperation(inc.op)?.client ?? [])]);
  for (const client of clients) own[client] = Math.max(own[client] ?? 0, highestSeq(state, client));
  return settle({ ...state, frontier: sortByNode({ ...state.frontier, [node]: own }) });
}

/** Folds, per client, the requests up to the lowest row of every replica (see the header). */
function settle(state: CounterState): CounterState {
  const replicas = Object.keys(state.frontier);
  if (replicas.length === 0) return state;
  const settled: Record<string, Settled> = { ...state.settled };
  const bounds = new Map<string, number>();
  for (const client of Object.keys(state.frontier[replicas[0] as NodeId] as Record<string, number>)) {
    const bound = Math.min(...replicas.map((node) => state.frontier[node]?.[client] ?? 0));
    if (bound > settledTo(state, client)) bounds.set(client, bound);
  }
  if (bounds.size === 0) return state;
  const totals = new Map<string, Map<NodeId, [number, number]>>();
  const counted = new Set<string>();
  const incs: Increment[] = [];
  for (const inc of state.incs) {
    const id = parseOperation(inc.op);
    const bound = id === null ? undefined : bounds.get(id.client);
    if (id === null || bound === undefined || id.seq > bound) {
      incs.push(inc);
      continue;
    }
    if (id.seq <= settledTo(state, id.client)) continue; // in the totals already
    // Sorted by dot: the first copy of a request is the one counted, as the value counts it.
    if (counted.has(inc.op)) continue;
    counted.add(inc.op);
    let byNode = totals.get(id.client);
    if (byNode === undefined) {
      const before = settled[id.client]?.by ?? {};
      byNode = new Map(Object.entries(before).map(([node, [up, down]]) => [node, [up, down]]));
      totals.set(id.client, byNode);
    }
    const entry = byNode.get(inc.dot[0]) ?? [0, 0];
    if (inc.amount >= 0) entry[0] += inc.amount;
    else entry[1] -= inc.amount;
    byNode.set(inc.dot[0], entry);
  }
  for (const [client, bound] of bounds) {
    const byNode = totals.get(client);
    const by = byNode === undefined ? (settled[client]?.by ?? {}) : sortByNode(Object.fromEntries(byNode));
    settled[client] = { upTo: bound, by };
  }
  return { ...state, settled, incs };
}

function incrementKey(inc: Increment): string {
  return `${dotKey(inc.dot)}|${inc.op}|${inc.amount}`;
}

/** Covered by a settled prefix: counted in its totals, or a gap that can never fill. */
function settledIn(state: CounterState, inc: Increment): boolean {
  const id = parseOperation(inc.op);
  return id !== null && id.seq <= settledTo(state, id.client);
}

/**
 * Union of the increments, maximum of the vectors and of the rows, and per client the longer
 * settled prefix; then whatever the joined rows settle. A dot on both sides is the same increment;
 * if the records ever differed (a replica that reused a dot: the monitors report it), the smaller
 * record wins on every replica alike, so that the merge stays commutative. Two prefixes of one
 * length hold the same totals (see the header); should they not, the smaller wins alike.
 */
export function mergeCounters(a: CounterState, b: CounterState): CounterState {
  const settled: Record<string, Settled> = { ...a.settled };
  for (const [client, theirs] of Object.entries(b.settled)) {
    const mine = settled[client];
    if (mine === undefined || theirs.upTo > mine.upTo || (theirs.upTo === mine.upTo && JSON.stringify(theirs.by) < JSON.stringify(mine.by))) settled[client] = theirs;
  }
  const frontier: Record<NodeId, Record<string, number>> = {};
  for (const node of new Set([...Object.keys(a.frontier), ...Object.keys(b.frontier)])) {
    const row: Record<string, number> = { ...(a.frontier[node] ?? {}) };
    for (const [client, seq] of Object.entries(b.frontier[node] ?? {})) row[client] = Math.max(row[client] ?? 0, seq);
    frontier[node] = row;
  }
  const joined: CounterState = { t: a.t, vv: mergeVectors(a.vv, b.vv), frontier: sortByNode(frontier), settled, incs: [] };
  const byDot = new Map<string, Increment>();
  for (const inc of [...a.incs, ...b.incs]) {
    if (settledIn(joined, inc)) continue;
    const key = dotKey(inc.dot);
    const held = byDot.get(key);
    if (held === undefined || compareIncrements(inc, held) < 0) byDot.set(key, inc);
  }
  return settle({ ...joined, incs: [...byDot.values()].sort((x, y) => compareDots(x.dot, y.dot)) });
}

function compareIncrements(a: Increment, b: Increment): number {
  return compareDots(a.dot, b.dot) || (a.op < b.op ? -1 : a.op > b.op ? 1 : a.amount - b.amount);
}

/** a ≤ b: b has seen, and holds or has settled, everything a has. */
export function counterLeq(a: CounterState, b: CounterState): boolean {
  if (!vectorLeq(a.vv, b.vv)) return false;
  for (const [node, row] of Object.entries(a.frontier)) {
    if (!Object.hasOwn(b.frontier, node)) return false;
    const theirs = b.frontier[node] as Record<string, number>;
    for (const [client, seq] of Object.entries(row)) if (seq > (theirs[client] ?? 0)) return false;
  }
  for (const [client, mine] of Object.entries(a.settled)) {
    const theirs = b.settled[client];
    if (theirs === undefined || theirs.upTo < mine.upTo) return false;
    if (theirs.upTo === mine.upTo && JSON.stringify(theirs.by) !== JSON.stringify(mine.by)) return false;
  }
  const held = new Set(b.incs.map(incrementKey));
  return a.incs.every((inc) => held.has(incrementKey(inc)) || settledIn(b, inc));
}

/** What a peer whose vector is `peer` lacks: the rows, the settled prefixes, and the increments past it. */
export function counterDelta(state: CounterState, peer: VersionVector | undefined): CounterState {
  return peer === undefined ? state : { ...state, incs: state.incs.filter((inc) => !covers(peer, inc.dot)) };
}

/**
 * What a digest adds to the vector for a counter: a fingerprint of the rows and settled prefixes
 * (FNV-1a), so that replicas whose vectors agree still trade rows until they settle alike.
 */
export function counterFingerprint(state: CounterState): string {
  const text = JSON.stringify([state.frontier, Object.entries(state.settled).map(([client, s]) => [client, s.upTo])]);
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) hash = Math.imul(hash ^ text.charCodeAt(i), 0x01000193) >>> 0;
  return hash.toString(16).padStart(8, '0');
}

/** Each unsettled operation once: the increment with its lowest dot, where a retry made two. */
export function countedIncrements(state: CounterState): Increment[] {
  const byOp = new Map<string, Increment>();
  for (const inc of state.incs) if (!byOp.has(inc.op)) byOp.set(inc.op, inc);
  return [...byOp.values()];
}

/** Per client id, what its settled requests added and took away. */
export function settledTotals(state: CounterState): Map<string, { up: number; down: number }> {
  const out = new Map<string, { up: number; down: number }>();
  for (const [client, s] of Object.entries(state.settled)) {
    const total = { up: 0, down: 0 };
    for (const [up, down] of Object.values(s.by)) {
      total.up += up;
      total.down += down;
    }
    out.set(client, total);
  }
  return out;
}

export function counterValue(state: CounterState): number {
  let value = countedIncrements(state).reduce((sum, inc) => sum + inc.amount, 0);
  for (const { up, down } of settledTotals(state).values()) value += up - down;
  return value;
}

/** The textbook vector: per replica, what its counted increments added and took away. */
export function perReplica(state: CounterState): Array<{ node: NodeId; up: number; down: number }> {
  const totals = new Map<NodeId, { up: number; down: number }>();
  const add = (node: NodeId, up: number, down: number): void => {
    const entry = totals.get(node) ?? { up: 0, down: 0 };
    entry.up += up;
    entry.down += down;
    totals.set(node, entry);
  };
  for (const s of Object.values(state.settled)) for (const [node, [up, down]] of Object.entries(s.by)) add(node, up, down);
  for (const inc of countedIncrements(state)) add(inc.dot[0], Math.max(inc.amount, 0), Math.max(-inc.amount, 0));
  return [...totals.keys()].sort(compareNodeIds).map((node) => ({ node, ...(totals.get(node) as { up: number; down: number }) }));
}

/** `settled to c1#4 c2#1`: the settled prefixes, for people. */
export function formatSettled(state: CounterState): string {
  const parts = Object.entries(state.settled).map(([client, s]) => `c${client}#${s.upTo}`);
  return parts.length === 0 ? '' : `settled to ${parts.join(' ')}`;
}

export function formatCounter(state: CounterState): string {
  const vector = perReplica(state)
    .map(({ node, up, down }) => `${node}:+${up}${state.t === 'pn-counter' ? `-${down}` : ''}`)
    .join(' ');
  const retried = state.incs.length - countedIncrements(state).length;
  const settled = formatSettled(state);
  return `${counterValue(state)} = [${vector}] (${state.incs.length} increment${state.incs.length === 1 ? '' : 's'}${retried > 0 ? `, ${retried} a retry` : ''}${settled === '' ? '' : `; ${settled}`}) vv=${formatVector(state.vv)}`;
}

/** An increment as a message shows it: `c1#2@n1.1+3`. */
export function formatIncrement(inc: Increment): string {
  return `${inc.op}@${inc.dot[0]}.${inc.dot[1]}${inc.amount >= 0 ? '+' : ''}${inc.amount}`;
}

function sortByNode<T>(record: Record<NodeId, T>): Record<NodeId, T> {
  const out: Record<NodeId, T> = {};
  for (const node of Object.keys(record).sort(compareNodeIds)) out[node] = record[node] as T;
  return out;
}
