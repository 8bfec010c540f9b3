// Primary-backup replication: one primary orders every write in a log and copies it to the
// backups; when it goes quiet past its lease, the most up-to-date backup is promoted.
//
// - Writes: the primary appends the write to its log, replicates it, and answers once the ack mode
//   allows (sync: every in-sync backup and a majority hold it durably; semi: one backup; async: at
//   once). It applies an entry when it answers for it; backups apply what the primary has answered
//   for, as its appends and heartbeats tell them.
// - Reads: at the primary, after a heartbeat round sent after the read arrived has been answered by
//   a majority in this epoch (so no newer primary can have answered anything yet, however long this
//   one slept), and once the primary's first entry of its epoch is acknowledged; with reads=any,
//   every replica answers at once from its own copy.
// - The lease: a primary steps down when no heartbeat round of the last lease was answered by a
//   majority; a backup that has not heard its primary for a lease (and a little more, drawn at
//   random) stands for promotion, and refuses to vote while it still hears one.
// - Promotion: a candidate takes a new epoch (durably, with its own vote) and canvasses every
//   replica for its position (the epoch of its last entry, its log length). A replica adopts the
//   epoch, and votes for the candidate unless it voted for another one in that epoch, still
//   honours a lease, or is ahead of it (more up to date, or as up to date with a lower id: then it
//   stands itself soon). A majority of votes promotes the candidate (one told of a replica with
//   entries it lacks gives way), which appends an empty entry of its epoch and brings every
//   backup's log in line with its own.
// - Fencing: replicas refuse, and tell, a primary of an older epoch, which steps down when it hears
//   of the newer one. Without it they take appends from anyone, and a deposed primary learns it was
//   replaced only when the new primary's heartbeat reaches it.
//
// Durable: the epoch and the vote, the log, and how far the data reflects it (the hard state's
// `commit`), all through PersistBatch before anything revealing them leaves. A restarted node
// replays its log up to there and rejoins as a backup.
//
// The methods a mutant test overrides to plant a known bug are `protected`.

import type { AdminRequest, ClientErrorCode, ClientReply, ClientRequest, EntryData, LogEntry, NodeId, NodeStatus, Reply } from '../../shared/protocol.ts';
import type { KvValue } from '../../shared/history.ts';
import type { Algorithm, AppliedEntry, ConsensusNode, Envelope, Input, NodeContext, NodeDetail, PersistBatch, PersistedState, Ready, Rng } from '../types.ts';
import { KvStateMachine } from '../kv/state-machine.ts';
import { comparePositions, isAhead, ReplicatedLog, type LogPosition } from './log.ts';
import type { Append, AppendAck, Canvass, Heartbeat, HeartbeatAck, Position, PrimaryBackupMessage, RefusalReason, Refuse } from './messages.ts';
import { defaultPrimaryBackupOptions, keepsCommitted, MAX_ENTRIES_PER_APPEND, promisedModel, servedRequests, type PrimaryBackupOptions } from './options.ts';
import { Replication } from './replication.ts';
import {
  describePrimaryBackupMessage,
  PRIMARY_BACKUP_ACTIONS,
  PRIMARY_BACKUP_MESSAGES,
  PRIMARY_BACKUP_OPTION_FIELDS,
  PRIMARY_BACKUP_ROLE_LABELS,
  PRIMARY_BACKUP_SCENARIO_DEFAULTS,
  PRIMARY_BACKUP_STATUS_FIELDS,
  PRIMARY_BACKUP_SUMMARY,
  PRIMARY_BACKUP_TITLE,
  randomPrimaryBackupOptions,
} from './descriptor.ts';
import { createPrimaryBackupMonitor } from './monitors.ts';

export type PrimaryBackupRole = 'leader' | 'follower' | 'candidate';

/** The durable record of the cluster's members, written at a node's first start. */
export const MEMBERS_RECORD = 'members';

const NOOP: EntryData = { type: 'noop' };

interface WaitingWrite {
  request: ClientRequest;
  index: number;
}

interface WaitingRead {
  request: ClientRequest;
  /** The first lease round sent after the read arrived: a majority must answer it. */
  round: number;
}

/** The status fields every primary-backup node reports (the log conventions come on top with sync and fencing). */
export interface PrimaryBackupStatus extends NodeStatus {
  role: PrimaryBackupRole;
  term: number;
  votedFor: NodeId | null;
  lastIndex: number;
  acked: number;
  position: number;
  inSync: readonly NodeId[];
  acks: string;
  fencing: boolean;
  reads: string;
  voters: readonly NodeId[];
}

export class PrimaryBackupNode implements ConsensusNode {
  readonly id: NodeId;
  protected readonly options: PrimaryBackupOptions;
  private readonly rng: Rng;
  protected readonly members: readonly NodeId[];
  protected readonly others: readonly NodeId[];
  private membersToPersist = false;

  // Durable.
  protected epoch: number;
  protected vote: NodeId | null;
  protected readonly log: ReplicatedLog;
  /** How far the data reflects the log (the hard state's `commit`). */
  protected position: number;
  private hardStateDirty = false;

  /** How far this node knows entries to be acknowledged by their primary. */
  protected commit: number;
  private stateMachine: KvStateMachine;

  protected role: PrimaryBackupRole = 'follower';
  protected leader: NodeId | null = null;

  private ticks = 0;
  /** When the election timer started: a backup stands once it ran for timeoutTicks. */
  private timerStart = 0;
  private timeoutTicks = 0;
  /** When this node last heard the primary it follows (the lease it honours runs from there). */
  private heardTick = -1_000_000_000;
  /** A restarted node may have honoured a lease it forgot: it votes for no one before this tick. */
  private voteGuardUntil = 0;
  /** This node's log is known to match its primary's (the one it follows, in that epoch) up to here. */
  private verifiedIndex = 0;
  private followedEpoch = -1;

  // Candidate.
  private canvassTick = 0;
  private readonly votes = new Set<NodeId>();
  private readonly refusals = new Set<NodeId>();
  private heartbeatElapsed = 0;

  // Primary.
  protected replication: Replication | null = null;
  /** The primary's first entry of its epoch: reads wait until it is acknowledged. */
  private noopIndex = 0;
  private readonly waitingWrites = new Map<number, WaitingWrite>();
  private waitingReads: WaitingRead[] = [];

  private messages: Envelope[] = [];
  private replies: Reply[] = [];
  private appliedOut: AppliedEntry[] = [];

  constructor(context: NodeContext<PrimaryBackupOptions>, persisted: PersistedState) {
    this.id = context.id;
    this.options = context.options;
    this.rng = context.rng;
    const stored = persisted.records.get(MEMBERS_RECORD) as NodeId[] | undefined;
    const members = stored ?? context.bootstrapVoters;
    if (stored === undefined && members.length > 0) this.membersToPersist = true;
    this.members = [...members];
    this.others = this.members.filter((m) => m !== this.id);
    this.epoch = persisted.hardState.term;
    this.vote = persisted.hardState.vote;
    this.log = ReplicatedLog.restore(persisted.entries);
    this.position = Math.min(persisted.hardState.commit, this.log.lastIndex);
    this.commit = this.position;
    this.stateMachine = this.replay(this.position);
    const fresh = stored === undefined && persisted.entries.length === 0 && persisted.hardState.term === 0;
    if (!fresh) this.voteGuardUntil = this.options.leaseTicks;
    this.resetTimer();
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs and ticks

  step(input: Input): void {
    switch (input.kind) {
      case 'tick':
        this.ticks++;
        // A server that was never told its cluster (membership is fixed) takes no part.
        if (!this.isMember()) return;
        if (this.role === 'leader') this.tickPrimary();
        else if (this.role === 'candidate') this.tickCandidate();
        else this.tickBackup();
        return;
      case 'message':
        if (this.isMember()) this.stepMessage(input.envelope.src, input.envelope.body as PrimaryBackupMessage);
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
    return this.members.includes(this.id);
  }

  private quorum(): number {
    return Math.floor(this.members.length / 2) + 1;
  }

  private resetTimer(): void {
    this.timerStart = this.ticks;
    const lease = this.options.leaseTicks;
    this.timeoutTicks = lease + this.rng.int(0, lease);
  }

  /** Stands within a few ticks, unless it hears a primary first. */
  private shortenTimer(): void {
    const soon = this.rng.int(1, Math.max(2, Math.ceil(this.options.leaseTicks / 2)));
    if (this.timerStart + this.timeoutTicks > this.ticks + soon) {
      this.timerStart = this.ticks;
      this.timeoutTicks = soon;
    }
  }

  private tickBackup(): void {
    if (this.ticks - this.timerStart >= this.timeoutTicks) this.stand();
  }

  private tickCandidate(): void {
    if (this.ticks - this.timerStart >= this.timeoutTicks) {
      this.stand();
      return;
    }
    // Canvasses get lost: ask again those who have not answered.
    if (++this.heartbeatElapsed >= this.options.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      const canvass = this.canvass();
      for (const peer of this.others) if (!this.votes.has(peer) && !this.refusals.has(peer)) this.send(peer, canvass);
    }
  }

  private tickPrimary(): void {
    const replication = this.replication as Replication;
    if (this.ticks >= replication.leaseExpiry(this.options.leaseTicks)) {
      // No round of the last lease was answered by a majority: a new primary may be on its way.
      this.stepDown(null, 'its lease ran out');
      return;
    }
    if (replication.dropSilent(this.ticks, this.options.leaseTicks)) this.advanceCommit();
    if (++this.heartbeatElapsed >= this.options.heartbeatTicks) {
      this.heartbeatElapsed = 0;
      this.startRound();
      this.resendStalled();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Promotion

  private canvass(): Canvass {
    return { type: 'canvass', epoch: this.epoch, lastEpoch: this.log.lastEpoch, lastIndex: this.log.lastIndex };
  }

  /** Stands for promotion in a new epoch, voting for itself (written before the canvass leaves). */
  private stand(): void {
    if (this.role === 'leader') return;
    this.epoch++;
    this.vote = this.id;
    this.hardStateDirty = true;
    this.role = 'candidate';
    this.leader = null;
    this.votes.clear();
    this.refusals.clear();
    this.canvassTick = this.ticks;
    this.heartbeatElapsed = 0;
    this.resetTimer();
    const canvass = this.canvass();
    for (const peer of this.others) this.send(peer, canvass);
    this.maybeWin();
  }

  /** A replica's answer to a canvass; `reason` null grants its vote. */
  private positionReply(granted: boolean, reason: RefusalReason | null, epoch: number): Position {
    return { type: 'position', epoch, granted, reason, lastEpoch: this.log.lastEpoch, lastIndex: this.log.lastIndex, leader: reason === 'lease' ? this.leader : null };
  }

  /** The primary whose lease this node still honours, if any (itself, when it is that primary). */
  private honouredLease(): NodeId | null | false {
    if (this.role === 'leader') return this.id;
    if (this.ticks < this.voteGuardUntil) return this.leader;
    if (this.role === 'follower' && this.leader !== null && this.ticks - this.heardTick < this.options.leaseTicks) return this.leader;
    return false;
  }

  private handleCanvass(from: NodeId, m: Canvass): void {
    const lease = this.honouredLease();
    if (lease !== false && lease !== from) {
      this.send(from, this.positionReply(false, 'lease', m.epoch));
      return;
    }
    if (m.epoch < this.epoch) {
      this.send(from, this.positionReply(false, 'epoch', this.epoch));
      return;
    }
    if (m.epoch > this.epoch) this.adoptEpoch(m.epoch);
    if (this.vote !== null && this.vote !== from) {
      this.send(from, this.positionReply(false, 'voted', m.epoch));
      return;
    }
    const theirs: LogPosition = { lastEpoch: m.lastEpoch, lastIndex: m.lastIndex };
    if (this.refusesAsAhead(from, theirs)) {
      this.send(from, this.positionReply(false, 'ahead', m.epoch));
      // The better primary, it stands soon itself (not at once: others ahead of the same
      // candidate would stand at the same moment and split the votes).
      if (this.role === 'follower') this.shortenTimer();
      return;
    }
    this.vote = from;
    this.hardStateDirty = true;
    this.resetTimer();
    this.send(from, this.positionReply(true, null, m.epoch));
  }

  /** Whether this replica is ahead of the candidate. Overridden by a mutant that never is. */
  protected refusesAsAhead(candidate: NodeId, theirs: LogPosition): boolean {
    return isAhead(this.log.position, this.id, theirs, candidate);
  }

  private handlePosition(from: NodeId, m: Position): void {
    if (m.epoch > this.epoch) {
      this.adoptEpoch(m.epoch);
      return;
    }
    if (this.role !== 'candidate' || m.epoch !== this.epoch) return;
    if (m.granted) {
      this.votes.add(from);
      this.maybeWin();
      return;
    }
    // A replica with entries this candidate lacks: it gives way, so that one can be promoted.
    if (m.reason === 'ahead' && comparePositions({ lastEpoch: m.lastEpoch, lastIndex: m.lastIndex }, this.log.position) > 0 && this.yieldsToAhead()) {
      this.stepBack(null);
      return;
    }
    this.refusals.add(from);
    if (this.members.length - this.refusals.size < this.quorum()) this.stepBack(m.reason === 'lease' ? m.leader : null);
  }

  /** A candidate that hears of a replica ahead of it gives way. Overridden by a mutant that does not. */
  protected yieldsToAhead(): boolean {
    return true;
  }

  private maybeWin(): void {
    if (this.role === 'candidate' && this.votes.size + 1 >= this.quorum()) this.becomePrimary();
  }

  /** A candidate gives up its candidacy and waits for a primary (or for its timer). */
  private stepBack(leader: NodeId | null): void {
    this.role = 'follower';
    this.leader = leader;
    this.resetTimer();
  }

  private becomePrimary(): void {
    this.role = 'leader';
    this.leader = this.id;
    this.heartbeatElapsed = 0;
    this.replication = new Replication(this.others, this.votes, this.canvassTick, this.ticks, this.log.lastIndex + 1);
    this.noopIndex = this.log.lastIndex + 1;
    this.log.append({ index: this.noopIndex, term: this.epoch, data: NOOP });
    this.advanceCommit();
    for (const peer of this.others) this.sendAppend(peer);
  }

  // ---------------------------------------------------------------------------------------------
  // Epochs, following and stepping down

  /**
   * A newer epoch: no vote in it yet; a primary or candidate of an older one steps down. `leader`:
   * the newer epoch's primary, where the news came with its name.
   */
  private adoptEpoch(epoch: number, leader: NodeId | null = null): void {
    if (epoch <= this.epoch) return;
    this.epoch = epoch;
    this.vote = null;
    this.hardStateDirty = true;
    // The primary it followed belongs to an older epoch.
    if (this.role === 'follower') this.leader = leader;
    else if (this.role === 'leader') this.stepDown(leader, `it heard of epoch ${epoch}`);
    else this.stepBack(leader);
  }

  private follow(primary: NodeId, epoch: number): void {
    if (this.leader !== primary || this.followedEpoch !== epoch) this.verifiedIndex = 0;
    this.leader = primary;
    this.followedEpoch = epoch;
    this.heardTick = this.ticks;
    this.resetTimer();
  }

  /**
   * Whether to take an append or heartbeat in `epoch` from `from`, after adopting a newer epoch.
   * With fencing an older epoch is refused and told the newer one; without, a backup takes it
   * from anyone, while a primary or candidate of a newer epoch lets it pass.
   */
  private acceptsReplication(from: NodeId, epoch: number): boolean {
    if (epoch < this.epoch) {
      if (this.options.fencing) {
        this.send(from, { type: 'refuse', epoch: this.epoch, leader: this.leader } satisfies Refuse);
        return false;
      }
      return this.role === 'follower';
    }
    if (epoch > this.epoch) this.adoptEpoch(epoch);
    // One primary per epoch: a candidate of this epoch has lost it.
    if (this.role === 'candidate') this.stepBack(from);
    return this.role === 'follower';
  }

  /**
   * Leaves the primary's role. Writes it has not acknowledged may still survive in the next
   * primary's log: their clients hear an indefinite `leadership_lost`.
   */
  protected stepDown(leader: NodeId | null, why: string): void {
    if (this.role !== 'leader') return;
    this.role = 'follower';
    this.leader = leader;
    this.replication = null;
    for (const waiter of this.waitingWrites.values()) {
      this.replies.push(this.clientError(waiter.request, 'leadership_lost', false, `${this.id} stepped down (${why}) with the write at index ${waiter.index} unacknowledged; it may survive`));
    }
    this.waitingWrites.clear();
    for (const read of this.waitingReads) this.replies.push(this.clientError(read.request, 'not_leader', true, `${this.id} stepped down (${why}) before it could confirm the read`));
    this.waitingReads = [];
    this.resetTimer();
  }

  // ---------------------------------------------------------------------------------------------
  // Replication: the primary's side

  private sendAppend(peer: NodeId): void {
    const replication = this.replication as Replication;
    const backup = replication.backups.get(peer);
    if (backup === undefined) return;
    const prevIndex = Math.min(backup.next - 1, this.log.lastIndex);
    const entries = this.log.slice(prevIndex + 1, this.log.lastIndex, MAX_ENTRIES_PER_APPEND);
    backup.next = prevIndex + entries.length + 1;
    const append: Append = { type: 'append', epoch: this.epoch, prevIndex, prevEpoch: this.log.epochAt(prevIndex), entries, commit: this.commit };
    this.send(peer, append);
  }

  /** Backups that lag and made no progress for a heartbeat get their missing entries again. */
  private resendStalled(): void {
    const replication = this.replication as Replication;
    for (const [peer, backup] of replication.backups) {
      if (backup.match >= this.log.lastIndex || this.ticks - backup.progressTick < this.options.heartbeatTicks) continue;
      backup.next = backup.match + 1;
      backup.progressTick = this.ticks;
      this.sendAppend(peer);
    }
  }

  private startRound(): void {
    const replication = this.replication as Replication;
    const round = replication.startRound(this.ticks);
    const heartbeat: Heartbeat = { type: 'heartbeat', epoch: this.epoch, round, commit: this.commit };
    for (const peer of this.others) this.send(peer, heartbeat);
    this.serveReads();
  }

  private handleAppendAck(from: NodeId, m: AppendAck): void {
    if (this.role !== 'leader' || m.epoch !== this.epoch) return;
    const replication = this.replication as Replication;
    const backup = replication.backups.get(from);
    if (backup === undefined) return;
    if (!m.ok) {
      // Its log is shorter or differs: retry from where it says (its match may have been cut by
      // another primary without fencing, so it is taken back too).
      backup.heardTick = this.ticks;
      backup.match = Math.min(backup.match, m.hint);
      backup.next = m.hint + 1;
      this.sendAppend(from);
      return;
    }
    this.countAck(from, m.match);
    if (backup.next <= this.log.lastIndex) this.sendAppend(from);
  }

  /** A backup holds the log up to `match`. Overridden by a mutant that counts acks its own way. */
  protected countAck(from: NodeId, match: number): void {
    (this.replication as Replication).matched(from, match, this.commit, this.ticks);
    this.advanceCommit();
  }

  private handleHeartbeatAck(from: NodeId, m: HeartbeatAck): void {
    if (this.role !== 'leader' || m.epoch !== this.epoch) return;
    const replication = this.replication as Replication;
    if (replication.answered(from, m.round, this.ticks)) this.serveReads();
    const backup = replication.backups.get(from);
    if (backup !== undefined && backup.match > 0 && (m.lastIndex < backup.match || this.log.epochAt(m.lastIndex) !== m.lastEpoch)) {
      // Its log changed under this primary (another primary wrote to it): an append from its last
      // entry finds where the two logs part.
      backup.next = Math.min(m.lastIndex, this.log.lastIndex) + 1;
      this.sendAppend(from);
    }
  }

  /** The commit index moves to what the ack mode allows, for an entry of this primary's epoch. */
  protected advanceCommit(): void {
    if (this.role !== 'leader') return;
    const ackable = (this.replication as Replication).ackable(this.options.acks, this.log.lastIndex);
    if (ackable > this.commit && this.log.epochAt(ackable) === this.epoch) {
      this.commit = ackable;
      this.applyCommitted();
      this.serveReads();
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Replication: the backup's side

  private handleAppend(from: NodeId, m: Append): void {
    if (!this.acceptsReplication(from, m.epoch)) return;
    this.follow(from, m.epoch);
    if (m.prevIndex > this.log.lastIndex || this.log.epochAt(m.prevIndex) !== m.prevEpoch) {
      this.send(from, { type: 'append_ack', epoch: m.epoch, ok: false, match: 0, hint: this.log.retryHint(m.prevIndex) } satisfies AppendAck);
      return;
    }
    const cut = this.log.appendFromPrimary(m.entries);
    if (cut <= this.position || cut <= this.commit) this.rollBack(cut - 1);
    const match = m.prevIndex + m.entries.length;
    if (match > this.verifiedIndex) this.verifiedIndex = match;
    this.learnCommit(m.commit);
    this.send(from, { type: 'append_ack', epoch: m.epoch, ok: true, match, hint: 0 } satisfies AppendAck);
  }

  private handleHeartbeat(from: NodeId, m: Heartbeat): void {
    if (!this.acceptsReplication(from, m.epoch)) return;
    this.follow(from, m.epoch);
    this.learnCommit(m.commit);
    this.send(from, { type: 'heartbeat_ack', epoch: m.epoch, round: m.round, lastIndex: this.log.lastIndex, lastEpoch: this.log.lastEpoch } satisfies HeartbeatAck);
  }

  /** Entries the primary acknowledged, as far as this log is known to match the primary's. */
  private learnCommit(primaryCommit: number): void {
    const known = Math.min(primaryCommit, this.verifiedIndex);
    if (known <= this.commit) return;
    this.commit = known;
    this.applyCommitted();
  }

  private handleRefuse(m: Refuse): void {
    this.adoptEpoch(m.epoch, m.leader);
  }

  // ---------------------------------------------------------------------------------------------
  // Applying and rolling back

  private replay(upTo: number): KvStateMachine {
    const sm = new KvStateMachine();
    for (let i = 1; i <= upTo; i++) {
      const data = (this.log.entry(i) as LogEntry).data;
      if (data.type === 'command') sm.apply(data.request);
    }
    return sm;
  }

  /**
   * The log lost entries this node had applied or taken as acknowledged (a failover without sync
   * acks, or a deposed primary without fencing): its data goes back to what the log still holds.
   */
  private rollBack(to: number): void {
    if (this.commit > to) this.commit = to;
    if (this.position > to) {
      this.position = to;
      this.stateMachine = this.replay(to);
      this.hardStateDirty = true;
    }
    if (this.verifiedIndex > to) this.verifiedIndex = to;
  }

  private applyCommitted(): void {
    const upTo = Math.min(this.commit, this.log.lastIndex);
    while (this.position < upTo) {
      const entry = this.log.entry(this.position + 1) as LogEntry;
      this.position++;
      this.hardStateDirty = true;
      const data = entry.data;
      if (data.type !== 'command') {
        this.appliedOut.push({ entry });
        continue;
      }
      const request = data.request;
      const result = this.applyRequest(request);
      this.appliedOut.push({ entry, result });
      const waiter = this.waitingWrites.get(request.clientId);
      if (waiter !== undefined && waiter.request.seq === request.seq) {
        this.waitingWrites.delete(request.clientId);
        this.replies.push(result);
      }
    }
  }

  private applyRequest(request: ClientRequest): ClientReply {
    const outcome = this.stateMachine.apply(request);
    if (outcome.kind === 'stale') return this.clientError(request, 'stale_request', true, `request ${request.seq} is older than client ${request.clientId}'s newest`);
    const result = outcome.result;
    if (result.ok) return { kind: 'client', clientId: request.clientId, seq: request.seq, ok: true, value: result.value };
    return this.clientError(request, result.error, true, result.message);
  }

  // ---------------------------------------------------------------------------------------------
  // Clients and operators

  private clientError(request: ClientRequest, error: ClientErrorCode, definite: boolean, message: string): ClientReply {
    return { kind: 'client', clientId: request.clientId, seq: request.seq, ok: false, error, definite, leaderHint: this.leader === this.id ? null : this.leader, message };
  }

  private notPrimary(request: ClientRequest): void {
    const where = this.leader === null || this.leader === this.id ? 'no primary is known' : `the primary is ${this.leader}`;
    this.replies.push(this.clientError(request, 'not_leader', true, `${this.id} is not the primary; ${where}`));
  }

  private handleClientRequest(request: ClientRequest): void {
    if (!this.isMember()) {
      this.replies.push(this.clientError(request, 'unavailable', true, `${this.id} is not a member of the cluster`));
      return;
    }
    if (request.op.f === 'read') {
      if (this.options.reads === 'any') {
        // Any replica answers from its own copy, however far behind it is.
        this.replies.push(this.readReply(request));
        return;
      }
      if (this.role !== 'leader') return this.notPrimary(request);
      this.waitingReads.push({ request, round: this.readRound() });
      this.serveReads();
      return;
    }
    if (this.role !== 'leader') return this.notPrimary(request);
    const waiter = this.waitingWrites.get(request.clientId);
    if (waiter !== undefined) {
      if (waiter.request.seq === request.seq) return; // a retry of what is in flight: one answer comes
      if (waiter.request.seq > request.seq) {
        this.replies.push(this.clientError(request, 'stale_request', true, `request ${request.seq} is older than client ${request.clientId}'s newest`));
        return;
      }
    }
    // A retry of a write still waiting in the log (a client that timed out on the previous
    // primary, say) waits for that entry. One already applied is appended again: the store
    // applies a (client, seq) once and answers the copy as it answered the original.
    const pending = this.pendingIndexOf(request);
    if (pending !== null) {
      this.waitingWrites.set(request.clientId, { request, index: pending });
      return;
    }
    const index = this.log.lastIndex + 1;
    this.log.append({ index, term: this.epoch, data: { type: 'command', request } });
    this.waitingWrites.set(request.clientId, { request, index });
    // Async acks commit at once: the append then tells the backups so.
    this.advanceCommit();
    const replication = this.replication as Replication;
    for (const [peer, backup] of replication.backups) if (backup.next === index) this.sendAppend(peer);
  }

  /** Where the log holds this request past what is acknowledged, if it does. */
  private pendingIndexOf(request: ClientRequest): number | null {
    for (let i = this.log.lastIndex; i > this.commit; i--) {
      const data = (this.log.entry(i) as LogEntry).data;
      if (data.type === 'command' && data.request.clientId === request.clientId && data.request.seq === request.seq) return i;
    }
    return null;
  }

  /**
   * The lease round a read at the primary waits for: the next one, sent after the read arrived.
   * A primary that slept through its lease still believes the rounds before that. Overridden by
   * a mutant that answers from the lease it believes it holds.
   */
  protected readRound(): number {
    return (this.replication as Replication).round + 1;
  }

  private readReply(request: ClientRequest): ClientReply {
    return { kind: 'client', clientId: request.clientId, seq: request.seq, ok: true, value: this.stateMachine.read(request.op.key) };
  }

  /** Reads whose round a majority answered, once this epoch's first entry is acknowledged. */
  protected serveReads(): void {
    if (this.role !== 'leader' || this.waitingReads.length === 0 || this.commit < this.noopIndex) return;
    const confirmed = (this.replication as Replication).confirmedRound;
    const later: WaitingRead[] = [];
    for (const read of this.waitingReads) {
      if (read.round <= confirmed) this.replies.push(this.readReply(read.request));
      else later.push(read);
    }
    this.waitingReads = later;
  }

  private handleAdmin(request: AdminRequest): void {
    const reply = (ok: boolean, message: string): void => {
      this.replies.push({ kind: 'admin', requestId: request.requestId, ok, message });
    };
    const command = request.command;
    if (command.type === 'campaign') {
      if (!this.isMember()) return reply(false, `${this.id} is not a member of the cluster`);
      if (this.role === 'leader') return reply(true, `${this.id} is already the primary`);
      this.stand();
      return reply(true, `${this.id} stands for promotion in epoch ${this.epoch}`);
    }
    if (command.type === 'transfer_leadership') return reply(false, `primary-backup has no hand-over; make ${command.to} stand for promotion instead`);
    return reply(false, `this cluster has fixed members (${this.members.join(', ')}): servers cannot be added or removed`);
  }

  // ---------------------------------------------------------------------------------------------
  // Messages and Ready

  private stepMessage(from: NodeId, m: PrimaryBackupMessage): void {
    switch (m.type) {
      case 'append':
        return this.handleAppend(from, m);
      case 'append_ack':
        return this.handleAppendAck(from, m);
      case 'heartbeat':
        return this.handleHeartbeat(from, m);
      case 'heartbeat_ack':
        return this.handleHeartbeatAck(from, m);
      case 'refuse':
        return this.handleRefuse(m);
      case 'canvass':
        return this.handleCanvass(from, m);
      case 'position':
        return this.handlePosition(from, m);
    }
  }

  private send(to: NodeId, body: PrimaryBackupMessage): void {
    this.messages.push({ src: this.id, dest: to, body });
  }

  hasReady(): boolean {
    return (
      this.messages.length > 0 ||
      this.replies.length > 0 ||
      this.appliedOut.length > 0 ||
      this.hardStateDirty ||
      this.membersToPersist ||
      this.log.hasUnstable() ||
      this.needsRound()
    );
  }

  /** Reads wait for a round sent after they arrived: one round serves every read that came before it. */
  private needsRound(): boolean {
    if (this.role !== 'leader' || this.waitingReads.length === 0) return false;
    const round = (this.replication as Replication).round;
    return this.waitingReads.some((r) => r.round > round);
  }

  ready(): Ready {
    if (this.needsRound()) this.startRound();
    let persist: PersistBatch | null = null;
    const log = this.log.takeUnstable();
    if (log !== null || this.hardStateDirty || this.membersToPersist) {
      persist = {};
      if (log !== null) persist.log = log;
      if (this.hardStateDirty) persist.hardState = { term: this.epoch, vote: this.vote, commit: this.position };
      if (this.membersToPersist) persist.records = [[MEMBERS_RECORD, [...this.members]]];
    }
    this.hardStateDirty = false;
    this.membersToPersist = false;
    const ready: Ready = { persist, messages: this.messages, applied: this.appliedOut, replies: this.replies };
    this.messages = [];
    this.appliedOut = [];
    this.replies = [];
    return this.shapeReady(ready);
  }

  /** The Ready as the host gets it. Overridden by a mutant that lets a backup's acks leave before its write. */
  protected shapeReady(ready: Ready): Ready {
    return ready;
  }

  // ---------------------------------------------------------------------------------------------
  // Inspection (for the UI, scenarios and tests; never used to drive the algorithm)

  private lastStatus: PrimaryBackupStatus | null = null;

  status(): PrimaryBackupStatus {
    const inSync = this.replication?.inSync() ?? [];
    const s = this.lastStatus;
    if (
      s !== null &&
      s.role === this.role &&
      s.term === this.epoch &&
      s.leader === this.leader &&
      s.votedFor === this.vote &&
      s.lastIndex === this.log.lastIndex &&
      s.acked === this.commit &&
      s.position === this.position &&
      s.inSync.length === inSync.length &&
      s.inSync.every((id, i) => inSync[i] === id)
    ) {
      return s;
    }
    const status: PrimaryBackupStatus = {
      id: this.id,
      role: this.role,
      term: this.epoch,
      leader: this.leader,
      votedFor: this.vote,
      lastIndex: this.log.lastIndex,
      acked: this.commit,
      position: this.position,
      inSync,
      acks: this.options.acks,
      fencing: this.options.fencing,
      reads: this.options.reads,
      voters: this.members,
      // The log conventions (and so the standard progress monitor) only where nothing acknowledged
      // is ever taken back.
      ...(keepsCommitted(this.options) ? { commit: this.commit, applied: this.position, snapshotIndex: 0 } : {}),
    };
    this.lastStatus = status;
    return status;
  }

  inspect(): NodeDetail {
    const replication = this.replication;
    if (replication === null) return { progress: [] };
    return { progress: [...replication.backups].map(([peer, b]) => ({ peer, match: b.match, next: b.next, state: b.inSync ? 'in sync' : 'catching up' })) };
  }

  entries(): LogEntry[] {
    return this.log.all();
  }

  termAt(index: number): number {
    return this.log.epochAt(index);
  }

  read(key: string): KvValue {
    return this.stateMachine.read(key);
  }

  keyValues(): Array<[string, KvValue]> {
    return [...this.stateMachine.entries()];
  }

  /** What the status does not show: the primary's view of its backups, or whom a backup follows. */
  describeState(): string {
    const head = `epoch=${this.epoch} vote=${this.vote ?? '-'} acked=${this.commit} applied=${this.position} log=${this.log.lastIndex}`;
    const replication = this.replication;
    if (replication === null) return `${head} following=${this.leader ?? '-'}`;
    const backups = [...replication.backups].map(([peer, b]) => `${peer}:${b.match}${b.inSync ? '' : '(out of sync)'}`);
    return `${head} lease-round=${replication.confirmedRound}/${replication.round} backups ${backups.join(' ')}`;
  }

}

export type PrimaryBackupNodeClass = new (context: NodeContext<PrimaryBackupOptions>, persisted: PersistedState) => PrimaryBackupNode;

/** Builds primary-backup around a node class, so tests can plug in a mutant subclass. */
export function makePrimaryBackupAlgorithm(nodeClass: PrimaryBackupNodeClass, name = 'primary-backup'): Algorithm<PrimaryBackupOptions, PrimaryBackupNode> {
  return {
    name,
    title: PRIMARY_BACKUP_TITLE,
    summary: PRIMARY_BACKUP_SUMMARY,
    options: PRIMARY_BACKUP_OPTION_FIELDS,
    defaultOptions: defaultPrimaryBackupOptions,
    scenarioDefaults: PRIMARY_BACKUP_SCENARIO_DEFAULTS,
    status: PRIMARY_BACKUP_STATUS_FIELDS,
    messages: PRIMARY_BACKUP_MESSAGES,
    actions: PRIMARY_BACKUP_ACTIONS,
    membership: false,
    roleLabels: PRIMARY_BACKUP_ROLE_LABELS,
    leaderTimeoutOption: 'leaseTicks',
    promises: promisedModel,
    serves: servedRequests,
    createMonitor: createPrimaryBackupMonitor,
    randomOptions: randomPrimaryBackupOptions,
    describeMessage: describePrimaryBackupMessage,
    create: (context, persisted) => new nodeClass(context, persisted),
  };
}

export const primaryBackupAlgorithm = makePrimaryBackupAlgorithm(PrimaryBackupNode);
