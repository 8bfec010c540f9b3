// Dots and version vectors, the causal bookkeeping every data type here shares (Almeida, Shoker
// and Baquero, "Delta state replicated data types", 2018, §5). A dot (node, n) names the n-th
// update `node` made to one key; a version vector says, per node, how many of its updates a state
// has seen. Every state's vector covers a contiguous run of each node's dots (a replica holds all
// of its own, and merges join contiguous runs), which is what lets one number per node stand for
// a whole set of dots.
//
// Vectors are plain objects with their nodes in sorted order and no zero entries, so that equal
// vectors are equal JSON and print the same in scenario files.

import type { NodeId } from '../../shared/protocol.ts';

export type VersionVector = Readonly<Record<NodeId, number>>;
export type Dot = readonly [NodeId, number];

export const EMPTY_VV: VersionVector = Object.freeze({});

/** Node ids in their natural order: n2 before n10. */
export function compareNodeIds(a: NodeId, b: NodeId): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareDots(a: Dot, b: Dot): number {
  return compareNodeIds(a[0], b[0]) || a[1] - b[1];
}

export function sameDot(a: Dot, b: Dot): boolean {
  return a[0] === b[0] && a[1] === b[1];
}

export function dotKey(dot: Dot): string {
  return `${dot[0]}.${dot[1]}`;
}

export function seen(vv: VersionVector, node: NodeId): number {
  return Object.hasOwn(vv, node) ? (vv[node] as number) : 0;
}

export function covers(vv: VersionVector, dot: Dot): boolean {
  return dot[1] <= seen(vv, dot[0]);
}

/** Builds a vector in canonical form (sorted nodes, no zeros). */
export function vectorOf(entries: Iterable<readonly [NodeId, number]>): VersionVector {
  const counts = new Map<NodeId, number>();
  for (const [node, n] of entries) if (n > 0) counts.set(node, Math.max(n, counts.get(node) ?? 0));
  const out: Record<NodeId, number> = {};
  for (const node of [...counts.keys()].sort(compareNodeIds)) out[node] = counts.get(node) as number;
  return out;
}

export function mergeVectors(a: VersionVector, b: VersionVector): VersionVector {
  return vectorOf([...Object.entries(a), ...Object.entries(b)]);
}

/** a ≤ b: everything a has seen, b has seen. */
export function vectorLeq(a: VersionVector, b: VersionVector): boolean {
  for (const [node, n] of Object.entries(a)) if (n > seen(b, node)) return false;
  return true;
}

export function sameVector(a: VersionVector, b: VersionVector): boolean {
  return vectorLeq(a, b) && vectorLeq(b, a);
}

/** The next dot of `node` after what `vv` has seen, and the vector that includes it. */
export function nextDot(vv: VersionVector, node: NodeId): { dot: Dot; vv: VersionVector } {
  const dot: Dot = [node, seen(vv, node) + 1];
  return { dot, vv: mergeVectors(vv, { [node]: dot[1] }) };
}

/** "n1:2,n3:1": how scenario files print a vector, and the opaque context clients carry. */
export function formatVector(vv: VersionVector): string {
  return Object.entries(vv)
    .map(([node, n]) => `${node}:${n}`)
    .join(',');
}

const CONTEXT_PART = /^([A-Za-z0-9_-]+):([1-9][0-9]{0,14})$/;

/**
 * A client's context back into a vector; a string this store did not make gets a sentence saying
 * what is wrong with it instead.
 */
export function parseVector(text: string): VersionVector | string {
  if (text.trim() === '') return EMPTY_VV;
  const entries: Array<[NodeId, number]> = [];
  for (const part of text.split(',')) {
    const match = CONTEXT_PART.exec(part.trim());
    if (match === null) return `the context ${JSON.stringify(text)} is not a version vector (node:count,...) this store gave out: ${JSON.stringify(part)}`;
    entries.push([match[1] as NodeId, Number(match[2])]);
  }
  return vectorOf(entries);
}
