// Many seeded simulated runs with random faults, each watched by the safety monitors. A failing
// seed is a complete bug report: the same seed replays the same run.

import { createRng } from '../../shared/rng.ts';
import type { Algorithm } from '../../nodes/types.ts';
import { SafetyViolation } from '../../nodes/monitor.ts';
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
  violation: { property: string; step: number; message: string } | null;
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

export function fuzzOne(options: FuzzOptions, seed: number): FuzzRunResult {
  const monitor = options.algorithm.createMonitor({ throwOnViolation: true });
  const algorithmOptions = options.algorithm.randomOptions(createRng(seed).fork('options'));
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
