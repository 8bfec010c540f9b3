// The versions a replica keeps of a key, and how two sets of them merge. Every version a client
// write makes is named by a dot (actor, n), which no other write shares; two orders use it:
//
// - lww: the actor is the coordinator and n its durable counter. A version also carries a
//   timestamp t, and the highest (t, coordinator, n) wins; a replica keeps one version per key. t
//   is the coordinator's clock, or with two-phase writes one above the highest t a quorum
//   reported (and at least the clock).
// - vclock: version vectors with dots (Preguiça et al., "Dotted Version Vectors", 2010). The actor
//   is the client (`c7`) and n the request's sequence number, and a version also carries `past`,
//   the vector of what it supersedes: the client's context (what it read) and the client's own
//   earlier requests. A version is obsolete once another's past covers its dot; the rest are
//   concurrent siblings, all kept, and a write without a context becomes a sibling of every value
//   other clients wrote. Client actors make a vector's counters exact: one client's writes are
//   never concurrent with each other, so a context that covers c7's 5th request has seen (or
//   superseded) its 4th too, whereas a node coordinates concurrent writes, and a counter per node
//   would let a context cover a sibling its reader never saw. A retry of a request makes the same
//   dot, so it cannot make a second sibling.
//
// Merging is a join (commutative, associative, idempotent; with vclock, for pasts closed under
// what they supersede, which clients that send back their whole context give), which is what
// lets read repair, write-back, anti-entropy and hinted handoff send versions in any order, any
// number of times.

import type { KvScalar, KvValue } from '../../shared/history.ts';
import type { NodeId } from '../../shared/protocol.ts';
import { compareScalars } from '../kv/state-machine.ts';
import { compareNodeIds, hash32 } from './ring.ts';
import type { Resolve } from './options.ts';

/** A version vector: (node, counter) pairs in node order, counters above 0. */
export type VersionVector = ReadonlyArray<readonly [NodeId, number]>;

export interface Version {
  /** What the client wrote (null: deleted). */
  value: KvScalar;
  /** The dot: lww, the coordinator and its counter when it made the version; vclock, the client (`c7`) and the request's sequence number. */
  node: NodeId;
  n: number;
  /** lww: the timestamp (ms); vclock: 0. */
  t: number;
  /** vclock only: the versions this one supersedes (the writer's context). */
  past?: VersionVector;
  /** The client request that wrote it: client id and sequence number. */
  c: number;
  s: number;
}

export function compareStamps(a: Pick<Version, 't' | 'node' | 'n'>, b: Pick<Version, 't' | 'node' | 'n'>): number {
  if (a.t !== b.t) return a.t - b.t;
  const byNode = compareNodeIds(a.node, b.node);
  if (byNode !== 0) return byNode;
  return a.n - b.n;
}

export function sameDot(a: Pick<Version, 'node' | 'n'>, b: Pick<Version, 'node' | 'n'>): boolean {
  return a.node === b.node && a.n === b.n;
}

export function counterOf(vector: VersionVector, node: NodeId): number {
  for (const [id, n] of vector) if (id === node) return n;
  return 0;
}

/** The vector has seen the dot. */
export function covers(vector: VersionVector, dot: Pick<Version, 'node' | 'n'>): boolean {
  return counterOf(vector, dot.node) >= dot.n;
}

export function joinVectors(a: VersionVector, b: VersionVector): VersionVector {
  const out = new Map<NodeId, number>(a.map(([node, n]) => [node, n]));
  for (const [node, n] of b) out.set(node, Math.max(n, out.get(node) ?? 0));
  return [...out].sort(([x], [y]) => compareNodeIds(x, y));
}

/** Every dot the versions hold or supersede: the context a read hands its client. */
export function vectorOf(versions: readonly Version[]): VersionVector {
  let vector: VersionVector = [];
  for (const v of versions) vector = joinVectors(joinVectors(vector, v.past ?? []), [[v.node, v.n]]);
  return vector;
}

/** `n1:3,n2:1`: a context as a client carries it (and a scenario file types it). */
export function encodeContext(vector: VersionVector): string {
  return vector.map(([node, n]) => `${node}:${n}`).join(',');
}

/** The vector a context string names, or an error message. */
export function decodeContext(text: string): VersionVector | string {
  if (text === '') return [];
  const out = new Map<NodeId, number>();
  for (const part of text.split(',')) {
    const match = /^([A-Za-z0-9_-]+):(\d+)$/.exec(part);
    if (match === null) return `context ${JSON.stringify(text)} is not a version vector (node:counter,...)`;
    const n = Number(match[2]);
    if (!Number.isSafeInteger(n) || n < 1) return `context ${JSON.stringify(text)}: counters are whole numbers from 1`;
    out.set(match[1] as NodeId, Math.max(n, out.get(match[1] as NodeId) ?? 0));
  }
  return [...out].sort(([x], [y]) => compareNodeIds(x, y));
}

/** The highest version by (t, node, n), as a list of at most one. */
function newest(versions: readonly Version[]): Version[] {
  let best: Version | undefined;
  for (const v of versions) if (best === undefined || compareStamps(v, best) > 0) best = v;
  return best === undefined ? [] : [best];
}

/** The siblings that no other version supersedes, one per dot, in dot order. */
function siblings(versions: readonly Version[]): Version[] {
  const byDot: Version[] = [];
  for (const v of versions) if (!byDot.some((o) => sameDot(o, v))) byDot.push(v);
  return byDot
    .filter((v) => !byDot.some((o) => o !== v && covers(o.past ?? [], v)))
    .sort((a, b) => compareNodeIds(a.node, b.node) || a.n - b.n);
}

/** The join of two sets of versions of one key. */
export function mergeVersions(resolve: Resolve, a: readonly Version[], b: readonly Version[]): Version[] {
  const all = a.length === 0 ? b : b.length === 0 ? a : [...a, ...b];
  return resolve === 'lww' ? newest(all) : siblings(all);
}

/** A canonical string for a set of versions (anti-entropy digests, equality). */
export function fingerprint(versions: readonly Version[]): string {
  return versions.map((v) => `${v.node}.${v.n}@${v.t}`).join(' ');
}

export function digestOf(versions: readonly Version[]): string {
  return hash32(fingerprint(versions)).toString(16);
}

/** `b` holds nothing `a` lacks: merging it into `a` changes nothing. */
export function subsumes(resolve: Resolve, a: readonly Version[], b: readonly Version[]): boolean {
  return fingerprint(mergeVersions(resolve, a, b)) === fingerprint(a);
}

/**
 * What a read returns: the newest value (lww), or with vclock the one value every sibling holds,
 * else the siblings' distinct values, sorted, as a list.
 */
export function readValue(versions: readonly Version[]): KvValue {
  if (versions.length === 0) return null;
  const values: KvScalar[] = [];
  for (const v of versions) if (!values.some((x) => compareScalars(x, v.value) === 0)) values.push(v.value);
  if (values.length === 1) return values[0] as KvScalar;
  return values.sort(compareScalars);
}

/** One version in a line: `1@120/n1.3` (lww) or `1@n1.3{n2:1}` (vclock: the dot, then what it supersedes). */
export function formatVersion(v: Version): string {
  const value = JSON.stringify(v.value);
  if (v.past === undefined) return `${value}@${v.t}/${v.node}.${v.n}`;
  return `${value}@${v.node}.${v.n}${v.past.length === 0 ? '' : `{${encodeContext(v.past)}}`}`;
}

export function formatVersions(versions: readonly Version[]): string {
  if (versions.length === 0) return '-';
  return versions.length === 1 ? formatVersion(versions[0] as Version) : `[${versions.map(formatVersion).join(' ')}]`;
}
