// Known-bad Rafts. Each one breaks one rule of the paper; the safety monitors and the property run
// must catch every one of them, which is how we know the checks can fail at all.

import type { HardState } from '../../src/nodes/types.ts';
import type { NodeId } from '../../src/shared/protocol.ts';
import type { RequestVote } from '../../src/nodes/raft/messages.ts';
import { makeRaftAlgorithm, RaftNode } from '../../src/nodes/raft/raft.ts';

/** Commits any entry a majority holds, even one of an earlier term (the Figure 8 bug, §5.4.2). */
class CommitsEarlierTermRaft extends RaftNode {
  protected override maybeCommit(): boolean {
    const index = this.quorumMatch();
    if (index > this.commit) {
      this.advanceCommit(index);
      return true;
    }
    return false;
  }
}

/** Keeps its vote in memory only: after a crash it can vote again in the same term. */
class ForgetsVoteRaft extends RaftNode {
  protected override hardStateToPersist(): HardState {
    return { term: this.term, vote: null, commit: this.commit };
  }
}

/** Grants a vote to every candidate with an up-to-date log, even after voting in that term. */
class DoubleVoteRaft extends RaftNode {
  protected override canGrantVote(_from: NodeId, _m: RequestVote): boolean {
    return true;
  }
}

export const mutants = {
  'commits-earlier-term': makeRaftAlgorithm(CommitsEarlierTermRaft, 'raft-mutant-commits-earlier-term'),
  'forgets-vote': makeRaftAlgorithm(ForgetsVoteRaft, 'raft-mutant-forgets-vote'),
  'double-vote': makeRaftAlgorithm(DoubleVoteRaft, 'raft-mutant-double-vote'),
};
