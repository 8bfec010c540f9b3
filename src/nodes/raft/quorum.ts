// Majority quorum math over a set of voters.

import type { NodeId } from '../../shared/protocol.ts';

export function quorumSize(voterCount: number): number {
  return Math.floor(voterCount / 2) + 1;
}

/**
 * The highest index that a majority of voters hold: sort their match indexes descending and take the
 * quorum-th. `matchOf` returns 0 for a voter with no known match.
 */
const scratch = new Float64Array(64);

export function committedIndex(voters: readonly NodeId[], matchOf: (id: NodeId) => number): number {
  const n = voters.length;
  if (n === 0) return 0;
  // Insertion sort, descending, into a reused buffer: clusters are small and this runs on every
  // acknowledgement, so it must not allocate.
  const matches = n <= scratch.length ? scratch : new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const value = matchOf(voters[i] as NodeId);
    let j = i;
    while (j > 0 && (matches[j - 1] as number) < value) {
      matches[j] = matches[j - 1] as number;
      j--;
    }
    matches[j] = value;
  }
  return matches[quorumSize(n) - 1] as number;
}

export type VoteResult = 'won' | 'lost' | 'pending';

export function tallyVotes(voters: readonly NodeId[], votes: ReadonlyMap<NodeId, boolean>): VoteResult {
  let granted = 0;
  let rejected = 0;
  for (const id of voters) {
    const vote = votes.get(id);
    if (vote === true) granted++;
    else if (vote === false) rejected++;
  }
  const needed = quorumSize(voters.length);
  if (granted >= needed) return 'won';
  if (rejected > voters.length - needed) return 'lost';
  return 'pending';
}
