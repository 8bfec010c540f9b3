// What a scenario runs on. The same steps drive the simulator (virtual time, deterministic: the
// CLI's default, tests, shrinking), the CLI's live cluster of worker threads (`scenario run
// --live`) and the window's own cluster (a lesson): each is a ScenarioCluster, and the runner
// only waits, does faults through `fault`, sends operations and reads statuses through it.

import type { Fault } from '../../shared/fault.ts';
import type { HistoryEvent } from '../../shared/history.ts';
import type { KvOp, NodeId, NodeStatus } from '../../shared/protocol.ts';
import type { Algorithm } from '../../nodes/types.ts';
import type { SafetyMonitor, SafetyViolation } from '../../nodes/monitor.ts';
import { applyFault } from '../runtime/faults.ts';
import { Simulation, type SubmittedOutcome } from '../sim/simulation.ts';

export type { SubmittedOutcome };

export interface ScenarioCluster {
  readonly nodeIds: readonly NodeId[];
  /** Milliseconds of the cluster's own time: virtual in the simulator, the live cluster's clock (which the window can slow or pause) otherwise. */
  nowMs(): number;
  runFor(ms: number): Promise<void>;
  /** Runs until `predicate` holds (true) or `limitMs` of the cluster's time passed (false). */
  runUntil(predicate: () => boolean, limitMs: number): Promise<boolean>;
  leader(): NodeId | null;
  status(id: NodeId): NodeStatus | null;
  isUp(id: NodeId): boolean;
  isPaused(id: NodeId): boolean;
  /** Client operations ended so far, the workload's and those sent by hand. */
  operations(): { ok: number; fail: number; info: number };
  fault(fault: Fault): Promise<void>;
  /** What nodes answered operator commands so far, in order (where the cluster tells: the runner says them). */
  commandAnswers?(): ReadonlyArray<{ node: NodeId; ok: boolean; message: string }>;
  /** Starts or stops the scenario's workload (nothing, when it has none). */
  setWorkloadRunning(running: boolean): Promise<void>;
  /**
   * Sends one operation as a client would (to `to`, or whoever leads), recorded in the history;
   * `done` learns how it ended. `session`: the client it belongs to, which keeps its causal
   * context from one operation to the next. Throws a RangeError for an operation it cannot send.
   */
  submit(op: KvOp, to: NodeId | null, done: (outcome: SubmittedOutcome) => void, session: number | null): void;
  history(): HistoryEvent[];
  violations(): readonly SafetyViolation[];
  /**
   * Clients stop, `quietMs` pass, then every one of `keys` is read at every node (final reads, what
   * convergence and lost writes are judged by); returns how many answered. Once per run.
   */
  finalReads(quietMs: number, keys: readonly string[]): Promise<number>;
  /** Done with it: a cluster the runner started stops; the window's own keeps running (free play). */
  close(): Promise<void>;
}

/**
 * Every node up and the network whole (each undoing a fault), a quiet period, then every key read
 * at every node (final reads): what convergence and lost writes are judged by. `resetLinkRules`:
 * every link back to how the cluster started too (slow or lossy links would keep the final reads
 * from answering). `keys`: what to read (default: every key of the cluster's history). Returns how
 * many final reads answered.
 */
export async function settleCluster(cluster: ScenarioCluster, options: { quietMs: number; resetLinkRules?: boolean; keys?: readonly string[] }): Promise<number> {
  for (const id of cluster.nodeIds) {
    if (!cluster.isUp(id)) await cluster.fault({ kind: 'restart', node: id });
    else if (cluster.isPaused(id)) await cluster.fault({ kind: 'resume', node: id });
  }
  await cluster.fault({ kind: 'heal' });
  if (options.resetLinkRules === true) await cluster.fault({ kind: 'network', rule: null });
  return cluster.finalReads(options.quietMs, options.keys ?? keysOf(cluster.history()));
}

/** Every key the history touched: what the final reads read. */
export function keysOf(history: readonly HistoryEvent[]): string[] {
  return [...new Set(history.map((e) => e.key).filter((k): k is string => k !== undefined))].sort();
}

/** What a cluster for a scenario is made from: its file's cluster, network and workload. */
export interface ClusterSetup {
  algorithm: Algorithm<unknown>;
  options: Record<string, unknown>;
  nodes: number;
  seed: number;
  network: Record<string, number>;
  workload: { rate: number; clients: number; keys: number; dataType?: 'kv' | 'counter' | 'set'; running: boolean } | null;
  monitor: SafetyMonitor;
}

/** The simulator as a scenario's cluster: every wait runs virtual time, at once. */
export class SimScenarioCluster implements ScenarioCluster {
  readonly sim: Simulation<unknown>;
  private readonly monitor: SafetyMonitor;

  constructor(setup: ClusterSetup) {
    const w = setup.workload;
    this.monitor = setup.monitor;
    this.sim = new Simulation({
      algorithm: setup.algorithm,
      nodes: setup.nodes,
      seed: setup.seed,
      algorithmOptions: setup.options,
      network: setup.network,
      workload: w === null ? null : { rate: w.rate, clients: w.clients, keys: w.keys, ...(w.dataType === undefined ? {} : { dataType: w.dataType }) },
      observers: [setup.monitor],
    });
    if (w !== null && !w.running) this.sim.setWorkloadRunning(false);
  }

  get nodeIds(): readonly NodeId[] {
    return this.sim.nodeIds;
  }

  nowMs(): number {
    return this.sim.timeUs / 1000;
  }

  async runFor(ms: number): Promise<void> {
    this.sim.runFor(ms);
  }

  async runUntil(predicate: () => boolean, limitMs: number): Promise<boolean> {
    return this.sim.runUntil(predicate, limitMs);
  }

  leader(): NodeId | null {
    return this.sim.leader();
  }

  status(id: NodeId): NodeStatus | null {
    return this.sim.status(id);
  }

  isUp(id: NodeId): boolean {
    return this.sim.isUp(id);
  }

  isPaused(id: NodeId): boolean {
    return this.sim.isPaused(id);
  }

  operations(): { ok: number; fail: number; info: number } {
    return this.sim.stats.ops;
  }

  async fault(fault: Fault): Promise<void> {
    await applyFault(this.sim, fault);
  }

  commandAnswers(): ReadonlyArray<{ node: NodeId; ok: boolean; message: string }> {
    return this.sim.adminReplies.flatMap(({ node, reply }) => (reply.kind === 'admin' ? [{ node, ok: reply.ok, message: reply.message }] : []));
  }

  async setWorkloadRunning(running: boolean): Promise<void> {
    this.sim.setWorkloadRunning(running);
  }

  submit(op: KvOp, to: NodeId | null, done: (outcome: SubmittedOutcome) => void, session: number | null): void {
    this.sim.submit(op, to, done, session ?? undefined);
  }

  history(): HistoryEvent[] {
    return this.sim.history();
  }

  violations(): readonly SafetyViolation[] {
    return this.monitor.violations();
  }

  async finalReads(quietMs: number, keys: readonly string[]): Promise<number> {
    return this.sim.finalReads(quietMs, undefined, keys);
  }

  async close(): Promise<void> {}
}

/**
 * A cluster that passes everything to another: what a lesson (leaving ends its waits) or a
 * challenge (faults through the budget) changes of a cluster, it overrides, the rest it lends.
 */
export class ScenarioClusterWrapper implements ScenarioCluster {
  protected readonly inner: ScenarioCluster;

  constructor(inner: ScenarioCluster) {
    this.inner = inner;
  }

  get nodeIds(): readonly NodeId[] {
    return this.inner.nodeIds;
  }
  nowMs(): number {
    return this.inner.nowMs();
  }
  runFor(ms: number): Promise<void> {
    return this.inner.runFor(ms);
  }
  runUntil(predicate: () => boolean, limitMs: number): Promise<boolean> {
    return this.inner.runUntil(predicate, limitMs);
  }
  leader(): NodeId | null {
    return this.inner.leader();
  }
  status(id: NodeId): NodeStatus | null {
    return this.inner.status(id);
  }
  isUp(id: NodeId): boolean {
    return this.inner.isUp(id);
  }
  isPaused(id: NodeId): boolean {
    return this.inner.isPaused(id);
  }
  operations(): { ok: number; fail: number; info: number } {
    return this.inner.operations();
  }
  fault(fault: Fault): Promise<void> {
    return this.inner.fault(fault);
  }
  commandAnswers(): ReadonlyArray<{ node: NodeId; ok: boolean; message: string }> {
    return this.inner.commandAnswers?.() ?? [];
  }
  setWorkloadRunning(running: boolean): Promise<void> {
    return this.inner.setWorkloadRunning(running);
  }
  submit(op: KvOp, to: NodeId | null, done: (outcome: SubmittedOutcome) => void, session: number | null): void {
    this.inner.submit(op, to, done, session);
  }
  history(): HistoryEvent[] {
    return this.inner.history();
  }
  violations(): readonly SafetyViolation[] {
    return this.inner.violations();
  }
  finalReads(quietMs: number, keys: readonly string[]): Promise<number> {
    return this.inner.finalReads(quietMs, keys);
  }
  close(): Promise<void> {
    return this.inner.close();
  }
}
