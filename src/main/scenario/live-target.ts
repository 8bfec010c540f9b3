// A live cluster of worker threads as a scenario's cluster: waits run on the cluster's own clock
// (which the window can slow down or pause: a lesson pauses with it), operations by hand and the
// workload's go through the cluster's message channels and into its journal, so the window sees
// a lesson's operations as it sees anyone's.

import type { Fault } from '../../shared/fault.ts';
import type { HistoryEvent } from '../../shared/history.ts';
import type { KvOp, NodeId, NodeStatus } from '../../shared/protocol.ts';
import type { SafetyMonitor, SafetyViolation } from '../../nodes/monitor.ts';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { applyFault } from '../runtime/faults.ts';
import { ClientPool } from '../cluster/clients.ts';
import { Cluster } from '../cluster/cluster.ts';
import { newHandClient, sendByHand, type HandClient } from '../cluster/hand-client.ts';
import { DEFAULT_MIXES } from '../sim/workload.ts';
import type { ClusterSetup, ScenarioCluster, SubmittedOutcome } from './target.ts';

/** How long an operation by hand may take, as the simulator's clients wait. */
const OPERATION_TIMEOUT_MS = 1000;
/** How often a wait looks at the cluster again. */
const POLL_MS = 5;
/** Processes of a scenario's operations: apart from the workload's (1..clients) and the window's by hand (10,000 on). */
const SESSION_PROCESS_BASE = 20_000;
const OWN_PROCESS_BASE = 30_000;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export interface LiveScenarioOptions {
  /** Stops the cluster when the scenario is done (the CLI's); the window's own runs on. */
  owned: boolean;
  /** Called once it stopped the cluster (the CLI removes the nodes' files). */
  afterStop?: () => void;
}

export class LiveScenarioCluster implements ScenarioCluster {
  private readonly cluster: Cluster;
  private readonly monitor: SafetyMonitor;
  private readonly options: LiveScenarioOptions;
  private readonly events: HistoryEvent[] = [];
  private readonly counts = { ok: 0, fail: 0, info: 0 };
  private readonly sessions = new Map<number, HandClient>();
  private readonly busy = new Set<number>();
  private nextOwnProcess = OWN_PROCESS_BASE;
  private readonly pool: ClientPool | null;
  private readonly startedMs: number;
  private readonly pending = new Set<Promise<unknown>>();
  private workloadRunning = false;
  private readonly answers: Array<{ node: NodeId; ok: boolean; message: string }> = [];

  constructor(cluster: Cluster, setup: Pick<ClusterSetup, 'workload' | 'seed' | 'monitor'>, options: LiveScenarioOptions) {
    this.cluster = cluster;
    this.monitor = setup.monitor;
    this.options = options;
    this.startedMs = cluster.virtualNow();
    const w = setup.workload;
    const dataType = w?.dataType ?? 'kv';
    this.pool = w === null ? null : new ClientPool(cluster, { clients: w.clients, rate: w.rate, keys: w.keys, dataType, mix: DEFAULT_MIXES[dataType], timeoutMs: OPERATION_TIMEOUT_MS, seed: setup.seed }, (event) => this.add(event));
    if (this.pool !== null && w?.running === true) {
      this.workloadRunning = true;
      this.pool.start();
    }
  }

  private add(event: HistoryEvent): void {
    this.events.push(event);
    if (event.type !== 'invoke') this.counts[event.type]++;
  }

  private record = (event: HistoryEvent): void => {
    this.add(event);
    this.cluster.journal({ kind: 'client', time: this.cluster.elapsedMs(), event });
  };

  get nodeIds(): readonly NodeId[] {
    return this.cluster.nodeIds;
  }

  nowMs(): number {
    return this.cluster.virtualNow() - this.startedMs;
  }

  async runFor(ms: number): Promise<void> {
    const until = this.cluster.virtualNow() + ms;
    // The cluster's clock may run slower or faster than real time, or stand still (paused): look again until it got there.
    while (this.cluster.virtualNow() < until) await sleep(Math.max(1, Math.min(50, (until - this.cluster.virtualNow()) / Math.max(this.cluster.clock.speed, 0.01))));
  }

  async runUntil(predicate: () => boolean, limitMs: number): Promise<boolean> {
    const until = this.cluster.virtualNow() + limitMs;
    for (;;) {
      if (predicate()) return true;
      if (this.cluster.virtualNow() >= until) return false;
      await sleep(POLL_MS);
    }
  }

  leader(): NodeId | null {
    return this.cluster.leader();
  }

  status(id: NodeId): NodeStatus | null {
    return this.cluster.status(id);
  }

  isUp(id: NodeId): boolean {
    return this.cluster.isUp(id);
  }

  isPaused(id: NodeId): boolean {
    return this.cluster.isPaused(id);
  }

  operations(): { ok: number; fail: number; info: number } {
    return { ...this.counts };
  }

  async fault(fault: Fault): Promise<void> {
    if (fault.kind === 'admin') {
      // Waited for: what the node answered is said, as the simulator's runs say it.
      const reply = await this.cluster.admin(fault.node, fault.command);
      if (reply !== null && reply.kind === 'admin') this.answers.push({ node: fault.node, ok: reply.ok, message: reply.message });
    } else await applyFault(this.cluster, fault);
  }

  commandAnswers(): ReadonlyArray<{ node: NodeId; ok: boolean; message: string }> {
    return this.answers;
  }

  async setWorkloadRunning(running: boolean): Promise<void> {
    if (this.pool === null || running === this.workloadRunning) return;
    this.workloadRunning = running;
    if (running) this.pool.start();
    else await this.pool.stop();
  }

  submit(op: KvOp, to: NodeId | null, done: (outcome: SubmittedOutcome) => void, session: number | null): void {
    if (to !== null && !this.cluster.nodeIds.includes(to)) throw new RangeError(`no node ${to}`);
    let client: HandClient;
    if (session === null) client = newHandClient(++this.nextOwnProcess);
    else {
      if (this.busy.has(session)) throw new RangeError(`client ${session} has an operation open already`);
      client = this.sessions.get(session) ?? newHandClient(SESSION_PROCESS_BASE + session);
      this.sessions.set(session, client);
      this.busy.add(session);
    }
    const sent = sendByHand(this.cluster, client, op, to, { timeoutMs: OPERATION_TIMEOUT_MS, followRedirects: true, record: this.record }).then((outcome) => {
      if (session !== null) this.busy.delete(session);
      done({ type: outcome.type, value: outcome.value });
    });
    this.track(sent);
  }

  private track(work: Promise<unknown>): void {
    this.pending.add(work);
    void work.finally(() => this.pending.delete(work));
  }

  history(): HistoryEvent[] {
    return [...this.events];
  }

  violations(): readonly SafetyViolation[] {
    return this.monitor.violations();
  }

  async finalReads(quietMs: number, keys: readonly string[]): Promise<number> {
    await this.pool?.stop();
    await this.runFor(quietMs);
    const reads: Array<Promise<boolean>> = [];
    for (const node of this.cluster.nodeIds) {
      for (const key of keys) {
        const client = newHandClient(++this.nextOwnProcess);
        reads.push(sendByHand(this.cluster, client, { f: 'read', key }, node, { timeoutMs: OPERATION_TIMEOUT_MS, followRedirects: true, final: true, record: this.record }).then((o) => o.type === 'ok'));
      }
    }
    return (await Promise.all(reads)).filter(Boolean).length;
  }

  async close(): Promise<void> {
    await this.pool?.stop();
    // Operations still open end (each within its timeout) before their cluster goes.
    await Promise.all([...this.pending]);
    if (!this.options.owned) return;
    await this.cluster.stop();
    this.options.afterStop?.();
  }
}

/**
 * A cluster of worker threads of its own for a scenario (`scenario run --live`), its nodes' files
 * in a temporary folder removed when the scenario is done. The workers load the registered
 * algorithm by name: a planted mutant runs only on the simulator.
 */
export async function startLiveScenarioCluster(setup: ClusterSetup): Promise<LiveScenarioCluster> {
  const dataDir = mkdtempSync(join(tmpdir(), 'scenario-'));
  const remove = (): void => rmSync(dataDir, { recursive: true, force: true });
  const cluster = new Cluster({
    algorithm: setup.algorithm.name,
    nodes: setup.nodes,
    seed: setup.seed,
    dataDir,
    session: 'scenario',
    sync: 'normal',
    algorithmOptions: setup.options,
    network: setup.network,
    observers: [setup.monitor],
  });
  try {
    await cluster.start();
    return new LiveScenarioCluster(cluster, setup, { owned: true, afterStop: remove });
  } catch (error) {
    await cluster.stop();
    remove();
    throw error;
  }
}
