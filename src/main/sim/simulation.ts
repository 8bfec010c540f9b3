// The deterministic cluster simulator: one thread, virtual time, in-memory storage, a seeded
// network. Everything random comes from one seed, so a run is a pure function of its seed and
// options: the fuzzer, the property tests, the data generator and replay all stand on that.

import type { HistoryEvent, OpFunction, OpValue, RequestFunction, WorkloadDataType } from '../../shared/history.ts';
import type { AdminCommand, ClientReply, ClientRequest, KvOp, NodeId, NodeStatus, Reply } from '../../shared/protocol.ts';
import { createRng, type Rng } from '../../shared/rng.ts';
import { historyFunction, historyValue } from '../../shared/protocol.ts';
import type { Algorithm, ConsensusNode, Envelope, Input, Ready } from '../../nodes/types.ts';
import { MemoryStorage } from '../../nodes/storage.ts';
import { servedRequests } from '../../nodes/index.ts';
import { TICK_MS } from '../../shared/protocol.ts';
import { EventQueue } from './event-queue.ts';
import { defaultLinkRule, NetworkRules, type LinkRule } from './network-rules.ts';
import { DEFAULT_MIXES, WorkloadGenerator, type OperationMix } from './workload.ts';

export type { OperationMix };
import type { ClusterObserver } from '../runtime/observer.ts';
import type { RecordingSink, StepTap } from '../runtime/sink.ts';
import type { WireEnvelope, WireInput } from '../../nodes/host/protocol.ts';
import { encodeInputBatch } from '../../nodes/host/wire.ts';
import { describeFault, type Fault } from '../../shared/fault.ts';
import type { FaultTarget } from '../runtime/faults.ts';
import { CausalContexts, givenUp, judgeReply, MAX_ATTEMPTS } from '../runtime/client.ts';
import { clockReading, setSkew, steadyClock, ticksDue, type NodeClock } from '../runtime/clock.ts';

export { defaultLinkRule, type LinkRule };

export interface WorkloadOptions {
  clients: number;
  /** Operations per virtual second, all clients together. */
  rate: number;
  keys: number;
  /** What the keys hold: registers, counters or sets (the algorithm must serve it). */
  dataType: WorkloadDataType;
  /** Weights of the data type's requests (absent: DEFAULT_MIXES); requests the algorithm does not serve get none. */
  mix: OperationMix;
  /** A client gives up on an operation after this long and records it as `info`. */
  timeoutMs: number;
  /** One-way delay between a client and a node. */
  clientDelayMs: number;
  /**
   * Probability that a client whose attempt ended uncertain (timeout, indefinite error) sends the
   * same request, same client id and sequence number, to another node instead of giving up: only
   * such retries make a state machine's exactly-once deduplication do any work.
   */
  retrySameSeq: number;
  /** Probability that the network delivers a client's request twice (the copy arrives later). */
  duplicateRequests: number;
  /**
   * Each client draws its operations from a stream of its own, so that the same seed gives every
   * client the same operations whatever the algorithm answers (a comparison of two algorithms);
   * off, one stream serves all clients in the order they ask (the fuzz's runs, as they always were).
   */
  opsPerClient?: boolean;
}

export const defaultWorkload: WorkloadOptions = {
  clients: 5,
  rate: 50,
  keys: 8,
  dataType: 'kv',
  mix: DEFAULT_MIXES.kv,
  timeoutMs: 1000,
  clientDelayMs: 0.5,
  retrySameSeq: 0,
  duplicateRequests: 0,
};

export interface SimulationOptions<O = unknown> {
  algorithm: Algorithm<O>;
  nodes: number;
  seed: number;
  algorithmOptions?: Partial<O>;
  network?: Partial<LinkRule>;
  /** null: no clients. */
  workload?: Partial<WorkloadOptions> | null;
  observers?: ClusterObserver[];
  /** Called for every trace event; leave unset on hot paths. */
  trace?: (event: TraceEvent) => void;
  /** Gets every node life, input and Ready, as the worker-thread cluster gives them. */
  recorder?: RecordingSink;
  /** Gets every step of every node as it happens, with the node itself. */
  stepTap?: StepTap;
  tickMs?: number;
}

export type TraceEvent =
  | { kind: 'send' | 'deliver' | 'drop' | 'duplicate'; timeUs: number; src: NodeId; dest: NodeId; type: string; reason?: string }
  | { kind: 'fault'; timeUs: number; description: string; fault: Fault }
  | { kind: 'history'; timeUs: number; event: HistoryEvent };

export interface SimulationStats {
  steps: number;
  virtualMs: number;
  sent: number;
  delivered: number;
  dropped: number;
  duplicated: number;
  elections: number;
  ops: { ok: number; fail: number; info: number };
  /** Client requests the network delivered twice. */
  requestDuplicates: number;
  /** Uncertain operations sent again under the same client id and sequence number. */
  sameSeqRetries: number;
  /** Nodes crashed after a Ready's messages left and before its overlapping write was done. */
  tornWrites: number;
}

const EV_TICK = 0;
const EV_DELIVER = 1;
const EV_CLIENT_ARRIVE = 2;
const EV_CLIENT_REPLY = 3;
const EV_CLIENT_TIMEOUT = 4;
const EV_CLIENT_NEXT = 5;
const EV_CALL = 6;

interface SimEvent {
  time: number;
  seq: number;
  kind: number;
  /** Index of the node or client the event concerns. */
  target: number;
  envelope: Envelope | null;
  request: ClientRequest | null;
  reply: ClientReply | null;
  token: number;
  call: (() => void) | null;
}

interface Member {
  id: NodeId;
  index: number;
  storage: MemoryStorage;
  node: ConsensusNode | null;
  paused: boolean;
  restarts: number;
  /** Inputs that arrived while paused, delivered in order at resume. */
  held: Input[];
  wasLeader: boolean;
  /** Its clock (a clock-skew fault): how far off, and how much faster it runs than the harness's. */
  clock: NodeClock;
}

interface OpenOp {
  f: OpFunction;
  key: string;
  value: OpValue;
  op: KvOp;
  token: number;
  attempts: number;
  /** The operation's sequence number, the same for every attempt (0 until the first is sent). */
  seq: number;
  uncertain: boolean;
  /** The causal context sent with every attempt (a write of a key the client read siblings of). */
  context: string | undefined;
}

interface Client {
  process: number;
  target: number;
  seq: number;
  open: OpenOp | null;
  contexts: CausalContexts;
  /** Its own operations (opsPerClient), else the simulation's one generator. */
  generator?: WorkloadGenerator;
  /** One of the final reads: its invoke and completion carry `final: true`. */
  final?: boolean;
  /** An operation sent by hand (submit): told how it ended, and never sends another. */
  done?: (outcome: SubmittedOutcome) => void;
}

/** How an operation sent by hand ended: the history's type, and the value it read or wrote. */
export interface SubmittedOutcome {
  type: 'ok' | 'fail' | 'info';
  value: OpValue;
}

const TICK_INPUT: Input = { kind: 'tick' };

export class SimulationError extends Error {
  readonly step: number;
  readonly timeUs: number;
  override readonly cause: unknown;
  constructor(message: string, step: number, timeUs: number, cause: unknown) {
    super(message);
    this.step = step;
    this.timeUs = timeUs;
    this.cause = cause;
  }
}

export class Simulation<O = unknown> implements FaultTarget {
  /** Every link's rule when the run started: what undoing a network fault returns to. */
  readonly startingRule: LinkRule;
  readonly seed: number;
  private readonly algorithm: Algorithm<O>;
  private readonly algorithmOptions: O;
  /** Its ticks carry each node's clock reading (last-writer-wins timestamps). */
  private readonly readsClock: boolean;
  private readonly rng: Rng;
  private readonly networkRng: Rng;
  private readonly clientRng: Rng;
  private readonly queue = new EventQueue<SimEvent>();
  private readonly members: Member[] = [];
  private readonly indexOf = new Map<NodeId, number>();
  private readonly observers: ClusterObserver[];
  private readonly traceFn: ((event: TraceEvent) => void) | undefined;
  private readonly recorder: RecordingSink | undefined;
  private readonly stepTap: StepTap | undefined;
  private readonly tickUs: number;
  private now = 0;
  private steps = 0;
  private readonly network: NetworkRules;
  private readonly workload: WorkloadOptions | null;
  private readonly clients: Client[] = [];
  private readonly historyEvents: HistoryEvent[] = [];
  private readonly generator: WorkloadGenerator | null;
  private nextToken = 1;
  private nextAdminId = 1;
  readonly adminReplies: Array<{ node: NodeId; reply: Reply }> = [];
  private hash1 = 0x811c9dc5;
  private hash2 = 0x01000193;
  readonly stats: SimulationStats = {
    steps: 0,
    virtualMs: 0,
    sent: 0,
    delivered: 0,
    dropped: 0,
    duplicated: 0,
    elections: 0,
    ops: { ok: 0, fail: 0, info: 0 },
    requestDuplicates: 0,
    sameSeqRetries: 0,
    tornWrites: 0,
  };
  private readonly sendListeners: Array<(envelope: Envelope) => boolean | void> = [];
  private readonly electedListeners: Array<(node: NodeId, status: NodeStatus) => void> = [];
  private readonly overlappedWriteListeners: Array<(node: NodeId) => boolean> = [];
  private readonly deliveredListeners: Array<(envelope: Envelope) => void> = [];

  constructor(options: SimulationOptions<O>) {
    this.seed = options.seed;
    this.algorithm = options.algorithm;
    this.readsClock = options.algorithm.readsClock === true;
    this.algorithmOptions = { ...options.algorithm.defaultOptions, ...(options.algorithmOptions ?? {}) } as O;
    this.rng = createRng(options.seed);
    this.networkRng = this.rng.fork('network');
    this.clientRng = this.rng.fork('clients');
    this.observers = options.observers ?? [];
    this.traceFn = options.trace;
    this.recorder = options.recorder;
    this.stepTap = options.stepTap;
    this.tickUs = Math.round((options.tickMs ?? TICK_MS) * 1000);
    this.startingRule = { ...defaultLinkRule, ...(options.network ?? {}) };
    this.network = new NetworkRules(this.startingRule);
    const ids = Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`);
    for (const id of ids) this.createMember(id, ids);
    const dataType = options.workload?.dataType ?? defaultWorkload.dataType;
    this.workload = options.workload === null ? null : { ...defaultWorkload, ...(options.workload ?? {}), mix: { ...DEFAULT_MIXES[dataType], ...(options.workload?.mix ?? {}) } };
    const served = this.workload === null ? [] : servedFor(options.algorithm, this.algorithmOptions, dataType);
    this.generator = this.workload === null ? null : new WorkloadGenerator(this.clientRng, this.workload.keys, this.workload.mix, dataType, served);
    if (this.workload !== null && this.workload.rate > 0) {
      const w = this.workload;
      const opsRoot = createRng(options.seed).fork('client ops');
      for (let c = 0; c < w.clients; c++) {
        const generator = w.opsPerClient === true ? new WorkloadGenerator(opsRoot.fork(`client ${c + 1}`), w.keys, w.mix, dataType, served, { index: c, of: w.clients }) : undefined;
        this.clients.push({ process: c + 1, target: this.clientRng.int(0, this.members.length), seq: 0, open: null, contexts: new CausalContexts(), ...(generator === undefined ? {} : { generator }) });
        this.schedule(this.now + this.thinkTimeUs(), EV_CLIENT_NEXT, c, null, null, null, 0);
      }
    }
    this.schedule(this.tickUs, EV_TICK, 0, null, null, null, 0);
  }

  // -------------------------------------------------------------------------------------------
  // Running

  get timeUs(): number {
    return this.now;
  }

  /** Processes one event. Returns false when nothing is left to do. */
  step(): boolean {
    const event = this.queue.pop();
    if (event === undefined) return false;
    this.now = event.time;
    this.steps++;
    try {
      this.dispatch(event);
    } catch (error) {
      if (error instanceof SimulationError) throw error;
      const message = error instanceof Error ? error.message : String(error);
      throw new SimulationError(message, this.steps, this.now, error);
    }
    return true;
  }

  /** Runs until virtual time advances by `ms`, or until `maxSteps` events were processed. */
  runFor(ms: number, maxSteps = Number.POSITIVE_INFINITY): void {
    const until = this.now + Math.round(ms * 1000);
    const stepLimit = this.steps + maxSteps;
    while (this.queue.peekTime() <= until && this.steps < stepLimit) this.step();
    if (this.steps < stepLimit && this.now < until) this.now = until;
    this.syncStats();
  }

  /** Runs until `predicate` holds (checked after every event) or `limitMs` of virtual time pass. */
  runUntil(predicate: () => boolean, limitMs: number): boolean {
    const until = this.now + Math.round(limitMs * 1000);
    while (!predicate()) {
      if (this.queue.peekTime() > until || !this.step()) {
        this.syncStats();
        return false;
      }
    }
    this.syncStats();
    return true;
  }

  private syncStats(): void {
    this.stats.steps = this.steps;
    this.stats.virtualMs = this.now / 1000;
  }

  private schedule(time: number, kind: number, target: number, envelope: Envelope | null, request: ClientRequest | null, reply: ClientReply | null, token: number): void {
    this.queue.push({ time, seq: 0, kind, target, envelope, request, reply, token, call: null });
  }

  /** Runs `fn` at virtual time now + ms (fault schedules use this). */
  at(ms: number, fn: () => void): void {
    this.queue.push({ time: this.now + Math.max(1, Math.round(ms * 1000)), seq: 0, kind: EV_CALL, target: 0, envelope: null, request: null, reply: null, token: 0, call: fn });
  }

  private dispatch(event: SimEvent): void {
    switch (event.kind) {
      case EV_TICK: {
        for (const member of this.members) {
          if (member.node === null || member.paused) continue;
          // A drifting clock gets more ticks (or fewer) than the harness's.
          const tick = this.readsClock ? { kind: 'tick' as const, clockMs: clockReading(member.clock, this.now / 1000) } : TICK_INPUT;
          for (let n = ticksDue(member.clock, this.tickUs / 1000); n > 0; n--) this.stepNode(member, tick);
        }
        this.schedule(this.now + this.tickUs, EV_TICK, 0, null, null, null, 0);
        return;
      }
      case EV_DELIVER:
        this.deliver(event.envelope as Envelope, event.target);
        return;
      case EV_CLIENT_ARRIVE:
        this.clientArrive(event.target, event.request as ClientRequest);
        return;
      case EV_CLIENT_REPLY:
        this.clientReply(event.target, event.reply as ClientReply, event.token);
        return;
      case EV_CLIENT_TIMEOUT:
        this.clientTimeout(event.target, event.token);
        return;
      case EV_CLIENT_NEXT:
        this.clientNext(event.target);
        return;
      case EV_CALL:
        (event.call as () => void)();
        return;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Nodes

  private createMember(id: NodeId, bootstrapVoters: NodeId[]): Member {
    const member: Member = { id, index: this.members.length, storage: new MemoryStorage(), node: null, paused: false, restarts: 0, held: [], wasLeader: false, clock: steadyClock() };
    this.members.push(member);
    this.indexOf.set(id, member.index);
    this.startNode(member, bootstrapVoters);
    return member;
  }

  private startNode(member: Member, bootstrapVoters: NodeId[]): void {
    const persisted = member.storage.load();
    const rng = createRng(this.seed).fork(`${member.id}/${member.restarts}`);
    if (this.recorder) {
      this.recorder.life(member.id, { algorithm: this.algorithm.name, options: this.algorithmOptions as Record<string, unknown>, bootstrapVoters, seed: this.seed, restarts: member.restarts }, this.now / 1000);
      this.recorder.started(member.id, persisted);
    }
    member.node = this.algorithm.create({ id: member.id, bootstrapVoters, rng, options: this.algorithmOptions }, persisted);
    member.wasLeader = false;
    if (this.observers.length > 0) {
      const status = member.node.status();
      for (const o of this.observers) o.onNodeStart?.(member.id, persisted, status, this.now);
    }
    const torn = this.drain(member);
    this.stepTap?.lifeStarted(member.id, member.node);
    if (torn) this.crash(member.id);
  }

  /**
   * Carries out every pending Ready of a node, in the contract's order; `done` gets each one.
   * Returns true when a Ready whose write overlapped its sends (persistFirst false) was cut short:
   * the node crashes, as on worker threads, after its messages left and before its write was done;
   * the caller crashes it once the step is accounted for.
   */
  private drain(member: Member, done?: Ready[]): boolean {
    const node = member.node;
    if (node === null) return false;
    while (node.hasReady()) {
      const ready = node.ready();
      done?.push(ready);
      // The write lost, the messages and replies out: the monitors judge what the node wrote, so
      // they are told it wrote nothing, and the node takes no further part in elections.
      const torn = ready.persistFirst === false && ready.persist !== null && this.overlappedWriteListeners.some((listener) => listener(member.id));
      if (torn) this.stats.tornWrites++;
      else if (ready.persist !== null) member.storage.write(ready.persist);
      const status = node.status();
      const elected = !torn && status.role === 'leader' && !member.wasLeader;
      if (elected) this.stats.elections++;
      if (!torn) member.wasLeader = status.role === 'leader';
      const observed = torn ? { ...ready, persist: null } : ready;
      for (const o of this.observers) o.onReady?.(member.id, observed, status, this.now);
      if (this.recorder) this.recorder.output(member.id, ready.messages.map((m) => this.wire(m)), JSON.stringify(ready.replies), status, this.now / 1000);
      for (const envelope of ready.messages) this.send(envelope);
      if (elected) for (const listener of this.electedListeners) listener(member.id, status);
      for (const reply of ready.replies) {
        if (reply.kind === 'client') {
          const client = reply.clientId - 1;
          if (client >= 0 && client < this.clients.length) {
            this.schedule(this.now + this.clientDelayUs(), EV_CLIENT_REPLY, client, null, null, reply, member.index);
          }
        } else {
          this.adminReplies.push({ node: member.id, reply });
        }
      }
      if (torn) return true;
    }
    return false;
  }

  private input(member: Member, input: Input): void {
    if (member.node === null) return;
    if (member.paused) {
      member.held.push(input);
      return;
    }
    this.stepNode(member, input);
  }

  /** A message's JSON for the recording, made once: when it is sent and again when it arrives. */
  private readonly bodyText = new WeakMap<object, string>();

  private wire(envelope: Envelope): WireEnvelope {
    let body = this.bodyText.get(envelope.body);
    if (body === undefined) {
      body = JSON.stringify(envelope.body);
      this.bodyText.set(envelope.body, body);
    }
    return { src: envelope.src, dest: envelope.dest, type: envelope.body.type, body };
  }

  /** Steps a live node with one input and carries out what it produced. */
  private stepNode(member: Member, input: Input): void {
    const node = member.node as ConsensusNode;
    let inputJson: string | null = null;
    if (this.recorder || this.stepTap) {
      const wired: WireInput[] = [input.kind === 'message' ? { kind: 'wire', envelope: this.wire(input.envelope) } : input];
      // The batch as the recording keeps it is the step's input in a transition.
      inputJson = this.recorder ? this.recorder.encodeInputs(member.id, wired, this.now / 1000) : encodeInputBatch(wired);
    }
    node.step(input);
    if (this.stepTap === undefined) {
      if (this.drain(member)) this.crash(member.id);
      return;
    }
    const readies: Ready[] = [];
    const torn = this.drain(member, readies);
    this.stepTap.stepped(member.id, node, inputJson as string, readies, this.now / 1000);
    if (torn) this.crash(member.id);
  }

  private member(id: NodeId): Member {
    const index = this.indexOf.get(id);
    if (index === undefined) throw new Error(`no node ${id}`);
    return this.members[index] as Member;
  }

  /** The algorithm the cluster runs: its descriptor tells fault schedules what its messages and actions are. */
  get algorithmDescriptor(): Algorithm<O> {
    return this.algorithm;
  }

  get nodeIds(): NodeId[] {
    return this.members.map((m) => m.id);
  }

  node(id: NodeId): ConsensusNode | null {
    return this.member(id).node;
  }

  status(id: NodeId): NodeStatus | null {
    return this.member(id).node?.status() ?? null;
  }

  isUp(id: NodeId): boolean {
    return this.member(id).node !== null;
  }

  isPaused(id: NodeId): boolean {
    return this.member(id).paused;
  }

  /** The live leader with the highest term, if any. */
  leader(): NodeId | null {
    let best: NodeStatus | null = null;
    for (const m of this.members) {
      const s = m.node?.status();
      if (s && s.role === 'leader' && (best === null || (s.term ?? 0) > (best.term ?? 0))) best = s;
    }
    return best?.id ?? null;
  }

  crash(id: NodeId): void {
    const member = this.member(id);
    if (member.node === null) return;
    member.node = null;
    member.paused = false;
    member.held = [];
    member.wasLeader = false;
    this.fault({ kind: 'crash', node: id });
    for (const o of this.observers) o.onNodeCrash?.(id, this.now);
    this.stepTap?.crashed(id);
  }

  restart(id: NodeId): void {
    const member = this.member(id);
    if (member.node !== null) return;
    member.restarts++;
    this.fault({ kind: 'restart', node: id });
    this.startNode(member, []);
  }

  pause(id: NodeId): void {
    const member = this.member(id);
    if (member.node === null || member.paused) return;
    member.paused = true;
    this.fault({ kind: 'pause', node: id });
  }

  resume(id: NodeId): void {
    const member = this.member(id);
    if (!member.paused) return;
    member.paused = false;
    this.fault({ kind: 'resume', node: id });
    const held = member.held;
    member.held = [];
    for (const input of held) this.input(member, input);
  }

  admin(id: NodeId, command: AdminCommand): number {
    const requestId = this.nextAdminId++;
    this.fault({ kind: 'admin', node: id, command });
    this.input(this.member(id), { kind: 'admin', request: { requestId, command } });
    return requestId;
  }

  /** A new, empty server; it takes part once a leader adds it with an `add_server` command. */
  addNode(): NodeId {
    const id = `n${this.members.length + 1}`;
    this.fault({ kind: 'add-node', node: id });
    this.createMember(id, []);
    return id;
  }

  // -------------------------------------------------------------------------------------------
  // The network

  cut(from: NodeId, to: NodeId): void {
    this.network.cut(this.member(from).id, this.member(to).id);
    this.fault({ kind: 'cut', from, to });
  }

  cutBoth(a: NodeId, b: NodeId): void {
    this.cut(a, b);
    this.cut(b, a);
  }

  /** The node alone on one side, everyone else on the other: a partition, as the live cluster's isolate is. */
  isolate(id: NodeId): void {
    this.partition([[this.member(id).id], this.nodeIds.filter((other) => other !== id)]);
  }

  partition(groups: NodeId[][]): void {
    this.network.partition(groups, this.nodeIds);
    this.fault({ kind: 'partition', groups });
  }

  heal(): void {
    this.network.heal();
    this.fault({ kind: 'heal' });
  }

  /** The node's clock runs `drift` faster (0.5: half again as fast; -0.5: half as fast) and reads `offsetMs` off. */
  skewClock(node: NodeId, offsetMs: number, drift: number): void {
    setSkew(this.member(node).clock, offsetMs, drift);
    this.fault({ kind: 'clock-skew', node, offsetMs, drift });
  }

  /** Restores one direction of a link. */
  uncut(from: NodeId, to: NodeId): void {
    this.network.uncut(this.member(from).id, this.member(to).id);
    this.fault({ kind: 'uncut', from, to });
  }

  isCut(from: NodeId, to: NodeId): boolean {
    return this.network.isCut(from, to);
  }

  setNetwork(rule: Partial<LinkRule>): void {
    this.network.setDefault(rule);
    this.fault({ kind: 'network', rule });
  }

  setLink(from: NodeId, to: NodeId, rule: Partial<LinkRule> | null): void {
    this.network.setLink(from, to, rule);
    this.fault({ kind: 'link', from, to, rule });
  }

  resetNetwork(): void {
    this.network.reset();
    this.fault({ kind: 'network', rule: null });
  }

  /**
   * Every message a node sends, before the network decides its fate (fault schedules aim with it).
   * A listener that returns true takes the message off the network: it is dropped there, and the
   * fault may deliver it later with deliverLate (a message held).
   */
  onSend(listener: (envelope: Envelope) => boolean | void): void {
    this.sendListeners.push(listener);
  }

  /** Every message a live node received, after it stepped with it and its Readies were carried out. */
  onDelivered(listener: (envelope: Envelope) => void): void {
    this.deliveredListeners.push(listener);
  }

  /** A node that becomes leader (status role 'leader'), right after its first Ready as leader went out. */
  /**
   * Asked for every Ready whose write may overlap its sends (persistFirst false): true crashes the
   * node after its messages left and before the write was done (fault schedules aim with it).
   */
  onOverlappedWrite(listener: (node: NodeId) => boolean): void {
    this.overlappedWriteListeners.push(listener);
  }

  onElected(listener: (node: NodeId, status: NodeStatus) => void): void {
    this.electedListeners.push(listener);
  }

  /** Delivers a copy of a message `ms` from now, whatever became of the original: an old message replayed. */
  deliverLate(envelope: Envelope, ms: number): void {
    const dest = this.indexOf.get(envelope.dest);
    if (dest === undefined) return;
    this.stats.duplicated++;
    this.mix(4, envelope, dest);
    if (this.traceFn) this.traceFn({ kind: 'duplicate', timeUs: this.now, src: envelope.src, dest: envelope.dest, type: envelope.body.type, reason: `replayed in ${ms.toFixed(1)} ms` });
    this.schedule(this.now + Math.max(20, Math.round(ms * 1000)), EV_DELIVER, dest, envelope, null, null, 0);
  }

  private send(envelope: Envelope): void {
    this.stats.sent++;
    let taken = false;
    for (let i = 0; i < this.sendListeners.length; i++) if ((this.sendListeners[i] as (envelope: Envelope) => boolean | void)(envelope) === true) taken = true;
    const dest = this.indexOf.get(envelope.dest);
    if (dest === undefined) return;
    const network = this.network;
    this.mix(1, envelope, dest);
    if (this.traceFn) this.traceFn({ kind: 'send', timeUs: this.now, src: envelope.src, dest: envelope.dest, type: envelope.body.type });
    if (taken) {
      this.dropped(envelope, 'held by a fault');
      return;
    }
    if (network.isCut(envelope.src, envelope.dest)) {
      this.dropped(envelope, 'link cut');
      return;
    }
    const rule = network.ruleFor(envelope.src, envelope.dest);
    const rng = this.networkRng;
    if (rule.drop > 0 && rng.chance(rule.drop)) {
      this.dropped(envelope, 'dropped');
      return;
    }
    this.schedule(this.now + this.delayUs(rule), EV_DELIVER, dest, envelope, null, null, 0);
    if (rule.duplicate > 0 && rng.chance(rule.duplicate)) {
      this.stats.duplicated++;
      if (this.traceFn) this.traceFn({ kind: 'duplicate', timeUs: this.now, src: envelope.src, dest: envelope.dest, type: envelope.body.type });
      this.schedule(this.now + this.delayUs(rule), EV_DELIVER, dest, envelope, null, null, 0);
    }
  }

  private delayUs(rule: LinkRule): number {
    const rng = this.networkRng;
    let ms = rule.delayMs + (rule.jitterMs > 0 ? (rng.next() * 2 - 1) * rule.jitterMs : 0);
    if (rule.reorder > 0 && rng.chance(rule.reorder)) ms += rng.next() * (10 * rule.delayMs + 5);
    return Math.max(20, Math.round(ms * 1000));
  }

  private dropped(envelope: Envelope, reason: string): void {
    this.stats.dropped++;
    this.mix(3, envelope, 0);
    if (this.traceFn) this.traceFn({ kind: 'drop', timeUs: this.now, src: envelope.src, dest: envelope.dest, type: envelope.body.type, reason });
  }

  private deliver(envelope: Envelope, dest: number): void {
    const member = this.members[dest] as Member;
    if (member.node === null) {
      this.dropped(envelope, `${member.id} is down`);
      return;
    }
    if (this.network.isCut(envelope.src, envelope.dest)) {
      this.dropped(envelope, 'link cut');
      return;
    }
    this.stats.delivered++;
    this.mix(2, envelope, dest);
    if (this.traceFn) this.traceFn({ kind: 'deliver', timeUs: this.now, src: envelope.src, dest: envelope.dest, type: envelope.body.type });
    if (member.paused) {
      member.held.push({ kind: 'message', envelope });
      return;
    }
    // Nodes do not keep their inputs, so one input object serves every delivery.
    this.messageInput.envelope = envelope;
    this.stepNode(member, this.messageInput);
    for (let i = 0; i < this.deliveredListeners.length; i++) (this.deliveredListeners[i] as (envelope: Envelope) => void)(envelope);
  }

  private readonly messageInput: { kind: 'message'; envelope: Envelope } = { kind: 'message', envelope: { src: '', dest: '', body: { type: '' } } };

  // -------------------------------------------------------------------------------------------
  // Clients

  private clientDelayUs(): number {
    const ms = this.workload?.clientDelayMs ?? 0.5;
    return Math.max(20, Math.round(ms * 1000 * (0.5 + this.clientRng.next())));
  }

  private thinkTimeUs(): number {
    const w = this.workload as WorkloadOptions;
    const meanUs = (w.clients / w.rate) * 1e6;
    return Math.max(1, Math.round(-Math.log(1 - this.clientRng.next()) * meanUs));
  }

  private record(event: HistoryEvent): void {
    this.historyEvents.push(event);
    this.mixNumber(event.process * 31 + event.type.length * 7 + event.f.length);
    for (const o of this.observers) o.onHistoryEvent?.(event);
    if (this.traceFn) this.traceFn({ kind: 'history', timeUs: this.now, event });
  }

  /**
   * The end of a run whose convergence is judged: the workload stops, `quietMs` pass (open
   * operations end, replicas exchange what they missed), then a client at each node reads every
   * key once, marked final; waits up to the workload's timeout for them. Returns the number of
   * final reads that were acknowledged. `keys`: the keys to read (default: the workload's).
   */
  finalReads(quietMs: number, maxSteps = Number.POSITIVE_INFINITY, keys?: readonly string[]): number {
    const w = this.workload ?? (keys === undefined ? null : defaultWorkload);
    if (w === null || this.finalReadsDone) return 0;
    this.finalReadsDone = true;
    this.clientsStopped = true;
    const toRead = keys ?? Array.from({ length: w.keys }, (_, k) => `k${k}`);
    this.runFor(quietMs, maxSteps);
    const first = this.clients.length;
    for (let n = 0; n < this.members.length; n++) {
      for (const key of toRead) {
        const c = this.clients.length;
        const client: Client = { process: c + 1, target: n, seq: 0, open: null, contexts: new CausalContexts(), final: true };
        this.clients.push(client);
        const token = this.nextToken++;
        client.open = { f: 'read', key, value: null, op: { f: 'read', key }, token, attempts: 0, seq: 0, uncertain: false, context: undefined };
        this.record({ process: client.process, type: 'invoke', f: 'read', key, value: null, time: this.now * 1000, final: true });
        this.schedule(this.now + Math.round(w.timeoutMs * 1000), EV_CLIENT_TIMEOUT, c, null, null, null, token);
        this.sendRequest(c);
      }
    }
    const before = this.stats.ops.ok;
    this.runUntil(() => this.clients.slice(first).every((client) => client.open === null) || this.steps >= maxSteps, w.timeoutMs * 2);
    return this.stats.ops.ok - before;
  }

  private clientsStopped = false;
  /** Clients of operations by hand that keep a session: their number -> their index. */
  private readonly sessions = new Map<number, number>();
  private finalReadsDone = false;

  /** Stops the workload's clients (an operation open still ends), or starts them again. */
  setWorkloadRunning(running: boolean): void {
    if (running === !this.clientsStopped) return;
    this.clientsStopped = !running;
    if (!running || this.workload === null || this.workload.rate <= 0) return;
    for (let c = 0; c < this.clients.length; c++) {
      const client = this.clients[c] as Client;
      if (client.final !== true && client.done === undefined) this.schedule(this.now + this.thinkTimeUs(), EV_CLIENT_NEXT, c, null, null, null, 0);
    }
  }

  get workloadRunning(): boolean {
    return !this.clientsStopped && this.workload !== null && this.workload.rate > 0;
  }

  /**
   * One operation by hand, as a client of its own sends it: to `target` (null: to whoever leads,
   * or the first node), following redirects, recorded in the history like every client's; `done`
   * learns how it ended once the simulation has run that far.
   */
  submit(op: KvOp, target: NodeId | null, done: (outcome: SubmittedOutcome) => void = () => undefined, session?: number): void {
    const w = this.workload ?? defaultWorkload;
    const to = target ?? this.leader() ?? (this.members[0] as Member).id;
    const index = this.indexOf.get(to);
    if (index === undefined) throw new RangeError(`no node ${to}`);
    // A session (a client of its own, by number) keeps its process, sequence numbers and causal
    // contexts from one operation to the next: what the session guarantees are about.
    const known = session === undefined ? undefined : this.sessions.get(session);
    const c = known ?? this.clients.length;
    let client = this.clients[c];
    if (client !== undefined && client.open !== null) throw new RangeError(`client ${session} has an operation open already`);
    if (client === undefined) {
      client = { process: c + 1, target: index, seq: 0, open: null, contexts: new CausalContexts(), done };
      this.clients.push(client);
      if (session !== undefined) this.sessions.set(session, c);
    } else {
      client.target = index;
      client.done = done;
    }
    const token = this.nextToken++;
    const f = historyFunction(op);
    const value = historyValue(op);
    client.open = { f, key: op.key, value, op, token, attempts: 0, seq: 0, uncertain: false, context: client.contexts.forRequest(op) };
    this.record({ process: client.process, type: 'invoke', f, key: op.key, value: f === 'read' ? null : value, time: this.now * 1000 });
    this.schedule(this.now + Math.round(w.timeoutMs * 1000), EV_CLIENT_TIMEOUT, c, null, null, null, token);
    this.sendRequest(c);
  }

  private clientNext(c: number): void {
    if (this.clientsStopped) return;
    const client = this.clients[c] as Client;
    const w = this.workload as WorkloadOptions;
    this.schedule(this.now + this.thinkTimeUs(), EV_CLIENT_NEXT, c, null, null, null, 0);
    if (client.open !== null) return; // still busy: this arrival is skipped, as a closed-loop client would
    const next = (client.generator ?? (this.generator as WorkloadGenerator)).next();
    const token = this.nextToken++;
    client.open = { ...next, token, attempts: 0, seq: 0, uncertain: false, context: client.contexts.forRequest(next.op) };
    this.record({ process: client.process, type: 'invoke', f: next.f, key: next.key, value: next.f === 'read' ? null : next.value, time: this.now * 1000 });
    this.schedule(this.now + Math.round(w.timeoutMs * 1000), EV_CLIENT_TIMEOUT, c, null, null, null, token);
    this.sendRequest(c);
  }

  private sendRequest(c: number): void {
    const client = this.clients[c] as Client;
    const open = client.open as OpenOp;
    open.attempts++;
    // One seq per operation, for every attempt: a definite refusal speaks for the attempt it
    // answers, not for a copy of it the network may still deliver, so under a new seq a state
    // machine could apply the operation twice.
    if (open.seq === 0) {
      client.seq++;
      open.seq = client.seq;
    } else if (open.uncertain) {
      this.stats.sameSeqRetries++;
    }
    const request: ClientRequest = open.context === undefined ? { clientId: client.process, seq: open.seq, op: open.op } : { clientId: client.process, seq: open.seq, op: open.op, context: open.context };
    this.schedule(this.now + this.clientDelayUs(), EV_CLIENT_ARRIVE, client.target, null, request, null, 0);
    const w = this.workload ?? defaultWorkload;
    if (w.duplicateRequests > 0 && this.clientRng.chance(w.duplicateRequests)) {
      this.stats.requestDuplicates++;
      // A refusal answers one copy; the other may still take effect, so the operation can no
      // longer end as a definite failure.
      open.uncertain = true;
      const lateUs = this.clientDelayUs() + Math.round(this.clientRng.next() * w.timeoutMs * 1000);
      this.schedule(this.now + lateUs, EV_CLIENT_ARRIVE, client.target, null, request, null, 0);
    }
  }

  /**
   * An attempt ended without an answer that settles it: give up (the history records `info`), or
   * with probability retrySameSeq send the same request to another node and wait again.
   */
  private uncertain(c: number): void {
    const client = this.clients[c] as Client;
    const open = client.open as OpenOp;
    const w = this.workload ?? defaultWorkload;
    client.target = this.clientRng.int(0, this.members.length);
    if (w.retrySameSeq <= 0 || open.attempts >= MAX_ATTEMPTS || !this.clientRng.chance(w.retrySameSeq)) {
      this.finish(client, 'info', null);
      return;
    }
    open.uncertain = true;
    open.token = this.nextToken++;
    this.schedule(this.now + Math.round(w.timeoutMs * 1000), EV_CLIENT_TIMEOUT, c, null, null, null, open.token);
    this.sendRequest(c);
  }

  private clientArrive(target: number, request: ClientRequest): void {
    const member = this.members[target];
    if (member === undefined || member.node === null) return; // lost: the client times out
    this.input(member, { kind: 'client', request });
  }

  private finish(client: Client, type: 'ok' | 'fail' | 'info', value: OpValue): void {
    const open = client.open as OpenOp;
    client.open = null;
    this.stats.ops[type]++;
    const recorded = type === 'ok' && open.f === 'read' ? value : open.f === 'read' ? null : open.value;
    if (client.final === true) this.record({ process: client.process, type, f: open.f, key: open.key, value: recorded, time: this.now * 1000, final: true });
    else this.record({ process: client.process, type, f: open.f, key: open.key, value: recorded, time: this.now * 1000 });
    client.done?.({ type, value: recorded });
  }

  private clientReply(c: number, reply: ClientReply, from: number): void {
    const client = this.clients[c] as Client;
    const open = client.open;
    if (open === null || reply.seq !== open.seq) return; // an answer to an attempt we gave up on
    const verdict = judgeReply(reply);
    switch (verdict.kind) {
      case 'ok':
        client.contexts.remember(open.op, verdict.context);
        this.finish(client, 'ok', verdict.value);
        return;
      case 'fail':
        this.finish(client, 'fail', null);
        return;
      case 'uncertain':
        this.uncertain(c);
        return;
      case 'redirect':
        break;
    }
    // Definite: this attempt did nothing, so it is safe to try again elsewhere.
    if (open.attempts >= MAX_ATTEMPTS) {
      this.finish(client, givenUp(open.uncertain), null);
      return;
    }
    const hinted = verdict.to === null ? undefined : this.indexOf.get(verdict.to);
    client.target = hinted !== undefined && hinted !== from ? hinted : this.clientRng.int(0, this.members.length);
    const backoffUs = hinted !== undefined ? 0 : Math.round(5000 + this.clientRng.next() * 20000);
    if (backoffUs === 0) this.sendRequest(c);
    else this.at(backoffUs / 1000, () => {
      if (client.open === open) this.sendRequest(c);
    });
  }

  private clientTimeout(c: number, token: number): void {
    const client = this.clients[c] as Client;
    if (client.open === null || client.open.token !== token) return;
    this.uncertain(c);
  }

  /** Clients with an operation still open. */
  get openOperations(): number {
    return this.clients.filter((c) => c.open !== null).length;
  }

  history(): HistoryEvent[] {
    return this.historyEvents;
  }

  // -------------------------------------------------------------------------------------------
  // The trace hash: every send, delivery, drop, fault and client event, folded in as it happens.

  private mixNumber(n: number): void {
    this.hash1 = Math.imul(this.hash1 ^ n, 0x01000193) >>> 0;
    this.hash2 = Math.imul(this.hash2 ^ (n + 0x9e3779b9), 0x85ebca6b) >>> 0;
  }

  private mix(kind: number, envelope: Envelope, dest: number): void {
    const type = envelope.body.type;
    this.mixNumber(kind * 1_000_003 + dest * 131 + type.charCodeAt(0) * 7 + type.length);
    this.mixNumber(this.now);
  }

  /** Journaled as data, with the sentence the live cluster writes for the same fault. */
  private fault(fault: Fault): void {
    const description = describeFault(fault);
    for (let i = 0; i < description.length; i++) this.mixNumber(description.charCodeAt(i));
    this.mixNumber(this.now);
    if (this.traceFn) this.traceFn({ kind: 'fault', timeUs: this.now, description, fault });
  }

  traceHash(): string {
    return this.hash1.toString(16).padStart(8, '0') + this.hash2.toString(16).padStart(8, '0');
  }
}

/** The requests the algorithm takes for the data type, with these options; throws when it serves none. */
function servedFor<O>(algorithm: Algorithm<O>, options: O, dataType: WorkloadDataType): readonly RequestFunction[] {
  const served = servedRequests(algorithm, options as Record<string, unknown>)[dataType];
  if (served === undefined) throw new RangeError(`${algorithm.title} does not serve ${dataType} workloads with these options`);
  return served;
}
