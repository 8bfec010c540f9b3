// Known-bad Rafts, a catalogue. Each one breaks one rule of the paper or the thesis; the fuzzer
// must catch every one of them on its own (mutants.test.ts, and `npm run bench -- mutants`), which
// is how we know the checks can fail at all. The loud ones break something every run; the quiet
// ones need a fault at one moment (a crash in the instant after a vote, a snapshot arriving late, a
// leader change in the middle of a membership change), which is what the aimed faults are for.

import type { HardState, NodeContext, PersistedState } from '../../src/nodes/types.ts';
import type { RaftOptions } from '../../src/nodes/raft/options.ts';
import type { LogEntry, NodeId } from '../../src/shared/protocol.ts';
import type { RequestVote } from '../../src/nodes/raft/messages.ts';
import { makeRaftAlgorithm, RaftNode, type RaftNodeClass } from '../../src/nodes/raft/raft.ts';
import type { Algorithm } from '../../src/nodes/types.ts';
import { DEFAULT_FAULT_KINDS } from '../../src/main/sim/faults.ts';

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

/** Grants votes without the election restriction (§5.4.1): a leader may lack committed entries. */
class VotesWithoutLogCheckRaft extends RaftNode {
  protected override candidateUpToDate(): boolean {
    return true;
  }
}

/** Truncates after prevIndex on every append, even where the entries match: a late append erases acknowledged ones. */
class TruncatesAlwaysRaft extends RaftNode {
  protected override acceptEntries(prevIndex: number, entries: readonly LogEntry[]): number {
    this.log.truncateFrom(prevIndex + 1);
    for (const entry of entries) this.log.append(entry);
    return prevIndex + entries.length;
  }
}

/** Commits up to the leader's commit index even past the entries this append vouched for. */
class CommitsPastLastNewRaft extends RaftNode {
  protected override followerCommit(leaderCommit: number): number {
    return leaderCommit;
  }
}

/** Serves ReadIndex reads at once, without the round of heartbeats that confirms it still leads. */
class ReadsWithoutConfirmationRaft extends RaftNode {
  constructor(context: NodeContext<RaftOptions>, persisted: PersistedState) {
    super({ ...context, options: { ...context.options, readMode: 'read_index' } }, persisted);
  }
  protected override readNeedsConfirmation(): boolean {
    return false;
  }
}

/**
 * Quiet: grants a vote without marking it for the disk. The vote is written only if something else
 * in the same Ready is (a new term usually is), so it is lost only when the node already knew the
 * term, and only a crash before its next write shows it.
 */
class VoteNotPersistedRaft extends RaftNode {
  protected override recordVote(candidate: NodeId): void {
    this.vote = candidate;
  }
}

/** Quiet: installs a snapshot older than its commit index, moving its state and commit index back. */
class InstallsStaleSnapshotRaft extends RaftNode {
  protected override snapshotIsStale(): boolean {
    return false;
  }
}

/**
 * Quiet: accepts a membership change before committing an entry of its own term (the single-server
 * change bug of the thesis errata): with a change of the previous leader still uncommitted, two
 * configurations without a common member can each elect a leader.
 */
class EarlyMembershipChangeRaft extends RaftNode {
  protected override mayChangeMembership(): boolean {
    return true;
  }
}

/** Liveness: the election timeout is never randomized, so split votes after a heal repeat forever. */
class FixedElectionTimeoutRaft extends RaftNode {
  protected override drawElectionTimeout(): number {
    return this.options.electionTicks;
  }
}

/** Keeps serving lease reads while it hands leadership over, though the transferee skips the lease check. */
class TransferKeepsLeaseRaft extends RaftNode {
  constructor(context: NodeContext<RaftOptions>, persisted: PersistedState) {
    super({ ...context, options: { ...context.options, readMode: 'lease' } }, persisted);
  }
  protected override revokeLease(): void {
    // the lease is kept
  }
}

export interface Mutant {
  algorithm: Algorithm<RaftOptions, RaftNode>;
  /** 'loud': caught in the first few runs; 'quiet': needs a fault at one moment. */
  kind: 'loud' | 'quiet';
  /** What catching it means: the failures this bug can cause (any other failure is not a catch). */
  caughtBy: readonly string[];
}

const SAFETY = ['election_safety', 'log_matching', 'leader_completeness', 'state_machine_safety', 'acknowledged_write_lost', 'linearizability'];

function mutant(name: string, nodeClass: RaftNodeClass, kind: Mutant['kind'], caughtBy: readonly string[]): [string, Mutant] {
  return [name, { algorithm: makeRaftAlgorithm(nodeClass, `raft-mutant-${name}`), kind, caughtBy }];
}

export const catalogue: Readonly<Record<string, Mutant>> = Object.fromEntries([
  mutant('commits-earlier-term', CommitsEarlierTermRaft, 'quiet', SAFETY),
  mutant('forgets-vote', ForgetsVoteRaft, 'loud', [...SAFETY, 'vote_not_durable', 'double_vote']),
  mutant('double-vote', DoubleVoteRaft, 'loud', [...SAFETY, 'double_vote']),
  mutant('stale-lease-reads', TrustsLeaseBlindlyRaft, 'loud', ['linearizability']),
  mutant('votes-without-log-check', VotesWithoutLogCheckRaft, 'loud', SAFETY),
  mutant('truncates-always', TruncatesAlwaysRaft, 'loud', [...SAFETY, 'commit_went_back', 'applied_beyond_commit', 'restart_below_durable', 'step_budget', 'liveness']),
  mutant('commits-past-last-new', CommitsPastLastNewRaft, 'loud', [...SAFETY, 'commit_beyond_log', 'error']),
  mutant('reads-without-confirmation', ReadsWithoutConfirmationRaft, 'loud', ['linearizability']),
  mutant('vote-not-persisted', VoteNotPersistedRaft, 'quiet', [...SAFETY, 'vote_not_durable', 'double_vote']),
  mutant('installs-stale-snapshot', InstallsStaleSnapshotRaft, 'quiet', [...SAFETY, 'commit_went_back', 'applied_went_back']),
  mutant('early-membership-change', EarlyMembershipChangeRaft, 'quiet', SAFETY),
  mutant('fixed-election-timeout', FixedElectionTimeoutRaft, 'quiet', ['liveness']),
  mutant('transfer-keeps-lease', TransferKeepsLeaseRaft, 'quiet', ['linearizability']),
]);

/** The mutants by name, as older tests use them. */
export const mutants = {
  'commits-earlier-term': (catalogue['commits-earlier-term'] as Mutant).algorithm,
  'forgets-vote': (catalogue['forgets-vote'] as Mutant).algorithm,
  'double-vote': (catalogue['double-vote'] as Mutant).algorithm,
  'stale-lease-reads': (catalogue['stale-lease-reads'] as Mutant).algorithm,
};

/**
 * The fuzz configuration the catalogue is held to: small clusters and short runs, so that 300 runs
 * of every mutant stay well inside a test's time, and a step budget that cuts a runaway run short.
 * Each run draws 3, 4 or 5 nodes: the single-server-change bug needs an even number of voters.
 */
export const catalogueFuzzOptions = {
  seed: 1,
  nodes: [3, 4, 5],
  durationMs: 10_000,
  faults: DEFAULT_FAULT_KINDS,
  faultIntervalMs: 500,
  maxSteps: 300_000,
  rate: 40,
  swarm: false,
  livenessMs: 3000,
  checkTimeoutMs: 1000,
};

/** Runs the catalogue promises: each mutant is caught within this many. */
export const CATCH_WITHIN = 300;
