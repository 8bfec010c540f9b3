// The live cluster: one worker thread per node, each with its own SQLite file, and this process
// as the network between them. Every message crosses the router here, where faults are applied:
// cuts (one way or both), partitions, loss, delay and jitter, duplication and reordering. Time is
// real, scaled by a speed factor: ticks and message delays run `speed` times faster.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { JournalEvent } from '../../shared/journal.ts';
import type { AdminCommand, ClientReply, ClientRequest, NodeId, NodeStatus, Reply } from '../../shared/protocol.ts';
import { createRng, type Rng } from '../../shared/rng.ts';
import { getAlgorithm, servedRequests } from '../../nodes/index.ts';
import type { RequestFunction, WorkloadDataType } from '../../shared/history.ts';
import type { NodeDetail, Ready } from '../../nodes/types.ts';
import type { ReadyDigest } from '../../nodes/ready-digest.ts';
import type { FromWorker, ToWorker, WireEnvelope, WireInput, WorkerConfig } from '../../nodes/host/protocol.ts';
import type { SyncMode } from '../../nodes/host/sqlite-storage.ts';
import { encodeInputBatch } from '../../nodes/host/wire.ts';
import { TICK_MS } from '../../shared/protocol.ts';
import type { ClusterObserver } from '../runtime/observer.ts';
import type { RecordingSink } from '../runtime/sink.ts';
import { defaultLinkRule, NetworkRules, type LinkRule } from '../sim/network-rules.ts';
import { EventQueue } from '../sim/event-queue.ts';
import { describeFault, type Fault } from '../../shared/fault.ts';
import type { FaultTarget } from '../runtime/faults.ts';
import { clockReading, setSkew, steadyClock, ticksDue, type NodeClock } from '../runtime/clock.ts';

/** Shared by every Ready without replies; never written to. */
const NO_REPLIES: Reply[] = [];

interface ClockEvent {
  time: number;
  seq: number;
  fn: () => void;
}

/** Worker threads on one machine: no delay beyond the relay itself unless a fault adds one. */
export const LOOPBACK: LinkRule = { ...defaultLinkRule, delayMs: 0, jitterMs: 0 };

/** The node host as source, for plain Node; a bundled app passes its built copy as `workerUrl`. */
export const SOURCE_WORKER_URL = new URL('../../nodes/host/worker.ts', import.meta.url);

export interface ClusterOptions {
  algorithm: string;
  nodes: number;
  seed: number;
  dataDir: string;
  /** Folder under dataDir for this cluster's files. */
  session: string;
  sync: SyncMode;
  algorithmOptions?: Record<string, unknown>;
  network?: Partial<LinkRule>;
  tickMs?: number;
  /** 0.01 to 100: how much faster than real time ticks and delays run. */
  speed?: number;
  observers?: ClusterObserver[];
  /** The script each node's worker runs: the source by default, the bundle's worker.js in the app. */
  workerUrl?: URL;
  /** Gets every node life, input batch and Ready: what re-executing the session needs. */
  recorder?: RecordingSink;
}

interface Member {
  id: NodeId;
  worker: Worker | null;
  status: NodeStatus | null;
  paused: boolean;
  held: WireInput[];
  /** Inputs waiting for this turn's batch (see send). */
  outbox: WireInput[];
  restarts: number;
  bootstrapVoters: NodeId[];
  failed: string | null;
  started: Promise<void> | null;
  /** Its clock (a clock-skew fault): how far off, and how much faster it runs than the harness's. */
  clock: NodeClock;
}

export class ClusterError extends Error {}

export class Cluster implements FaultTarget {
  readonly options: Required<Omit<ClusterOptions, 'algorithmOptions' | 'network' | 'observers' | 'workerUrl' | 'recorder'>> & Pick<ClusterOptions, 'algorithmOptions' | 'workerUrl' | 'recorder'>;
  /** Its ticks carry each node's clock reading (last-writer-wins timestamps). */
  private readonly readsClock: boolean;
  private readonly members = new Map<NodeId, Member>();
  private readonly rng: Rng;
  private readonly network: NetworkRules;
  private readonly observers: ClusterObserver[];
  private readonly pendingRequests = new Map<string, (reply: ClientReply) => void>();
  private readonly pendingAdmin = new Map<number, (reply: Reply) => void>();
  private readonly pendingInspections = new Map<number, (detail: NodeDetail | null) => void>();
  private nextAdminId = 1;
  /** Virtual time: events (ticks, deliveries) are due at virtual milliseconds. */
  private readonly events = new EventQueue<ClockEvent>();
  private clockPaused = false;
  private speed: number;
  /** Virtual ms at realBase; virtual time runs `speed` times faster than real time. */
  private virtualBase = 0;
  private realBase = performance.now();
  private pumpTimer: NodeJS.Timeout | null = null;
  private readonly startedAt = performance.now();
  private journalBuffer: JournalEvent[] = [];
  private readonly subscribers = new Set<(events: JournalEvent[]) => void>();
  private flushTimer: NodeJS.Timeout | null = null;
  readonly stats = { sent: 0, delivered: 0, dropped: 0, elections: 0 };
  /** Per node: transactions that wrote log entries, and how many entries they wrote. */
  readonly logWrites = new Map<NodeId, { transactions: number; entries: number }>();
  private stopped = false;

  constructor(options: ClusterOptions) {
    const algorithm = getAlgorithm(options.algorithm);
    if (algorithm === undefined) throw new ClusterError(`unknown algorithm ${JSON.stringify(options.algorithm)}`);
    this.readsClock = algorithm.readsClock === true;
    if (!Number.isInteger(options.nodes) || options.nodes < 1 || options.nodes > 15) throw new ClusterError(`a cluster has 1 to 15 nodes, not ${options.nodes}`);
    const speed = options.speed ?? 1;
    if (!(speed >= 0.01 && speed <= 100)) throw new ClusterError(`speed must be between 0.01 and 100, not ${speed}`);
    this.options = { ...options, tickMs: options.tickMs ?? TICK_MS, speed };
    this.speed = speed;
    this.rng = createRng(options.seed).fork('router');
    this.network = new NetworkRules({ ...LOOPBACK, ...(options.network ?? {}) });
    this.observers = options.observers ?? [];
    mkdirSync(this.dir, { recursive: true });
    const ids = Array.from({ length: options.nodes }, (_, i) => `n${i + 1}`);
    for (const id of ids) this.members.set(id, { id, worker: null, status: null, paused: false, held: [], outbox: [], restarts: 0, bootstrapVoters: ids, failed: null, started: null, clock: steadyClock() });
  }

  get dir(): string {
    return join(this.options.dataDir, this.options.session);
  }

  nodeFile(id: NodeId): string {
    return join(this.dir, `${id}.sqlite`);
  }

  private now(): number {
    return performance.now() - this.startedAt;
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle

  async start(): Promise<void> {
    await Promise.all([...this.members.values()].map((m) => this.spawn(m)));
    this.at(this.options.tickMs, () => this.tick());
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.pumpTimer = null;
    await Promise.all(
      [...this.members.values()].map(async (m) => {
        const worker = m.worker;
        if (worker === null) return;
        m.worker = null;
        const closed = new Promise<void>((resolve) => {
          worker.once('exit', () => resolve());
          worker.on('message', (msg: FromWorker) => {
            if (msg.type === 'closed') void worker.terminate();
          });
        });
        worker.postMessage({ type: 'close' } satisfies ToWorker);
        await Promise.race([closed, new Promise((r) => setTimeout(r, 2000))]);
        await worker.terminate();
      }),
    );
    this.flush();
    if (this.flushTimer) clearTimeout(this.flushTimer);
  }

  private spawn(member: Member): Promise<void> {
    // Observers that all take digests (the safety monitors) get digests: far less to send and decode.
    const digestsSuffice = this.observers.every((o) => o.onReadyDigest !== undefined || o.onReady === undefined);
    const config: WorkerConfig = {
      id: member.id,
      algorithm: this.options.algorithm,
      options: this.options.algorithmOptions ?? {},
      bootstrapVoters: member.bootstrapVoters,
      seed: this.options.seed,
      restarts: member.restarts,
      dbPath: this.nodeFile(member.id),
      sync: this.options.sync,
      reportDetail: this.observers.length > 0 && !digestsSuffice,
      reportDigest: this.observers.length > 0 && digestsSuffice,
    };
    const algorithm = getAlgorithm(config.algorithm);
    this.options.recorder?.life(member.id, { algorithm: config.algorithm, options: { ...(algorithm?.defaultOptions as object), ...(config.options as object) }, bootstrapVoters: config.bootstrapVoters, seed: config.seed, restarts: config.restarts }, this.now());
    const worker = new Worker(this.options.workerUrl ?? SOURCE_WORKER_URL, { workerData: config });
    member.worker = worker;
    member.failed = null;
    member.started = new Promise<void>((resolve) => {
      worker.on('message', (message: FromWorker) => {
        if (member.worker !== worker) return; // a message from a life that was already killed
        this.onWorkerMessage(member, message, resolve);
      });
      worker.on('error', (error) => {
        if (member.worker !== worker) return;
        this.markFailed(member, error.message);
        resolve();
      });
      worker.on('exit', () => {
        if (member.worker === worker && !this.stopped) {
          if (member.failed === null) this.markFailed(member, 'the worker exited');
        }
        resolve();
      });
    });
    return member.started;
  }

  private markFailed(member: Member, message: string): void {
    member.failed = message;
    member.worker = null;
    member.status = null;
    this.journal({ kind: 'node', time: this.now(), node: member.id, event: 'failed', message });
    for (const o of this.observers) o.onNodeCrash?.(member.id, this.now() * 1000);
  }

  private onWorkerMessage(member: Member, message: FromWorker, started: () => void): void {
    switch (message.type) {
      case 'started':
        member.status = message.status;
        this.options.recorder?.started(member.id, message.persisted);
        for (const o of this.observers) o.onNodeStart?.(member.id, message.persisted, message.status, this.now() * 1000);
        this.journal({ kind: 'node', time: this.now(), node: member.id, event: member.restarts === 0 ? 'started' : 'restarted' });
        started();
        return;
      case 'ready': {
        const { ready, status } = message;
        if (message.loggedEntries > 0) {
          const w = this.logWrites.get(member.id) ?? { transactions: 0, entries: 0 };
          w.transactions++;
          w.entries += message.loggedEntries;
          this.logWrites.set(member.id, w);
        }
        const before = member.status;
        member.status = status;
        this.options.recorder?.output(member.id, ready.messages, ready.replies, status, this.now());
        const replies = ready.replies === '[]' ? NO_REPLIES : (JSON.parse(ready.replies) as Reply[]);
        if (status.role === 'leader' && before?.role !== 'leader') this.stats.elections++;
        if (before === null || before.role !== status.role || before.term !== status.term || before.commit !== status.commit || before.applied !== status.applied) {
          this.journal({ kind: 'state', time: this.now(), node: member.id, status });
        }
        try {
          if (ready.digest !== null) {
            const digest = JSON.parse(ready.digest) as ReadyDigest;
            for (const o of this.observers) o.onReadyDigest?.(member.id, digest, replies, status, this.now() * 1000);
          } else if (this.observers.length > 0) {
            // Message bodies are parsed only if an observer reads them: the safety monitors do not,
            // and a leader's appends run to kilobytes.
            let messages: Ready['messages'] | null = null;
            const wire = ready.messages;
            const { persist, applied } = JSON.parse(ready.detail ?? '{"persist":null,"applied":[]}') as Pick<Ready, 'persist' | 'applied'>;
            const decoded: Ready = {
              persist,
              persistFirst: ready.persistFirst,
              applied,
              replies,
              get messages(): Ready['messages'] {
                messages ??= wire.map((m) => ({ src: m.src, dest: m.dest, body: JSON.parse(m.body) as { type: string } }));
                return messages;
              },
            };
            for (const o of this.observers) o.onReady?.(member.id, decoded, status, this.now() * 1000);
          }
        } catch (error) {
          this.journal({ kind: 'violation', time: this.now(), property: (error as { property?: string }).property ?? 'error', message: (error as Error).message });
        }
        for (const envelope of ready.messages) this.route(envelope);
        for (const reply of replies) {
          if (reply.kind === 'client') {
            const resolve = this.pendingRequests.get(`${reply.clientId}:${reply.seq}`);
            if (resolve) resolve(reply);
          } else {
            this.pendingAdmin.get(reply.requestId)?.(reply);
          }
        }
        return;
      }
      case 'failed':
        this.markFailed(member, message.message);
        started();
        return;
      case 'inspection':
        this.pendingInspections.get(message.requestId)?.(message.detail);
        return;
      case 'closed':
        return;
    }
  }

  /**
   * Inputs for a node are gathered for the rest of this turn of the event loop and posted as one
   * batch: the worker steps them all and answers with one Ready, one transaction. Under load this
   * is what batches proposals; when idle it costs nothing.
   */
  private send(member: Member, inputs: WireInput[]): void {
    if (member.worker === null) return;
    if (member.paused) {
      member.held.push(...inputs);
      return;
    }
    for (const input of inputs) member.outbox.push(input);
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flushOutboxes());
    }
  }

  private flushScheduled = false;

  private flushOutboxes(): void {
    this.flushScheduled = false;
    for (const member of this.members.values()) {
      if (member.outbox.length === 0) continue;
      const inputs = member.outbox;
      member.outbox = [];
      if (member.worker === null) continue;
      const recorder = this.options.recorder;
      const text = recorder === undefined ? encodeInputBatch(inputs) : recorder.encodeInputs(member.id, inputs, this.now());
      member.worker.postMessage({ type: 'inputs', inputs: text } satisfies ToWorker);
    }
  }

  private tick(): void {
    const steady: WireInput = { kind: 'tick' };
    const now = this.virtualNow();
    for (const member of this.members.values()) {
      if (member.paused) continue;
      const tick: WireInput = this.readsClock ? { kind: 'tick', clockMs: clockReading(member.clock, now) } : steady;
      // A drifting clock gets more ticks (or fewer) than the harness's.
      const due = ticksDue(member.clock, this.options.tickMs);
      if (due > 0) this.send(member, due === 1 ? [tick] : Array.from({ length: due }, () => tick));
    }
    this.at(this.options.tickMs, () => this.tick());
  }

  // -------------------------------------------------------------------------------------------
  // The network

  // -------------------------------------------------------------------------------------------
  // The clock: ticks and message deliveries are events in virtual time, which runs at `speed`
  // times real time, can be paused, and can be stepped one event at a time.

  /** Virtual milliseconds since start. */
  virtualNow(): number {
    if (this.clockPaused) return this.virtualBase;
    return this.virtualBase + (performance.now() - this.realBase) * this.speed;
  }

  private at(delayMs: number, fn: () => void): void {
    this.events.push({ time: this.virtualNow() + delayMs, seq: 0, fn });
    this.schedulePump();
  }

  private schedulePump(): void {
    if (this.clockPaused || this.stopped) return;
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    const wait = Math.max(0, (this.events.peekTime() - this.virtualNow()) / this.speed);
    if (!Number.isFinite(wait)) return;
    this.pumpTimer = setTimeout(() => this.pump(), wait);
  }

  private pump(): void {
    this.pumpTimer = null;
    if (this.clockPaused || this.stopped) return;
    const now = this.virtualNow();
    while (this.events.peekTime() <= now) (this.events.pop() as ClockEvent).fn();
    this.schedulePump();
  }

  private later(ms: number, fn: () => void): void {
    if (ms <= 0 && !this.clockPaused) {
      // No delay configured: deliver as soon as the event loop allows, not a timer tick later.
      setImmediate(() => {
        if (this.stopped) return;
        // Paused in the meantime: this delivery waits for the clock like any other.
        if (this.clockPaused) this.events.push({ time: this.virtualBase, seq: 0, fn });
        else fn();
      });
      return;
    }
    this.at(ms, fn);
  }

  get clock(): { paused: boolean; speed: number; virtualMs: number; pending: number } {
    return { paused: this.clockPaused, speed: this.speed, virtualMs: this.virtualNow(), pending: this.events.size };
  }

  pauseClock(): void {
    if (this.clockPaused) return;
    this.virtualBase = this.virtualNow();
    this.clockPaused = true;
    if (this.pumpTimer) clearTimeout(this.pumpTimer);
    this.pumpTimer = null;
    this.clockNote('clock paused');
  }

  resumeClock(): void {
    if (!this.clockPaused) return;
    this.clockPaused = false;
    this.realBase = performance.now();
    this.clockNote('clock resumed');
    this.schedulePump();
  }

  setSpeed(speed: number): void {
    if (!(speed >= 0.01 && speed <= 100)) throw new ClusterError(`speed must be between 0.01 and 100, not ${speed}`);
    this.virtualBase = this.virtualNow();
    this.realBase = performance.now();
    this.speed = speed;
    this.clockNote(`speed ${speed}x`);
    this.schedulePump();
  }

  /** With the clock paused: jump to the next event (a tick or a delivery) and run it. */
  stepClock(): boolean {
    if (!this.clockPaused) throw new ClusterError('pause the clock before stepping it');
    const event = this.events.pop();
    if (event === undefined) return false;
    this.virtualBase = Math.max(this.virtualBase, event.time);
    event.fn();
    return true;
  }

  private route(envelope: WireEnvelope): void {
    this.stats.sent++;
    const time = this.now();
    this.journal({ kind: 'send', time, src: envelope.src, dest: envelope.dest, type: envelope.type });
    if (this.network.isCut(envelope.src, envelope.dest)) return this.drop(envelope, 'link cut');
    const rule = this.network.ruleFor(envelope.src, envelope.dest);
    if (rule.drop > 0 && this.rng.chance(rule.drop)) return this.drop(envelope, 'dropped');
    const copies = rule.duplicate > 0 && this.rng.chance(rule.duplicate) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      let delay = rule.delayMs + (rule.jitterMs > 0 ? (this.rng.next() * 2 - 1) * rule.jitterMs : 0);
      if (rule.reorder > 0 && this.rng.chance(rule.reorder)) delay += this.rng.next() * (10 * rule.delayMs + 5);
      this.later(Math.max(0, delay), () => this.deliver(envelope));
    }
  }

  private drop(envelope: WireEnvelope, reason: string): void {
    this.stats.dropped++;
    this.journal({ kind: 'drop', time: this.now(), src: envelope.src, dest: envelope.dest, type: envelope.type, reason });
  }

  private deliver(envelope: WireEnvelope): void {
    const member = this.members.get(envelope.dest);
    if (member === undefined || member.worker === null) return this.drop(envelope, `${envelope.dest} is down`);
    if (this.network.isCut(envelope.src, envelope.dest)) return this.drop(envelope, 'link cut');
    this.stats.delivered++;
    this.journal({ kind: 'deliver', time: this.now(), src: envelope.src, dest: envelope.dest, type: envelope.type });
    this.send(member, [{ kind: 'wire', envelope }]);
  }

  private fault(fault: Fault): void {
    this.journal({ kind: 'fault', time: this.now(), description: describeFault(fault), fault });
  }

  /** What the clock did: journaled beside the faults, but not a fault of the cluster. */
  private clockNote(description: string): void {
    this.journal({ kind: 'fault', time: this.now(), description });
  }

  private member(id: NodeId): Member {
    const member = this.members.get(id);
    if (member === undefined) throw new ClusterError(`no node ${JSON.stringify(id)}`);
    return member;
  }

  cut(from: NodeId, to: NodeId): void {
    this.member(from);
    this.member(to);
    this.network.cut(from, to);
    this.fault({ kind: 'cut', from, to });
  }

  partition(groups: NodeId[][]): void {
    for (const group of groups) for (const id of group) this.member(id);
    this.network.partition(groups, this.nodeIds);
    this.fault({ kind: 'partition', groups });
  }

  isolate(id: NodeId): void {
    this.partition([[id], [...this.members.keys()].filter((other) => other !== id)]);
  }

  /** Restores one direction of a link. */
  uncut(from: NodeId, to: NodeId): void {
    this.member(from);
    this.member(to);
    this.network.uncut(from, to);
    this.fault({ kind: 'uncut', from, to });
  }

  heal(): void {
    this.network.heal();
    this.fault({ kind: 'heal' });
  }

  /** A rule for one direction of one link; null returns it to the rule every link has. */
  setLink(from: NodeId, to: NodeId, rule: Partial<LinkRule> | null): void {
    this.member(from);
    this.member(to);
    this.network.setLink(from, to, rule);
    this.fault({ kind: 'link', from, to, rule });
  }

  networkView(): { cuts: Array<[NodeId, NodeId]>; defaultRule: LinkRule; links: Array<{ from: NodeId; to: NodeId; rule: LinkRule }> } {
    return { cuts: this.network.cutLinks(), defaultRule: this.network.defaultLinkRule, links: this.network.linkRules() };
  }

  setNetwork(rule: Partial<LinkRule>): void {
    this.network.setDefault(rule);
    this.fault({ kind: 'network', rule });
  }

  resetNetwork(): void {
    this.network.reset();
    this.fault({ kind: 'network', rule: null });
  }

  // -------------------------------------------------------------------------------------------
  // Node faults and operator commands

  /** A real crash: the thread is terminated with no chance to clean up. */
  async kill(id: NodeId): Promise<void> {
    const member = this.member(id);
    const worker = member.worker;
    if (worker === null) return;
    member.worker = null;
    member.status = null;
    member.paused = false;
    member.held = [];
    member.outbox = [];
    this.fault({ kind: 'crash', node: id });
    for (const o of this.observers) o.onNodeCrash?.(id, this.now() * 1000);
    await worker.terminate();
  }

  /** The node's clock runs `drift` faster (0.5: half again as fast; -0.5: half as fast) and reads `offsetMs` off. */
  skewClock(node: NodeId, offsetMs: number, drift: number): void {
    setSkew(this.member(node).clock, offsetMs, drift);
    this.fault({ kind: 'clock-skew', node, offsetMs, drift });
  }

  /** The node's clock as the last clock-skew fault left it. */
  clockOf(node: NodeId): { offsetMs: number; drift: number } {
    const { offsetMs, drift } = this.member(node).clock;
    return { offsetMs, drift };
  }

  /** The fault's name for kill (FaultTarget). */
  crash(id: NodeId): Promise<void> {
    return this.kill(id);
  }

  async restart(id: NodeId): Promise<void> {
    const member = this.member(id);
    if (member.worker !== null) return;
    member.restarts++;
    this.fault({ kind: 'restart', node: id });
    await this.spawn(member);
  }

  pause(id: NodeId): void {
    const member = this.member(id);
    if (member.paused || member.worker === null) return;
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
    if (held.length > 0) this.send(member, held);
  }

  admin(id: NodeId, command: AdminCommand, timeoutMs = 2000): Promise<Reply | null> {
    const requestId = this.nextAdminId++;
    this.fault({ kind: 'admin', node: id, command });
    return this.awaitAnswer(this.pendingAdmin, requestId, timeoutMs, () => this.send(this.member(id), [{ kind: 'admin', request: { requestId, command } }]));
  }

  /** Registers for the answer under `key`, then asks: the answer, or null once `timeoutMs` passed. */
  private awaitAnswer<K, T>(pending: Map<K, (answer: T) => void>, key: K, timeoutMs: number, ask: () => void): Promise<T | null> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        pending.delete(key);
        resolve(null);
      }, timeoutMs);
      pending.set(key, (answer) => {
        clearTimeout(timer);
        pending.delete(key);
        resolve(answer);
      });
      ask();
    });
  }

  /**
   * Membership change, one server at a time: a new, empty node starts (it has no configuration and
   * waits to be contacted) and the leader is asked to add it. Resolves with the leader's answer.
   */
  async addServer(): Promise<{ node: NodeId; reply: Reply | null }> {
    if (this.members.size >= 15) throw new ClusterError('a cluster has at most 15 nodes');
    const leader = this.leader();
    if (leader === null) throw new ClusterError('no leader to add a server through; try again when one is elected');
    const id = await this.addNode();
    return { node: id, reply: await this.admin(leader, { type: 'add_server', node: id }) };
  }

  /** A new, empty node, started; it waits to be contacted until a leader adds it (FaultTarget). */
  async addNode(): Promise<NodeId> {
    if (this.members.size >= 15) throw new ClusterError('a cluster has at most 15 nodes');
    const id = `n${this.members.size + 1}`;
    const member: Member = { id, worker: null, status: null, paused: false, held: [], outbox: [], restarts: 0, bootstrapVoters: [], failed: null, started: null, clock: steadyClock() };
    this.members.set(id, member);
    this.fault({ kind: 'add-node', node: id });
    await this.spawn(member);
    return id;
  }

  async removeServer(id: NodeId): Promise<Reply | null> {
    this.member(id);
    const leader = this.leader();
    if (leader === null) throw new ClusterError('no leader to remove a server through; try again when one is elected');
    return this.admin(leader, { type: 'remove_server', node: id });
  }

  /** Sends a client request to a node; resolves with its reply, or null after `timeoutMs`. */
  request(id: NodeId, request: ClientRequest, timeoutMs: number): Promise<ClientReply | null> {
    // A recording that fell behind (a machine with no idle time for its writer) holds clients back
    // rather than pile up what it has yet to write; the wait counts as the request's latency.
    const recorder = this.options.recorder;
    if (recorder?.behind === true && recorder.caughtUp !== undefined) return recorder.caughtUp().then(() => this.request(id, request, timeoutMs));
    return this.awaitAnswer(this.pendingRequests, `${request.clientId}:${request.seq}`, timeoutMs, () => this.send(this.member(id), [{ kind: 'client', request }]));
  }

  // -------------------------------------------------------------------------------------------
  // Looking at it

  /** Asks a running node for what its status does not say; null when it is down or silent. */
  inspect(id: NodeId, timeoutMs = 1000): Promise<NodeDetail | null> {
    const member = this.member(id);
    const worker = member.worker;
    if (worker === null) return Promise.resolve(null);
    const requestId = this.nextAdminId++;
    return this.awaitAnswer(this.pendingInspections, requestId, timeoutMs, () => worker.postMessage({ type: 'inspect', requestId } satisfies ToWorker));
  }

  get nodeIds(): NodeId[] {
    return [...this.members.keys()];
  }

  status(id: NodeId): NodeStatus | null {
    return this.member(id).status;
  }

  isUp(id: NodeId): boolean {
    return this.member(id).worker !== null;
  }

  isPaused(id: NodeId): boolean {
    return this.member(id).paused;
  }

  failure(id: NodeId): string | null {
    return this.member(id).failed;
  }

  leader(): NodeId | null {
    let best: NodeStatus | null = null;
    for (const m of this.members.values()) {
      const s = m.status;
      if (m.worker !== null && s && s.role === 'leader' && (best === null || (s.term ?? 0) > (best.term ?? 0))) best = s;
    }
    return best?.id ?? null;
  }

  /** The requests the cluster's algorithm takes for a data type with its options (throws: none). */
  servedRequests(dataType: WorkloadDataType): readonly RequestFunction[] {
    const algorithm = getAlgorithm(this.options.algorithm);
    const served = algorithm === undefined ? undefined : servedRequests(algorithm, this.options.algorithmOptions)[dataType];
    if (served === undefined) throw new ClusterError(`${algorithm?.title ?? this.options.algorithm} does not serve ${dataType} workloads with these options`);
    return served;
  }

  elapsedMs(): number {
    return this.now();
  }

  // -------------------------------------------------------------------------------------------
  // The journal, delivered in batches so a busy cluster does not flood its readers

  subscribe(fn: (events: JournalEvent[]) => void): () => void {
    this.subscribers.add(fn);
    return () => this.subscribers.delete(fn);
  }

  journal(event: JournalEvent): void {
    if (this.subscribers.size === 0) return;
    this.journalBuffer.push(event);
    if (this.flushTimer === null) this.flushTimer = setTimeout(() => this.flush(), 50);
  }

  private flush(): void {
    this.flushTimer = null;
    if (this.journalBuffer.length === 0) return;
    const batch = this.journalBuffer;
    this.journalBuffer = [];
    for (const fn of this.subscribers) fn(batch);
  }
}
