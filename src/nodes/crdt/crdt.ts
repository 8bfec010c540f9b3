// Conflict-free replicated data types over gossip (Shapiro, Preguiça, Baquero and Zawirski, 2011):
// every node is a replica that answers every client request at once from its own state, with no
// leader and no quorum, and replicas exchange their states in the background until they agree.
// Whatever order the states arrive in, and however often, the merge (a join in the type's order)
// brings every replica to the same state once each has heard, directly or not, from every other.
//
// The folder, one concept per file:
//   crdt.ts        the replica: restoring from storage, ticks and gossip rounds, merging what peers
//                  send, client requests per data type, Ready assembly, status
//   dots.ts        dots and version vectors (and the context string clients carry)
//   counter.ts     G- and PN-counters: increments kept by request, so a retry counts once
//   dot-store.ts   values tagged with dots, and their causal join (the OR-set's and the register's)
//   orset.ts       the add-wins observed-remove set
//   lww.ts         the last-writer-wins register, stamped by the replica's clock
//   mvregister.ts  the multi-value register: siblings, and writes that carry a context
//   datatypes.ts   the five behind one set of operations; what a digest says, what a peer lacks
//   messages.ts    gossip and its reply (push-pull of digests and deltas)
//   records.ts     what a replica keeps in storage
//   options.ts, descriptor.ts, monitors.ts: as for every algorithm
//
// The methods a mutant test overrides to plant a known bug are `protected`.

import type { KvScalar, KvValue } from '../../shared/history.ts';
import type { AdminRequest, ClientErrorCode, ClientRequest, NodeId, NodeStatus, Reply } from '../../shared/protocol.ts';
import type { Algorithm, ConsensusNode, Envelope, Input, NodeContext, PersistBatch, PersistedState, Ready, Rng } from '../types.ts';
import { increment, operationId, requestStatus, withReplicas, type CounterState } from './counter.ts';
import { covered, deltaFor, emptyState, formatState, heldBy, mergeStates, readValue, sameState, stateLeq, summarize, type CrdtState, type CrdtType, type Summary } from './datatypes.ts';
import { formatVector, parseVector, seen, vectorLeq, type VersionVector } from './dots.ts';
import { writeStamped, type LwwState } from './lww.ts';
import type { GossipMessage } from './messages.ts';
import { contextProblem, writeValue, type MvRegisterState } from './mvregister.ts';
import { addElement, removeElement, type OrSetState } from './orset.ts';
import { defaultCrdtOptions, gossipTicks, type CrdtOptions } from './options.ts';
import { CRDT_MESSAGES, CRDT_OPTION_FIELDS, CRDT_SCENARIO_DEFAULTS, CRDT_STATUS_FIELDS, CRDT_SUMMARY, CRDT_TITLE, crdtPromises, crdtServes, describeCrdtMessage, randomCrdtOptions } from './descriptor.ts';
import { createCrdtMonitor } from './monitors.ts';
import { KEY_RECORD_PREFIX, PEERS_RECORD, SESSION_RECORD_PREFIX, type Session } from './records.ts';

export class CrdtNode implements ConsensusNode {
  readonly id: NodeId;
  protected readonly options: CrdtOptions;
  private readonly rng: Rng;
  private readonly peers: readonly NodeId[];
  /** Every replica, this one included: a counter settles a request once each has moved past it. */
  private readonly replicas: readonly NodeId[];
  private readonly period: number;

  // Durable.
  protected readonly states = new Map<string, CrdtState>();
  private readonly sessions = new Map<number, Session>();

  /** Per peer, the newest digest it sent us: what it held then, at least. Forgotten at a crash. */
  private readonly heard = new Map<NodeId, Map<string, Summary>>();
  private ticks = 0;
  private round = 0;
  /** The node's clock at its last tick (null until its first tick in this life). */
  private clockMs: number | null = null;

  private readonly dirtyKeys = new Set<string>();
  private readonly dirtySessions = new Set<number>();
  private peersToPersist: NodeId[] | null = null;
  private messages: Envelope[] = [];
  private replies: Reply[] = [];

  constructor(context: NodeContext<CrdtOptions>, persisted: PersistedState) {
    this.id = context.id;
    this.options = context.options;
    this.rng = context.rng;
    this.period = gossipTicks(context.options);
    let peers = persisted.records.get(PEERS_RECORD) as NodeId[] | undefined;
    if (peers === undefined) {
      // A restarted node is given no bootstrap list: the first life writes its peers down.
      peers = context.bootstrapVoters.filter((node) => node !== context.id);
      if (context.bootstrapVoters.length > 0) this.peersToPersist = peers;
    }
    this.peers = peers;
    this.replicas = [context.id, ...peers];
    for (const [record, value] of persisted.records) {
      if (record.startsWith(KEY_RECORD_PREFIX)) {
        let state = value as CrdtState;
        if (state.t !== this.options.type) throw new Error(`${this.id}'s storage holds a ${state.t} under ${JSON.stringify(record.slice(KEY_RECORD_PREFIX.length))}, and this cluster runs ${this.options.type}`);
        // A counter written before it settled requests gets its (empty) rows.
        if (state.t === 'g-counter' || state.t === 'pn-counter') state = withReplicas(state, this.replicas);
        this.states.set(record.slice(KEY_RECORD_PREFIX.length), state);
      } else if (record.startsWith(SESSION_RECORD_PREFIX)) {
        this.sessions.set(Number(record.slice(SESSION_RECORD_PREFIX.length)), value as Session);
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Inputs

  step(input: Input): void {
    switch (input.kind) {
      case 'tick':
        this.tick(input.clockMs);
        return;
      case 'message':
        this.receive(input.envelope.src, input.envelope.body as GossipMessage);
        return;
      case 'client':
        this.serve(input.request);
        return;
      case 'admin':
        this.refuseAdmin(input.request);
        return;
    }
  }

  private tick(clockMs: number | undefined): void {
    if (clockMs !== undefined) this.clockMs = clockMs;
    this.ticks++;
    if (this.ticks % this.period === 0) this.gossipRound();
  }

  // -------------------------------------------------------------------------------------------
  // Gossip

  private gossipRound(): void {
    if (this.peers.length === 0) return;
    this.round++;
    const digest = this.digest();
    for (const peer of this.pickPeers()) {
      const known = this.heard.get(peer);
      // Never heard from it in this life: it may lack anything, so it gets everything once.
      const states = this.deltasFor(known ?? new Map(), known === undefined);
      this.send(peer, { type: 'gossip', round: this.round, digest, states });
    }
  }

  /** `fanout` distinct peers drawn with the seeded rng (a partial Fisher-Yates shuffle). */
  private pickPeers(): NodeId[] {
    const pool = [...this.peers];
    const count = Math.min(this.options.fanout, pool.length);
    for (let i = 0; i < count; i++) {
      const j = this.rng.int(i, pool.length);
      [pool[i], pool[j]] = [pool[j] as NodeId, pool[i] as NodeId];
    }
    return pool.slice(0, count);
  }

  private digest(): Array<[string, Summary]> {
    return [...this.states.keys()].sort().map((key) => [key, summarize(this.states.get(key) as CrdtState)]);
  }

  /** Per key, what a peer with this digest lacks. */
  private deltasFor(digest: ReadonlyMap<string, Summary>, everything: boolean): Array<[string, CrdtState]> {
    const out: Array<[string, CrdtState]> = [];
    for (const key of [...this.states.keys()].sort()) {
      const delta = deltaFor(this.states.get(key) as CrdtState, everything ? undefined : digest.get(key));
      if (delta !== null) out.push([key, delta]);
    }
    return out;
  }

  private receive(from: NodeId, message: GossipMessage): void {
    if (message.type !== 'gossip' && message.type !== 'gossip_reply') return;
    for (const [key, incoming] of message.states) this.mergeKey(key, incoming);
    const digest = new Map(message.digest);
    // The newest digest replaces what we knew: an older one arriving late only makes us send more.
    const known = this.heard.get(from) ?? new Map<string, Summary>();
    for (const [key, summary] of digest) known.set(key, summary);
    this.heard.set(from, known);
    if (message.type === 'gossip_reply') return;
    // The pull half: what the sender's digest shows it lacks, and our digest, so that it knows
    // what we lack at its next round. Nothing when the two digests agree.
    const lacking = this.deltasFor(digest, false);
    const weLack = [...digest].some(([key, summary]) => {
      const mine = this.states.get(key);
      return mine === undefined || !covered(summary, summarize(mine));
    });
    if (lacking.length > 0 || weLack) this.send(from, { type: 'gossip_reply', round: message.round, digest: this.digest(), states: lacking });
  }

  private mergeKey(key: string, incoming: CrdtState): void {
    if (incoming.t !== this.options.type) return; // not this cluster's type: nothing a peer of ours sends
    const local = this.states.get(key);
    // Nothing this replica has not seen: the merge would change nothing (a removal or an overwrite
    // is an update with a dot of its own), so skip it. Not so for the multi-value register (see
    // Summary in datatypes.ts), nor for a counter's rows and settled prefixes, which take no dot.
    if (local !== undefined && incoming.t !== 'mv-register' && (incoming.t === 'g-counter' || incoming.t === 'pn-counter' ? stateLeq(incoming, local) : vectorLeq(incoming.vv, local.vv))) return;
    const merged = heldBy(this.merge(local ?? this.emptyState(), incoming), this.id, this.replicas);
    if (local !== undefined && sameState(merged, local)) return;
    this.states.set(key, merged);
    this.dirtyKeys.add(key);
  }

  /** The join of a local state and one a peer sent. */
  protected merge(local: CrdtState, incoming: CrdtState): CrdtState {
    return mergeStates(local, incoming);
  }

  private send(to: NodeId, body: GossipMessage): void {
    this.messages.push({ src: this.id, dest: to, body });
  }

  // -------------------------------------------------------------------------------------------
  // Clients

  private serve(request: ClientRequest): void {
    const op = request.op;
    const served = crdtServes(this.options)[servedDataType(this.options.type)] ?? [];
    if (!served.includes(op.f)) {
      this.fail(request, 'wrong_type', `a ${this.options.type} serves ${served.join(', ')}, not ${op.f}: every key of this cluster is a ${this.options.type}`);
      return;
    }
    if (op.f === 'read') {
      this.answerRead(request, op.key);
      return;
    }
    const session = this.sessions.get(request.clientId);
    if (session !== undefined && request.seq === session.seq) {
      this.ok(request, null, session.context);
      return;
    }
    if (session !== undefined && request.seq < session.seq) {
      this.fail(request, 'stale_request', `request ${request.seq} is older than client ${request.clientId}'s newest update here (${session.seq})`);
      return;
    }
    const state = this.states.get(op.key) ?? this.emptyState();
    const outcome = this.update(request, state);
    if ('refused' in outcome) {
      this.fail(request, outcome.code, outcome.refused);
      return;
    }
    if (outcome.state !== null) {
      this.states.set(op.key, outcome.state);
      this.dirtyKeys.add(op.key);
    }
    const remembered: Session = outcome.context === undefined ? { seq: request.seq } : { seq: request.seq, context: outcome.context };
    this.sessions.set(request.clientId, remembered);
    this.dirtySessions.add(request.clientId);
    this.ok(request, null, outcome.context);
  }

  /** An update's new state (null: unchanged) and the context its reply carries, or why it is refused. */
  private update(request: ClientRequest, state: CrdtState): { state: CrdtState | null; context?: string } | { refused: string; code: ClientErrorCode } {
    const op = request.op;
    switch (op.f) {
      case 'incr': {
        const counter = state as CounterState;
        if (typeof op.value !== 'number' || !Number.isFinite(op.value)) return { refused: `incr takes a number, not ${JSON.stringify(op.value)}`, code: 'wrong_type' };
        if (counter.t === 'g-counter' && op.value < 0) return { refused: `a g-counter only grows: incr ${op.key} by ${op.value} refused (a pn-counter takes either sign)`, code: 'wrong_type' };
        const id = operationId(request.clientId, request.seq);
        const status = requestStatus(counter, id);
        // A retry of an increment another replica made and gossiped here: already counted.
        if (status === 'applied') return { state: null };
        // A late copy of a request its client has moved on from (this key holds a later one of its
        // requests): nobody waits for the answer, and counting it now could count it after the
        // replicas settled it as never made (counter.ts).
        if (status === 'superseded') return { refused: `request ${request.seq} is older than client ${request.clientId}'s newest update of ${op.key}: the client has moved on from it`, code: 'stale_request' };
        return { state: increment(counter, this.id, id, op.value) };
      }
      case 'add':
        return { state: addElement(state as OrSetState, this.id, op.value) };
      case 'remove':
        return { state: removeElement(state as OrSetState, this.id, op.value) };
      case 'write':
        return state.t === 'mv-register' ? this.writeMv(request, state, op.value) : this.writeLww(state as LwwState, op.value);
      default:
        return { refused: `a ${this.options.type} does not take ${op.f}`, code: 'wrong_type' };
    }
  }

  private writeLww(state: LwwState, value: KvScalar): { state: CrdtState } | { refused: string; code: ClientErrorCode } {
    if (this.clockMs === null) return { refused: `${this.id} has not read its clock since it started: it stamps writes from its first tick on`, code: 'unavailable' };
    return { state: writeStamped(state, this.id, value, this.clockMs) };
  }

  private writeMv(request: ClientRequest, state: MvRegisterState, value: KvScalar): { state: CrdtState; context: string } | { refused: string; code: ClientErrorCode } {
    let context: VersionVector | null = null;
    if (request.context !== undefined) {
      const parsed = parseVector(request.context);
      if (typeof parsed === 'string') return { refused: parsed, code: 'wrong_type' };
      const problem = contextProblem(state, this.id, parsed);
      if (problem !== null) return { refused: problem, code: 'wrong_type' };
      context = parsed;
    }
    const written = writeValue(state, this.id, value, context);
    return { state: written.state, context: formatVector(written.context) };
  }

  private emptyState(): CrdtState {
    return emptyState(this.options.type, this.replicas);
  }

  private answerRead(request: ClientRequest, key: string): void {
    const state = this.states.get(key) ?? emptyState(this.options.type);
    this.ok(request, readValue(state), state.t === 'mv-register' ? formatVector(state.vv) : undefined);
  }

  private ok(request: ClientRequest, value: KvValue, context: string | undefined): void {
    const reply: Reply = { kind: 'client', clientId: request.clientId, seq: request.seq, ok: true, value };
    this.replies.push(context === undefined ? reply : { ...reply, context });
  }

  private fail(request: ClientRequest, error: ClientErrorCode, message: string): void {
    this.replies.push({ kind: 'client', clientId: request.clientId, seq: request.seq, ok: false, error, definite: true, leaderHint: null, message });
  }

  private refuseAdmin(request: AdminRequest): void {
    this.replies.push({ kind: 'admin', requestId: request.requestId, ok: false, message: `${request.command.type} refused: CRDT replicas have no leader to elect or hand over, and a fixed membership` });
  }

  // -------------------------------------------------------------------------------------------
  // Ready

  hasReady(): boolean {
    return this.messages.length > 0 || this.replies.length > 0 || this.dirtyKeys.size > 0 || this.dirtySessions.size > 0 || this.peersToPersist !== null;
  }

  ready(): Ready {
    const records: Array<[string, unknown]> = [];
    if (this.peersToPersist !== null) records.push([PEERS_RECORD, this.peersToPersist]);
    for (const key of [...this.dirtyKeys].sort()) records.push([KEY_RECORD_PREFIX + key, this.states.get(key)]);
    for (const client of [...this.dirtySessions].sort((a, b) => a - b)) records.push([SESSION_RECORD_PREFIX + client, this.sessions.get(client)]);
    this.peersToPersist = null;
    this.dirtyKeys.clear();
    this.dirtySessions.clear();
    // Written before the messages and replies that reveal it leave (the default persistFirst): a
    // replica must never gossip or acknowledge an update it could forget in a crash.
    const persist: PersistBatch | null = records.length > 0 ? { records } : null;
    const out: Ready = { persist, messages: this.messages, applied: [], replies: this.replies };
    this.messages = [];
    this.replies = [];
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // What the window and the scenario files see

  status(): NodeStatus {
    let updates = 0;
    for (const state of this.states.values()) updates += seen(state.vv, this.id);
    const status = { id: this.id, role: 'replica', leader: null, type: this.options.type, keys: this.states.size, updates, round: this.round };
    // Only last-writer-wins reads its clock.
    return this.options.type === 'lww-register' ? { ...status, clock: this.clockMs } : status;
  }

  keyValues(): Array<[string, KvValue]> {
    return [...this.states].map(([key, state]) => [key, readValue(state)]);
  }

  describeState(): string {
    const keys = [...this.states.keys()].sort();
    if (keys.length === 0) return '(no keys)';
    return keys.map((key) => `${key}=${formatState(this.states.get(key) as CrdtState)}`).join('; ');
  }

  /** A key's state, for tests that compare replicas. */
  stateOf(key: string): CrdtState | undefined {
    return this.states.get(key);
  }

  keys(): string[] {
    return [...this.states.keys()].sort();
  }
}

/** Which of the workload's data types a CRDT type is. */
export function servedDataType(type: CrdtType): 'counter' | 'set' | 'kv' {
  return type === 'g-counter' || type === 'pn-counter' ? 'counter' : type === 'or-set' ? 'set' : 'kv';
}

export type CrdtNodeClass = new (context: NodeContext<CrdtOptions>, persisted: PersistedState) => CrdtNode;

export function makeCrdtAlgorithm(nodeClass: CrdtNodeClass, name = 'crdt'): Algorithm<CrdtOptions, CrdtNode> {
  return {
    name,
    title: CRDT_TITLE,
    summary: CRDT_SUMMARY,
    options: CRDT_OPTION_FIELDS,
    defaultOptions: defaultCrdtOptions,
    scenarioDefaults: CRDT_SCENARIO_DEFAULTS,
    status: CRDT_STATUS_FIELDS,
    messages: CRDT_MESSAGES,
    actions: [],
    membership: false,
    roleLabels: {},
    readsClock: true,
    promises: crdtPromises,
    serves: crdtServes,
    createMonitor: createCrdtMonitor,
    randomOptions: randomCrdtOptions,
    describeMessage: describeCrdtMessage,
    create: (context, persisted) => new nodeClass(context, persisted),
  };
}

export const crdtAlgorithm = makeCrdtAlgorithm(CrdtNode);
