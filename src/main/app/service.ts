// The app behind the window: one live cluster with its clients, monitors and checker, and the
// operations the window may ask for (the PlaygroundApi of src/shared/bridge.ts). Plain Node: the
// Electron shell and browser mode both put a transport in front of it and nothing else.

import { mkdirSync } from 'node:fs';
import { basename, join } from 'node:path';
import {
  type AppState,
  type ReplayFrame,
  type SessionListItem,
  type ChoiceDescription,
  type ClientOutcome,
  type ClientTarget,
  type ClockView,
  type ClusterSettings,
  type HealthView,
  type LinkRuleView,
  type MetricsPoint,
  type NetworkView,
  type NodeAction,
  type NodeInspection,
  type NodeView,
  type RetentionView,
  type UpdateBatch,
  type WorkloadSettings,
  modelsNotChecked,
  promiseRelation,
  sameLinkRule,
  startingLinkRule,
} from '../../shared/bridge.ts';
import type { ConsistencyName } from '../../shared/consistency.ts';
import type { HistoryEvent } from '../../shared/history.ts';
import type { JournalEvent } from '../../shared/journal.ts';
import type { KvOp, NodeId } from '../../shared/protocol.ts';
import { TICK_MS } from '../../shared/protocol.ts';
import { resolveSettings, servedBy, SettingsError } from './cluster-settings.ts';
import type { Algorithm } from '../../nodes/types.ts';
import { IncrementalChecker, renderExplanation, type Explanation } from '../checker/index.ts';
import type { ModelResult } from '../checker/consistency/contract.ts';
import { witnessOf } from '../checker/consistency/linearizable.ts';
import { checkOptions, OptionError } from '../../shared/algorithm.ts';
import { getAlgorithm, promisesOf, servedRequests } from '../../nodes/index.ts';

import { LiveConsistency, type Settled } from './live-consistency.ts';
import type { ModelVerdicts } from '../checker/consistency/verdict-views.ts';
import { Cluster, ClusterError } from '../cluster/cluster.ts';
import { ClientPool } from '../cluster/clients.ts';
import type { SafetyMonitor } from '../../nodes/monitor.ts';
import { WindowFeed } from './window-feed.ts';
import { NodeFiles } from './node-files.ts';
import { applyFault } from '../runtime/faults.ts';
import { MetricsReducer } from '../runtime/metrics.ts';
import { CausalContexts } from '../runtime/client.ts';
import { newHandClient, sendByHand } from '../cluster/hand-client.ts';
import { ALGORITHMS, SessionLibrary } from './session-library.ts';
import { UserError } from './user-error.ts';
import type { ThreadScripts } from './threads.ts';
import { RECORDING_BEHIND_MESSAGE, SessionRecorder } from '../record/recorder.ts';
import { SESSION_SUFFIX } from '../record/session-file.ts';
import { SqliteStorage } from '../../nodes/host/sqlite-storage.ts';
import { ComparisonService } from './comparison.ts';
import type { Fault } from '../../shared/fault.ts';
import type { ChallengeList, ChallengeView } from '../../shared/bridge.ts';
import { builtInChallenges, ScenarioFileError, type Challenge } from '../scenario/challenge.ts';
import { DEFAULT_MIXES } from '../sim/workload.ts';
import { ChallengeAttempt, findConfiguration, ScoreBook } from './challenges.ts';
import { LessonService } from './lessons.ts';

export { UserError };

const BATCH_MS = 50;
const CHECK_MS = 1000;
/** What the last round of consistency checks may search when a session closes, for its summary. */
const FINAL_CHECK_MS = 500;
/** The model the live IncrementalChecker decides: it settles every model it implies with no search. */
const LIVE_CHECKED: ConsistencyName = 'linearizable';
/** A recording that stays behind is said again this often, not on every health check. */
const RECORDING_BEHIND_REPEAT_MS = 10_000;
/** Processes of operations sent by hand, apart from the workload's clients (1..clients). */
const MANUAL_PROCESS_BASE = 10_000;

export class PlaygroundService {
  readonly dataDir: string;
  private cluster: Cluster | null = null;
  private settings: ClusterSettings | null = null;
  private monitor: SafetyMonitor | null = null;
  private checker = new IncrementalChecker('kv');
  private health: HealthView = { violations: [], linearizable: 'true', operations: 0, explanation: null, promises: null, models: modelsNotChecked(), strongest: [] };
  /** The failing key's explanation behind health.explanation, as the checker gave it. */
  private explanation: Explanation | null = null;
  private consistency: LiveConsistency | null = null;
  /** Models whose breaking the event log has said, once each. */
  private readonly alarmed = new Set<ConsistencyName>();
  private workload: { settings: WorkloadSettings; pool: ClientPool } | null = null;
  private readonly listeners = new Set<(batch: UpdateBatch) => void>();
  private feed = new WindowFeed();
  private metrics: MetricsPoint[] = [];
  /** Seconds of the running cluster's life, for Health's charts (what a replay's charts show too). */
  private vitals = new MetricsReducer();
  private batchTimer: NodeJS.Timeout | null = null;
  private checkTimer: NodeJS.Timeout | null = null;
  private secondTimer: NodeJS.Timeout | null = null;
  private unsubscribe: (() => void) | null = null;
  private manualProcess = MANUAL_PROCESS_BASE;
  /** The causal contexts of operations by hand: a write after a read of siblings merges them. */
  private handContexts = new CausalContexts();
  /** Every client operation so far is a register's: the incremental linearizability search applies. */
  private registersOnly = true;
  private session = 0;
  private readonly nodeFiles = new NodeFiles();

  private readonly threads: ThreadScripts;
  private readonly sessions: SessionLibrary;
  private recorder: SessionRecorder | null = null;
  private recordingErrorShown = false;
  private consistencyErrorShown = false;
  /** When the event log last said the recording is behind: again at most every RECORDING_BEHIND_REPEAT_MS. */
  private recordingBehindSaidAt = -Infinity;
  private opCounts = { ok: 0, fail: 0, info: 0 };
  /** Two more clusters side by side (comparison.ts), beside this one; its state rides on the update batches. */
  readonly comparison: ComparisonService;
  /** The challenge being played (or last judged) on this cluster: its budget stands before every fault by hand. */
  private challenge: ChallengeAttempt | null = null;
  private scoreBook: ScoreBook | null = null;
  private challengeLibrary: Challenge[] | null = null;
  /** Where the challenge files are (null: the built-in library). */
  private readonly challengesDir: string | null;

  /** Lessons (lessons.ts) run on this cluster; the lesson's view rides on the update batches when it changed. */
  readonly lessons: LessonService;
  private lessonSent = -1;

  /** `threads`: the built thread scripts when running from a build (see threads.ts); the sources otherwise. */
  constructor(dataDir: string, options: { threads?: ThreadScripts; lessonLibrary?: string; challengesDir?: string } = {}) {
    this.dataDir = dataDir;
    this.threads = options.threads ?? {};
    this.challengesDir = options.challengesDir ?? null;
    mkdirSync(dataDir, { recursive: true });
    this.comparison = new ComparisonService(dataDir, this.threads);
    this.sessions = new SessionLibrary(
      dataDir,
      () => ({ recording: this.recorder ? basename(this.recorder.path) : null, running: this.cluster ? `${basename(this.cluster.dir)}${SESSION_SUFFIX}` : null }),
      (work) => this.oneAtATime(work),
    );
    this.lessons = new LessonService(
      dataDir,
      {
        startCluster: (settings) => this.newCluster(settings),
        cluster: () => this.live(),
        monitor: () => {
          if (this.monitor === null) throw new UserError('no cluster is running');
          return this.monitor;
        },
      },
      options.lessonLibrary === undefined ? {} : { libraryDir: options.lessonLibrary },
    );
  }

  // -------------------------------------------------------------------------------------------
  // Lifecycle

  /**
   * Starting, forking, stopping, closing and deleting sessions run one at a time, in the order they
   * were asked for: two windows (or one impatient person) starting clusters at once would
   * otherwise each start one, and all but the last would run on with their workers, files and
   * recordings open and nothing able to stop them.
   */
  private lifecycle: Promise<unknown> = Promise.resolve();
  private closing = false;

  private oneAtATime<T>(work: () => Promise<T> | T): Promise<T> {
    const next = this.lifecycle.then(work);
    this.lifecycle = next.catch(() => undefined);
    return next;
  }

  /** `session`: start from node files already in that folder (a fork), not from empty ones. */
  newCluster(settings: ClusterSettings, session?: string): Promise<AppState> {
    return this.oneAtATime(() => this.startCluster(settings, session));
  }

  private async startCluster(settings: ClusterSettings, session?: string): Promise<AppState> {
    if (this.closing) throw new UserError('the app is closing');
    // Checked before anything stops: bad settings leave the running cluster running.
    let algorithm: Algorithm<unknown>;
    try {
      ({ algorithm, settings } = resolveSettings(settings));
    } catch (error) {
      throw error instanceof SettingsError ? new UserError(error.message) : error;
    }
    // The lesson on the cluster that goes ends with it (a lesson's own start has ended it already).
    this.lessons.clusterChanging();
    await this.stopRunningCluster();
    // A challenge is played on the cluster it started: another cluster leaves it.
    this.challenge = null;
    this.monitor = algorithm.createMonitor();
    this.checker = new IncrementalChecker('kv');
    this.handContexts = new CausalContexts();
    this.registersOnly = true;
    this.health = { violations: [], linearizable: 'true', operations: 0, explanation: null, promises: promisesOf(algorithm, settings.options), models: modelsNotChecked(), strongest: [] };
    this.explanation = null;
    this.alarmed.clear();
    this.consistencyErrorShown = false;
    this.consistency = new LiveConsistency((verdicts) => this.onVerdicts(verdicts), { url: this.threads.consistencyChecker });
    this.metrics = [];
    this.vitals = new MetricsReducer();
    this.feed = new WindowFeed(algorithm.significantStatus);
    this.session++;
    session ??= `session-${new Date().toISOString().replace(/[:.]/g, '-')}-${this.session}`;
    // Every session is recorded beside its node files, to replay, verify and export later.
    const recorder = new SessionRecorder(join(this.dataDir, `${session}${SESSION_SUFFIX}`), { mode: 'live', algorithm: settings.algorithm, nodes: settings.nodes, seed: settings.seed, settings: { ...settings, startingLinkRule: startingLinkRule(settings) } }, { writerUrl: this.threads.recorderWriter });
    this.recorder = recorder;
    this.sessions.enforceRetention();
    this.recordingErrorShown = false;
    this.recordingBehindSaidAt = -Infinity;
    this.opCounts = { ok: 0, fail: 0, info: 0 };
    const cluster = new Cluster({
      algorithm: settings.algorithm,
      nodes: settings.nodes,
      seed: settings.seed,
      dataDir: this.dataDir,
      session,
      sync: settings.sync,
      speed: settings.speed,
      network: startingLinkRule(settings),
      algorithmOptions: settings.options,
      observers: [this.monitor],
      workerUrl: this.threads.nodeHost,
      recorder,
    });
    this.cluster = cluster;
    this.settings = settings;
    this.unsubscribe = cluster.subscribe((events) => {
      recorder.journal(events);
      this.onJournal(events);
    });
    await cluster.start();
    this.checkTimer = setInterval(() => this.checkHealth(), CHECK_MS);
    this.secondTimer = setInterval(() => this.closeSecond(), 1000);
    this.scheduleBatch();
    return this.state();
  }

  stopCluster(): Promise<void> {
    return this.oneAtATime(() => {
      this.lessons.clusterChanging();
      return this.stopRunningCluster();
    });
  }

  private async stopRunningCluster(): Promise<void> {
    if (this.workload) {
      const pool = this.workload.pool;
      this.workload = null;
      await pool.stop();
    }
    for (const timer of [this.checkTimer, this.secondTimer]) if (timer) clearInterval(timer);
    this.checkTimer = null;
    this.secondTimer = null;
    this.nodeFiles.close();
    const cluster = this.cluster;
    this.cluster = null;
    // Stopping flushes the journal's last events: the recording must still be listening.
    if (cluster) await cluster.stop();
    this.unsubscribe?.();
    this.unsubscribe = null;
    const recorder = this.recorder;
    this.recorder = null;
    const consistency = this.consistency;
    this.consistency = null;
    // The session keeps every model's verdict on its whole history: one more round, after the last events.
    const final = consistency ? await consistency.final(this.settled(), FINAL_CHECK_MS) : null;
    await consistency?.close();
    if (recorder && cluster) {
      const models = final?.models ?? this.health.models;
      const strongest = final?.strongest ?? this.health.strongest;
      await recorder.close({ durationMs: cluster.elapsedMs(), ops: this.opCounts, elections: cluster.stats.elections, violations: this.health.violations.length, linearizable: this.health.linearizable, consistency: { promises: this.health.promises, models, strongest } });
    }
  }

  close(): Promise<void> {
    this.closing = true;
    return this.oneAtATime(() => this.closeNow());
  }

  private async closeNow(): Promise<void> {
    await this.lessons.close();
    await this.comparison.close();
    await this.stopRunningCluster();
    this.sessions.close();
    if (this.batchTimer) clearTimeout(this.batchTimer);
    this.listeners.clear();
  }

  private live(): Cluster {
    if (this.cluster === null) throw new UserError('no cluster is running: start one with New cluster');
    return this.cluster;
  }

  private node(id: NodeId): NodeId {
    if (!this.live().nodeIds.includes(id)) throw new UserError(`there is no node ${JSON.stringify(id)}`);
    return id;
  }

  // -------------------------------------------------------------------------------------------
  // What the window sees

  onUpdate(listener: (batch: UpdateBatch) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  state(): AppState {
    const cluster = this.cluster;
    const settings = this.settings;
    if (cluster === null || settings === null) throw new UserError('no cluster is running');
    return {
      settings,
      algorithms: ALGORITHMS,
      tickMs: TICK_MS,
      nodes: cluster.nodeIds.map((id) => this.nodeView(cluster, id)),
      network: this.networkView(),
      clock: this.clockView(),
      health: this.health,
      workload: this.workload?.settings ?? null,
      serves: servedBy(settings),
      dataDir: cluster.dir,
    };
  }

  private nodeView(cluster: Cluster, id: NodeId): NodeView {
    const failure = cluster.failure(id);
    const state = failure !== null ? 'failed' : !cluster.isUp(id) ? 'down' : cluster.isPaused(id) ? 'paused' : 'up';
    const clock = cluster.clockOf(id);
    return { id, state, status: cluster.status(id), failure, file: cluster.nodeFile(id), ...(clock.offsetMs !== 0 || clock.drift !== 0 ? { clock } : {}) };
  }

  private networkView(): NetworkView {
    return this.live().networkView();
  }

  private clockView(): ClockView {
    const clock = this.live().clock;
    return { virtualMs: clock.virtualMs, speed: clock.speed, paused: clock.paused };
  }

  private onJournal(events: JournalEvent[]): void {
    for (const event of events) {
      this.vitals.journal(event);
      if (event.kind === 'client') this.onHistory(event.event);
      else if (event.kind === 'violation') this.health = { ...this.health, violations: [...this.health.violations, { property: event.property, message: event.message, time: event.time }] };
    }
    for (const event of events) this.feed.add(event);
  }

  /** Every client's operations, the workload's and those sent by hand, reach the checker here. */
  private onHistory(event: HistoryEvent): void {
    // The incremental search knows registers: a counter's or a set's operation leaves every
    // verdict, linearizability's too, to the checking thread.
    if (event.f === 'add' || event.f === 'remove') this.registersOnly = false;
    if (this.registersOnly) this.checker.add(event);
    this.consistency?.add(event);
    this.challenge?.add(event);
    if (event.type !== 'invoke') this.opCounts[event.type]++;
  }

  /** Hands the window the seconds that ended. */
  private closeSecond(): void {
    const cluster = this.cluster;
    if (cluster === null) return;
    this.metrics.push(...this.vitals.take(Math.floor(cluster.elapsedMs() / 1000)));
  }

  private checkHealth(): void {
    this.challenge?.tick();
    this.checkRecording();
    this.checkConsistencyThread();
    const violations = (this.monitor?.violations() ?? []).map((v) => ({ property: v.property, message: v.message, time: v.timeUs / 1000 }));
    if (this.health.linearizable === 'false') {
      this.health = { ...this.health, violations };
      this.consistency?.maybeRound(() => this.settled());
      return;
    }
    if (!this.registersOnly) {
      this.health = { ...this.health, violations, linearizable: this.health.models.find((m) => m.model === 'linearizable')?.verdict ?? 'unknown', explanation: null };
      this.consistency?.maybeRound(() => this.settled());
      return;
    }
    // This thread routes every message: the search may take a tenth of it, however long the history.
    const result = this.checker.checkAtMost(0.1, { timeoutMs: 200 });
    let explanation: HealthView['explanation'] = null;
    if (result.linearizable === 'false' && result.explanation) {
      const e = result.explanation;
      this.explanation = e;
      explanation = {
        key: e.key,
        processes: e.processes.map((p) => ({ process: p.process, operations: p.operations.map((o) => ({ id: o.id, process: o.process, description: o.description, start: o.start, end: o.end })) })),
        longestPrefix: e.longestPrefix,
        cannotPlace: e.cannotPlace,
        text: renderExplanation(e, this.checker.operations),
      };
      // A violation only where linearizability is promised; otherwise it is what the design gives up.
      if (promiseRelation('linearizable', this.health.promises) !== 'not promised') this.cluster?.journal({ kind: 'violation', time: this.cluster.elapsedMs(), property: 'linearizability', message: `the history of key ${JSON.stringify(e.key)} is not linearizable` });
    }
    this.health = { ...this.health, violations, linearizable: result.linearizable, operations: result.operations, explanation };
    this.consistency?.maybeRound(() => this.settled());
  }

  /** What the live checker knows already, for the checking thread not to search again. */
  private settled(): Settled {
    const times: Settled['times'] = new Map();
    if (!this.registersOnly) return { results: [], times };
    if (this.health.linearizable === 'true') return { results: [{ model: LIVE_CHECKED, verdict: 'true', witness: null, reason: null, figures: { operations: this.health.operations } }], times };
    if (this.health.linearizable !== 'false' || this.explanation === null) return { results: [], times };
    for (const p of this.explanation.processes) for (const o of p.operations) times.set(o.id, { start: o.start, end: o.end ?? Number.POSITIVE_INFINITY });
    const result: ModelResult = { model: LIVE_CHECKED, verdict: 'false', witness: witnessOf(this.explanation, this.checker.operations), reason: null, figures: { operations: this.health.operations } };
    return { results: [result], times };
  }

  /**
   * The checking thread's answer. A model the algorithm promises (or one its promise implies)
   * breaking is a bug, said once in the event log like a violated invariant; a stronger model
   * breaking is what the design gives up, shown on the map only.
   */
  private onVerdicts(verdicts: ModelVerdicts): void {
    const cluster = this.cluster;
    if (cluster === null) return;
    this.health = { ...this.health, models: verdicts.models, strongest: verdicts.strongest };
    const algorithm = this.settings?.algorithm ?? 'the algorithm';
    for (const m of verdicts.models) {
      if (m.verdict !== 'false' || this.alarmed.has(m.model) || promiseRelation(m.model, this.health.promises) === 'not promised') continue;
      this.alarmed.add(m.model);
      // The live checker has said this one already, with the key it failed on.
      if (m.model === LIVE_CHECKED && this.health.linearizable === 'false') continue;
      const witness = m.witness ? `: ${m.witness.anomaly} (${m.witness.operations.map((o) => `client ${o.process} ${o.description}`).join('; ')})` : '';
      cluster.journal({ kind: 'violation', time: cluster.elapsedMs(), property: m.model, message: `${algorithm} promises ${this.health.promises} consistency, and the history is not ${m.model}${witness}` });
    }
  }

  /** A checking thread that failed is said once, and the map goes grey rather than show stale verdicts. */
  private checkConsistencyThread(): void {
    const error = this.consistency?.error;
    if (!error || this.consistencyErrorShown) return;
    this.consistencyErrorShown = true;
    this.health = { ...this.health, models: modelsNotChecked(`the consistency checks stopped: ${error}`), strongest: [] };
    this.cluster?.journal({ kind: 'error', time: this.cluster.elapsedMs(), message: `the consistency checks stopped: ${error}` });
  }

  /** A recording that cannot write (a full disk, say) is said once, in the event log; the cluster goes on. */
  private checkRecording(): void {
    const cluster = this.cluster;
    if (this.recorder?.behind === true && cluster !== null && cluster.elapsedMs() - this.recordingBehindSaidAt >= RECORDING_BEHIND_REPEAT_MS) {
      this.recordingBehindSaidAt = cluster.elapsedMs();
      cluster.journal({ kind: 'error', time: cluster.elapsedMs(), message: RECORDING_BEHIND_MESSAGE });
    }
    const error = this.recorder?.error;
    if (!error || this.recordingErrorShown) return;
    this.recordingErrorShown = true;
    this.cluster?.journal({ kind: 'error', time: this.cluster.elapsedMs(), message: `the session recording stopped: ${error}` });
  }

  private scheduleBatch(): void {
    if (this.batchTimer !== null) return;
    this.batchTimer = setTimeout(() => {
      this.batchTimer = null;
      if (this.cluster === null) return;
      const { events, skipped } = this.feed.take();
      const comparison = this.comparison.take();
      const lessonVersion = this.lessons.viewVersion();
      const lesson = lessonVersion === this.lessonSent ? undefined : this.lessons.view();
      this.lessonSent = lessonVersion;
      const batch: UpdateBatch = { state: this.state(), events, skipped, metrics: this.metrics, ...(comparison ? { comparison } : {}), ...(lesson === undefined ? {} : { lesson }) };
      this.metrics = [];
      for (const listener of this.listeners) listener(batch);
      this.scheduleBatch();
    }, BATCH_MS);
  }

  // -------------------------------------------------------------------------------------------
  // Nodes

  async nodeAction(id: NodeId, action: NodeAction): Promise<string> {
    const cluster = this.live();
    this.node(id);
    switch (action) {
      case 'kill': {
        if (!cluster.isUp(id)) throw new UserError(`${id} is already down`);
        const counted = this.challengeGate({ kind: 'crash', node: id });
        await applyFault(cluster, { kind: 'crash', node: id });
        counted();
        this.byHand({ kind: 'crash', node: id });
        return `${id} killed`;
      }
      case 'restart':
        if (cluster.isUp(id)) throw new UserError(`${id} is running; kill it first`);
        await applyFault(cluster, { kind: 'restart', node: id });
        this.byHand({ kind: 'restart', node: id });
        return cluster.failure(id) === null ? `${id} restarted from its file` : `${id} cannot start: ${cluster.failure(id)}`;
      case 'pause': {
        if (!cluster.isUp(id)) throw new UserError(`${id} is down`);
        const counted = this.challengeGate({ kind: 'pause', node: id });
        await applyFault(cluster, { kind: 'pause', node: id });
        counted();
        this.byHand({ kind: 'pause', node: id });
        return `${id} paused: it hears nothing and its clock stands still`;
      }
      case 'resume':
        await applyFault(cluster, { kind: 'resume', node: id });
        this.byHand({ kind: 'resume', node: id });
        return `${id} resumed`;
      case 'remove': {
        if (!this.algorithm().membership) throw new UserError(`${this.algorithm().title} has no membership changes`);
        const counted = this.challengeGate({ kind: 'admin', node: id, command: { type: 'remove_server', node: id } });
        const reply = await cluster.removeServer(id);
        counted();
        if (reply === null) throw new UserError(`no answer from the leader about removing ${id}`);
        if (reply.kind === 'admin' && !reply.ok) throw new UserError(`removing ${id} failed: ${reply.message}`);
        return `${id} removed from the configuration`;
      }
    }
  }

  /** A clock-skew fault on one node (0 and 0 set its clock right again). */
  skewClock(id: NodeId, offsetMs: number, drift: number): string {
    const fault: Fault = { kind: 'clock-skew', node: this.node(id), offsetMs, drift };
    const counted = this.challengeGate(fault);
    applyFault(this.live(), fault);
    counted();
    this.byHand(fault);
    if (offsetMs === 0 && drift === 0) return `${id}'s clock is right again`;
    return `${id}'s clock reads ${offsetMs >= 0 ? '+' : ''}${offsetMs} ms and runs ${drift >= 0 ? '+' : ''}${Math.round(drift * 100)}%`;
  }

  /** One of the algorithm's own node actions (its descriptor's), on the node whose card it is. */
  async nodeCommand(id: NodeId, actionId: string): Promise<string> {
    const cluster = this.live();
    this.node(id);
    const algorithm = this.algorithm();
    const action = algorithm.actions.find((a) => a.id === actionId);
    if (action === undefined) throw new UserError(`${algorithm.title} has no action ${JSON.stringify(actionId)}; it has ${algorithm.actions.map((a) => a.id).join(', ') || 'none'}`);
    if (action.needsPeer !== undefined) throw new UserError(`${action.label} needs another node, which the window cannot give yet`);
    if ((action.sendTo ?? 'self') === 'self') {
      if (!cluster.isUp(id)) throw new UserError(`${id} is down`);
      const command = action.command(null);
      const counted = this.challengeGate({ kind: 'admin', node: id, command });
      const reply = await cluster.admin(id, command);
      counted();
      if (reply !== null && reply.kind === 'admin' && !reply.ok) throw new UserError(`${id} refused: ${reply.message}`);
      this.byHand({ kind: 'admin', node: id, command });
      return reply !== null && reply.kind === 'admin' ? `${id}: ${reply.message}` : `${action.label}: sent to ${id}`;
    }
    const leader = cluster.leader();
    if (leader === null) throw new UserError('there is no leader to ask');
    if (leader === id) throw new UserError(`${id} already leads`);
    const command = action.command(id);
    const counted = this.challengeGate({ kind: 'admin', node: leader, command });
    const reply = await cluster.admin(leader, command);
    counted();
    if (reply !== null && reply.kind === 'admin' && !reply.ok) throw new UserError(`${leader} refused: ${reply.message}`);
    this.byHand({ kind: 'admin', node: leader, command });
    return reply !== null && reply.kind === 'admin' ? `${leader}: ${reply.message}` : `${action.label}: sent to ${leader}`;
  }

  private algorithm(): Algorithm<unknown> {
    const algorithm = getAlgorithm(this.settings?.algorithm ?? '');
    if (algorithm === undefined) throw new UserError('no cluster is running: start one with New cluster');
    return algorithm;
  }

  async addNode(): Promise<NodeId> {
    if (!this.algorithm().membership) throw new UserError(`${this.algorithm().title} has no membership changes: its cluster keeps the nodes it started with`);
    const counted = this.challengeGate({ kind: 'add-node', node: `n${this.live().nodeIds.length + 1}` });
    const { node, reply } = await this.live().addServer();
    counted();
    this.byHand({ kind: 'add-node', node });
    if (reply !== null && reply.kind === 'admin' && !reply.ok) throw new UserError(`${node} started, but the leader did not add it: ${reply.message}`);
    return node;
  }

  // -------------------------------------------------------------------------------------------
  // The network

  cutLink(from: NodeId, to: NodeId, bothWays: boolean): NetworkView {
    const cluster = this.live();
    // Both ways at once is one click, and counts as one fault.
    const counted = this.challengeGate({ kind: 'cut', from: this.node(from), to: this.node(to) });
    applyFault(cluster, { kind: 'cut', from: this.node(from), to: this.node(to) });
    if (bothWays) applyFault(cluster, { kind: 'cut', from: to, to: from });
    counted();
    this.byHand({ kind: 'cut', from, to });
    if (bothWays) this.byHand({ kind: 'cut', from: to, to: from });
    return this.networkView();
  }

  healLink(from: NodeId, to: NodeId, bothWays: boolean): NetworkView {
    const cluster = this.live();
    applyFault(cluster, { kind: 'uncut', from: this.node(from), to: this.node(to) });
    if (bothWays) applyFault(cluster, { kind: 'uncut', from: to, to: from });
    this.byHand({ kind: 'uncut', from, to });
    if (bothWays) this.byHand({ kind: 'uncut', from: to, to: from });
    return this.networkView();
  }

  partition(groups: NodeId[][]): NetworkView {
    const seen = new Set<NodeId>();
    for (const group of groups) {
      for (const id of group) {
        this.node(id);
        if (seen.has(id)) throw new UserError(`${id} is in two groups`);
        seen.add(id);
      }
    }
    if (groups.filter((g) => g.length > 0).length < 2 && seen.size === this.live().nodeIds.length) throw new UserError('a partition needs at least two groups');
    const counted = this.challengeGate({ kind: 'partition', groups });
    applyFault(this.live(), { kind: 'partition', groups });
    counted();
    this.byHand({ kind: 'partition', groups });
    return this.networkView();
  }

  heal(): NetworkView {
    applyFault(this.live(), { kind: 'heal' });
    this.byHand({ kind: 'heal' });
    return this.networkView();
  }

  /**
   * A rule for one link, or for every link with no rule of its own. A null rule takes one link back
   * to the every-link rule, or every link back to how the cluster started.
   */
  setLinkRule(from: NodeId | null, to: NodeId | null, rule: Partial<LinkRuleView> | null): NetworkView {
    const cluster = this.live();
    if (from === null && to === null) {
      const counted = this.challengeGate({ kind: 'network', rule });
      applyFault(cluster, { kind: 'network', rule });
      counted();
      this.byHand({ kind: 'network', rule });
    } else if (from !== null && to !== null) {
      const fault: Fault = { kind: 'link', from: this.node(from), to: this.node(to), rule };
      const counted = this.challengeGate(fault);
      applyFault(cluster, fault);
      counted();
      this.byHand(fault);
    } else throw new UserError('a link rule names both ends of the link, or neither for every link');
    return this.networkView();
  }

  // -------------------------------------------------------------------------------------------
  // Time

  clock(action: 'play' | 'pause' | 'step'): ClockView {
    const cluster = this.live();
    if (action === 'play') cluster.resumeClock();
    else if (action === 'pause') cluster.pauseClock();
    else {
      if (!cluster.clock.paused) cluster.pauseClock();
      cluster.stepClock();
    }
    return this.clockView();
  }

  setSpeed(speed: number): ClockView {
    try {
      this.live().setSpeed(speed);
    } catch (error) {
      if (error instanceof ClusterError) throw new UserError(error.message);
      throw error;
    }
    return this.clockView();
  }

  // -------------------------------------------------------------------------------------------
  // Clients

  /** One operation by hand, recorded in the history the checker reads like any client's. */
  async clientOperation(target: ClientTarget, op: KvOp, timeoutMs: number): Promise<ClientOutcome> {
    const cluster = this.live();
    const node = target === 'leader' ? null : this.node(target);
    // A client of its own each time, sharing the window's causal contexts: a write after a read of siblings merges them.
    const client = newHandClient(++this.manualProcess, this.handContexts);
    // Sent to the leader: follow where the node points. Sent to one node: its refusal is the answer.
    return sendByHand(cluster, client, op, node, { timeoutMs, followRedirects: false, record: (event) => cluster.journal({ kind: 'client', time: cluster.elapsedMs(), event }) });
  }

  async setWorkload(settings: WorkloadSettings | null): Promise<WorkloadSettings | null> {
    const cluster = this.live();
    if (this.workload) {
      const pool = this.workload.pool;
      this.workload = null;
      await pool.stop();
    }
    if (settings === null || settings.rate === 0) return null;
    const total = Object.values(settings.mix).reduce((a: number, b) => a + (b ?? 0), 0);
    if (total <= 0) throw new UserError('the operation mix needs at least one kind of operation');
    let pool: ClientPool;
    try {
      pool = new ClientPool(cluster, { clients: settings.clients, rate: settings.rate, keys: settings.keys, ...(settings.dataType === undefined ? {} : { dataType: settings.dataType }), mix: settings.mix, timeoutMs: 1000, seed: (this.settings?.seed ?? 1) + this.session });
    } catch (error) {
      if (error instanceof RangeError || error instanceof ClusterError) throw new UserError(error.message);
      throw error;
    }
    this.workload = { settings, pool };
    pool.start();
    return settings;
  }

  // -------------------------------------------------------------------------------------------
  // Recorded sessions (session-library.ts), and forking a live cluster from one

  listSessions(): SessionListItem[] {
    return this.sessions.listSessions();
  }

  replayMoment(name: string, timeMs: number): ReplayFrame {
    return this.sessions.replayMoment(name, timeMs);
  }

  replayInspect(name: string, node: NodeId, timeMs: number, logFrom: number, logCount: number): NodeInspection {
    return this.sessions.replayInspect(name, node, timeMs, logFrom, logCount);
  }

  deleteSessions(names: string[]): Promise<SessionListItem[]> {
    return this.sessions.deleteSessions(names);
  }

  exportSession(name: string): Promise<string> {
    return this.sessions.exportSession(name);
  }

  /** The data set of the session being recorded now, up to this moment (File > Export). */
  async exportCurrentSession(): Promise<string> {
    const recorder = this.recorder;
    if (recorder === null) throw new UserError('no session is being recorded: start a cluster first');
    await recorder.synced();
    return this.sessions.exportSession(basename(recorder.path));
  }

  describeChoice(name: string, options: Record<string, unknown>): ChoiceDescription {
    const algorithm = getAlgorithm(name);
    if (algorithm === undefined) throw new UserError(`no algorithm ${JSON.stringify(name)}`);
    let checked: Record<string, unknown>;
    try {
      checked = checkOptions(algorithm.options, options);
    } catch (error) {
      if (error instanceof OptionError) throw new UserError(error.message);
      throw error;
    }
    return { promises: promisesOf(algorithm, checked), serves: servedRequests(algorithm, checked) };
  }

  getRetention(): RetentionView {
    return this.sessions.getRetention();
  }

  setRetention(limitBytes: number): Promise<RetentionView> {
    return this.sessions.setRetention(limitBytes);
  }

  /**
   * A live cluster that starts where the session was at `timeMs`: every node's file holds the
   * durable state it had then; nodes that were down start down, cut links start cut.
   */
  forkReplay(name: string, timeMs: number): Promise<AppState> {
    return this.oneAtATime(() => this.fork(name, timeMs));
  }

  private async fork(name: string, timeMs: number): Promise<AppState> {
    if (this.closing) throw new UserError('the app is closing');
    const replay = this.sessions.replay(name);
    const settings = this.sessions.replaySettings(replay);
    const m = replay.moment(timeMs);
    const session = `fork-${new Date().toISOString().replace(/[:.]/g, '-')}-${++this.session}`;
    const dir = join(this.dataDir, session);
    mkdirSync(dir, { recursive: true });
    for (const id of replay.nodeIds) {
      const persisted = replay.nodeAt(id, m.timeMs).persisted;
      if (persisted === null) continue;
      const storage = new SqliteStorage(join(dir, `${id}.sqlite`), { node: id, sync: settings.sync });
      try {
        if (persisted.snapshot) storage.write({ snapshot: persisted.snapshot });
        storage.write({ hardState: persisted.hardState, log: { from: (persisted.snapshot?.index ?? 0) + 1, entries: persisted.entries }, records: [...persisted.records] });
      } finally {
        storage.close();
      }
    }
    await this.startCluster(settings, session);
    const cluster = this.live();
    for (const n of m.nodes) if (n.state === 'down' || n.state === 'failed') await cluster.kill(n.id);
    // The network goes on as it was at the moment: its cut links and every link's faults.
    for (const [from, to] of m.cuts) cluster.cut(from, to);
    if (!sameLinkRule(m.defaultRule, startingLinkRule(settings))) cluster.setNetwork(m.defaultRule);
    for (const { from, to, rule } of m.links) cluster.setLink(from, to, rule);
    for (const n of m.nodes) if (n.state === 'paused') cluster.pause(n.id);
    return this.state();
  }

  // -------------------------------------------------------------------------------------------
  // Challenges (challenges.ts): a goal, a budget of faults, a configuration; judged by the checker

  private challenges(): { library: Challenge[]; book: ScoreBook } {
    // Read when first asked for: a window that never opens a challenge never reads the scores file.
    try {
      this.challengeLibrary ??= this.challengesDir === null ? builtInChallenges() : builtInChallenges(this.challengesDir);
    } catch (error) {
      if (error instanceof ScenarioFileError) throw new UserError(`a challenge file is wrong: ${error.message}`);
      throw error;
    }
    this.scoreBook ??= new ScoreBook(this.dataDir);
    return { library: this.challengeLibrary, book: this.scoreBook };
  }

  /** Before a fault by hand: refused past a challenge's budget; the function it returns counts the fault once it was done. */
  private challengeGate(fault: Fault): () => void {
    return this.challenge?.gate(fault) ?? (() => undefined);
  }

  listChallenges(): ChallengeList {
    const { library, book } = this.challenges();
    return book.list(library);
  }

  async startChallenge(id: string, configuration: number): Promise<ChallengeView> {
    const { library, book } = this.challenges();
    const challenge = findConfiguration(library, id, configuration);
    const chosen = challenge.configurations[configuration] as Challenge['configurations'][number];
    await this.newCluster({ algorithm: chosen.algorithm, options: chosen.options, nodes: challenge.nodes, seed: challenge.seed, sync: 'full', networkDelayMs: challenge.delayMs, speed: 1 });
    const cluster = this.live();
    const monitor = this.monitor ?? this.algorithm().createMonitor();
    if (challenge.workload !== null) await this.setWorkload({ ...challenge.workload, dataType: 'kv', mix: { ...DEFAULT_MIXES.kv } });
    // Another start (a second window, say) may have replaced the cluster while this one waited.
    if (this.cluster !== cluster) throw new UserError('another cluster was started meanwhile: the challenge did not start');
    this.challenge = new ChallengeAttempt(challenge, configuration, cluster, { cluster: () => this.cluster, monitor: () => monitor, stopWorkload: async () => void (await this.setWorkload(null)) }, book);
    return this.challenge.view();
  }

  challengeState(): ChallengeView | null {
    return this.challenge?.view() ?? null;
  }

  async judgeChallenge(): Promise<ChallengeView> {
    const challenge = this.challenge;
    if (challenge === null) throw new UserError('no challenge is being played: start one from Challenges');
    await challenge.judge();
    return challenge.view();
  }

  /** The cluster keeps running, free of the budget. */
  leaveChallenge(): null {
    this.challenge = null;
    return null;
  }

  // Lessons (lessons.ts): every fault done by hand above is told to the lesson, which may be
  // waiting for it; the lesson's own faults go to the same cluster directly, not told back.

  private byHand(fault: Fault): void {
    this.lessons.observed(fault);
  }

  // -------------------------------------------------------------------------------------------
  // Inspecting a node: what it says of itself, and its file (node-files.ts)

  async inspectNode(id: NodeId, logFrom: number, logCount: number): Promise<NodeInspection> {
    const cluster = this.live();
    this.node(id);
    const detail = await cluster.inspect(id);
    const inspection: NodeInspection = { node: this.nodeView(cluster, id), progress: detail?.progress ?? [], kv: [], log: { first: 0, last: 0, entries: [] }, tables: [] };
    try {
      const file = this.nodeFiles.read(id, cluster.nodeFile(id), logFrom, logCount);
      return file === null ? inspection : { ...inspection, ...file };
    } catch (error) {
      throw new UserError(`${id}'s file cannot be read: ${(error as Error).message}`);
    }
  }
}

