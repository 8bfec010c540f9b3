// Ballots: (round, node). Rounds alone would let two proposers pick the same number; adding the
// proposer's id makes every ballot unique to one proposer and the order total, so "the highest
// accepted ballot" in a set of promises names exactly one value.

import type { NodeId } from '../../shared/protocol.ts';

export interface Ballot {
  round: number;
  node: NodeId;
}

/** Below every real ballot: what an acceptor that never promised anything holds. */
export const ZERO_BALLOT: Ballot = Object.freeze({ round: 0, node: '' });

/**
 * Node ids compare shorter first, then as text, so n2 < n10 as people expect. Any total order
 * would be safe; this one makes the scenarios read naturally.
 */
function compareIds(a: NodeId, b: NodeId): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function compareBallots(a: Ballot, b: Ballot): number {
  if (a.round !== b.round) return a.round - b.round;
  return compareIds(a.node, b.node);
}

export const ballotEquals = (a: Ballot, b: Ballot): boolean => a.round === b.round && a.node === b.node;

export const ballotAbove = (a: Ballot, b: Ballot): boolean => compareBallots(a, b) > 0;

/** The ballot a proposer takes next: one round above everything it has seen, with its own id. */
export function nextBallot(highestSeenRound: number, node: NodeId): Ballot {
  return { round: highestSeenRound + 1, node };
}

export function formatBallot(b: Ballot): string {
  return b.round === 0 ? '0' : `${b.round}.${b.node}`;
}
