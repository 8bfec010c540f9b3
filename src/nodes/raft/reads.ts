// The leader's read path, apart from the log (etcd-io/raft keeps it in read_only.go): reads that
// wait for the leader to commit an entry of its term, ReadIndex rounds that wait for a majority to
// answer a heartbeat sent after they began (Raft thesis §6.4), confirmed reads that wait for the
// state machine to reach their read index, and the lease a majority's heartbeat answers give
// (§6.4.1). The node decides which way a read goes (its hooks: readNeedsConfirmation, leaseHolds,
// revokeLease); this file keeps the queues and the lease, and answers nothing itself.

import type { ClientRequest, NodeId } from '../../shared/protocol.ts';

export interface ReadRound {
  /** The heartbeat context that began the round: answers to it or a later one confirm it. */
  context: number;
  /** The commit index when the round began: the reads are served once the node applied it. */
  readIndex: number;
  requests: ClientRequest[];
}

export interface ConfirmedRead {
  readIndex: number;
  request: ClientRequest;
}

/** Heartbeat contexts remembered for lease reads; older answers simply do not extend the lease. */
const CONTEXT_RING = 1024;

export class ReadOnly {
  /** Reads that came before this leader committed an entry of its term: until then it cannot know its commit index. */
  private awaitingTermCommit: ClientRequest[] = [];
  /** Reads for the next confirmation round. */
  private toConfirm: ClientRequest[] = [];
  /** Rounds sent and not yet confirmed by a majority, oldest first. */
  private rounds: ReadRound[] = [];
  /** Reads whose leadership is confirmed, waiting for the state machine to reach their index. */
  private confirmed: ConfirmedRead[] = [];
  private context = 0;
  /** Per ring slot: the context sent, and the tick it was sent at. */
  private readonly contextSentTick = new Float64Array(CONTEXT_RING * 2);
  /** Per follower: the tick of the latest heartbeat it answered, from which its promise runs. */
  private readonly leaseSince = new Map<NodeId, number>();
  /**
   * Set once this leader started a transfer: the transferee's election skips the followers' lease
   * check, so from then on this term's lease proves nothing and reads go through ReadIndex.
   */
  private leaseRevoked = false;

  /** A new leader starts without a lease. */
  resetLease(): void {
    this.leaseSince.clear();
    this.leaseRevoked = false;
  }

  revokeLease(): void {
    this.leaseRevoked = true;
  }

  /** A read that must wait until the leader committed an entry of its term. */
  awaitTermCommit(request: ClientRequest): void {
    this.awaitingTermCommit.push(request);
  }

  /** A read for the next confirmation round. */
  queue(request: ClientRequest): void {
    this.toConfirm.push(request);
  }

  /** A read whose leadership needs no round (a lease that holds): served once `readIndex` is applied. */
  confirm(request: ClientRequest, readIndex: number): void {
    this.confirmed.push({ readIndex, request });
  }

  /** Reads wait for the next confirmation round. */
  waiting(): boolean {
    return this.toConfirm.length > 0;
  }

  /** Every read still waiting, oldest kind first; the queues are left empty. */
  abandon(): ClientRequest[] {
    const reads = [...this.awaitingTermCommit, ...this.toConfirm];
    for (const round of this.rounds) reads.push(...round.requests);
    for (const read of this.confirmed) reads.push(read.request);
    this.awaitingTermCommit = [];
    this.toConfirm = [];
    this.rounds = [];
    this.confirmed = [];
    return reads;
  }

  /** The leader committed an entry of its term: the reads that waited for it go to confirmation. */
  termCommitted(): void {
    this.toConfirm.push(...this.awaitingTermCommit);
    this.awaitingTermCommit = [];
  }

  /** The context for a new round of heartbeats sent at `tick`. */
  nextContext(tick: number): number {
    const context = ++this.context;
    const slot = (context % CONTEXT_RING) * 2;
    this.contextSentTick[slot] = context;
    this.contextSentTick[slot + 1] = tick;
    return context;
  }

  /** `from` answered heartbeat `context`, newer than any it answered before: its lease runs from when that heartbeat left. */
  acknowledged(from: NodeId, context: number): void {
    const slot = (context % CONTEXT_RING) * 2;
    if (this.contextSentTick[slot] === context) this.leaseSince.set(from, this.contextSentTick[slot + 1] as number);
  }

  /**
   * Whether a majority of `voters` answered heartbeats sent at `horizon` or later (`self` counts
   * for itself when it is a voter): none of them will vote for anyone else before their election
   * timeout runs out, so no other leader can exist yet.
   */
  leaseHolds(voters: readonly NodeId[], selfVotes: boolean, horizon: number, quorum: number): boolean {
    if (this.leaseRevoked) return false;
    let holders = selfVotes ? 1 : 0;
    for (const peer of voters) {
      const since = this.leaseSince.get(peer);
      if (since !== undefined && since >= horizon) holders++;
    }
    return holders >= quorum;
  }

  /** A round of heartbeats with `context` went out: the reads waiting for one ride on it. */
  startRound(context: number, readIndex: number): void {
    this.rounds.push({ context, readIndex, requests: this.toConfirm });
    this.toConfirm = [];
  }

  /**
   * Confirms the rounds a majority answered, oldest first: `ackedContext(peer)` is the newest
   * heartbeat context a voter answered (undefined for one the leader does not track).
   */
  confirmRounds(voters: readonly NodeId[], selfVotes: boolean, quorum: number, ackedContext: (peer: NodeId) => number | undefined): void {
    while (this.rounds.length > 0) {
      const round = this.rounds[0] as ReadRound;
      let acks = selfVotes ? 1 : 0;
      for (const peer of voters) {
        const acked = ackedContext(peer);
        if (acked !== undefined && acked >= round.context) acks++;
      }
      if (acks < quorum) return;
      this.rounds.shift();
      for (const request of round.requests) this.confirmed.push({ readIndex: round.readIndex, request });
    }
  }

  /** Confirms every read waiting for a round at once, at `readIndex` (a leader that is the only voter). */
  confirmAll(readIndex: number): void {
    for (const request of this.toConfirm) this.confirmed.push({ readIndex, request });
    this.toConfirm = [];
  }

  /** A round should go out: reads wait for one and none is out (one round at a time). */
  needsRound(): boolean {
    return this.toConfirm.length > 0 && this.rounds.length === 0;
  }

  /** The oldest confirmed read can be served once the state machine applied `applied`. */
  servable(applied: number): boolean {
    return this.confirmed.length > 0 && (this.confirmed[0] as ConfirmedRead).readIndex <= applied;
  }

  /** Takes the confirmed reads the state machine has caught up with, in order. */
  takeServable(applied: number): ClientRequest[] {
    let served = 0;
    while (served < this.confirmed.length && (this.confirmed[served] as ConfirmedRead).readIndex <= applied) served++;
    if (served === 0) return NONE;
    return this.confirmed.splice(0, served).map((read) => read.request);
  }
}

const NONE: ClientRequest[] = Object.freeze([]) as unknown as ClientRequest[];
