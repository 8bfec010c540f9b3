// Leaderless quorums (DeCandia et al., "Dynamo", SOSP 2007), as a deterministic state machine:
// every node is a replica of the keys the ring gives it and coordinates whatever client request
// reaches it. There is no leader and no log: a write goes to the key's n replicas and is
// acknowledged once w of them stored it; a read asks them and answers once r did.
//
// With twoPhaseWrites and writeBack it is ABD (Attiya, Bar-Noy, Dolev, "Sharing Memory Robustly
// in Message-Passing Systems", 1995): a write asks a quorum for the highest version first and
// writes one above it, and a read writes what it returns back to a write quorum before it
// answers. With r + w > n that makes every key a linearizable register; without write-back two
// reads can see a write in progress in the wrong order (Kleppmann, DDIA ch. 9).
//
// Layout: inputs and ticks; the replica's side (get, put, repair, anti-entropy, handoff); the
// coordinator's side (a request's query and store phases, quorums, timeouts, fallbacks); Ready
// assembly and inspection. The methods a mutant test overrides to plant a bug are `protected`.

import type { AdminRequest, ClientErrorCode, ClientReply, ClientRequest, NodeId, Reply } from '../../shared/protocol.ts';
import { TICK_MS } from '../../shared/protocol.ts';
import type { KvScalar, KvValue } from '../../shared/history.ts';
import type { Algorithm, ConsensusNode, Envelope, Input, NodeContext, PersistedState, Ready } from '../types.ts';
import type { NodeStatus } from '../../shared/protocol.ts';
import type { Digest, Get, Got, Handoff, HandoffAck, LeaderlessMessage, Put, PutAck, Repair, Sync } from './messages.ts';
import { defaultLeaderlessOptions, effectiveQuorums, leaderlessPromise, retryTicks, type LeaderlessOptions, type Quorums } from './options.ts';
import { Ring } from './ring.ts';
import { MEMBERS_RECORD, ReplicaStore, type Attempt } from './store.ts';
import { decodeContext, digestOf, encodeContext, fingerprint, formatVersions, joinVectors, mergeVersions, readValue, subsumes, vectorOf, type Version, type VersionVector } from './versions.ts';
import {
  describeLeaderlessMessage,
  LEADERLESS_MESSAGES,
  LEADERLESS_OPTION_FIELDS,
  LEADERLESS_SCENARIO_DEFAULTS,
  LEADERLESS_STATUS_FIELDS,
  LEADERLESS_SUMMARY,
  LEADERLESS_TITLE,
  LEADERLESS_SERVES,
  randomLeaderlessOptions,
} from './descriptor.ts';
import { createLeaderlessMonitor } from './monitors.ts';

/** The requests a register without consensus can serve: a cas or an append would need one. */
const SERVED: ReadonlySet<string> = new Set(['read', 'write', 'delete']);

/** A client request this node coordinates, from its first phase until it is answered (and, for read repair, a little after). */
export interface Operation {
  /** The node's counter when it began: names its messages, and the dot of the version a write makes. */
  id: number;
  request: ClientRequest;
  key: string;
  kind: 'read' | 'write';
  /** query: asking replicas what they hold; store: waiting for w of them to store `toStore`. */
  phase: 'query' | 'store';
  /** The key's n replicas. */
  preferred: NodeId[];
  startedTick: number;
  nextRetryTick: number;
  /** Two-phase writes: the attempt the first phase records. */
  attempt: Attempt | null;
  /** vclock writes: the versions the client's context supersedes. */
  past: VersionVector;
  answers: Map<NodeId, Version[]>;
  /** Nodes that hold `toStore` durably (acknowledged it, or answered with it already). */
  acks: Set<NodeId>;
  toStore: Version[];
  /** Reads: the newest versions the read quorum reported, and what the read returns. */
  merged: Version[] | null;
  /** Sloppy quorums: the stand-in chosen for each replica that did not answer. */
  standIns: Map<NodeId, NodeId>;
  replied: boolean;
}

interface ClientSession {
  seq: number;
  /** The answer once there is one: a copy of the request gets it again. */
  reply: ClientReply | null;
}

export class LeaderlessNode implements ConsensusNode {
  readonly id: NodeId;
  protected readonly options: LeaderlessOptions;
  protected readonly store: ReplicaStore;
  protected readonly ring: Ring;
  protected readonly quorums: Quorums;

  private ticks = 0;
  private clockMs = 0;

  /** The node's clock as of its last tick (last-writer-wins stamps writes with it). */
  protected get clockReading(): number {
    return this.clockMs;
  }
  private readonly ops = new Map<number, Operation>();
  private readonly clients = new Map<number, ClientSession>();
  private messages: Envelope[] = [];
  private replies: Reply[] = [];

  constructor(context: NodeContext<LeaderlessOptions>, persisted: PersistedState) {
    this.id = context.id;
    this.options = context.options;
    this.store = new ReplicaStore(this.options.resolve, persisted.records);
    const recorded = persisted.records.get(MEMBERS_RECORD) as NodeId[] | undefined;
    // A restarted node is given no voters: the ring it was part of is on its disk.
    const members = recorded ?? (context.bootstrapVoters.length > 0 ? context.bootstrapVoters : [context.id]);
    if (recorded === undefined) this.store.noteMembers(members);
    this.ring = new Ring(members, this.options.tokens);
    this.quorums = effectiveQuorums(this.options, this.ring.nodes.length);
  }

  // ---------------------------------------------------------------------------------------------
  // Inputs

  step(input: Input): void {
    switch (input.kind) {
      case 'tick':
        this.ticks++;
        this.clockMs = input.clockMs ?? this.ticks * TICK_MS;
        this.tick();
        return;
      case 'message':
        this.stepMessage(input.envelope.src, input.envelope.body as LeaderlessMessage);
        return;
      case 'client':
        this.handleClient(input.request);
        return;
      case 'admin':
        this.handleAdmin(input.request);
        return;
    }
  }

  private tick(): void {
    for (const op of [...this.ops.values()]) this.tickOperation(op);
    if (this.options.antiEntropy && this.ticks % this.options.antiEntropyTicks === 0) this.sendDigests();
    if (this.store.hintCount > 0 && this.ticks % this.options.handoffTicks === 0) this.handOffHints();
  }

  private stepMessage(src: NodeId, m: LeaderlessMessage): void {
    switch (m.type) {
      case 'get':
        return this.onGet(src, m);
      case 'got':
        return this.onGot(src, m);
      case 'put':
        return this.onPut(src, m);
      case 'put_ack':
        return this.onPutAck(src, m);
      case 'repair':
        return this.onRepair(m);
      case 'digest':
        return this.onDigest(src, m);
      case 'sync':
        return this.onSync(src, m);
      case 'handoff':
        return this.onHandoff(src, m);
      case 'handoff_ack':
        return this.onHandoffAck(src, m);
    }
  }

  /** To a peer through the network; to itself at once (a coordinator is often one of the replicas). */
  private sendTo(dest: NodeId, body: LeaderlessMessage): void {
    if (dest === this.id) this.stepMessage(this.id, body);
    else this.messages.push({ src: this.id, dest, body });
  }

  private replicates(key: string, node: NodeId): boolean {
    return this.ring.replicates(key, this.quorums.n, node);
  }

  // ---------------------------------------------------------------------------------------------
  // The replica's side

  private onGet(src: NodeId, m: Get): void {
    const refused = m.attempt !== undefined && !this.store.recordAttempt(m.attempt);
    // A stand-in of a sloppy quorum answers with what it holds for others too.
    const versions = mergeVersions(this.options.resolve, this.store.versions(m.key), this.store.hintedVersions(m.key));
    const got: Got = { type: 'got', op: m.op, key: m.key, versions, refused };
    this.sendTo(src, got);
  }

  private onPut(src: NodeId, m: Put): void {
    if (m.hint !== null && m.hint !== this.id) this.store.addHint(m.hint, m.key, m.versions);
    else this.store.merge(m.key, m.versions);
    const ack: PutAck = { type: 'put_ack', op: m.op, key: m.key };
    this.sendTo(src, ack);
  }

  private onRepair(m: Repair): void {
    for (const [key, versions] of m.items) if (this.replicates(key, this.id)) this.applyRepair(key, versions);
  }

  /** Read repair and anti-entropy: merge what the peer sent (a join: an older version changes nothing). */
  protected applyRepair(key: string, versions: Version[]): void {
    this.store.merge(key, versions);
  }

  /** Anti-entropy, every antiEntropyTicks: a digest per key to each peer that replicates it too. */
  private sendDigests(): void {
    for (const peer of this.ring.nodes) {
      if (peer === this.id) continue;
      const entries: Array<[string, string]> = [];
      for (const key of this.store.keys()) if (this.replicates(key, peer)) entries.push([key, digestOf(this.store.versions(key))]);
      // Nothing shared: the peer's own digest will name the keys it has and this node lacks.
      if (entries.length === 0) continue;
      const digest: Digest = { type: 'digest', entries };
      this.sendTo(peer, digest);
    }
  }

  private onDigest(src: NodeId, m: Digest): void {
    const theirs = new Map(m.entries);
    const items: Array<[string, Version[]]> = [];
    for (const key of this.store.keys()) {
      if (!this.replicates(key, src) || !this.replicates(key, this.id)) continue;
      const mine = this.store.versions(key);
      if (theirs.get(key) !== digestOf(mine)) items.push([key, mine]);
    }
    for (const [key] of m.entries) if (this.store.versions(key).length === 0 && this.replicates(key, this.id)) items.push([key, []]);
    if (items.length === 0) return;
    const sync: Sync = { type: 'sync', items };
    this.sendTo(src, sync);
  }

  private onSync(src: NodeId, m: Sync): void {
    const back: Array<[string, Version[]]> = [];
    for (const [key, versions] of m.items) {
      if (!this.replicates(key, this.id)) continue;
      this.store.merge(key, versions);
      const mine = this.store.versions(key);
      if (!subsumes(this.options.resolve, versions, mine)) back.push([key, mine]);
    }
    if (back.length === 0) return;
    const repair: Repair = { type: 'repair', items: back };
    this.sendTo(src, repair);
  }

  /** Hinted handoff, every handoffTicks: offer each owner what this node holds for it. */
  private handOffHints(): void {
    const byOwner = new Map<NodeId, Array<[string, Version[]]>>();
    for (const hint of this.store.hintList()) {
      const items = byOwner.get(hint.owner) ?? [];
      items.push([hint.key, hint.versions]);
      byOwner.set(hint.owner, items);
    }
    for (const [owner, items] of byOwner) {
      const handoff: Handoff = { type: 'handoff', items };
      this.sendTo(owner, handoff);
    }
  }

  private onHandoff(src: NodeId, m: Handoff): void {
    const stored: Array<[string, string]> = [];
    for (const [key, versions] of m.items) {
      this.store.merge(key, versions);
      stored.push([key, fingerprint(versions)]);
    }
    const ack: HandoffAck = { type: 'handoff_ack', items: stored };
    this.sendTo(src, ack);
  }

  private onHandoffAck(src: NodeId, m: HandoffAck): void {
    for (const [key, handed] of m.items) this.store.dropHint(src, key, handed);
  }

  // ---------------------------------------------------------------------------------------------
  // The coordinator's side

  private handleClient(request: ClientRequest): void {
    const f = request.op.f;
    if (!SERVED.has(f)) {
      return this.refuse(request, 'wrong_type', true, `leaderless quorums serve read, write and delete on registers; a ${f} needs consensus (Raft, Multi-Paxos)`);
    }
    const session = this.clients.get(request.clientId);
    if (session !== undefined) {
      if (request.seq < session.seq) return this.refuse(request, 'stale_request', true, `request ${request.seq} is older than client ${request.clientId}'s newest (${session.seq})`);
      // A copy of a request this node has: the first copy's answer speaks for it, or is given
      // again. Only a read that failed runs again: it changes nothing.
      if (request.seq === session.seq && (session.reply === null || session.reply.ok || f !== 'read')) {
        if (session.reply !== null) this.replies.push(session.reply);
        return;
      }
    }
    let past: VersionVector = [];
    if (this.options.resolve === 'vclock' && f !== 'read' && request.context !== undefined) {
      const decoded = decodeContext(request.context);
      if (typeof decoded === 'string') return this.refuse(request, 'wrong_type', true, decoded);
      past = decoded;
    }
    this.clients.set(request.clientId, { seq: request.seq, reply: null });
    const id = this.store.nextCounter();
    const key = request.op.key;
    const write = f !== 'read';
    // Only lww takes a write's version from a quorum: a version vector's dot is the client's.
    const twoPhase = write && this.options.twoPhaseWrites && this.options.resolve === 'lww';
    const op: Operation = {
      id,
      request,
      key,
      kind: write ? 'write' : 'read',
      phase: write && !twoPhase ? 'store' : 'query',
      preferred: this.ring.preferenceList(key, this.quorums.n),
      startedTick: this.ticks,
      nextRetryTick: this.ticks + retryTicks(this.options),
      // Version vectors need no attempt recorded: every attempt of a request makes the same dot.
      attempt: twoPhase ? { c: request.clientId, s: request.seq, id: `${this.id}.${id}` } : null,
      past,
      answers: new Map(),
      acks: new Set(),
      toStore: [],
      merged: null,
      standIns: new Map(),
      replied: false,
    };
    this.ops.set(id, op);
    if (op.phase === 'store') op.toStore = [this.newVersion(op, this.clockMs)];
    this.sendPhase(op, op.preferred);
  }

  /** The version a write makes, stamped `t` (lww). */
  private newVersion(op: Operation, t: number): Version {
    const { clientId: c, seq: s } = op.request;
    const value: KvScalar = op.request.op.f === 'write' ? op.request.op.value : null;
    if (this.options.resolve === 'lww') return { value, node: this.id, n: op.id, t, c, s };
    // The client's dot, superseding what its context covers and its own earlier requests.
    const actor = `c${c}`;
    return { value, node: actor, n: s, t: 0, past: s > 1 ? joinVectors(op.past, [[actor, s - 1]]) : op.past, c, s };
  }

  /**
   * The current phase's message to each of `targets` (`standInFor`: a sloppy quorum's stand-in, for
   * that replica). The coordinator's own copy goes last: it is handled at once, and may settle the
   * phase, after the others are on their way.
   */
  private sendPhase(op: Operation, targets: readonly NodeId[], standInFor: NodeId | null = null): void {
    const body: LeaderlessMessage =
      op.phase === 'store'
        ? { type: 'put', op: op.id, key: op.key, versions: op.toStore, hint: standInFor }
        : op.attempt === null
          ? { type: 'get', op: op.id, key: op.key }
          : { type: 'get', op: op.id, key: op.key, attempt: op.attempt };
    for (const target of targets) {
      if (target === this.id) continue;
      this.sendTo(target, body);
      if (body.type === 'put') this.putSent(op, target);
    }
    if (targets.includes(this.id)) this.sendTo(this.id, body);
  }

  /** A put left for a replica: nothing to count until the replica says the versions are on its disk. */
  protected putSent(_op: Operation, _target: NodeId): void {}

  private onGot(src: NodeId, m: Got): void {
    const op = this.ops.get(m.op);
    if (op === undefined || op.key !== m.key) return;
    if (m.refused) {
      if (op.phase === 'query' && op.kind === 'write' && !op.replied) {
        this.finish(op, this.errorReply(op.request, 'in_doubt', false, `${src} recorded another attempt of this write (or a newer request of client ${op.request.clientId}): an earlier attempt may still take effect, so this one will not write`));
      }
      return;
    }
    op.answers.set(src, m.versions);
    if (op.kind === 'read' && op.merged !== null) return this.lateReadAnswer(op, src, m.versions);
    if (op.phase !== 'query') return;
    const answered = this.replicasCounted(op, (node) => op.answers.has(node));
    if (op.kind === 'read' && answered >= this.quorums.r) return this.readQuorumAnswered(op);
    if (op.kind === 'write' && answered >= this.quorums.query) return this.writeQueryAnswered(op);
  }

  private readQuorumAnswered(op: Operation): void {
    let merged: Version[] = [];
    for (const versions of op.answers.values()) merged = mergeVersions(this.options.resolve, merged, versions);
    op.merged = merged;
    if (this.options.readRepair) for (const [node, versions] of op.answers) this.repairIfStale(op, node, versions);
    if (!this.options.writeBack || merged.length === 0) return this.replyRead(op);
    // ABD's second phase: the replicas that answered with these versions already hold them.
    op.phase = 'store';
    op.toStore = merged;
    for (const [node, versions] of op.answers) if (op.preferred.includes(node) && subsumes(this.options.resolve, versions, merged)) op.acks.add(node);
    if (this.replicasCounted(op, (node) => op.acks.has(node)) >= this.quorums.w) return this.replyRead(op);
    op.nextRetryTick = this.ticks + retryTicks(this.options);
    this.sendPhase(op, op.preferred.filter((node) => !op.acks.has(node)));
  }

  private lateReadAnswer(op: Operation, src: NodeId, versions: Version[]): void {
    const merged = op.merged as Version[];
    if (this.options.readRepair) this.repairIfStale(op, src, versions);
    if (op.phase === 'store' && !op.replied && op.preferred.includes(src) && subsumes(this.options.resolve, versions, merged)) this.onStored(op, src);
    if (op.replied && op.preferred.every((node) => op.answers.has(node))) this.ops.delete(op.id);
  }

  /** Read repair: a replica that answered with less than the read found gets the newest versions. */
  private repairIfStale(op: Operation, node: NodeId, versions: Version[]): void {
    const merged = op.merged as Version[];
    if (!op.preferred.includes(node) || subsumes(this.options.resolve, versions, merged)) return;
    const repair: Repair = { type: 'repair', items: [[op.key, merged]] };
    this.sendTo(node, repair);
  }

  private writeQueryAnswered(op: Operation): void {
    let highest = Number.NEGATIVE_INFINITY;
    for (const versions of op.answers.values()) for (const v of versions) highest = Math.max(highest, v.t);
    op.phase = 'store';
    op.toStore = [this.newVersion(op, this.writeStamp(highest))];
    op.nextRetryTick = this.ticks + retryTicks(this.options);
    op.standIns.clear();
    this.sendPhase(op, op.preferred);
  }

  /** ABD's timestamp: above the highest a quorum holds, and at least the clock's reading. */
  protected writeStamp(highest: number): number {
    return Math.max(this.clockMs, highest + 1);
  }

  private onPutAck(src: NodeId, m: PutAck): void {
    const op = this.ops.get(m.op);
    if (op === undefined || op.key !== m.key || op.phase !== 'store' || op.replied) return;
    this.onStored(op, src);
  }

  /** `node` holds the phase's versions on disk: one more towards W. */
  protected onStored(op: Operation, node: NodeId): void {
    if (op.replied || op.phase !== 'store') return;
    op.acks.add(node);
    if (this.replicasCounted(op, (n) => op.acks.has(n)) < this.quorums.w) return;
    if (op.kind === 'read') return this.replyRead(op);
    this.finish(op, { kind: 'client', clientId: op.request.clientId, seq: op.request.seq, ok: true, value: null });
  }

  private replyRead(op: Operation): void {
    const merged = op.merged ?? [];
    const reply: ClientReply = { kind: 'client', clientId: op.request.clientId, seq: op.request.seq, ok: true, value: this.readResult(merged) };
    if (this.options.resolve === 'vclock') reply.context = encodeContext(vectorOf(merged));
    this.finish(op, reply);
    // Read repair waits a little longer for the replicas that have not answered yet.
    if (this.options.readRepair && !op.preferred.every((node) => op.answers.has(node))) this.ops.set(op.id, op);
  }

  protected readResult(merged: readonly Version[]): KvValue {
    return readValue(merged);
  }

  private finish(op: Operation, reply: ClientReply): void {
    op.replied = true;
    this.ops.delete(op.id);
    this.replies.push(reply);
    const session = this.clients.get(op.request.clientId);
    if (session !== undefined && session.seq === op.request.seq) session.reply = reply;
  }

  private tickOperation(op: Operation): void {
    if (this.ticks - op.startedTick >= this.options.timeoutTicks) {
      this.ops.delete(op.id);
      if (op.replied) return;
      const need = op.phase === 'query' ? (op.kind === 'read' ? this.quorums.r : this.quorums.query) : this.quorums.w;
      const have = this.replicasCounted(op, (node) => this.answeredPhase(op, node));
      const what = op.phase === 'query' ? (op.kind === 'read' ? 'answered the read' : 'answered the write\'s first phase') : 'stored the write';
      this.finish(op, this.errorReply(op.request, 'quorum_timeout', false, `${have} of the ${need} replicas needed ${what} within ${this.options.timeoutTicks} ticks; ${op.kind === 'write' && op.phase === 'store' ? 'the write may still reach them' : 'it may still take effect'}`));
      return;
    }
    if (op.replied || this.ticks < op.nextRetryTick) return;
    op.nextRetryTick = this.ticks + retryTicks(this.options);
    const missing = op.preferred.filter((node) => !this.answeredPhase(op, node));
    this.sendPhase(op, missing);
    if (this.options.sloppy) this.callStandIns(op, missing);
  }

  /**
   * How many of the key's replicas count towards the quorum: each that answered, or whose sloppy
   * quorum stand-in did. A replica and its stand-in count once: the stand-in's copy is the
   * replica's, handed over later, and two copies in one place make one.
   */
  private replicasCounted(op: Operation, answered: (node: NodeId) => boolean): number {
    let count = 0;
    for (const replica of op.preferred) {
      const standIn = op.standIns.get(replica);
      if (answered(replica) || (standIn !== undefined && answered(standIn))) count++;
    }
    return count;
  }

  private answeredPhase(op: Operation, node: NodeId): boolean {
    return op.phase === 'query' ? op.answers.has(node) : op.acks.has(node);
  }

  /**
   * Sloppy quorum (Dynamo §4.6): for each replica still silent, the next node of the ring that is
   * not a replica and not yet standing in stands in for it (a write's copy carries the replica's
   * name as a hint). A stand-in that stays silent too is replaced at the next retry.
   */
  private callStandIns(op: Operation, missing: readonly NodeId[]): void {
    const candidates = this.ring.fallbacks(op.key, this.quorums.n);
    for (const replica of missing) {
      const current = op.standIns.get(replica);
      if (current !== undefined && this.answeredPhase(op, current)) continue;
      const taken = new Set(op.standIns.values());
      const next = candidates.find((node) => !taken.has(node) && !this.answeredPhase(op, node));
      if (next === undefined) return;
      op.standIns.set(replica, next);
      this.sendPhase(op, [next], replica);
    }
  }

  private refuse(request: ClientRequest, error: ClientErrorCode, definite: boolean, message: string): void {
    this.replies.push(this.errorReply(request, error, definite, message));
  }

  private errorReply(request: ClientRequest, error: ClientErrorCode, definite: boolean, message: string): ClientReply {
    return { kind: 'client', clientId: request.clientId, seq: request.seq, ok: false, error, definite, leaderHint: null, message };
  }

  private handleAdmin(request: AdminRequest): void {
    const what = request.command.type === 'campaign' || request.command.type === 'transfer_leadership' ? 'has no leader to elect or hand over' : `has fixed membership (${this.ring.nodes.join(', ')})`;
    this.replies.push({ kind: 'admin', requestId: request.requestId, ok: false, message: `a leaderless cluster ${what}` });
  }

  // ---------------------------------------------------------------------------------------------
  // Ready

  hasReady(): boolean {
    return this.messages.length > 0 || this.replies.length > 0 || this.store.hasChanges();
  }

  ready(): Ready {
    const records = this.store.takeRecords();
    const ready: Ready = { persist: records === null ? null : { records }, messages: this.messages, applied: [], replies: this.replies };
    if (records !== null && !this.persistsBeforeSending()) ready.persistFirst = false;
    this.messages = [];
    this.replies = [];
    return ready;
  }

  /** Versions, hints and recorded attempts go to disk before the acknowledgement or answer that reveals them. */
  protected persistsBeforeSending(): boolean {
    return true;
  }

  // ---------------------------------------------------------------------------------------------
  // Inspection (for the UI, scenarios and tests; never used to drive the algorithm)

  status(): NodeStatus {
    const status: Record<string, string | number | null> = {
      keys: this.store.keyCount,
      hints: this.store.hintCount,
      inFlight: [...this.ops.values()].filter((op) => !op.replied).length,
    };
    if (this.options.resolve === 'lww') status.clockMs = this.clockMs;
    status.replicas = this.quorums.n;
    status.readQuorum = this.quorums.r;
    status.writeQuorum = this.quorums.w;
    if (this.quorums.clamped !== null) status.clamped = this.quorums.clamped;
    return { id: this.id, role: 'replica', leader: null, ...status };
  }

  keyValues(): Array<[string, KvValue]> {
    return this.store.keys().map((key) => [key, readValue(this.store.versions(key))]);
  }

  /** Every key's versions, and the hints held for others. */
  describeState(): string {
    const keys = this.store.keys().sort();
    const main = keys.length === 0 ? '(no keys)' : keys.map((key) => `${key}=${formatVersions(this.store.versions(key))}`).join(' ');
    const hints = this.store.hintList().map((h) => `${h.key}=${formatVersions(h.versions)} for ${h.owner}`);
    return `${main}${hints.length === 0 ? '' : ` | hints: ${hints.join(' ')}`}`;
  }

  /** The key's replicas in ring order (tests and scenarios pick keys by them). */
  replicasOf(key: string): NodeId[] {
    return this.ring.preferenceList(key, this.quorums.n);
  }
}

export type LeaderlessNodeClass = new (context: NodeContext<LeaderlessOptions>, persisted: PersistedState) => LeaderlessNode;

/** Builds the algorithm around a node class, so tests can plug in a mutant subclass. */
export function makeLeaderlessAlgorithm(nodeClass: LeaderlessNodeClass, name = 'leaderless'): Algorithm<LeaderlessOptions, LeaderlessNode> {
  return {
    name,
    title: LEADERLESS_TITLE,
    summary: LEADERLESS_SUMMARY,
    options: LEADERLESS_OPTION_FIELDS,
    defaultOptions: defaultLeaderlessOptions,
    scenarioDefaults: LEADERLESS_SCENARIO_DEFAULTS,
    status: LEADERLESS_STATUS_FIELDS,
    messages: LEADERLESS_MESSAGES,
    actions: [],
    membership: false,
    readsClock: true,
    promises: leaderlessPromise,
    serves: () => LEADERLESS_SERVES,
    createMonitor: createLeaderlessMonitor,
    randomOptions: randomLeaderlessOptions,
    describeMessage: describeLeaderlessMessage,
    create: (context, persisted) => new nodeClass(context, persisted),
  };
}

export const leaderlessAlgorithm = makeLeaderlessAlgorithm(LeaderlessNode);
