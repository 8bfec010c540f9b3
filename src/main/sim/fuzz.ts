// Many seeded simulated runs with random faults, each watched by the safety monitors. A failing
// seed is a complete bug report: the same seed replays the same run.

import { createRng } from '../../shared/rng.ts';
import type { Algorithm } from '../../nodes/types.ts';
import type { RaftOptions } from '../../nodes/raft/options.ts';
import { createSafetyMonitor, SafetyViolation, type SafetyProperty } from '../invariants/index.ts';
import { checkOperations, HistoryBuilder } from '../checker/index.ts';
import type { HistoryEvent } from '../../shared/history.ts';
import { scheduleFaults, type FaultKind } from './faults.ts';
import { Simulation, SimulationError } from './simulation.ts';

export interface FuzzOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any algorithm's options
  algorithm: Algorithm<any>;
  runs: number;
  seed: number;
  nodes: number;
  /** Simulated time with faults, per run; a quiet second follows. */
  durationMs: number;
  faults: readonly FaultKind[];
  faultIntervalMs: number;
  /** Bound on simulation events per run. */
  maxSteps: number;
  rate: number;
  onRun?: (result: FuzzRunResult, done: number) => void;
}

export interface FuzzRunResult {
  seed: number;
  violation: { property: SafetyProperty | 'linearizability' | 'error'; step: number; message: string } | null;
  /** The client history's verdict ('unknown' when the search ran out of time). */
  linearizable: 'true' | 'false' | 'unknown' | 'not checked';
  simulatedMs: number;
  steps: number;
  delivered: number;
  elections: number;
}

export interface FuzzResult {
  runs: FuzzRunResult[];
  violations: number;
  simulatedMs: number;
  wallMs: number;
  delivered: number;
}

export const defaultFuzzOptions = {
  nodes: 5,
  durationMs: 20_000,
  faults: ['partition', 'kill', 'pause', 'drop', 'delay', 'dup', 'elect'] as readonly FaultKind[],
  faultIntervalMs: 500,
  maxSteps: 2_000_000,
  rate: 40,
};

/**
 * Raft options drawn from the run's seed: the fuzzer covers every switch, and small batches and
 * windows, which make the dangerous interleavings (Figure 8) likely enough to be found.
 */
export function randomRaftOptions(seed: number): Partial<RaftOptions> {
  const rng = createRng(seed).fork('options');
  const pick = <T>(items: readonly T[]): T => items[rng.int(0, items.length)] as T;
  // Short election timeouts against slow links make elections collide: split votes, competing
  // candidates and stale leaders are where the subtle bugs live.
  const electionTicks = pick([3, 5, 15]);
  return {
    electionTicks,
    heartbeatTicks: Math.max(1, Math.floor(electionTicks / 3)),
    preVote: rng.chance(0.5),
    checkQuorum: rng.chance(0.5),
    readMode: pick(['read_index', 'lease', 'log'] as const),
    snapshotInterval: pick([0, 10, 50]),
    maxEntriesPerMessage: pick([1, 4, 64]),
    maxInflight: pick([1, 2, 64]),
  };
}

export function fuzzOne(options: FuzzOptions, seed: number): FuzzRunResult {
  const monitor = createSafetyMonitor({ throwOnViolation: true });
  const algorithmOptions = options.algorithm.name.startsWith('raft') ? randomRaftOptions(seed) : {};
  const sim = new Simulation({
    algorithm: options.algorithm,
    nodes: options.nodes,
    seed,
    algorithmOptions,
    // Clients give up quickly and move on, so that some of them talk to a deposed leader while
    // others already use the new one: that is where stale reads show.
    workload: { rate: options.rate, clients: 5, keys: 4, timeoutMs: 250 },
    observers: [monitor],
  });
  scheduleFaults(sim, createRng(seed).fork('faults'), { kinds: options.faults, intervalMs: options.faultIntervalMs, untilMs: options.durationMs });
  let violation: FuzzRunResult['violation'] = null;
  try {
    sim.runFor(options.durationMs + 1000, options.maxSteps);
    monitor.finalCheck();
  } catch (error) {
    const inner = error instanceof SimulationError ? error.cause : error;
    const step = error instanceof SimulationError ? error.step : sim.stats.steps;
    if (inner instanceof SafetyViolation) violation = { property: inner.property, step, message: inner.message };
    else violation = { property: 'error', step, message: inner instanceof Error ? (inner.stack ?? inner.message) : String(inner) };
  }
  let linearizable: FuzzRunResult['linearizable'] = 'not checked';
  if (violation === null) {
    const verdict = checkHistory(sim.history());
    linearizable = verdict.linearizable;
    if (verdict.linearizable === 'false') violation = { property: 'linearizability', step: sim.stats.steps, message: verdict.message };
  }
  return { seed, violation, linearizable, simulatedMs: sim.timeUs / 1000, steps: sim.stats.steps, delivered: sim.stats.delivered, elections: sim.stats.elections };
}

/** The clients' view: every run's history must be linearizable too (stale reads, lost writes). */
function checkHistory(history: readonly HistoryEvent[]): { linearizable: 'true' | 'false' | 'unknown'; message: string } {
  const builder = new HistoryBuilder('kv');
  history.forEach((event, i) => builder.add(event, i + 1));
  builder.finish();
  const result = checkOperations(builder.operations, { timeoutMs: 5000 });
  const e = result.explanation;
  if (e === undefined) return { linearizable: result.linearizable, message: '' };
  const stuck = e.cannotPlace.map((id) => builder.operations[id]).map((op) => `process ${op?.process} ${op?.f} -> ${JSON.stringify(op?.output ?? op?.input)}`);
  return { linearizable: 'false', message: `key ${e.key}: after ${e.longestPrefix.length} operations the value is ${JSON.stringify(e.stateAfterPrefix)}; cannot place ${stuck.join('; ')}` };
}

export function runFuzz(options: FuzzOptions): FuzzResult {
  const started = performance.now();
  const runs: FuzzRunResult[] = [];
  for (let i = 0; i < options.runs; i++) {
    const result = fuzzOne(options, (options.seed + i) >>> 0);
    runs.push(result);
    options.onRun?.(result, i + 1);
  }
  return {
    runs,
    violations: runs.filter((r) => r.violation !== null).length,
    simulatedMs: runs.reduce((sum, r) => sum + r.simulatedMs, 0),
    wallMs: performance.now() - started,
    delivered: runs.reduce((sum, r) => sum + r.delivered, 0),
  };
}
