// Known-bad Rafts. Each one breaks one rule of the paper; the safety monitors and the property run
// must catch every one of them, which is how we know the checks can fail at all.

import type { HardState, NodeContext, PersistedState } from '../../src/nodes/types.ts';
import type { RaftOptions } from '../../src/nodes/raft/options.ts';
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

/** Serves reads from a lease it never checks: a leader cut off from the majority returns stale data. */
class TrustsLeaseBlindlyRaft extends RaftNode {
  constructor(context: NodeContext<RaftOptions>, persisted: PersistedState) {
    super({ ...context, options: { ...context.options, readMode: 'lease' } }, persisted);
  }
  protected override leaseHolds(): boolean {
    return true;
  }
}

export const mutants = {
  'commits-earlier-term': makeRaftAlgorithm(CommitsEarlierTermRaft, 'raft-mutant-commits-earlier-term'),
  'forgets-vote': makeRaftAlgorithm(ForgetsVoteRaft, 'raft-mutant-forgets-vote'),
  'double-vote': makeRaftAlgorithm(DoubleVoteRaft, 'raft-mutant-double-vote'),
  'stale-lease-reads': makeRaftAlgorithm(TrustsLeaseBlindlyRaft, 'raft-mutant-stale-lease-reads'),
};
