// Multi-Paxos (Lamport, "Paxos Made Simple" §3; the leader-based variant of "Paxos Made Live"),
// as a deterministic state machine: every node is proposer, acceptor and learner at once.
//
// A proposer runs phase 1 once per leadership, for every slot from its first unchosen one, and then
// phase 2 per slot for as long as nobody promises a higher ballot. Values are learned from `chosen`
// messages; a lagging or restarted node is caught up by the leader from its heartbeat answers.
//
// Layout: inputs and ticks, phase 1 (campaign, promises, recovery), phase 2 (propose, accept,
// choose), learning and catch-up, clients and reads, stepping down, Ready assembly.
// The methods a mutant test overrides to inject a known bug are `protected`.

import type { AdminRequest, ClientReply, ClientRequest, EntryData, LogEntry, NodeId, Reply, Snapshot } from '../../shared/protocol.ts';
import type { KvValue } from '../../shared/history.ts';
import type { Algorithm, ConsensusRole, LogNodeStatus, AppliedEntry, ConsensusNode, Envelope, Input, NodeContext, NodeDetail, PersistBatch, PersistedState, Ready, Rng } from '../types.ts';
import { KvStateMachine } from '../kv/state-machine.ts';
import { Acceptor, PROMISED_RECORD } from './acceptor.ts';
import { ballotAbove, ballotEquals, formatBallot, nextBallot, ZERO_BALLOT, type Ballot } from './ballot.ts';
import { ChosenLog } from './learner.ts';
import type { Accept, Accepted, AcceptedValue, Chosen, ChosenValue, Heartbeat, HeartbeatAck, MultiPaxosMessage, Prepare, PromiseMessage, Reject, SlotValue, SnapshotMessage } from './messages.ts';
import { defaultMultiPaxosOptions, leaseTicks, type MultiPaxosOptions } from './options.ts';
import { groupBySlot, recoveredValue } from './recovery.ts';
import { describeMultiPaxosMessage, MULTIPAXOS_ACTIONS, MULTIPAXOS_MESSAGES, MULTIPAXOS_OPTION_FIELDS, MULTIPAXOS_SCENARIO_DEFAULTS, MULTIPAXOS_STATUS_FIELDS, MULTIPAXOS_SUMMARY, MULTIPAXOS_TITLE, randomMultiPaxosOptions } from './descriptor.ts';
import { createMultiPaxosMonitor } from './monitors.ts';
import { formatEntryData } from '../describe.ts';

interface Proposal {
  value: EntryData;
  acks: Set<NodeId>;
}

/** What only a leader sends, none of it revealing its own promise or accepts. */
const LEADER_MESSAGES: ReadonlySet<string> = new Set(['accept', 'chosen', 'heartbeat']);

/** A client request this node answers once it is applied; `slot` is where it was proposed, if anywhere. */
interface Waiter {
  request: ClientRequest;
  slot: number | null;
}

interface PeerState {
  /** The peer's first-gap-minus-one, as it last said. */
  commit: number;
  /** The leader's tick at the newest heartbeat the peer acknowledged: what dates the read lease. */
  leaseTick: number;
  /** When the leader last heard anything from it in its ballot. */
  heardTick: number;
  snapshotSentTick: number;
}

interface LeaseRead {
  readIndex: number;
  request: ClientRequest;
}

const NEVER = -1_000_000_000;

function quorumSize(voters: number): number {
  return Math.floor(voters / 2) + 1;
}

function holdsRequest(value: EntryData, request: ClientRequest): boolean {
  return value.type === 'command' && value.request.clientId === request.clientId && value.request.seq === request.seq;
}

export class MultiPaxosNode implements ConsensusNode {
  readonly id: NodeId;
  protected readonly options: MultiPaxosOptions;
  private readonly rng: Rng;
  private readonly voters: readonly NodeId[];

  // Durable: the acceptor's records, and the chosen log with its snapshot.
  protected readonly acceptor: Acceptor;
  protected readonly learned: ChosenLog;
  private snapshotToPersist: Snapshot | null = null;

  private stateMachine: KvStateMachine;
  private applied: number;

  protected role: ConsensusRole = 'follower';
  protected leader: NodeId | null = null;
  /** This node's own ballot while it is candidate or leader. */
  protected ballot: Ballot = ZERO_BALLOT;
  private highestRound: number;

  private ticks = 0;
  private electionElapsed = 0;
  private heartbeatElapsed = 0;
  private randomizedElectionTimeout = 0;
  /** Phase 1 is not retried before this tick (the backoff after a rejection). */
  private retryAtTick = 0;
  private rejections = 0;
  /**
   * With lease reads, a restarted node has forgotten whose lease it was part of: it refuses other
   * proposers until a full election timeout has passed, as if it had just heard a leader.
   */
  private leaseGuardUntilTick = 0;

  // Candidate.
  private prepareFrom = 0;
  private readonly promises = new Map<NodeId, PromiseMessage>();
  private readonly refusals = new Set<NodeId>();

  // Leader.
  private nextSlot = 1;
  /** The last slot phase 1 recovered: reads wait until everything up to it is chosen. */
  private recoveredUpTo = 0;
  private readonly proposals = new Map<number, Proposal>();
  private readonly peers = new Map<NodeId, PeerState>();
  private outgoingAccepts: SlotValue[] = [];
  private newlyChosen: ChosenValue[] = [];
  private leaseReads: LeaseRead[] = [];

  private readonly waiting = new Map<number, Waiter>();

  private messages: Envelope[] = [];
  private replies: Reply[] = [];
  private appliedOut: AppliedEntry[] = [];

  constructor(context: NodeContext<MultiPaxosOptions>, persisted: PersistedState) {
    this.id = context.id;
    this.options = context.options;
    this.rng = context.rng;
    this.acceptor = Acceptor.restore(persisted.records);
    let snapshot = persisted.snapshot;
    const fresh = snapshot === null && persisted.entries.length === 0 && persisted.records.size === 0;
    if (snapshot === null) {
      // A brand-new member writes down who the voters are before anything else, as Raft does, so
      // that a restart before the first ballot still knows its cluster.
      snapshot = { index: 0, term: 0, voters: [...context.bootstrapVoters], data: { kv: [], sessions: [] } };
      if (context.bootstrapVoters.length > 0) this.snapshotToPersist = snapshot;
    }
    this.learned = new ChosenLog(snapshot, persisted.entries);
    this.voters = [...snapshot.voters];
    this.stateMachine = KvStateMachine.fromSnapshot(snapshot.data);
    this.applied = snapshot.index;
    let highestRound = this.acceptor.promised.round;
    for (const accepted of this.acceptor.acceptedFrom(0)) highestRound = Math.max(highestRound, accepted.ballot.round);
    this.highestRound = highestRound;
    if (!fresh && this.leasesInForce()) this.leaseGuardUntilTick = this.options.electionTicks;
    this.resetElectionTimer();
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs

  step(input: Input): void {
    switch (input.kind) {
      case 'tick':
        this.ticks++;
        if (!this.isMember()) return;
        if (this.role === 'leader') this.tickLeader();
        else if (this.role === 'candidate') this.tickCandidate();
        else this.tickFollower();
        return;
      case 'message':
        if (this.isMember()) this.stepMessage(input.envelope.src, input.envelope.body as MultiPaxosMessage);
        return;
      case 'client':
        this.handleClientRequest(input.request);
        return;
      case 'admin':
        this.handleAdmin(input.request);
        return;
    }
  }

  private isMember(): boolean {
    return this.voters.includes(this.id);
  }

  private quorum(): number {
    return quorumSize(this.voters.length);
  }

  private leasesInForce(): boolean {
    return this.options.stableLeader && this.options.leaseReads;
  }

  private resetElectionTimer(): void {
    this.electionElapsed = 0;
    this.heartbeatElapsed = 0;
    const base = this.options.electionTicks;
    this.randomizedElectionTimeout = base + this.rng.int(0, base);
  }

  private tickFollower(): void {
    this.electionElapsed++;
    if (this.ticks < this.retryAtTick) return;
    if (this.options.stableLeader) {
      if (this.electionElapsed >= this.randomizedElectionTimeout) this.campaign();
    } else if (this.hasUnproposedRequests()) {
      this.campaign();
    }
  }

  private tickCandidate(): void {
    this.electionElapsed++;
    this.heartbeatElapsed++;
    if (this.options.stableLeader && this.electionElapsed >= this.randomizedElectionTimeout) {
      this.campaign();
      return;
    }
    if (this.heartbeatElapsed >= this.options.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      const prepare: Prepare = { type: 'prepare', ballot: this.ballot, fromSlot: this.prepareFrom };
      for (const peer of this.voters) if (peer !== this.id && !this.promises.has(peer) && !this.refusals.has(peer)) this.send(peer, prepare);
    }
  }

  private tickLeader(): void {
    this.electionElapsed++;
    this.heartbeatElapsed++;
    if (this.options.stableLeader && this.electionElapsed >= this.options.electionTicks) {
      this.electionElapsed = 0;
      if (!this.hasActiveQuorum()) {
        // Cut off from the majority: nothing it proposes can be chosen, and its clients should go
        // and find the leader the others elect.
        this.stepDown(false);
        return;
      }
    }
    if (this.heartbeatElapsed >= this.options.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      if (this.options.stableLeader) this.broadcastHeartbeat();
      this.resendOpenAccepts();
    }
  }

  private hasActiveQuorum(): boolean {
    let active = 1;
    for (const pr of this.peers.values()) if (pr.heardTick > this.ticks - this.options.electionTicks) active++;
    return active >= this.quorum();
  }

  /** With lease reads, a follower refuses other proposers while its leader's lease may hold. */
  private defersToLease(proposer: NodeId): NodeId | null | false {
    if (!this.leasesInForce()) return false;
    if (this.ticks < this.leaseGuardUntilTick) return this.leader;
    if (this.role === 'follower' && this.leader !== null && this.leader !== proposer && this.electionElapsed < this.options.electionTicks) return this.leader;
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // Phase 1

  private campaign(): void {
    if (!this.isMember()) return;
    if (this.role === 'leader') this.stepDown(false);
    this.highestRound = Math.max(this.highestRound, this.acceptor.promised.round);
    this.ballot = nextBallot(this.highestRound, this.id);
    this.highestRound = this.ballot.round;
    this.acceptor.promise(this.ballot);
    this.role = 'candidate';
    if (this.options.stableLeader) this.leader = null;
    this.prepareFrom = this.learned.commit + 1;
    this.promises.clear();
    this.refusals.clear();
    this.resetElectionTimer();
    const prepare: Prepare = { type: 'prepare', ballot: this.ballot, fromSlot: this.prepareFrom };
    for (const peer of this.voters) if (peer !== this.id) this.send(peer, prepare);
    this.maybeWinPhase1();
  }

  private handlePrepare(from: NodeId, m: Prepare): void {
    const deferTo = this.defersToLease(from);
    if (deferTo !== false) {
      this.send(from, this.reject(m.ballot, deferTo));
      return;
    }
    if (!this.acceptor.promise(m.ballot)) {
      this.send(from, this.reject(m.ballot, null));
      return;
    }
    this.noteRound(m.ballot);
    if (this.role !== 'follower' && ballotAbove(m.ballot, this.ballot)) this.stepDown(false);
    if (this.options.stableLeader && from !== this.leader) {
      // Give the candidate a full timeout to finish before competing with it.
      this.leader = null;
      this.electionElapsed = 0;
    }
    this.send(from, this.promiseFor(m));
  }

  private promiseFor(m: Prepare): PromiseMessage {
    const snapshot = m.fromSlot <= this.learned.snapshotIndex && this.learned.snapshotIndex > 0 ? this.learned.snapshot : null;
    const from = Math.max(m.fromSlot, this.learned.snapshotIndex + 1);
    const chosen = this.learned.chosenFrom(from);
    const known = new Set(chosen.map((c) => c.slot));
    const accepted = this.acceptor.acceptedFrom(from).filter((a) => !known.has(a.slot));
    return { type: 'promise', ballot: m.ballot, fromSlot: m.fromSlot, accepted, chosen, snapshot, commit: this.learned.commit };
  }

  private handlePromise(from: NodeId, m: PromiseMessage): void {
    if (!ballotEquals(m.ballot, this.ballot)) return;
    if (this.role === 'leader') {
      // Late: the majority already answered. What it reports changes nothing (see becomeLeader).
      this.peerState(from).commit = m.commit;
      return;
    }
    if (this.role !== 'candidate') return;
    if (m.snapshot !== null && m.snapshot.index > this.learned.commit) this.installSnapshot(m.snapshot);
    for (const chosen of m.chosen) this.learnChosen(chosen);
    this.promises.set(from, m);
    this.maybeWinPhase1();
  }

  private maybeWinPhase1(): void {
    if (this.role === 'candidate' && this.promises.size + 1 >= this.quorum()) this.becomeLeader();
  }

  /**
   * Phase 1 is done: every slot from the first unchosen one up to the highest any promise
   * mentions is proposed again in this ballot, with the value recoverValue picks.
   */
  private becomeLeader(): void {
    this.role = 'leader';
    this.leader = this.id;
    this.rejections = 0;
    this.resetElectionTimer();
    this.proposals.clear();
    this.peers.clear();
    this.outgoingAccepts = [];
    this.leaseReads = [];
    for (const peer of this.voters) {
      if (peer === this.id) continue;
      const promise = this.promises.get(peer);
      this.peers.set(peer, { commit: promise?.commit ?? 0, leaseTick: NEVER, heardTick: promise === undefined ? NEVER : this.ticks, snapshotSentTick: NEVER });
    }
    const start = this.learned.commit + 1;
    const reports: AcceptedValue[] = this.acceptor.acceptedFrom(start);
    for (const promise of this.promises.values()) for (const a of promise.accepted) if (a.slot >= start) reports.push(a);
    const bySlot = groupBySlot(reports);
    let highest = this.learned.highestKnown;
    for (const slot of bySlot.keys()) highest = Math.max(highest, slot);
    for (let slot = start; slot <= highest; slot++) {
      if (this.learned.isChosen(slot)) continue;
      const value = this.recoverValue(slot, bySlot.get(slot) ?? []);
      this.propose(slot, value);
      // A dueling proposer finds its own earlier proposal among the recovered values: it waits
      // for that slot instead of proposing the request a second time.
      const waiter = value.type === 'command' ? this.waiting.get(value.request.clientId) : undefined;
      if (waiter !== undefined && waiter.slot === null && holdsRequest(value, waiter.request)) waiter.slot = slot;
    }
    this.nextSlot = highest + 1;
    this.recoveredUpTo = highest;
    this.promises.clear();
    if (this.options.stableLeader) this.broadcastHeartbeat();
    for (const waiter of this.waiting.values()) if (waiter.slot === null) this.proposeRequest(waiter);
  }

  /** The value phase 1 obliges this leader to propose in `slot`. Overridden by a mutant that ignores it. */
  protected recoverValue(_slot: number, reports: readonly AcceptedValue[]): EntryData {
    return recoveredValue(reports);
  }

  // ---------------------------------------------------------------------------------------------
  // Phase 2

  private propose(slot: number, value: EntryData): void {
    this.acceptor.accept(slot, this.ballot, value);
    this.proposals.set(slot, { value, acks: new Set([this.id]) });
    this.outgoingAccepts.push({ slot, value });
    this.maybeChoose(slot);
  }

  private proposeRequest(waiter: Waiter): void {
    const slot = this.nextSlot++;
    waiter.slot = slot;
    this.propose(slot, { type: 'command', request: waiter.request });
  }

  /** Whether an acceptor may accept in `ballot`. Overridden by a mutant that accepts below its promise. */
  protected canAccept(ballot: Ballot): boolean {
    return this.acceptor.allows(ballot);
  }

  private handleAccept(from: NodeId, m: Accept): void {
    if (!this.canAccept(m.ballot)) {
      this.send(from, this.reject(m.ballot, null));
      return;
    }
    // Accepting in a ballot promises it too, even when every slot is already in our log.
    this.acceptor.promise(m.ballot);
    this.followProposer(from, m.ballot);
    const slots: number[] = [];
    for (const entry of m.entries) {
      // A slot already in our log is chosen: the proposer's value there can only be the chosen one.
      if (entry.slot > this.learned.commit) this.acceptor.accept(entry.slot, m.ballot, entry.value);
      slots.push(entry.slot);
    }
    const reply: Accepted = { type: 'accepted', ballot: m.ballot, slots, commit: this.learned.commit };
    this.send(from, reply);
  }

  private handleAccepted(from: NodeId, m: Accepted): void {
    if (this.role !== 'leader' || !ballotEquals(m.ballot, this.ballot)) return;
    const pr = this.peerState(from);
    pr.heardTick = this.ticks;
    pr.commit = m.commit;
    for (const slot of m.slots) {
      const proposal = this.proposals.get(slot);
      if (proposal === undefined) continue;
      proposal.acks.add(from);
      this.maybeChoose(slot);
    }
  }

  private maybeChoose(slot: number): void {
    const proposal = this.proposals.get(slot);
    if (proposal === undefined || proposal.acks.size < this.quorum()) return;
    this.proposals.delete(slot);
    const chosen: ChosenValue = { slot, round: this.ballot.round, value: proposal.value };
    this.newlyChosen.push(chosen);
    this.learnChosen(chosen);
  }

  private resendOpenAccepts(): void {
    if (this.proposals.size === 0) return;
    for (const peer of this.voters) {
      if (peer === this.id) continue;
      const missing: SlotValue[] = [];
      for (const [slot, proposal] of this.proposals) if (!proposal.acks.has(peer)) missing.push({ slot, value: proposal.value });
      for (const chunk of this.chunks(missing)) this.send(peer, { type: 'accept', ballot: this.ballot, entries: chunk } satisfies Accept);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Learning and catch-up

  private learnChosen(chosen: ChosenValue): void {
    if (chosen.slot <= this.learned.commit) return;
    this.proposals.delete(chosen.slot);
    if (!this.learned.learn({ index: chosen.slot, term: chosen.round, data: chosen.value })) return;
    for (const [clientId, waiter] of this.waiting) {
      if (waiter.slot === chosen.slot && !holdsRequest(chosen.value, waiter.request)) this.lostSlot(clientId, waiter);
    }
  }

  /** Another value took the slot this node proposed a client's request in. */
  private lostSlot(clientId: number, waiter: Waiter): void {
    if (this.options.stableLeader) {
      this.waiting.delete(clientId);
      this.replies.push(this.clientError(waiter.request, 'leadership_lost', false, `slot ${waiter.slot} was chosen with another value`));
      return;
    }
    waiter.slot = null;
    if (this.role === 'leader') this.proposeRequest(waiter);
  }

  private handleChosen(m: Chosen): void {
    this.noteRound(m.ballot);
    if (this.role !== 'follower' && ballotAbove(m.ballot, this.ballot)) this.stepDown(false);
    for (const chosen of m.entries) this.learnChosen(chosen);
  }

  private broadcastHeartbeat(): void {
    const heartbeat: Heartbeat = { type: 'heartbeat', ballot: this.ballot, commit: this.learned.commit, tick: this.ticks };
    for (const peer of this.voters) if (peer !== this.id) this.send(peer, heartbeat);
  }

  private handleHeartbeat(from: NodeId, m: Heartbeat): void {
    if (!this.acceptor.allows(m.ballot)) {
      this.send(from, this.reject(m.ballot, null));
      return;
    }
    this.followProposer(from, m.ballot);
    const ack: HeartbeatAck = { type: 'heartbeat_ack', ballot: m.ballot, commit: this.learned.commit, tick: m.tick };
    this.send(from, ack);
  }

  /** Accepts and heartbeats in a ballot we allow come from the proposer to follow. */
  private followProposer(from: NodeId, ballot: Ballot): void {
    this.noteRound(ballot);
    if (this.role !== 'follower' && ballotAbove(ballot, this.ballot)) this.stepDown(false);
    if (this.role !== 'follower') return;
    this.leader = from;
    this.electionElapsed = 0;
  }

  private handleHeartbeatAck(from: NodeId, m: HeartbeatAck): void {
    if (this.role !== 'leader' || !ballotEquals(m.ballot, this.ballot)) return;
    const pr = this.peerState(from);
    pr.heardTick = this.ticks;
    pr.commit = m.commit;
    if (m.tick > pr.leaseTick) pr.leaseTick = m.tick;
    this.catchUp(from, pr);
  }

  /** Resends what a lagging peer has not learned: the chosen values, or the snapshot they went into. */
  private catchUp(peer: NodeId, pr: PeerState): void {
    if (pr.commit >= this.learned.commit) return;
    if (pr.commit < this.learned.snapshotIndex) {
      if (this.ticks - pr.snapshotSentTick < this.options.electionTicks) return;
      pr.snapshotSentTick = this.ticks;
      const message: SnapshotMessage = { type: 'snapshot', ballot: this.ballot, snapshot: this.learned.snapshot };
      this.send(peer, message);
      return;
    }
    const entries = this.learned.chosenRange(pr.commit + 1, Math.min(this.learned.commit, pr.commit + this.options.maxSlotsPerMessage));
    if (entries.length > 0) this.send(peer, { type: 'chosen', ballot: this.ballot, entries } satisfies Chosen);
  }

  private handleSnapshot(from: NodeId, m: SnapshotMessage): void {
    if (m.snapshot.index > this.learned.commit) this.installSnapshot(m.snapshot);
    const ack: HeartbeatAck = { type: 'heartbeat_ack', ballot: m.ballot, commit: this.learned.commit, tick: NEVER };
    this.send(from, ack);
  }

  private installSnapshot(snapshot: Snapshot): void {
    this.learned.install(snapshot);
    this.snapshotToPersist = snapshot;
    this.stateMachine = KvStateMachine.fromSnapshot(snapshot.data);
    this.applied = snapshot.index;
    this.acceptor.forgetUpTo(snapshot.index);
    for (const slot of [...this.proposals.keys()]) if (slot <= snapshot.index) this.proposals.delete(slot);
    // A request proposed in a slot the snapshot covers was applied there or lost it: proposing it
    // again is safe, since the store applies a (client, seq) once and answers a repeat as before.
    for (const waiter of this.waiting.values()) {
      if (waiter.slot !== null && waiter.slot <= snapshot.index) {
        waiter.slot = null;
        if (this.role === 'leader') this.proposeRequest(waiter);
      }
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Rejections and stepping down

  private reject(ballot: Ballot, leader: NodeId | null): Reject {
    return { type: 'reject', ballot, promised: this.acceptor.promised, leader };
  }

  private handleReject(from: NodeId, m: Reject): void {
    this.noteRound(m.promised);
    if (this.role === 'follower' || !ballotEquals(m.ballot, this.ballot)) return;
    if (ballotAbove(m.promised, this.ballot)) {
      this.stepDown(true);
      return;
    }
    // Refused for a leader's lease: give up once the refusals leave no majority to win.
    if (this.role !== 'candidate') return;
    this.refusals.add(from);
    if (this.voters.length - this.refusals.size < this.quorum()) {
      this.leader = m.leader;
      this.stepDown(true);
    }
  }

  /**
   * Leaves leadership or candidacy. With a stable leader, requests proposed in this ballot may
   * still be chosen by the next leader: their clients hear `leadership_lost`, indefinite. Dueling
   * proposers keep their requests and propose them again in their next ballot instead.
   */
  protected stepDown(rejected: boolean): void {
    const wasLeader = this.role === 'leader';
    this.role = 'follower';
    if (this.options.stableLeader && this.leader === this.id) this.leader = null;
    this.proposals.clear();
    this.outgoingAccepts = [];
    this.newlyChosen = [];
    this.peers.clear();
    this.promises.clear();
    this.refusals.clear();
    for (const read of this.leaseReads) this.replies.push(this.clientError(read.request, 'leadership_lost', true, 'the leader stepped down before the read was served'));
    this.leaseReads = [];
    for (const [clientId, waiter] of this.waiting) {
      if (this.options.stableLeader) {
        this.waiting.delete(clientId);
        const message = waiter.slot === null ? 'the proposer stepped down before proposing it' : `the leader stepped down with slot ${waiter.slot} in phase 2; it may still be chosen`;
        this.replies.push(this.clientError(waiter.request, waiter.slot === null ? 'not_leader' : 'leadership_lost', waiter.slot === null, message));
      } else {
        waiter.slot = null;
      }
    }
    this.resetElectionTimer();
    if (rejected) {
      this.rejections++;
      this.retryAtTick = this.ticks + (this.options.backoff ? this.backoffTicks() : 0);
      // Without backoff a rejected dueling proposer tries again at once: this is the livelock.
      if (!this.options.stableLeader && this.retryAtTick <= this.ticks && this.hasUnproposedRequests()) this.campaign();
    } else if (!this.options.stableLeader && (wasLeader || this.options.backoff)) {
      // Preempted by another proposer's prepare: let it work for a moment before competing again.
      this.retryAtTick = this.ticks + (this.options.backoff ? this.backoffTicks() : 1);
    }
  }

  /** Random and growing with each rejection in a row, so that two proposers stop colliding. */
  private backoffTicks(): number {
    const window = this.options.electionTicks * 2 ** Math.min(Math.max(this.rejections - 1, 0), 3);
    return this.rng.int(1, window + 1);
  }

  private noteRound(ballot: Ballot): void {
    if (ballot.round > this.highestRound) this.highestRound = ballot.round;
  }

  private hasUnproposedRequests(): boolean {
    for (const waiter of this.waiting.values()) if (waiter.slot === null) return true;
    return false;
  }

  // ---------------------------------------------------------------------------------------------
  // Messages

  private stepMessage(from: NodeId, m: MultiPaxosMessage): void {
    switch (m.type) {
      case 'prepare':
        return this.handlePrepare(from, m);
      case 'promise':
        return this.handlePromise(from, m);
      case 'accept':
        return this.handleAccept(from, m);
      case 'accepted':
        return this.handleAccepted(from, m);
      case 'reject':
        return this.handleReject(from, m);
      case 'chosen':
        return this.handleChosen(m);
      case 'heartbeat':
        return this.handleHeartbeat(from, m);
      case 'heartbeat_ack':
        return this.handleHeartbeatAck(from, m);
      case 'snapshot':
        return this.handleSnapshot(from, m);
    }
  }

  private send(to: NodeId, body: MultiPaxosMessage): void {
    this.messages.push({ src: this.id, dest: to, body });
  }

  private peerState(peer: NodeId): PeerState {
    let pr = this.peers.get(peer);
    if (pr === undefined) {
      pr = { commit: 0, leaseTick: NEVER, heardTick: NEVER, snapshotSentTick: NEVER };
      this.peers.set(peer, pr);
    }
    return pr;
  }

  private *chunks<T>(items: readonly T[]): Generator<T[]> {
    const size = this.options.maxSlotsPerMessage;
    for (let i = 0; i < items.length; i += size) yield items.slice(i, i + size);
  }

  // ---------------------------------------------------------------------------------------------
  // Clients, reads and operator commands

  private clientError(request: ClientRequest, error: Extract<ClientReply, { ok: false }>['error'], definite: boolean, message: string): ClientReply {
    return { kind: 'client', clientId: request.clientId, seq: request.seq, ok: false, error, definite, leaderHint: this.leader === this.id ? null : this.leader, message };
  }

  private handleClientRequest(request: ClientRequest): void {
    const waiter = this.waiting.get(request.clientId);
    if (waiter !== undefined) {
      if (waiter.request.seq === request.seq) return; // a retry of what is in progress: one answer comes
      if (waiter.request.seq > request.seq) {
        this.replies.push(this.clientError(request, 'stale_request', true, `request ${request.seq} is older than client ${request.clientId}'s newest`));
        return;
      }
      this.waiting.delete(request.clientId); // the client gave up on the older one
    }
    if (!this.isMember()) {
      this.replies.push(this.clientError(request, 'not_leader', true, `${this.id} is not a member`));
      return;
    }
    if (this.options.stableLeader) {
      if (this.role !== 'leader') {
        const where = this.leader === null || this.leader === this.id ? 'no leader is known' : `the leader is ${this.leader}`;
        this.replies.push(this.clientError(request, 'not_leader', true, `${this.id} is not the leader; ${where}`));
        return;
      }
      if (request.op.f === 'read' && this.options.leaseReads && this.leaseHolds()) {
        this.leaseReads.push({ readIndex: this.learned.commit, request });
        return;
      }
      const fresh: Waiter = { request, slot: null };
      this.waiting.set(request.clientId, fresh);
      this.proposeRequest(fresh);
      return;
    }
    const fresh: Waiter = { request, slot: null };
    this.waiting.set(request.clientId, fresh);
    if (this.role === 'leader') this.proposeRequest(fresh);
    else if (this.role === 'follower' && this.ticks >= this.retryAtTick) this.campaign();
  }

  /**
   * The lease holds while a majority (this leader included) acknowledged heartbeats sent less than
   * the lease ago: each of them refuses other proposers for a full election timeout after hearing
   * one (defersToLease), which is longer, so no other leader can have been chosen meanwhile. It
   * trusts that ticks run at the same rate everywhere, which is why it is an option.
   */
  protected leaseHolds(): boolean {
    if (this.role !== 'leader' || this.learned.commit < this.recoveredUpTo) return false;
    const horizon = this.ticks - leaseTicks(this.options);
    let holders = 1;
    for (const pr of this.peers.values()) if (pr.leaseTick > horizon) holders++;
    return holders >= this.quorum();
  }

  private handleAdmin(request: AdminRequest): void {
    const reply = (ok: boolean, message: string): void => {
      this.replies.push({ kind: 'admin', requestId: request.requestId, ok, message });
    };
    const command = request.command;
    if (command.type === 'campaign') {
      if (!this.isMember()) return reply(false, `${this.id} is not a member`);
      if (this.role === 'leader') return reply(true, `${this.id} is already the leader`);
      const deferTo = this.defersToLease(this.id);
      if (deferTo !== false) return reply(false, `${this.id} will not run phase 1 while ${deferTo ?? 'the last leader'}'s read lease may hold`);
      this.campaign();
      return reply(true, `${this.id} started phase 1 with ballot ${formatBallot(this.ballot)}`);
    }
    if (command.type === 'transfer_leadership') {
      return reply(false, `Multi-Paxos has no leadership transfer here; run campaign on ${command.to} instead`);
    }
    return reply(false, `this Multi-Paxos has fixed membership (${this.voters.join(', ')}): servers cannot be added or removed`);
  }

  // ---------------------------------------------------------------------------------------------
  // Applying, compaction and Ready

  private applyChosen(): void {
    while (this.applied < this.learned.commit) {
      const entry = this.learned.entry(this.applied + 1) as LogEntry;
      this.applied++;
      const data = entry.data;
      if (data.type !== 'command') {
        this.appliedOut.push({ entry });
        continue;
      }
      const request = data.request;
      const outcome = this.stateMachine.apply(request);
      let result: ClientReply;
      if (outcome.kind === 'stale') {
        result = this.clientError(request, 'stale_request', true, `request ${request.seq} is older than client ${request.clientId}'s newest`);
      } else if (outcome.result.ok) {
        result = { kind: 'client', clientId: request.clientId, seq: request.seq, ok: true, value: outcome.result.value };
      } else {
        result = this.clientError(request, 'cas_mismatch', true, outcome.result.message);
      }
      this.appliedOut.push({ entry, result });
      const waiter = this.waiting.get(request.clientId);
      if (waiter !== undefined && waiter.request.seq <= request.seq) {
        this.waiting.delete(request.clientId);
        if (waiter.request.seq === request.seq) this.replies.push(result);
      }
    }
    this.maybeCompact();
  }

  private serveLeaseReads(): void {
    if (this.leaseReads.length === 0) return;
    const later: LeaseRead[] = [];
    for (const read of this.leaseReads) {
      if (read.readIndex > this.applied) {
        later.push(read);
        continue;
      }
      const key = read.request.op.key;
      this.replies.push({ kind: 'client', clientId: read.request.clientId, seq: read.request.seq, ok: true, value: this.stateMachine.read(key) });
    }
    this.leaseReads = later;
  }

  private maybeCompact(): void {
    const interval = this.options.snapshotInterval;
    if (interval <= 0 || this.applied - this.learned.snapshotIndex < interval) return;
    const snapshot: Snapshot = { index: this.applied, term: this.learned.termAt(this.applied), voters: [...this.voters], data: this.stateMachine.snapshot() };
    this.learned.compact(snapshot);
    this.acceptor.forgetUpTo(snapshot.index);
    this.snapshotToPersist = snapshot;
  }

  hasReady(): boolean {
    return (
      this.messages.length > 0 ||
      this.replies.length > 0 ||
      this.outgoingAccepts.length > 0 ||
      this.newlyChosen.length > 0 ||
      this.acceptor.hasChanges() ||
      this.learned.hasUnstable() ||
      this.snapshotToPersist !== null ||
      this.applied < this.learned.commit ||
      (this.leaseReads.length > 0 && (this.leaseReads[0] as LeaseRead).readIndex <= this.learned.commit)
    );
  }

  ready(): Ready {
    if (this.role === 'leader') {
      for (const chunk of this.chunks(this.outgoingAccepts)) {
        const accept: Accept = { type: 'accept', ballot: this.ballot, entries: chunk };
        for (const peer of this.voters) if (peer !== this.id) this.send(peer, accept);
      }
      for (const chunk of this.chunks(this.newlyChosen)) {
        const chosen: Chosen = { type: 'chosen', ballot: this.ballot, entries: chunk };
        for (const peer of this.voters) if (peer !== this.id) this.send(peer, chosen);
      }
    }
    this.outgoingAccepts = [];
    this.newlyChosen = [];
    this.applyChosen();
    this.serveLeaseReads();

    let persist: PersistBatch | null = null;
    let persistFirst = true;
    const records = this.acceptor.takeRecords();
    const log = this.learned.takeUnstable();
    if (records !== null || log !== null || this.snapshotToPersist !== null) {
      persist = {};
      if (this.snapshotToPersist !== null) persist.snapshot = this.snapshotToPersist;
      if (log !== null) persist.log = log;
      if (records !== null) persist.records = records;
      // A leader's own accepts may be written while its accepts travel (as Raft's leader writes its
      // appends, thesis §10.2.1): an accept, a chosen or a heartbeat message reveals no promise or
      // accept of this acceptor, and with other voters no slot is chosen before their answers, which
      // the host feeds only once this write is done. A promise, an answer to another proposer or a
      // snapshot always goes to disk first; so does everything when this node is the only voter.
      persistFirst =
        this.role !== 'leader' ||
        this.voters.length === 1 ||
        this.snapshotToPersist !== null ||
        (records?.some(([key]) => key === PROMISED_RECORD) ?? false) ||
        this.messages.some((m) => !LEADER_MESSAGES.has(m.body.type));
    }
    this.snapshotToPersist = null;
    const ready: Ready = { persist, persistFirst, messages: this.messages, applied: this.appliedOut, replies: this.replies };
    this.messages = [];
    this.appliedOut = [];
    this.replies = [];
    return ready;
  }

  // ---------------------------------------------------------------------------------------------
  // Inspection (for the UI, scenarios and tests; never used to drive the algorithm)

  private lastStatus: LogNodeStatus | null = null;

  status(): LogNodeStatus {
    const term = this.acceptor.promised.round;
    const lastIndex = Math.max(this.acceptor.highestSlot, this.learned.commit);
    const s = this.lastStatus;
    if (s !== null && s.role === this.role && s.term === term && s.leader === this.leader && s.commit === this.learned.commit && s.applied === this.applied && s.lastIndex === lastIndex && s.snapshotIndex === this.learned.snapshotIndex) return s;
    this.lastStatus = { id: this.id, role: this.role, term, leader: this.leader, votedFor: null, commit: this.learned.commit, applied: this.applied, lastIndex, snapshotIndex: this.learned.snapshotIndex, voters: this.voters };
    return this.lastStatus;
  }

  inspect(): NodeDetail {
    return { progress: [...this.peers].map(([peer, pr]) => ({ peer, match: pr.commit, next: pr.commit + 1, state: this.proposals.size > 0 ? 'phase 2' : 'idle' })) };
  }

  /** The chosen log after the snapshot, then the slots known chosen past the first gap. */
  entries(): LogEntry[] {
    return this.learned.entries();
  }

  termAt(slot: number): number {
    return this.learned.termAt(slot);
  }

  read(key: string): KvValue {
    return this.stateMachine.read(key);
  }

  keyValues(): Array<[string, KvValue]> {
    return [...this.stateMachine.entries()];
  }

  /** The acceptor's durable state in one line: its promise and what it accepted past the log. */
  describeState(): string {
    const accepted = this.acceptor.acceptedFrom(this.learned.commit + 1).map((a) => `${a.slot}@${formatBallot(a.ballot)} ${formatEntryData(a.value)}`);
    return `promised=${formatBallot(this.acceptor.promised)} accepted: ${accepted.length === 0 ? '(none past the log)' : accepted.join(' | ')}`;
  }
}

export type MultiPaxosNodeClass = new (context: NodeContext<MultiPaxosOptions>, persisted: PersistedState) => MultiPaxosNode;

/** Builds Multi-Paxos around a node class, so tests can plug in a mutant subclass. */
export function makeMultiPaxosAlgorithm(nodeClass: MultiPaxosNodeClass, name = 'multipaxos'): Algorithm<MultiPaxosOptions, MultiPaxosNode> {
  return {
    name,
    title: MULTIPAXOS_TITLE,
    summary: MULTIPAXOS_SUMMARY,
    options: MULTIPAXOS_OPTION_FIELDS,
    defaultOptions: defaultMultiPaxosOptions,
    scenarioDefaults: MULTIPAXOS_SCENARIO_DEFAULTS,
    status: MULTIPAXOS_STATUS_FIELDS,
    messages: MULTIPAXOS_MESSAGES,
    actions: MULTIPAXOS_ACTIONS,
    membership: false,
    leaderTimeoutOption: 'electionTicks',
    promises: 'linearizable',
    createMonitor: createMultiPaxosMonitor,
    randomOptions: randomMultiPaxosOptions,
    describeMessage: describeMultiPaxosMessage,
    create: (context, persisted) => new nodeClass(context, persisted),
  };
}

export const multiPaxosAlgorithm = makeMultiPaxosAlgorithm(MultiPaxosNode);
