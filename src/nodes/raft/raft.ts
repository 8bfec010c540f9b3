// Raft (Ongaro & Ousterhout; Ongaro's thesis), as a deterministic state machine in the style of
// etcd-io/raft: inputs are ticks, messages, client requests and operator commands; every output
// waits in the node until the host takes a Ready.
//
// Layout: role transitions (become*), the tick handlers (tick*), the message handlers (step*,
// handle*), the leader's replication (sendAppend, bcast*), and Ready assembly at the end. The read
// path's queues and lease live in reads.ts, what a membership change asks for and which
// configuration the log holds in membership.ts; the decisions stay here, as the hooks below.
// The methods a mutant test overrides to inject a known bug are `protected`.

import type {
  AdminRequest,
  ClientReply,
  ClientRequest,
  LogEntry,
  NodeId,
  Reply,
  Snapshot,
} from '../../shared/protocol.ts';
import type { KvValue } from '../../shared/history.ts';
import type {
  Algorithm,
  AppliedEntry,
  ConsensusNode,
  Envelope,
  HardState,
  Input,
  NodeContext,
  PersistBatch,
  PersistedState,
  Ready,
  Rng,
  NodeDetail,
  PeerProgress,
  ConsensusRole,
  LogNodeStatus,
} from '../types.ts';
import { KvStateMachine } from '../kv/state-machine.ts';
import { RaftLog } from './log.ts';
import type {
  AppendEntries,
  AppendEntriesResponse,
  Heartbeat,
  HeartbeatResponse,
  InstallSnapshot,
  RaftMessage,
  RequestVote,
  RequestVoteResponse,
} from './messages.ts';
import { defaultRaftOptions, type RaftOptions } from './options.ts';
import { Progress } from './progress.ts';
import { committedIndex, quorumSize, tallyVotes } from './quorum.ts';
import { RAFT_ACTIONS, RAFT_MESSAGES, RAFT_OPTION_FIELDS, RAFT_SCENARIO_DEFAULTS, RAFT_STATUS_FIELDS, RAFT_SUMMARY, RAFT_TITLE, randomRaftOptions } from './descriptor.ts';
import { describeRaftMessage } from './describe.ts';
import { createRaftMonitor } from './monitors.ts';
import { ReadOnly } from './reads.ts';
import { changedVoters, changeInProgress, lastConfigEntry, trackVoters } from './membership.ts';

type CampaignKind = 'pre' | 'real' | 'transfer';

interface PendingProposal {
  clientId: number;
  seq: number;
}

const NO_MESSAGES: Envelope[] = Object.freeze([]) as unknown as Envelope[];
const NO_APPLIED: AppliedEntry[] = Object.freeze([]) as unknown as AppliedEntry[];
const NO_REPLIES: Reply[] = Object.freeze([]) as unknown as Reply[];

export class RaftNode implements ConsensusNode {
  readonly id: NodeId;
  protected readonly options: RaftOptions;
  private readonly rng: Rng;

  // Persistent state (Figure 2), written through Ready.persist.
  protected term = 0;
  protected vote: NodeId | null = null;
  protected readonly log: RaftLog;
  protected commit = 0;

  // Volatile state.
  protected role: ConsensusRole = 'follower';
  protected leader: NodeId | null = null;
  private applied = 0;
  private stateMachine: KvStateMachine;
  private snapshot: Snapshot | null;
  protected voters: NodeId[];
  /** Index of the entry that set `voters` (the snapshot's index when it came from a snapshot). */
  private configIndex: number;

  private ticks = 0;
  /** Restarted with lease reads on: for its first election timeout it votes for no one (see the constructor). */
  private readonly restartedUnderLease: boolean;
  protected electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;

  // Candidate state.
  private readonly votes = new Map<NodeId, boolean>();

  // Leader state.
  protected readonly progress = new Map<NodeId, Progress>();
  private leadTransferee: NodeId | null = null;
  private committedInTerm = false;
  private readonly pendingProposals = new Map<number, PendingProposal>();
  private readonly pendingAdmin = new Map<number, number>();
  /** ReadIndex rounds, confirmed reads and the lease (reads.ts). */
  private readonly reads = new ReadOnly();

  // Outputs waiting for the next Ready.
  private messages: Envelope[] = [];
  private replies: Reply[] = [];
  private appliedOut: AppliedEntry[] = [];
  private hardStateDirty = false;
  /** The term and vote last handed out to be persisted: a Ready changing neither may skip ordering. */
  private durableTerm = 0;
  private durableVote: NodeId | null = null;
  private snapshotToPersist: Snapshot | null = null;
  /**
   * Whether anything sent with snapshotToPersist reveals it: a snapshot installed from the leader
   * (the acknowledgement claims its entries) or the first configuration. A node's own compaction
   * reveals nothing: the entries it folds are committed and already in the log on disk.
   */
  private snapshotRevealed = false;
  private broadcastPending = false;
  private readonly appendDirty = new Set<NodeId>();

  constructor(context: NodeContext<RaftOptions>, persisted: PersistedState) {
    this.id = context.id;
    this.options = context.options;
    this.rng = context.rng;
    const hs = persisted.hardState;
    this.log = RaftLog.restore(persisted.snapshot, persisted.entries);
    this.snapshot = persisted.snapshot;
    if (this.snapshot === null && persisted.entries.length === 0 && context.bootstrapVoters.length > 0 && hs.term === 0) {
      // A brand-new cluster: its first configuration is an empty snapshot at index 0, persisted like
      // any other so that a restart before the first election still knows who the voters are.
      this.snapshot = { index: 0, term: 0, voters: [...context.bootstrapVoters], data: { kv: [], sessions: [] } };
      this.snapshotToPersist = this.snapshot;
      this.snapshotRevealed = true;
    }
    this.term = hs.term;
    this.vote = hs.vote;
    this.durableTerm = hs.term;
    this.durableVote = hs.vote;
    this.stateMachine = KvStateMachine.fromSnapshot(this.snapshot ? this.snapshot.data : null);
    this.applied = this.log.snapshotIndex;
    this.commit = Math.min(Math.max(hs.commit, this.log.snapshotIndex), this.log.lastIndex);
    this.voters = this.snapshot ? [...this.snapshot.voters] : [];
    this.configIndex = this.log.snapshotIndex;
    this.refreshConfig();
    this.resetElectionTimer();
    // A node restarted from its disk cannot know whether a leader's lease (which may count its own
    // answer from before the crash) still holds: with lease reads it waits out one election timeout
    // before it votes, as if it had just heard from a leader (thesis §6.4.1).
    this.restartedUnderLease = this.options.readMode === 'lease' && hs.term > 0;
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs

  step(input: Input): void {
    switch (input.kind) {
      case 'tick':
        this.ticks++;
        if (this.role === 'leader') this.tickHeartbeat();
        else this.tickElection();
        return;
      case 'message':
        this.stepMessage(input.envelope.src, input.envelope.body as RaftMessage);
        return;
      case 'client':
        this.handleClientRequest(input.request);
        return;
      case 'admin':
        this.handleAdmin(input.request);
        return;
    }
  }

  private tickElection(): void {
    this.electionElapsed++;
    if (this.isPromotable() && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.electionElapsed = 0;
      this.campaign(this.options.preVote ? 'pre' : 'real');
    }
  }

  private tickHeartbeat(): void {
    this.heartbeatElapsed++;
    this.electionElapsed++;
    if (this.electionElapsed >= this.options.electionTicks) {
      this.electionElapsed = 0;
      if (this.options.checkQuorum && !this.hasActiveQuorum()) {
        // Nobody answered for an election timeout: a leader cut off from the majority must not go on
        // believing it leads (its lease reads would be stale, its clients would wait forever).
        this.becomeFollower(this.term, null);
        return;
      }
      // A transfer that has not finished within an election timeout is abandoned.
      this.leadTransferee = null;
    }
    if (this.heartbeatElapsed >= this.options.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.bcastHeartbeat();
    }
    this.spreadCommit();
  }

  /** An append carrying the commit index to each follower that has not heard it and can be sent to. */
  private spreadCommit(): void {
    for (const [peer, pr] of this.progress) if (pr.sentCommit < this.commit && !pr.isPaused(this.options.maxInflight)) this.appendDirty.add(peer);
  }

  // ---------------------------------------------------------------------------------------------
  // Role transitions

  private resetElectionTimer(): void {
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    this.randomizedElectionTimeout = this.drawElectionTimeout();
  }

  /** Between one and two election timeouts, so that split votes do not repeat. Overridden by a mutant. */
  protected drawElectionTimeout(): number {
    const base = this.options.electionTicks;
    return base + this.rng.int(0, base);
  }

  private setTerm(term: number): void {
    if (term !== this.term) {
      this.term = term;
      this.vote = null;
      this.hardStateDirty = true;
    }
  }

  /** What every role change resets: who leads, the votes counted, the election timer. */
  private enterRole(role: ConsensusRole, leader: NodeId | null): void {
    this.role = role;
    this.leader = leader;
    if (this.votes.size > 0) this.votes.clear();
    this.resetElectionTimer();
  }

  protected becomeFollower(term: number, leader: NodeId | null): void {
    if (this.role === 'leader') this.abandonLeadership();
    this.setTerm(term);
    this.enterRole('follower', leader);
  }

  private becomePreCandidate(): void {
    // A pre-candidate keeps its term and vote: nothing changes unless a majority would vote for it.
    this.enterRole('precandidate', null);
  }

  private becomeCandidate(): void {
    this.setTerm(this.term + 1);
    this.vote = this.id;
    this.hardStateDirty = true;
    this.enterRole('candidate', null);
  }

  private becomeLeader(): void {
    this.enterRole('leader', this.id);
    this.leadTransferee = null;
    this.committedInTerm = false;
    this.progress.clear();
    this.reads.resetLease();
    const next = this.log.lastIndex + 1;
    for (const peer of this.voters) {
      if (peer === this.id) continue;
      const pr = new Progress(next);
      pr.recentActive = true;
      this.progress.set(peer, pr);
    }
    // An entry of the new term: until it commits, the leader cannot know which earlier entries are
    // committed (Raft §5.4.2) and must not serve reads (§6.4).
    this.appendEntry({ type: 'noop' });
    this.maybeCommit();
  }

  /** Everything a leader promised and can no longer keep gets an answer when it steps down. */
  private abandonLeadership(): void {
    for (const [, proposal] of this.pendingProposals) {
      this.replies.push(this.clientError(proposal.clientId, proposal.seq, 'leadership_lost', false, 'the leader stepped down before the entry committed; it may still commit'));
    }
    this.pendingProposals.clear();
    for (const [, requestId] of this.pendingAdmin) {
      this.replies.push({ kind: 'admin', requestId, ok: false, message: 'the leader stepped down before the change committed; it may still take effect' });
    }
    this.pendingAdmin.clear();
    for (const request of this.reads.abandon()) {
      this.replies.push(this.clientError(request.clientId, request.seq, 'leadership_lost', true, 'the leader stepped down before the read was served'));
    }
    this.progress.clear();
    this.leadTransferee = null;
    this.broadcastPending = false;
    this.appendDirty.clear();
  }

  private isPromotable(): boolean {
    return this.voters.includes(this.id);
  }

  private campaign(kind: CampaignKind): void {
    if (!this.isPromotable()) return;
    if (kind === 'pre') this.becomePreCandidate();
    else this.becomeCandidate();
    const preVote = kind === 'pre';
    const term = preVote ? this.term + 1 : this.term;
    this.votes.set(this.id, true);
    for (const peer of this.voters) {
      if (peer === this.id) continue;
      const request: RequestVote = {
        type: 'request_vote',
        term,
        lastIndex: this.log.lastIndex,
        lastTerm: this.log.lastTerm,
        preVote,
        transfer: kind === 'transfer',
      };
      this.send(peer, request);
    }
    this.tally();
  }

  private tally(): void {
    const result = tallyVotes(this.voters, this.votes);
    if (result === 'won') {
      if (this.role === 'precandidate') this.campaign('real');
      else this.becomeLeader();
    } else if (result === 'lost') {
      this.becomeFollower(this.term, null);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Messages

  private stepMessage(from: NodeId, m: RaftMessage): void {
    if (m.term > this.term) {
      if (m.type === 'request_vote') {
        if (!m.transfer && this.inLease(m.preVote)) {
          // We heard from a live leader within the minimum election timeout: this candidate is
          // most likely a node that was cut off, and must not depose a working leader.
          if (m.preVote) this.send(from, { type: 'request_vote_response', term: this.term, preVote: true, granted: false });
          return;
        }
        if (!m.preVote) this.becomeFollower(m.term, null);
      } else if (m.type === 'request_vote_response' && m.preVote && m.granted) {
        // A granted pre-vote carries the term we would campaign at; our own term does not move yet.
      } else {
        const fromLeader = m.type === 'append_entries' || m.type === 'heartbeat' || m.type === 'install_snapshot';
        this.becomeFollower(m.term, fromLeader ? from : null);
      }
    } else if (m.term < this.term) {
      if (m.type === 'append_entries' || m.type === 'heartbeat' || m.type === 'install_snapshot') {
        // A deposed leader learns the new term from this answer and steps down.
        this.send(from, this.appendResponse(false, 0, 0, 0, 0));
      } else if (m.type === 'request_vote' && m.preVote) {
        this.send(from, { type: 'request_vote_response', term: this.term, preVote: true, granted: false });
      }
      return;
    }

    switch (m.type) {
      case 'request_vote':
        this.handleVoteRequest(from, m);
        return;
      case 'request_vote_response':
        this.handleVoteResponse(from, m);
        return;
      case 'append_entries':
      case 'heartbeat':
      case 'install_snapshot':
        if (this.role === 'leader') return; // another leader in our term would break election safety; never happens
        if (this.role !== 'follower') this.becomeFollower(this.term, from);
        this.leader = from;
        this.electionElapsed = 0;
        if (m.type === 'append_entries') this.handleAppend(from, m);
        else if (m.type === 'heartbeat') this.handleHeartbeat(from, m);
        else this.handleSnapshot(from, m);
        return;
      case 'append_entries_response':
        if (this.role === 'leader') this.handleAppendResponse(from, m);
        return;
      case 'heartbeat_response':
        if (this.role === 'leader') this.handleHeartbeatResponse(from, m);
        return;
      case 'timeout_now':
        // The leader asked us to take over: campaign at once, skipping the pre-vote, since the
        // leader itself vouches that we are up to date.
        if (this.role === 'follower' && this.isPromotable()) this.campaign('transfer');
        return;
    }
  }

  /** Followers in a leader's lease reject candidates (thesis §4.2.3 and §9.6). */
  private inLease(preVote: boolean): boolean {
    const guarded = preVote ? this.options.preVote : this.options.checkQuorum || this.options.readMode === 'lease';
    if (!guarded) return false;
    if (this.restartedUnderLease && this.ticks < this.options.electionTicks) return true;
    return this.leader !== null && this.electionElapsed < this.options.electionTicks;
  }

  /** Whether this node may vote for `from` in `m`'s term, before looking at logs. Overridden by a mutant. */
  protected canGrantVote(from: NodeId, m: RequestVote): boolean {
    return this.vote === from || (this.vote === null && this.leader === null) || (m.preVote && m.term > this.term);
  }

  /** The election restriction (§5.4.1): the candidate's log is at least as up to date. Overridden by a mutant. */
  protected candidateUpToDate(m: RequestVote): boolean {
    return m.lastTerm > this.log.lastTerm || (m.lastTerm === this.log.lastTerm && m.lastIndex >= this.log.lastIndex);
  }

  /** Votes, and marks the vote for the disk before the grant leaves. Overridden by a mutant. */
  protected recordVote(candidate: NodeId): void {
    this.vote = candidate;
    this.hardStateDirty = true;
  }

  private handleVoteRequest(from: NodeId, m: RequestVote): void {
    if (this.canGrantVote(from, m) && this.candidateUpToDate(m)) {
      if (m.preVote) {
        this.send(from, { type: 'request_vote_response', term: m.term, preVote: true, granted: true });
      } else {
        this.recordVote(from);
        this.electionElapsed = 0;
        this.send(from, { type: 'request_vote_response', term: this.term, preVote: false, granted: true });
      }
    } else {
      this.send(from, { type: 'request_vote_response', term: this.term, preVote: m.preVote, granted: false });
    }
  }

  private handleVoteResponse(from: NodeId, m: RequestVoteResponse): void {
    const expecting = this.role === 'precandidate' ? m.preVote : this.role === 'candidate' ? !m.preVote : false;
    if (!expecting) return;
    this.votes.set(from, m.granted);
    this.tally();
  }

  private appendResponse(success: boolean, matchIndex: number, rejectedIndex: number, conflictTerm: number, conflictIndex: number): AppendEntriesResponse {
    return { type: 'append_entries_response', term: this.term, success, matchIndex, rejectedIndex, conflictTerm, conflictIndex };
  }

  private handleAppend(from: NodeId, m: AppendEntries): void {
    if (m.prevIndex < this.commit) {
      // Everything up to our commit index already matches the leader's log.
      if (!m.commitOnly) this.send(from, this.appendResponse(true, this.commit, 0, 0, 0));
      return;
    }
    if (this.log.matchTerm(m.prevIndex, m.prevTerm)) {
      let configMayChange = this.configIndex > m.prevIndex;
      for (let i = 0; i < m.entries.length && !configMayChange; i++) configMayChange = (m.entries[i] as LogEntry).data.type === 'config';
      const lastNew = this.acceptEntries(m.prevIndex, m.entries);
      if (configMayChange) this.refreshConfig();
      this.commitTo(this.followerCommit(m.commit, lastNew));
      if (!m.commitOnly) this.send(from, this.appendResponse(true, lastNew, 0, 0, 0));
      return;
    }
    let conflictTerm = 0;
    let conflictIndex = this.log.lastIndex + 1;
    if (m.prevIndex <= this.log.lastIndex) {
      conflictTerm = this.log.term(m.prevIndex);
      conflictIndex = Math.max(this.log.firstIndexOfTerm(conflictTerm, m.prevIndex), this.commit + 1);
    }
    this.send(from, this.appendResponse(false, 0, m.prevIndex, conflictTerm, conflictIndex));
  }

  /** Appends what the log lacks, truncating only at a conflict (§5.3). Overridden by a mutant. */
  protected acceptEntries(prevIndex: number, entries: readonly LogEntry[]): number {
    return this.log.appendFromLeader(prevIndex, entries);
  }

  /**
   * A follower commits no further than the last entry this append vouched for: beyond it its log
   * may still differ from the leader's (Figure 2, AppendEntries rule 5). Overridden by a mutant.
   */
  protected followerCommit(leaderCommit: number, lastNew: number): number {
    return Math.min(leaderCommit, lastNew);
  }

  private handleHeartbeat(from: NodeId, m: Heartbeat): void {
    this.commitTo(Math.min(m.commit, this.log.lastIndex));
    const response: HeartbeatResponse = { type: 'heartbeat_response', term: this.term, context: m.context };
    this.send(from, response);
  }

  private handleSnapshot(from: NodeId, m: InstallSnapshot): void {
    const snap = m.snapshot;
    if (this.snapshotIsStale(snap)) {
      this.send(from, this.appendResponse(true, this.commit, 0, 0, 0));
      return;
    }
    if (this.log.matchTerm(snap.index, snap.term)) {
      // We hold the snapshot's last entry, so our log matches up to it: just commit that far.
      this.commitTo(snap.index);
      this.send(from, this.appendResponse(true, snap.index, 0, 0, 0));
      return;
    }
    this.log.restoreSnapshot(snap.index, snap.term);
    this.snapshot = snap;
    this.snapshotToPersist = snap;
    this.snapshotRevealed = true;
    this.stateMachine = KvStateMachine.fromSnapshot(snap.data);
    this.applied = snap.index;
    this.commit = snap.index;
    this.hardStateDirty = true;
    this.voters = [...snap.voters];
    this.configIndex = snap.index;
    this.send(from, this.appendResponse(true, snap.index, 0, 0, 0));
  }

  /** A snapshot no newer than what we committed holds nothing we lack. Overridden by a mutant. */
  protected snapshotIsStale(snap: Snapshot): boolean {
    return snap.index <= this.commit;
  }

  private commitTo(index: number): void {
    if (index > this.commit) {
      this.commit = index;
      this.hardStateDirty = true;
    }
  }

  private handleAppendResponse(from: NodeId, m: AppendEntriesResponse): void {
    const pr = this.progress.get(from);
    if (pr === undefined) return;
    pr.recentActive = true;
    if (!m.success) {
      let hint = m.conflictIndex;
      if (m.conflictTerm > 0) {
        const last = this.log.lastIndexOfTerm(m.conflictTerm);
        if (last > 0) hint = last + 1;
      }
      if (pr.rejected(m.rejectedIndex, hint)) this.appendDirty.add(from);
      return;
    }
    if (pr.state === 'snapshot' && m.matchIndex >= pr.pendingSnapshot) {
      pr.maybeUpdate(m.matchIndex);
      pr.becomeReplicate();
    } else if (pr.maybeUpdate(m.matchIndex)) {
      if (pr.state === 'probe') pr.becomeReplicate();
    } else {
      return;
    }
    const committedBefore = this.commit;
    // A new commit index goes to the followers with the next append or heartbeat, or at the next
    // tick (spreadCommit), as the Raft paper has it, not at once in appends of its own: under load
    // the next append follows within a round trip, and without the appends for the commit alone
    // (to every follower, each answered by a Ready) 3 nodes commit 19% more writes a second at
    // sync normal. A committed configuration change goes out at once: applying it may make this
    // leader step down, and the followers must still hear that it committed.
    if (this.maybeCommit() && committedBefore < this.configIndex && this.configIndex <= this.commit) this.broadcastPending = true;
    // Only when there is something to send: a dirty peer with nothing to send costs an empty
    // Ready, which a worker host posts across threads for nothing (once per round under load).
    if (pr.next <= this.log.lastIndex) this.appendDirty.add(from);
    if (from === this.leadTransferee && pr.match === this.log.lastIndex) this.sendTimeoutNow(from);
  }

  private handleHeartbeatResponse(from: NodeId, m: HeartbeatResponse): void {
    const pr = this.progress.get(from);
    if (pr === undefined) return;
    pr.recentActive = true;
    if (m.context > pr.ackedContext) {
      pr.ackedContext = m.context;
      this.reads.acknowledged(from, m.context);
    }
    if (pr.state === 'probe') {
      pr.probeSent = false; // the probe or its answer was lost: try again once per heartbeat
    } else if (pr.hasInflight() || pr.state === 'snapshot') {
      // Appends (or a snapshot) outstanding while the follower answers heartbeats but not them:
      // they were lost. Fall back to probing, which resends from the follower's match.
      if (++pr.stalledHeartbeats >= 2) pr.becomeProbe();
    }
    if (pr.match < this.log.lastIndex || pr.sentCommit < this.commit) this.appendDirty.add(from);
    this.confirmReadRounds();
  }

  // ---------------------------------------------------------------------------------------------
  // Leader: replication and commitment

  private appendEntry(data: LogEntry['data']): number {
    const index = this.log.lastIndex + 1;
    this.log.append({ index, term: this.term, data });
    this.broadcastPending = true;
    return index;
  }

  /**
   * Advances the commit index to the highest index a majority holds, but only if that entry is from
   * the current term: an entry of an earlier term may be on a majority and still be overwritten
   * (Raft paper §5.4.2 and its Figure 8). Overridden by a mutant that drops the term check.
   */
  protected maybeCommit(): boolean {
    const index = this.quorumMatch();
    if (index > this.commit && this.log.term(index) === this.term) {
      this.advanceCommit(index);
      return true;
    }
    return false;
  }

  private readonly matchOf = (id: NodeId): number => (id === this.id ? this.log.lastIndex : (this.progress.get(id)?.match ?? 0));

  protected quorumMatch(): number {
    return committedIndex(this.voters, this.matchOf);
  }

  protected advanceCommit(index: number): void {
    this.commitTo(index);
    if (!this.committedInTerm && this.log.term(this.commit) === this.term) {
      this.committedInTerm = true;
      this.reads.termCommitted();
    }
  }

  /** The last append built in this Ready (see sendAppend); cleared when the Ready is handed out. */
  private sharedAppend: AppendEntries | null = null;

  private send(to: NodeId, body: RaftMessage): void {
    this.messages.push({ src: this.id, dest: to, body });
  }

  private sendAppend(to: NodeId): void {
    const pr = this.progress.get(to);
    if (pr === undefined) return;
    for (;;) {
      if (pr.isPaused(this.options.maxInflight)) return;
      const prevIndex = pr.next - 1;
      const prevTerm = this.log.term(prevIndex);
      if (prevTerm < 0) {
        this.sendSnapshot(to, pr);
        return;
      }
      const entries = this.log.slice(pr.next, this.log.lastIndex, this.options.maxEntriesPerMessage);
      if (entries.length === 0 && (pr.state === 'replicate' || pr.match === this.log.lastIndex) && pr.sentCommit >= this.commit) return;
      const commitOnly = entries.length === 0 && pr.state === 'replicate';
      // Followers in step get the very same append: one body object, which a host serializes once.
      const shared = this.sharedAppend;
      const message: AppendEntries =
        shared !== null && shared.prevIndex === prevIndex && shared.entries.length === entries.length && shared.commit === this.commit && shared.commitOnly === commitOnly && shared.term === this.term
          ? shared
          : { type: 'append_entries', term: this.term, prevIndex, prevTerm, entries, commit: this.commit, commitOnly };
      this.sharedAppend = message;
      this.send(to, message);
      pr.sentCommit = this.commit;
      if (entries.length === 0) {
        if (pr.state === 'probe') pr.probeSent = true;
        return;
      }
      pr.sentEntries((entries[entries.length - 1] as LogEntry).index);
      if (pr.state !== 'replicate') return;
    }
  }

  private sendSnapshot(to: NodeId, pr: Progress): void {
    const snapshot = this.snapshot;
    if (snapshot === null) return;
    pr.becomeSnapshot(snapshot.index);
    const message: InstallSnapshot = { type: 'install_snapshot', term: this.term, snapshot };
    this.send(to, message);
  }

  private sendTimeoutNow(to: NodeId): void {
    this.send(to, { type: 'timeout_now', term: this.term });
  }

  private bcastHeartbeat(): void {
    const context = this.reads.nextContext(this.ticks);
    for (const [peer, pr] of this.progress) {
      const message: Heartbeat = { type: 'heartbeat', term: this.term, commit: Math.min(pr.match, this.commit), context };
      this.send(peer, message);
      pr.sentCommit = Math.max(pr.sentCommit, message.commit);
    }
    if (this.reads.waiting()) {
      this.reads.startRound(context, this.commit);
      this.confirmReadRounds();
    }
  }

  private hasActiveQuorum(): boolean {
    let active = this.isPromotable() ? 1 : 0;
    for (const peer of this.voters) {
      const pr = this.progress.get(peer);
      if (pr === undefined) continue;
      if (pr.recentActive) active++;
      pr.recentActive = false;
    }
    return active >= quorumSize(this.voters.length);
  }

  // ---------------------------------------------------------------------------------------------
  // Clients, reads and operator commands

  private clientError(clientId: number, seq: number, error: Extract<ClientReply, { ok: false }>['error'], definite: boolean, message: string): ClientReply {
    return { kind: 'client', clientId, seq, ok: false, error, definite, leaderHint: this.leader === this.id ? null : this.leader, message };
  }

  private handleClientRequest(request: ClientRequest): void {
    if (this.role !== 'leader') {
      const where = this.leader === null ? 'no leader is known' : `the leader is ${this.leader}`;
      this.replies.push(this.clientError(request.clientId, request.seq, 'not_leader', true, `${this.id} is not the leader; ${where}`));
      return;
    }
    if (this.leadTransferee !== null) {
      this.replies.push(this.clientError(request.clientId, request.seq, 'unavailable', true, `leadership is being transferred to ${this.leadTransferee}`));
      return;
    }
    if (request.op.f === 'read' && this.options.readMode !== 'log') {
      this.handleRead(request);
      return;
    }
    const index = this.appendEntry({ type: 'command', request });
    this.pendingProposals.set(index, { clientId: request.clientId, seq: request.seq });
    this.maybeCommit();
  }

  private handleRead(request: ClientRequest): void {
    if (this.options.readMode === 'local') {
      // No question whether it still leads, nor whether its commit index is this term's.
      this.reads.confirm(request, this.commit);
      return;
    }
    if (!this.committedInTerm) {
      this.reads.awaitTermCommit(request);
      return;
    }
    if ((this.options.readMode === 'lease' && this.leaseHolds()) || !this.readNeedsConfirmation()) {
      this.reads.confirm(request, this.commit);
      return;
    }
    this.reads.queue(request);
  }

  /** A ReadIndex read waits for a round of heartbeats that confirms this node still leads (§6.4). Overridden by a mutant. */
  protected readNeedsConfirmation(): boolean {
    return true;
  }

  /**
   * The lease holds while a majority answered heartbeats sent less than an election timeout ago:
   * none of them will vote for anyone else before that timeout runs out (see inLease), so no other
   * leader can exist yet. It assumes ticks run at the same rate everywhere, which is why it is an
   * option and ReadIndex is the default.
   */
  protected leaseHolds(): boolean {
    return this.reads.leaseHolds(this.voters, this.isPromotable(), this.ticks - this.options.electionTicks + 1, quorumSize(this.voters.length));
  }

  /** A transfer lets the transferee skip the followers' lease check: this term's lease proves nothing any more. Overridden by a mutant. */
  protected revokeLease(): void {
    this.reads.revokeLease();
  }

  private readonly ackedContextOf = (peer: NodeId): number | undefined => this.progress.get(peer)?.ackedContext;

  /** A round is confirmed once a majority answered a heartbeat sent no earlier than the round began. */
  private confirmReadRounds(): void {
    this.reads.confirmRounds(this.voters, this.isPromotable(), quorumSize(this.voters.length), this.ackedContextOf);
  }

  private serveConfirmedReads(): void {
    for (const request of this.reads.takeServable(this.applied)) {
      const key = (request.op as { key: string }).key;
      this.replies.push({ kind: 'client', clientId: request.clientId, seq: request.seq, ok: true, value: this.stateMachine.read(key) });
    }
  }

  private handleAdmin(request: AdminRequest): void {
    const reply = (ok: boolean, message: string): void => {
      this.replies.push({ kind: 'admin', requestId: request.requestId, ok, message });
    };
    const command = request.command;
    if (command.type === 'campaign') {
      if (this.role === 'leader') return reply(true, `${this.id} is already the leader`);
      if (!this.isPromotable()) return reply(false, `${this.id} is not a voting member`);
      this.campaign(this.options.preVote ? 'pre' : 'real');
      return reply(true, `${this.id} started an election`);
    }
    if (this.role !== 'leader') {
      return reply(false, `${this.id} is not the leader${this.leader ? `; ask ${this.leader}` : ''}`);
    }
    if (command.type === 'transfer_leadership') {
      if (command.to === this.id) return reply(true, `${this.id} is already the leader`);
      if (!this.voters.includes(command.to)) return reply(false, `${command.to} is not a voting member`);
      this.leadTransferee = command.to;
      this.revokeLease();
      this.electionElapsed = 0;
      const pr = this.progress.get(command.to) as Progress;
      if (pr.match === this.log.lastIndex) this.sendTimeoutNow(command.to);
      else this.appendDirty.add(command.to);
      return reply(true, `transferring leadership to ${command.to}`);
    }
    // Membership change, one server at a time (membership.ts): a change may start only when the
    // previous one committed, and only after this leader committed an entry of its own term (the
    // fix to the single-server change bug the thesis errata describe).
    if (!this.mayChangeMembership()) return reply(false, 'the new leader has not committed an entry of its term yet; try again');
    const inProgress = changeInProgress(this.configIndex, this.commit);
    if (inProgress !== null) return reply(false, inProgress);
    const voters = changedVoters(this.voters, command);
    if (typeof voters === 'string') return reply(false, voters);
    const index = this.appendEntry({ type: 'config', voters });
    this.pendingAdmin.set(index, request.requestId);
    this.applyConfig(voters, index);
    this.maybeCommit();
  }

  /** Only once this leader committed an entry of its term (the thesis errata). Overridden by a mutant. */
  protected mayChangeMembership(): boolean {
    return this.committedInTerm;
  }

  /** A configuration takes effect as soon as it is in the log, committed or not (thesis §4.1). */
  private applyConfig(voters: NodeId[], index: number): void {
    this.voters = voters;
    this.configIndex = index;
    if (this.role === 'leader') trackVoters(this.progress, voters, this.id, this.log.lastIndex + 1);
  }

  /** The latest configuration in the log (after a truncation it may be an older one again). */
  private refreshConfig(): void {
    const latest = lastConfigEntry(this.log, this.log.lastIndex);
    if (latest !== null) this.applyConfig([...latest.voters], latest.index);
    else this.applyConfig(this.snapshot ? [...this.snapshot.voters] : this.voters, this.log.snapshotIndex);
  }

  private votersAt(index: number): NodeId[] {
    const config = lastConfigEntry(this.log, index);
    if (config !== null) return [...config.voters];
    return this.snapshot ? [...this.snapshot.voters] : [...this.voters];
  }

  // ---------------------------------------------------------------------------------------------
  // Applying committed entries and compaction

  private applyCommitted(): void {
    let removedSelf = false;
    while (this.applied < this.commit) {
      const entry = this.log.entry(this.applied + 1) as LogEntry;
      this.applied++;
      const data = entry.data;
      if (data.type === 'command') {
        const request = data.request;
        const outcome = this.stateMachine.apply(request);
        let result: ClientReply;
        if (outcome.kind === 'stale') {
          result = this.clientError(request.clientId, request.seq, 'stale_request', true, `request ${request.seq} is older than client ${request.clientId}'s newest`);
        } else if (outcome.result.ok) {
          result = { kind: 'client', clientId: request.clientId, seq: request.seq, ok: true, value: outcome.result.value };
        } else {
          result = this.clientError(request.clientId, request.seq, 'cas_mismatch', true, outcome.result.message);
        }
        this.appliedOut.push({ entry, result });
        const pending = this.pendingProposals.get(entry.index);
        if (pending !== undefined) {
          this.pendingProposals.delete(entry.index);
          this.replies.push(result);
        }
      } else {
        this.appliedOut.push({ entry });
        if (data.type === 'config') {
          const requestId = this.pendingAdmin.get(entry.index);
          if (requestId !== undefined) {
            this.pendingAdmin.delete(entry.index);
            this.replies.push({ kind: 'admin', requestId, ok: true, message: `configuration committed at ${entry.index}: ${data.voters.join(', ')}` });
          }
          if (entry.index === this.configIndex && !data.voters.includes(this.id)) removedSelf = true;
        }
      }
    }
    if (removedSelf && this.role === 'leader') {
      // A leader that removed itself leads until the change commits, then steps aside (thesis §4.2.2).
      this.becomeFollower(this.term, null);
    }
    this.maybeSnapshot();
  }

  private maybeSnapshot(): void {
    const interval = this.options.snapshotInterval;
    if (interval <= 0 || this.applied - this.log.snapshotIndex < interval) return;
    const snapshot: Snapshot = {
      index: this.applied,
      term: this.log.term(this.applied),
      voters: this.votersAt(this.applied),
      data: this.stateMachine.snapshot(),
    };
    this.log.compactTo(snapshot.index, snapshot.term);
    this.snapshot = snapshot;
    this.snapshotToPersist = snapshot;
  }

  // ---------------------------------------------------------------------------------------------
  // Ready

  hasReady(): boolean {
    return (
      this.messages.length > 0 ||
      this.replies.length > 0 ||
      this.hardStateDirty ||
      this.log.hasUnstable() ||
      this.snapshotToPersist !== null ||
      this.commit > this.applied ||
      this.broadcastPending ||
      this.appendDirty.size > 0 ||
      (this.role === 'leader' && this.reads.needsRound()) ||
      this.reads.servable(this.applied)
    );
  }

  /** What goes to disk for the hard state. Overridden by a mutant that "forgets" its vote. */
  protected hardStateToPersist(): HardState {
    return { term: this.term, vote: this.vote, commit: this.commit };
  }

  ready(): Ready {
    // The leader's appends go out before applying: applying may make a leader that removed itself
    // step down, and the followers must still hear that the change committed.
    if (this.role === 'leader') {
      if (this.reads.waiting()) {
        if (this.voters.length === 1 && this.isPromotable()) {
          this.reads.confirmAll(this.commit);
          this.serveConfirmedReads();
        } else if (this.reads.needsRound()) {
          // One confirmation round at a time: reads that arrive while one is out wait for the next,
          // so a busy leader sends one heartbeat round per round trip, not one per read.
          this.heartbeatElapsed = 0;
          this.bcastHeartbeat();
        }
      }
      if (this.broadcastPending) {
        for (const peer of this.progress.keys()) this.sendAppend(peer);
      } else {
        for (const peer of this.appendDirty) this.sendAppend(peer);
      }
    }
    this.broadcastPending = false;
    this.sharedAppend = null;
    // Set.clear() reallocates the table even when empty; on this hot path only clear what is there.
    if (this.appendDirty.size > 0) this.appendDirty.clear();
    this.applyCommitted();
    this.serveConfirmedReads();

    let persist: PersistBatch | null = null;
    let persistFirst = false;
    const logWrite = this.log.takeUnstable();
    if (this.snapshotToPersist !== null || logWrite !== null || this.hardStateDirty) {
      persist = {};
      if (this.snapshotToPersist !== null) persist.snapshot = this.snapshotToPersist;
      if (logWrite !== null) persist.log = logWrite;
      if (this.hardStateDirty) {
        const hardState = this.hardStateToPersist();
        persist.hardState = hardState;
        persistFirst = hardState.term !== this.durableTerm || hardState.vote !== this.durableVote;
        this.durableTerm = hardState.term;
        this.durableVote = hardState.vote;
      }
      // A follower's acknowledgement reveals its new entries; a leader's appends reveal nothing a
      // crash could make it contradict, as long as it counts itself only after the write. A leader
      // that needs no one else (one voter) commits its new entries at once: those wait for the disk.
      if (this.snapshotRevealed || (logWrite !== null && (this.role !== 'leader' || this.commit >= logWrite.from))) persistFirst = true;
    }
    this.snapshotToPersist = null;
    this.snapshotRevealed = false;
    this.hardStateDirty = false;

    // Most Readies carry few kinds of output: hand out one shared empty array for the rest rather
    // than allocating three fresh ones per step (this is the simulator's hot path).
    const ready: Ready = { persist, persistFirst, messages: this.messages, applied: this.appliedOut, replies: this.replies };
    if (this.messages.length > 0) this.messages = [];
    if (this.appliedOut.length > 0) this.appliedOut = [];
    if (this.replies.length > 0) this.replies = [];
    if (ready.messages.length === 0) ready.messages = NO_MESSAGES;
    if (ready.applied.length === 0) ready.applied = NO_APPLIED;
    if (ready.replies.length === 0) ready.replies = NO_REPLIES;
    return ready;
  }

  // ---------------------------------------------------------------------------------------------
  // Inspection (for the UI, tests and monitors; never used to drive the algorithm)

  private lastStatus: LogNodeStatus | null = null;

  /**
   * Hosts ask after every Ready, and most Readies change nothing here: the same object comes back
   * until a field changes, then a new one (never mutated in place, so holders may compare).
   */
  status(): LogNodeStatus {
    const s = this.lastStatus;
    if (
      s !== null &&
      s.role === this.role &&
      s.term === this.term &&
      s.leader === this.leader &&
      s.votedFor === this.vote &&
      s.commit === this.commit &&
      s.applied === this.applied &&
      s.lastIndex === this.log.lastIndex &&
      s.snapshotIndex === this.log.snapshotIndex &&
      s.voters === this.voters
    ) {
      return s;
    }
    this.lastStatus = {
      id: this.id,
      role: this.role,
      term: this.term,
      leader: this.leader,
      votedFor: this.vote,
      commit: this.commit,
      applied: this.applied,
      lastIndex: this.log.lastIndex,
      snapshotIndex: this.log.snapshotIndex,
      // Never mutated in place (a new configuration is a new array), so it can be shared.
      voters: this.voters,
    };
    return this.lastStatus;
  }

  /** Entries in [from, to] that are still in the log (compacted ones are in the snapshot). */
  entries(from = this.log.firstIndex, to = this.log.lastIndex): LogEntry[] {
    return this.log.slice(Math.max(from, this.log.firstIndex), to);
  }

  termAt(index: number): number {
    return this.log.term(index);
  }

  read(key: string): KvValue {
    return this.stateMachine.read(key);
  }

  keyValues(): Array<[string, KvValue]> {
    return [...this.stateMachine.entries()];
  }

  inspect(): NodeDetail {
    return { progress: this.peerProgress() };
  }

  peerProgress(): PeerProgress[] {
    return [...this.progress].map(([peer, pr]) => ({ peer, match: pr.match, next: pr.next, state: pr.state }));
  }
}

export type RaftNodeClass = new (context: NodeContext<RaftOptions>, persisted: PersistedState) => RaftNode;

/** Builds the Raft algorithm around a node class, so tests can plug in a mutant subclass. */
export function makeRaftAlgorithm(nodeClass: RaftNodeClass, name = 'raft'): Algorithm<RaftOptions, RaftNode> {
  return {
    name,
    title: RAFT_TITLE,
    summary: RAFT_SUMMARY,
    options: RAFT_OPTION_FIELDS,
    defaultOptions: defaultRaftOptions,
    status: RAFT_STATUS_FIELDS,
    messages: RAFT_MESSAGES,
    actions: RAFT_ACTIONS,
    membership: true,
    roleLabels: { precandidate: 'candidate (pre-vote)' },
    leaderTimeoutOption: 'electionTicks',
    // Local reads may be stale; what every replica ends with still agrees once faults heal.
    promises: (options: RaftOptions) => (options.readMode === 'local' ? 'convergent' : 'linearizable'),
    createMonitor: createRaftMonitor,
    randomOptions: randomRaftOptions,
    describeMessage: describeRaftMessage,
    scenarioDefaults: RAFT_SCENARIO_DEFAULTS,
    create: (context, persisted) => new nodeClass(context, persisted),
  };
}

export const raftAlgorithm = makeRaftAlgorithm(RaftNode);
