// Two clusters side by side: each its own algorithm and options, the same harness settings (node
// count, seed, delays, speed), one workload (a ClientPool per side drawn from the same seed, so each
// client sends the same operations to both) and one schedule of faults, each done to both sides at
// the same node positions through applyFault. A thread of its own measures both client histories
// (comparison-thread.ts) twice a second; the window gets both sides with every update batch.
//
// A comparison runs beside the window's own cluster, which it leaves alone. Its node files live in
// the data folder's comparisons/ folder; only the newest comparison's are kept.

import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import type { ClusterSettings, ComparisonBatch, ComparisonFault, ComparisonMeasures, ComparisonSideView, ComparisonView, NodeView, WorkloadSettings } from '../../shared/bridge.ts';
import { startingLinkRule } from '../../shared/bridge.ts';
import type { ConsistencyName } from '../../shared/consistency.ts';
import { describeFault } from '../../shared/fault.ts';
import { DATA_TYPE_REQUESTS, type HistoryEvent, type WorkloadDataType } from '../../shared/history.ts';
import type { JournalEvent } from '../../shared/journal.ts';
import type { NodeId } from '../../shared/protocol.ts';
import { TICK_MS } from '../../shared/protocol.ts';
import type { Algorithm } from '../../nodes/types.ts';
import type { SafetyMonitor } from '../../nodes/monitor.ts';
import { promisesOf, servedRequests } from '../../nodes/index.ts';
import { Cluster, ClusterError } from '../cluster/cluster.ts';
import { ClientPool } from '../cluster/clients.ts';
import { historyNowNs } from '../cluster/hand-client.ts';
import { applyFault } from '../runtime/faults.ts';
import { resolveSettings, SettingsError } from './cluster-settings.ts';
import type { MeasuresAnswer, MeasuresRequest } from './comparison-thread.ts';
import type { ThreadScripts } from './threads.ts';
import { UserError } from './user-error.ts';
import { WindowFeed } from './window-feed.ts';

const THREAD_URL = new URL('./comparison-thread.ts', import.meta.url);

/** How often both sides are measured (at most: a round waits for the last one's answer). */
export const MEASURE_EVERY_MS = 500;
/** The availability chart's buckets. */
export const BUCKET_MS = 1000;
/** What each side's consistency checks may search per round, and in the last round at stop. */
const ROUND_BUDGET_MS = 250;
const FINAL_BUDGET_MS = 1000;
/** The buckets a view carries: the last five minutes of the chart. */
const SERIES_SHOWN = 300;
/** A workload operation with no answer within this is `info`, as the window's own workload's. */
const CLIENT_TIMEOUT_MS = 1000;
export const COMPARISONS_FOLDER = 'comparisons';
/**
 * At stop, after the workload, each side's replicas get this long (virtual time, at most
 * FINAL_QUIET_MAX_MS real) to exchange what they missed; then every node reads each key
 * once, marked final: the reads that tell which acknowledged writes were lost.
 */
const FINAL_QUIET_MS = 1000;
const FINAL_QUIET_MAX_MS = 4000;


const LABELS = ['A', 'B'] as const;

/** The harness settings both sides must share for the comparison to compare algorithms only. */
const SHARED_SETTINGS = ['nodes', 'seed', 'sync', 'networkDelayMs', 'speed'] as const;

interface Side {
  label: 'A' | 'B';
  settings: ClusterSettings;
  algorithm: Algorithm<unknown>;
  promises: ConsistencyName | null;
  cluster: Cluster;
  monitor: SafetyMonitor;
  feed: WindowFeed;
  /** Client events not yet handed to the measuring thread. */
  pending: HistoryEvent[];
  pool: ClientPool | null;
  unsubscribe: () => void;
  measures: ComparisonMeasures | null;
}

export class ComparisonService {
  private readonly dataDir: string;
  private readonly threads: ThreadScripts;
  private sides: [Side, Side] | null = null;
  /** The last comparison, as it was when it stopped. */
  private stopped: ComparisonView | null = null;
  /** The stopped picture still owed to the window's update batches. */
  private owedStopped = false;
  private workload: WorkloadSettings | null = null;
  private faults: Array<{ timeMs: number; text: string }> = [];
  private startedAt = 0;
  /** The same moment on the clock of the clients' histories. */
  private startedAtNs = 0;
  private thread: Worker | null = null;
  private inFlight: Promise<void> | null = null;
  private answer: (() => void) | null = null;
  private timer: NodeJS.Timeout | null = null;
  private error: string | null = null;
  private lifecycle: Promise<unknown> = Promise.resolve();
  private closing = false;
  private count = 0;

  /** `dataDir`: the app's data folder; `threads`: the built thread scripts, when running from a build. */
  constructor(dataDir: string, threads: ThreadScripts = {}) {
    this.dataDir = dataDir;
    this.threads = threads;
  }

  /** Starting, faults and stopping run one at a time, in the order asked (see PlaygroundService). */
  private oneAtATime<T>(work: () => Promise<T> | T): Promise<T> {
    const next = this.lifecycle.then(work);
    this.lifecycle = next.catch(() => undefined);
    return next;
  }

  start(a: ClusterSettings, b: ClusterSettings, workload: WorkloadSettings): Promise<ComparisonView> {
    return this.oneAtATime(() => this.startNow(a, b, workload));
  }

  fault(fault: ComparisonFault): Promise<string> {
    return this.oneAtATime(() => this.faultNow(fault));
  }

  stop(): Promise<ComparisonView | null> {
    return this.oneAtATime(async () => {
      await this.stopRunning();
      return this.stopped;
    });
  }

  close(): Promise<void> {
    this.closing = true;
    return this.oneAtATime(() => this.stopRunning());
  }

  /** The comparison running, or the last one as it stopped; null when none ran. */
  state(): ComparisonView | null {
    return this.sides === null ? this.stopped : this.view(this.sides);
  }

  /** For the window's next update batch: both sides now and the events since; once more after a stop. */
  take(): ComparisonBatch | undefined {
    const sides = this.sides;
    if (sides === null) {
      if (!this.owedStopped || this.stopped === null) return undefined;
      this.owedStopped = false;
      return { view: this.stopped, events: [[], []] };
    }
    return { view: this.view(sides), events: [sides[0].feed.take().events, sides[1].feed.take().events] };
  }

  // -------------------------------------------------------------------------------------------
  // Starting and stopping

  private check(a: ClusterSettings, b: ClusterSettings, workload: WorkloadSettings): Array<{ algorithm: Algorithm<unknown>; settings: ClusterSettings }> {
    const resolved = [a, b].map((settings, i) => {
      try {
        return resolveSettings(settings);
      } catch (error) {
        throw error instanceof SettingsError ? new UserError(`side ${LABELS[i]}: ${error.message}`) : error;
      }
    });
    for (const key of SHARED_SETTINGS) {
      if (a[key] !== b[key]) throw new UserError(`both sides run on the same harness: ${key} is ${JSON.stringify(a[key])} on A and ${JSON.stringify(b[key])} on B`);
    }
    if (!(workload.rate > 0)) throw new UserError('a comparison needs a workload: a rate above 0 operations/s');
    // Each pool draws only the requests its side serves: for both to draw the same operations, every
    // request the mix weighs must be served by both (and a mix that names none is refused, where a
    // pool would fall back on its side's own default mix).
    const dataType = workload.dataType ?? 'kv';
    const sent = DATA_TYPE_REQUESTS[dataType].filter((f) => (workload.mix[f] ?? 0) > 0);
    if (sent.length === 0) throw new UserError(`the operation mix needs at least one kind of ${dataType} operation (${DATA_TYPE_REQUESTS[dataType].join(', ')})`);
    for (const [i, { algorithm, settings }] of resolved.entries()) {
      const served = servedRequests(algorithm, settings.options)[dataType];
      if (served === undefined) throw new UserError(`side ${LABELS[i]}: ${algorithm.title} does not serve ${dataType} workloads with these options`);
      const missing = sent.filter((f) => !served.includes(f));
      if (missing.length > 0) throw new UserError(`side ${LABELS[i]}: ${algorithm.title} does not serve ${missing.join(', ')} on ${dataType} keys, which the workload sends: take ${missing.length === 1 ? 'it' : 'them'} out of the mix`);
    }
    return resolved;
  }

  private async startNow(a: ClusterSettings, b: ClusterSettings, workload: WorkloadSettings): Promise<ComparisonView> {
    if (this.closing) throw new UserError('the app is closing');
    // Checked before anything stops: bad settings leave a running comparison running.
    const resolved = this.check(a, b, workload);
    await this.stopRunning();
    const root = join(this.dataDir, COMPARISONS_FOLDER);
    // The last comparison's node files go: a comparison is watched, not recorded.
    rmSync(root, { recursive: true, force: true });
    const folder = join(root, `comparison-${new Date().toISOString().replace(/[:.]/g, '-')}-${++this.count}`);
    mkdirSync(folder, { recursive: true });
    const sides: Side[] = [];
    try {
      for (const [i, { algorithm, settings }] of resolved.entries()) {
        const monitor = algorithm.createMonitor();
        const cluster = new Cluster({
          algorithm: settings.algorithm,
          nodes: settings.nodes,
          seed: settings.seed,
          dataDir: folder,
          session: (LABELS[i] as string).toLowerCase(),
          sync: settings.sync,
          speed: settings.speed,
          network: startingLinkRule(settings),
          algorithmOptions: settings.options,
          observers: [monitor],
          workerUrl: this.threads.nodeHost,
        });
        const feed = new WindowFeed(algorithm.significantStatus);
        // The rings draw messages and roles; the client operations reach the measures by the pool.
        const unsubscribe = cluster.subscribe((events: JournalEvent[]) => {
          for (const event of events) if (event.kind !== 'client') feed.add(event);
        });
        sides.push({ label: LABELS[i] as 'A' | 'B', settings, algorithm, promises: promisesOf(algorithm, settings.options), cluster, monitor, feed, pending: [], pool: null, unsubscribe, measures: null });
      }
      await Promise.all(sides.map((side) => side.cluster.start()));
    } catch (error) {
      await Promise.all(sides.map((side) => side.cluster.stop()));
      if (error instanceof ClusterError) throw new UserError(error.message);
      throw error;
    }
    const pair = sides as [Side, Side];
    this.sides = pair;
    this.stopped = null;
    this.owedStopped = false;
    this.workload = workload;
    this.faults = [];
    this.error = null;
    this.startThread();
    // Both pools from one seed: client c's k-th operation is the same on both sides.
    const seed = a.seed;
    try {
      for (const side of pair) {
        side.pool = new ClientPool(side.cluster, { clients: workload.clients, rate: workload.rate, keys: workload.keys, dataType: this.dataType(), mix: workload.mix, timeoutMs: CLIENT_TIMEOUT_MS, seed }, (event) => side.pending.push(event));
      }
    } catch (error) {
      // Checked above already; a pool that still refuses leaves nothing running.
      await this.stopRunning();
      if (error instanceof RangeError || error instanceof ClusterError) throw new UserError(error.message);
      throw error;
    }
    this.startedAt = performance.now();
    this.startedAtNs = historyNowNs();
    for (const side of pair) side.pool?.start();
    this.timer = setInterval(() => void this.round(ROUND_BUDGET_MS), MEASURE_EVERY_MS);
    return this.view(pair);
  }

  private async stopRunning(): Promise<void> {
    const sides = this.sides;
    if (sides === null) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await Promise.all(sides.map((side) => side.pool?.stop()));
    await this.finalReads(sides);
    const elapsedMs = this.elapsed();
    // The picture as it stopped, before the nodes go down with their threads.
    const view = this.view(sides);
    // One last round on every operation, with more time to search.
    if (this.inFlight) await this.inFlight;
    await this.round(FINAL_BUDGET_MS);
    this.sides = null;
    await Promise.all(
      sides.map(async (side) => {
        side.unsubscribe();
        await side.cluster.stop();
      }),
    );
    const thread = this.thread;
    this.thread = null;
    this.finishRound();
    await thread?.terminate();
    this.stopped = { ...view, running: false, elapsedMs, error: this.error, sides: [this.sideView(sides[0], view.sides[0]), this.sideView(sides[1], view.sides[1])] };
    this.owedStopped = true;
  }

  /**
   * The end of the workload, as the simulator ends a run whose convergence is judged: faults of the
   * network healed, a quiet period, then a final read of every key at every node (ClientPool's).
   */
  private async finalReads(sides: [Side, Side]): Promise<void> {
    if (sides.some((side) => side.cluster.networkView().cuts.length > 0)) {
      for (const side of sides) applyFault(side.cluster, { kind: 'heal' });
      this.faults.push({ timeMs: this.elapsed(), text: 'heal (for the final reads)' });
    }
    const quietMs = Math.min(FINAL_QUIET_MAX_MS, FINAL_QUIET_MS / sides[0].settings.speed);
    await Promise.all(sides.map((side) => side.pool?.finalReads(quietMs)));
  }

  /** A side's final measures on the picture taken as it stopped. */
  private sideView(side: Side, at: ComparisonSideView): ComparisonSideView {
    return { ...at, measures: this.shown(side.measures) };
  }

  // -------------------------------------------------------------------------------------------
  // Measuring

  private startThread(): void {
    const thread = new Worker(this.threads.comparisonMeasures ?? THREAD_URL);
    // The cluster's threads keep the app alive, not this one.
    thread.unref();
    thread.on('message', (message: MeasuresAnswer) => {
      if (message.type === 'error') this.error ??= `the measures stopped: ${message.message}`;
      else this.onMeasures(message.sides);
      this.finishRound();
    });
    thread.on('error', (error) => {
      this.error ??= `the measures stopped: ${error.message}`;
      this.finishRound();
    });
    this.thread = thread;
  }

  private onMeasures(measures: [ComparisonMeasures, ComparisonMeasures]): void {
    const sides = this.sides;
    if (sides === null) return;
    sides[0].measures = measures[0];
    sides[1].measures = measures[1];
  }

  /** Hands both sides' new client events to the thread, unless a round is still measuring. */
  private round(budgetMs: number): Promise<void> {
    const sides = this.sides;
    const thread = this.thread;
    if (sides === null || thread === null || this.error !== null) return Promise.resolve();
    if (this.inFlight !== null) return this.inFlight;
    const events: [HistoryEvent[], HistoryEvent[]] = [sides[0].pending, sides[1].pending];
    sides[0].pending = [];
    sides[1].pending = [];
    this.inFlight = new Promise((resolve) => (this.answer = resolve));
    thread.postMessage({ type: 'round', events, promises: [sides[0].promises, sides[1].promises], dataType: this.dataType(), budgetMs, bucketMs: BUCKET_MS, atMs: this.elapsed(), originNs: this.startedAtNs } satisfies MeasuresRequest);
    return this.inFlight;
  }

  private finishRound(): void {
    const answer = this.answer;
    this.answer = null;
    this.inFlight = null;
    answer?.();
  }

  private dataType(): WorkloadDataType {
    return this.workload?.dataType ?? 'kv';
  }

  private elapsed(): number {
    return performance.now() - this.startedAt;
  }

  // -------------------------------------------------------------------------------------------
  // Faults

  private async faultNow(fault: ComparisonFault): Promise<string> {
    const sides = this.sides;
    if (sides === null) throw new UserError('no comparison is running: start one first');
    const ids = sides[0].cluster.nodeIds;
    const known = (id: NodeId): NodeId => {
      if (!ids.includes(id)) throw new UserError(`there is no node ${JSON.stringify(id)}: both sides have ${ids.join(', ')}`);
      return id;
    };
    switch (fault.kind) {
      case 'crash':
      case 'restart':
      case 'pause':
      case 'resume':
      case 'clock-skew':
        known(fault.node);
        break;
      case 'cut':
      case 'uncut':
        known(fault.from);
        known(fault.to);
        if (fault.from === fault.to) throw new UserError('a link joins two different nodes');
        break;
      case 'partition': {
        const seen = new Set<NodeId>();
        for (const group of fault.groups) {
          for (const id of group) {
            known(id);
            if (seen.has(id)) throw new UserError(`${id} is in two groups`);
            seen.add(id);
          }
        }
        if (fault.groups.filter((g) => g.length > 0).length < 2 && seen.size === ids.length) throw new UserError('a partition needs at least two groups');
        break;
      }
      case 'heal':
        break;
    }
    // A node fault that makes no sense on a side (killing a node already down) is left out there.
    const skipped = new Map<Side, string>();
    for (const side of sides) {
      const why = notApplicable(side.cluster, fault);
      if (why !== null) skipped.set(side, why);
    }
    const applied = sides.filter((side) => !skipped.has(side));
    if (applied.length === 0) throw new UserError(`${describeFault(fault)}: ${[...new Set(skipped.values())].join('; ')} on both sides`);
    this.faults.push({ timeMs: this.elapsed(), text: describeFault(fault) });
    try {
      // Both at once, so the faults land at the same moment of each side's run.
      await Promise.all(applied.map((side) => applyFault(side.cluster, fault)));
    } catch (error) {
      if (error instanceof ClusterError) throw new UserError(error.message);
      throw error;
    }
    const notes = sides.map((side) => {
      const why = skipped.get(side);
      if (why !== undefined) return `not on ${side.label}: ${why}`;
      if (fault.kind === 'restart' && side.cluster.failure(fault.node) !== null) return `on ${side.label} ${fault.node} cannot start: ${side.cluster.failure(fault.node)}`;
      return null;
    });
    const where = applied.length === 2 ? 'on A and B' : `on ${applied[0]?.label}`;
    return [`${describeFault(fault)} ${where}`, ...notes.filter((n) => n !== null)].join('; ');
  }

  // -------------------------------------------------------------------------------------------
  // What the window sees

  private view(sides: [Side, Side]): ComparisonView {
    const side = (s: Side): ComparisonSideView => ({
      label: s.label,
      settings: s.settings,
      title: s.algorithm.title,
      promises: s.promises,
      nodes: s.cluster.nodeIds.map((id) => nodeView(s.cluster, id)),
      network: s.cluster.networkView(),
      clock: { virtualMs: s.cluster.clock.virtualMs, speed: s.cluster.clock.speed, paused: s.cluster.clock.paused },
      violations: s.monitor.violations().map((v) => ({ property: v.property, message: v.message, time: v.timeUs / 1000 })),
      measures: this.shown(s.measures),
      dataDir: s.cluster.dir,
    });
    return {
      running: true,
      elapsedMs: this.elapsed(),
      workload: this.workload as WorkloadSettings,
      faults: this.faults,
      sides: [side(sides[0]), side(sides[1])],
      bucketMs: BUCKET_MS,
      tickMs: TICK_MS,
      error: this.error,
    };
  }

  /** The measures with the chart's last minutes only: every batch carries them. */
  private shown(measures: ComparisonMeasures | null): ComparisonMeasures | null {
    if (measures === null || measures.series.length <= SERIES_SHOWN) return measures;
    return { ...measures, series: measures.series.slice(-SERIES_SHOWN) };
  }
}

function nodeView(cluster: Cluster, id: NodeId): NodeView {
  const failure = cluster.failure(id);
  const state = failure !== null ? 'failed' : !cluster.isUp(id) ? 'down' : cluster.isPaused(id) ? 'paused' : 'up';
  const clock = cluster.clockOf(id);
  return { id, state, status: cluster.status(id), failure, file: cluster.nodeFile(id), ...(clock.offsetMs !== 0 || clock.drift !== 0 ? { clock } : {}) };
}

/** Why `fault` does nothing to this cluster now (null: it applies). */
function notApplicable(cluster: Cluster, fault: ComparisonFault): string | null {
  switch (fault.kind) {
    case 'crash':
      return cluster.isUp(fault.node) ? null : `${fault.node} is already down`;
    case 'restart':
      return cluster.isUp(fault.node) ? `${fault.node} is running` : null;
    case 'pause':
      return !cluster.isUp(fault.node) ? `${fault.node} is down` : cluster.isPaused(fault.node) ? `${fault.node} is already paused` : null;
    case 'resume':
      return cluster.isPaused(fault.node) ? null : `${fault.node} is not paused`;
    default:
      return null;
  }
}
