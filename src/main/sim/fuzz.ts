// Many seeded simulated runs with random faults, each watched by the safety monitors. A failing
// seed is a complete bug report: the same seed replays the same run.

import { createRng, type Rng } from '../../shared/rng.ts';
import { TICK_MS } from '../../shared/protocol.ts';
import type { Algorithm } from '../../nodes/types.ts';
import { SafetyViolation } from '../../nodes/monitor.ts';
import { standardMonitor } from '../../nodes/progress-monitor.ts';
import { checkOperations, HistoryBuilder } from '../checker/index.ts';
import type { HistoryEvent, WorkloadDataType } from '../../shared/history.ts';
import type { ConsistencyName } from '../../shared/consistency.ts';
import { promisesOf, servedRequests } from '../../nodes/index.ts';
import { judgePromise } from '../checker/measures.ts';
import { DEFAULT_FAULT_KINDS, scheduleFaults, swarmSchedule, type FaultKind } from './faults.ts';
import { DEFAULT_MIXES, defaultDataType } from './workload.ts';
import { Simulation, SimulationError, type TraceEvent } from './simulation.ts';

export interface FuzzOptions {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any algorithm's options
  algorithm: Algorithm<any>;
  runs: number;
  seed: number;
  /**
   * Nodes per cluster, or sizes each run draws one of: an even cluster (4 voters) is where a
   * membership change of one server at a time can leave two majorities without a common member.
   */
  nodes: number | readonly number[];
  /** Simulated time with faults, per run; a quiet second follows. */
  durationMs: number;
  faults: readonly FaultKind[];
  faultIntervalMs: number;
  /**
   * The step budget: simulation events per run. A run that needs more has gone wrong (a livelock,
   * a retry storm, a log that never stops growing) and is counted as a failure, not waited for.
   */
  maxSteps: number;
  rate: number;
  /**
   * Each run draws a random subset of `faults` at extreme settings (swarmSchedule). Off by default:
   * on the mutant catalogue (npm run bench -- mutants) it caught the same mutants as every fault at
   * moderate settings, most of them in more runs.
   */
  swarm?: boolean;
  /**
   * After the final heal, a leader (for an algorithm whose status has a role) and a committed
   * operation must come within this much simulated time.
   */
  livenessMs?: number;
  /** How long the consistency check may take per run; a run it leaves undecided fails. */
  checkTimeoutMs?: number;
  /** What the workload's keys hold (default: registers when the run's options serve them, else the first data type served). */
  dataType?: WorkloadDataType;
  onRun?: (result: FuzzRunResult, done: number) => void;
  /** Gets every trace event of every run (a shrinker reads a failing run's faults and operations from it); leave unset on hot paths. */
  trace?: (event: TraceEvent) => void;
}

export interface FuzzRunResult {
  seed: number;
  /** The cluster as drawn: its size, the algorithm's options, and what the workload's keys held. */
  nodes: number;
  algorithmOptions: Record<string, unknown>;
  dataType: WorkloadDataType;
  violation: { property: string; step: number; message: string } | null;
  /** The client history's verdict ('unknown' when the search ran out of time). */
  linearizable: 'true' | 'false' | 'unknown' | 'not checked';
  /** The model the run's options promise (null: none), and the history's verdict on it. */
  promised: ConsistencyName | null;
  promiseKept: 'true' | 'false' | 'unknown' | 'not checked';
  simulatedMs: number;
  steps: number;
  delivered: number;
  elections: number;
  /** Writes committed again under a client id and sequence number already applied. */
  duplicatesCommitted: number;
  /** Client requests the network delivered twice, and uncertain operations retried under the same seq. */
  requestDuplicates: number;
  sameSeqRetries: number;
  /** Crashes that lost a write whose messages had already left (the torn fault). */
  tornWrites: number;
  /** The fault kinds this run used (a swarm run draws its own). */
  faults: readonly FaultKind[];
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
  faults: DEFAULT_FAULT_KINDS,
  faultIntervalMs: 500,
  // The built-in leader-based algorithm needs at most about 160,000 events for a default run; ten
  // times that is a run gone wrong.
  maxSteps: 1_500_000,
  rate: 40,
  swarm: false,
  livenessMs: 5000,
  checkTimeoutMs: 5000,
};

/** After the last fault heals, how long replicas get to agree before the final reads. */
const QUIET_MS = 3000;

const pickOf = <T>(rng: Rng, items: readonly T[]): T => items[rng.int(0, items.length)] as T;

export function fuzzOne(options: FuzzOptions, seed: number): FuzzRunResult {
  const monitor = standardMonitor(options.algorithm, { throwOnViolation: true });
  const algorithmOptions = options.algorithm.randomOptions(createRng(seed).fork('options'));
  const swarm = options.swarm === true ? swarmSchedule(createRng(seed).fork('swarm'), options.faults) : null;
  const clientRng = createRng(seed).fork('client-faults');
  const nodes = typeof options.nodes === 'number' ? options.nodes : pickOf(createRng(seed).fork('nodes'), options.nodes);
  const dataType = options.dataType ?? defaultDataType(servedRequests(options.algorithm, algorithmOptions));
  const promised = promisesOf(options.algorithm, algorithmOptions);
  const sim = new Simulation({
    algorithm: options.algorithm,
    nodes,
    seed,
    algorithmOptions,
    // Clients give up quickly and move on, so that some of them talk to a deposed leader while
    // others already use the new one: that is where stale reads show. Half the uncertain ones try
    // again elsewhere under the same sequence number, which is what deduplication is for.
    workload: {
      rate: options.rate,
      clients: 5,
      keys: 4,
      dataType,
      // What a register must end with after appends and overwrites interleave depends on an order
      // nobody saw, so convergence cannot be judged on it: a convergent run's registers are overwritten, not appended to.
      ...(promised === 'convergent' && dataType === 'kv' ? { mix: { ...DEFAULT_MIXES.kv, append: 0 } } : {}),
      timeoutMs: 250,
      retrySameSeq: swarm === null ? 0.5 : pickOf(clientRng, [0, 0.5, 1]),
      duplicateRequests: swarm === null ? 0.05 : pickOf(clientRng, [0, 0.01, 0.05]),
    },
    observers: [monitor],
    ...(options.trace === undefined ? {} : { trace: options.trace }),
  });
  const kinds = swarm?.kinds ?? options.faults;
  const timeoutOption = options.algorithm.leaderTimeoutOption;
  const leaderTimeout = timeoutOption === undefined ? undefined : ({ ...options.algorithm.defaultOptions, ...algorithmOptions } as Record<string, unknown>)[timeoutOption];
  scheduleFaults(sim, createRng(seed).fork('faults'), {
    kinds,
    ...(typeof leaderTimeout === 'number' ? { leaderTimeoutMs: leaderTimeout * TICK_MS } : {}),
    intervalMs: swarm?.intervalMs ?? options.faultIntervalMs,
    untilMs: options.durationMs,
    ...(swarm === null ? {} : { settings: swarm.settings }),
  });
  let violation: FuzzRunResult['violation'] = null;
  const budget = options.maxSteps;
  const overBudget = (): boolean => sim.stats.steps >= budget;
  const budgetViolation = (): FuzzRunResult['violation'] => ({
    property: 'step_budget',
    step: sim.stats.steps,
    message: `the run used its budget of ${budget} steps at ${(sim.timeUs / 1000).toFixed(0)} ms of simulated time (seed ${seed}, ${sim.stats.steps} steps)`,
  });
  try {
    sim.runFor(options.durationMs, budget);
    if (overBudget()) violation = budgetViolation();
    else violation = checkLiveness(options, sim);
    if (violation === null) {
      const endMs = options.durationMs + 1000;
      if (sim.timeUs / 1000 < endMs) sim.runFor(endMs - sim.timeUs / 1000, budget - sim.stats.steps);
      // Convergence is judged by reads after a quiet period: the replicas have had time to agree.
      if (promised === 'convergent') sim.finalReads(QUIET_MS, budget);
      if (overBudget()) violation = budgetViolation();
    }
    if (violation === null) monitor.finalCheck();
  } catch (error) {
    const inner = error instanceof SimulationError ? error.cause : error;
    const step = error instanceof SimulationError ? error.step : sim.stats.steps;
    if (inner instanceof SafetyViolation) violation = { property: inner.property, step, message: inner.message };
    else violation = { property: 'error', step, message: inner instanceof Error ? (inner.stack ?? inner.message) : String(inner) };
  }
  let linearizable: FuzzRunResult['linearizable'] = 'not checked';
  let promiseKept: FuzzRunResult['promiseKept'] = 'not checked';
  const timeoutMs = options.checkTimeoutMs ?? defaultFuzzOptions.checkTimeoutMs;
  if (violation === null && promised === 'linearizable') {
    const verdict = checkHistory(sim.history(), dataType, timeoutMs);
    linearizable = verdict.linearizable;
    promiseKept = verdict.linearizable;
    if (verdict.linearizable === 'false') violation = { property: 'linearizability', step: sim.stats.steps, message: verdict.message };
    // Undecided is not a pass: the run may hide exactly the history the check exists for.
    if (verdict.linearizable === 'unknown') violation = { property: 'linearizability_unknown', step: sim.stats.steps, message: `the linearizability search ran out of time on ${sim.history().length} history events` };
  } else if (violation === null && promised !== null) {
    const result = judgePromise(sim.history(), dataType, promised, timeoutMs);
    promiseKept = result.verdict;
    if (result.verdict === 'false') violation = { property: promised, step: sim.stats.steps, message: result.witness === null ? `the history is not ${promised}` : `${result.witness.anomaly}: ${result.witness.why}` };
    if (result.verdict === 'unknown') violation = { property: `${promised}_unknown`, step: sim.stats.steps, message: `the ${promised} check could not decide: ${result.reason ?? 'out of time'}` };
  }
  return {
    seed,
    nodes,
    algorithmOptions: algorithmOptions as Record<string, unknown>,
    dataType,
    violation,
    linearizable,
    promised,
    promiseKept,
    simulatedMs: sim.timeUs / 1000,
    steps: sim.stats.steps,
    delivered: sim.stats.delivered,
    elections: sim.stats.elections,
    duplicatesCommitted: monitor.summary().duplicates ?? 0,
    requestDuplicates: sim.stats.requestDuplicates,
    sameSeqRetries: sim.stats.sameSeqRetries,
    tornWrites: sim.stats.tornWrites,
    faults: kinds,
  };
}

/**
 * After the final heal every node is up and every link works: an algorithm with leaders must have
 * one, and a client operation must commit, within the bound. A split vote that repeats forever
 * (an election timeout that is never randomized) fails here and nowhere else.
 */
function checkLiveness(options: FuzzOptions, sim: Simulation<unknown>): FuzzRunResult['violation'] {
  const boundMs = options.livenessMs ?? defaultFuzzOptions.livenessMs;
  if (boundMs <= 0) return null;
  const hasLeaders = options.algorithm.leaderTimeoutOption !== undefined;
  const needsOp = options.rate > 0;
  const okBefore = sim.stats.ops.ok;
  const healedUs = sim.timeUs;
  const untilUs = healedUs + boundMs * 1000;
  const stepLimit = options.maxSteps;
  let leaderSeen = !hasLeaders;
  let steps = 0;
  while (sim.timeUs < untilUs && sim.stats.steps < stepLimit) {
    // The leader scan asks every node for its status: every 16 events is soon enough.
    if (!leaderSeen && (steps++ & 15) === 0) leaderSeen = sim.leader() !== null;
    if (leaderSeen && (!needsOp || sim.stats.ops.ok > okBefore)) return null;
    if (!sim.step()) break;
  }
  if (sim.stats.steps >= stepLimit) return null; // the caller reports the budget
  const missing = [!leaderSeen ? 'no leader' : null, needsOp && sim.stats.ops.ok === okBefore ? 'no operation committed' : null].filter(Boolean).join(' and ');
  return { property: 'liveness', step: sim.stats.steps, message: `${missing} within ${boundMs} ms of the final heal (at ${(healedUs / 1000).toFixed(0)} ms)` };
}

/** The clients' view: every run's history must be linearizable too (stale reads, lost writes). */
function checkHistory(history: readonly HistoryEvent[], dataType: WorkloadDataType, timeoutMs: number): { linearizable: 'true' | 'false' | 'unknown'; message: string } {
  const builder = new HistoryBuilder(dataType);
  history.forEach((event, i) => builder.add(event, i + 1));
  builder.finish();
  const result = checkOperations(builder.operations, { timeoutMs });
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

/**
 * Runs seeds from `options.seed` upward until one fails in a way `counts` accepts, at most `maxRuns`
 * of them: how many runs the fuzzer needs to catch a known bug (null: not within maxRuns).
 */
export function runsToCatch(options: Omit<FuzzOptions, 'runs' | 'onRun'>, counts: (run: FuzzRunResult) => boolean, maxRuns: number): { runs: number | null; caught: FuzzRunResult | null; other: FuzzRunResult[] } {
  const other: FuzzRunResult[] = [];
  for (let i = 0; i < maxRuns; i++) {
    const run = fuzzOne({ ...options, runs: 1 }, (options.seed + i) >>> 0);
    if (run.violation === null) continue;
    if (counts(run)) return { runs: i + 1, caught: run, other };
    other.push(run);
  }
  return { runs: null, caught: null, other };
}
