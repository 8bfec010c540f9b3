// Challenges: a goal (lose an acknowledged write, read a stale value, get two different values
// chosen), a budget of faults and of time, a workload running in the background, and several
// configurations of one cluster: some give way, and the correct ones cannot be won whatever the
// faults, which is the lesson. Goals are judged by the checker on the attempt's client history,
// never by looking inside the nodes: what the person's operations and the workload's saw is all
// that counts.
//
// This file is the part without a window: challenge files (YAML, read like scenario files, with
// the line and column of a mistake), which faults the budget counts, the judge, and a scripted
// attempt (moves: scenario steps) on any ScenarioCluster, the simulator by default.

import { readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import { algorithmNames, getAlgorithm } from '../../nodes/index.ts';
import { standardMonitor } from '../../nodes/progress-monitor.ts';
import { checkOptions, OptionError, relationProblem } from '../../shared/algorithm.ts';
import { describeFault, type Fault } from '../../shared/fault.ts';
import type { HistoryEvent, KvScalar } from '../../shared/history.ts';
import { HistoryBuilder, HistoryError, type Operation } from '../checker/history.ts';
import { judgePromise } from '../checker/measures.ts';
import { staleness } from '../checker/consistency/staleness.ts';
import type { Witness } from '../checker/consistency/contract.ts';
import { durationSchema, parseSteps, readYaml, ScenarioFileError, stepListSchema, type Scenario, type ScenarioStep } from './file.ts';
import { runScenario, type StepResult } from './runner.ts';
import { ScenarioClusterWrapper, settleCluster, SimScenarioCluster, type ClusterSetup, type ScenarioCluster } from './target.ts';

export { ScenarioFileError };

export const CHALLENGE_GOALS = ['lost-write', 'stale-read', 'two-values'] as const;
export type ChallengeGoal = (typeof CHALLENGE_GOALS)[number];

/** What each goal asks, in the words the window and the CLI show. */
export const GOAL_TEXT: Readonly<Record<ChallengeGoal, string>> = {
  'lost-write': 'Lose an acknowledged write: a write answered ok that the final reads at every node (after healing the network, restarting every node and a quiet period) no longer hold.',
  'stale-read': 'Read a stale value: a read that returns an older value of a key than one whose write was acknowledged before the read began.',
  'two-values': 'Get two different values chosen: two compare-and-set operations on one key, from the same expected value to different new values, both acknowledged, with no single order of that key\'s operations explaining them.',
};

/** The goals the history alone decides as it grows: no settling first (the window judges them every second). */
export function judgedAsItGoes(goal: ChallengeGoal): boolean {
  return goal !== 'lost-write';
}

export interface ChallengeConfiguration {
  name: string;
  summary: string | null;
  algorithm: string;
  options: Record<string, unknown>;
  /** The author's word that some faults within the budget win it (tests hold the built-in library to it). */
  winnable: boolean;
}

export interface ChallengeBudget {
  /** Faults that count (countsAgainstBudget) the person may do. */
  faults: number;
  /** Milliseconds of the cluster's own time from the start; then the attempt is judged as it stands. */
  timeMs: number;
}

export interface ChallengeWorkload {
  rate: number;
  clients: number;
  keys: number;
}

export interface Challenge {
  /** The file's name without .yaml: what `challenge try ID` and the best scores go by. */
  id: string;
  file: string;
  title: string;
  summary: string;
  goal: ChallengeGoal;
  budget: ChallengeBudget;
  nodes: number;
  seed: number;
  /** Delay of every link (jitter a quarter of it), as the window's new clusters have one. */
  delayMs: number;
  workload: ChallengeWorkload | null;
  configurations: ChallengeConfiguration[];
}

const fileSchema = z.strictObject({
  title: z.string().min(1).max(200),
  summary: z.string().min(1).max(20_000),
  goal: z.enum(CHALLENGE_GOALS),
  budget: z.strictObject({ faults: z.number().int().min(0).max(100), time: durationSchema.refine((ms) => ms >= 1000, 'at least a second') }),
  cluster: z.strictObject({ nodes: z.number().int().min(1).max(9).default(3), seed: z.number().int().min(0).max(0xffffffff).default(1), delayMs: z.number().min(0).max(10_000).default(5) }),
  workload: z.strictObject({ rate: z.number().min(0.1).max(1000).default(5), clients: z.number().int().min(1).max(20).default(2), keys: z.number().int().min(1).max(20).default(2) }).optional(),
  configurations: z
    .array(z.strictObject({ name: z.string().min(1).max(200), summary: z.string().max(5000).optional(), algorithm: z.string().min(1).max(100), options: z.record(z.string(), z.unknown()).default({}), winnable: z.boolean() }))
    .min(1)
    .max(20),
});

/** Reads a challenge file; throws ScenarioFileError at the line and column of the first mistake. */
export function parseChallenge(text: string, file: string): Challenge {
  const read = readYaml(text, file, fileSchema);
  const data = read.data;
  const names = new Set<string>();
  const configurations = data.configurations.map((c, i): ChallengeConfiguration => {
    if (names.has(c.name)) read.fail(['configurations', i, 'name'], `two configurations are named ${JSON.stringify(c.name)}: the best scores go by name`);
    names.add(c.name);
    const algorithm = getAlgorithm(c.algorithm);
    if (algorithm === undefined) return read.fail(['configurations', i, 'algorithm'], `no algorithm ${JSON.stringify(c.algorithm)} (algorithms: ${algorithmNames().join(', ')})`);
    let options: Record<string, unknown>;
    try {
      options = checkOptions(algorithm.options, c.options);
    } catch (error) {
      if (error instanceof OptionError) return read.fail(['configurations', i, 'options'], `options: ${error.message}`);
      throw error;
    }
    const problem = relationProblem(algorithm.options, { ...(algorithm.defaultOptions as Record<string, unknown>), ...options });
    if (problem !== null) read.fail(['configurations', i, 'options'], problem);
    return { name: c.name, summary: c.summary ?? null, algorithm: c.algorithm, options, winnable: c.winnable };
  });
  const w = data.workload;
  return {
    id: basename(file).replace(/\.ya?ml$/, ''),
    file,
    title: data.title,
    summary: data.summary,
    goal: data.goal,
    budget: { faults: data.budget.faults, timeMs: data.budget.time },
    nodes: data.cluster.nodes,
    seed: data.cluster.seed,
    delayMs: data.cluster.delayMs,
    workload: w === undefined ? null : { rate: w.rate, clients: w.clients, keys: w.keys },
    configurations,
  };
}

/** The built-in challenges: the YAML files beside this one. */
export const CHALLENGE_DIR = new URL('./challenges/', import.meta.url);

export function builtInChallenges(dir: URL | string = CHALLENGE_DIR): Challenge[] {
  const path = typeof dir === 'string' ? dir : dir.pathname;
  return readdirSync(path)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => parseChallenge(readFileSync(join(path, f), 'utf8'), join(path, f)));
}

/** A scripted attempt's moves: `moves:`, a list of steps as scenario files write them (no expectations, no asks). */
export function parseMoves(text: string, file: string): ScenarioStep[] {
  const read = readYaml(text, file, z.strictObject({ moves: stepListSchema }));
  const steps = parseSteps(read, read.data.moves, ['moves']);
  steps.forEach((step, i) => {
    if (step.expect.length > 0) read.fail(['moves', i, 'expect'], 'moves do not expect anything: the challenge\'s goal is what is judged');
    if (step.asks.length > 0) read.fail(['moves', i, 'ask'], 'moves are done, not asked for: put the faults under "do"');
  });
  return steps;
}

// -----------------------------------------------------------------------------------------------
// The budget

/**
 * Whether a fault counts against the budget: what breaks something counts (a crash, a pause, a
 * partition, a cut, a link or network rule, a skewed clock, an operator command, a new node);
 * taking a fault back is free (restart, resume, heal, uncut, clearing a rule, setting a clock
 * right), so that undoing is never the reason to lose.
 */
export function countsAgainstBudget(fault: Fault): boolean {
  switch (fault.kind) {
    case 'restart':
    case 'resume':
    case 'heal':
    case 'uncut':
      return false;
    case 'link':
    case 'network':
      return fault.rule !== null;
    case 'clock-skew':
      return fault.offsetMs !== 0 || fault.drift !== 0;
    default:
      return true;
  }
}

export class BudgetRefusal extends Error {}

/** The faults counted so far, against the budget and the clock. */
export class BudgetLedger {
  readonly budget: ChallengeBudget;
  private counted: string[] = [];

  constructor(budget: ChallengeBudget) {
    this.budget = budget;
  }

  get used(): number {
    return this.counted.length;
  }

  /** The faults that counted, as sentences. */
  get faults(): readonly string[] {
    return this.counted;
  }

  /** Why `fault` may not be done at `elapsedMs` into the attempt, or null. Undoing is never refused. */
  refusal(fault: Fault, elapsedMs: number): string | null {
    if (!countsAgainstBudget(fault)) return null;
    if (elapsedMs >= this.budget.timeMs) return `the challenge's time is up (${formatMs(this.budget.timeMs)}): ${describeFault(fault)} is not done`;
    if (this.used >= this.budget.faults) return `the challenge's budget is spent (${this.used} of ${this.budget.faults} faults): ${describeFault(fault)} is not done. Undoing is free: restart, resume, heal, clear a rule.`;
    return null;
  }

  /** Counts a fault that was done. */
  charge(fault: Fault): void {
    if (countsAgainstBudget(fault)) this.counted.push(describeFault(fault));
  }
}

// -----------------------------------------------------------------------------------------------
// The judge

export interface GoalJudgement {
  reached: boolean;
  /** What the checker found, in words. */
  text: string;
  /** The operations that make the goal, and why (null when it was not reached). */
  witness: Witness | null;
}

/** How long the checker may search when judging: histories of an attempt are short. */
const JUDGE_MS = 5000;

function eventsByKey(history: readonly HistoryEvent[]): Map<string, HistoryEvent[]> {
  const byKey = new Map<string, HistoryEvent[]>();
  for (const e of history) {
    if (e.key === undefined) continue;
    let list = byKey.get(e.key);
    if (list === undefined) byKey.set(e.key, (list = []));
    list.push(e);
  }
  return byKey;
}

function operationsOf(events: readonly HistoryEvent[]): Operation[] | string {
  const builder = new HistoryBuilder('kv');
  try {
    events.forEach((e, i) => builder.add(e, i + 1));
    builder.finish();
  } catch (error) {
    if (error instanceof HistoryError) return error.message;
    throw error;
  }
  return builder.operations;
}

/**
 * Whether the history reaches the goal, by the checker. A history is judged key by key (each key
 * of a key-value store is a register of its own): a lost write by the convergence check's count
 * (so the history needs its final reads, after settling); a stale read by the staleness measure
 * (a read that returned a version older than one acknowledged before it began; a linearizable
 * history has none), with the linearizability witness of its key; two values chosen as
 * GOAL_TEXT says, with the witness of the key's failed linearizability check. `backgroundKeys`
 * (the workload's) are looked at last.
 */
export function judgeGoal(goal: ChallengeGoal, history: readonly HistoryEvent[], timeoutMs = JUDGE_MS, backgroundKeys: ReadonlySet<string> = new Set()): GoalJudgement {
  // The person's own keys first: their witness is the one worth showing.
  const rank = (key: string): number => (backgroundKeys.has(key) ? 1 : 0);
  const keys = [...eventsByKey(history)].sort(([a], [b]) => rank(a) - rank(b) || (a < b ? -1 : a > b ? 1 : 0));
  const notReached = (text: string): GoalJudgement => ({ reached: false, text, witness: null });
  switch (goal) {
    case 'lost-write': {
      if (!history.some((e) => e.final === true && e.type === 'ok')) return notReached('no final reads answered: lost writes are only known once every node has been read after the faults healed');
      const lostByKey: string[] = [];
      let total = 0;
      let witness: Witness | null = null;
      for (const [key, events] of keys) {
        const verdict = judgePromise(events, 'kv', 'convergent', timeoutMs);
        const lost = verdict.figures.lost ?? 0;
        if (lost === 0) continue;
        total += lost;
        lostByKey.push(`${lost} of key ${JSON.stringify(key)}`);
        witness ??= verdict.witness;
      }
      if (total > 0) return { reached: true, text: `${total} acknowledged write${total === 1 ? '' : 's'} lost (${lostByKey.join(', ')}): the final reads at every node no longer hold ${total === 1 ? 'it' : 'them'}`, witness };
      return notReached('every acknowledged write is still there: the final reads at every node hold each key\'s last acknowledged writes');
    }
    case 'stale-read': {
      let reads = 0;
      for (const [key, events] of keys) {
        const operations = operationsOf(events);
        if (typeof operations === 'string') continue;
        const figures = staleness({ dataType: 'kv', operations }, true);
        reads += figures.reads;
        if (figures.staleReads === 0) continue;
        const verdict = judgePromise(events, 'kv', 'linearizable', timeoutMs);
        return {
          reached: true,
          text: `${figures.staleReads} stale read${figures.staleReads === 1 ? '' : 's'} of key ${JSON.stringify(key)}: ${figures.staleReads === 1 ? 'it returned a value' : 'they returned values'} ${figures.versionsBehind.max} version${figures.versionsBehind.max === 1 ? '' : 's'} behind one acknowledged before ${figures.staleReads === 1 ? 'it' : 'they'} began`,
          witness: verdict.witness,
        };
      }
      return notReached(`no stale read: every one of ${reads} read${reads === 1 ? '' : 's'} judged returned a value no acknowledged write had replaced before it began`);
    }
    case 'two-values': {
      let pairs = 0;
      for (const [key, events] of keys) {
        const operations = operationsOf(events);
        if (typeof operations === 'string') continue;
        const byExpected = new Map<string, Operation[]>();
        for (const op of operations) {
          if (op.f !== 'cas' || op.indefinite) continue;
          const [expected] = op.input as [KvScalar, KvScalar];
          const list = byExpected.get(JSON.stringify(expected)) ?? [];
          list.push(op);
          byExpected.set(JSON.stringify(expected), list);
        }
        const rivals = [...byExpected.values()].find((list) => new Set(list.map((op) => JSON.stringify((op.input as [KvScalar, KvScalar])[1]))).size > 1);
        if (rivals === undefined) continue;
        pairs++;
        const verdict = judgePromise(events, 'kv', 'linearizable', timeoutMs);
        if (verdict.verdict !== 'false') continue;
        const [a, b] = rivals.filter((op, i) => rivals.findIndex((o) => JSON.stringify(o.input) === JSON.stringify(op.input)) === i) as [Operation, Operation];
        const [expected, first] = a.input as [KvScalar, KvScalar];
        const second = (b.input as [KvScalar, KvScalar])[1];
        return { reached: true, text: `two values chosen for key ${JSON.stringify(key)}: cas from ${JSON.stringify(expected)} to ${JSON.stringify(first)} and to ${JSON.stringify(second)} were both acknowledged, and no order of the key's operations explains both`, witness: verdict.witness };
      }
      return notReached(pairs === 0 ? 'no two acknowledged compare-and-sets of one key from the same value to different values' : 'two compare-and-sets from one value to different values were acknowledged, but an order of the key\'s operations explains them (a write put the expected value back in between)');
    }
  }
}

// -----------------------------------------------------------------------------------------------
// Scores

export interface ChallengeScore {
  faults: number;
  timeMs: number;
}

/** Fewer faults is better; with as many, faster. */
export function betterScore(a: ChallengeScore, than: ChallengeScore | null): boolean {
  if (than === null) return true;
  return a.faults < than.faults || (a.faults === than.faults && a.timeMs < than.timeMs);
}

export function formatMs(ms: number): string {
  return ms >= 1000 ? `${(ms / 1000).toFixed(ms % 1000 === 0 ? 0 : 1)} s` : `${Math.round(ms)} ms`;
}

// -----------------------------------------------------------------------------------------------
// Settling and a scripted attempt

/**
 * Before the final reads that count lost writes: faults healed and a quiet period, long enough for
 * a node restarted by the settling to be caught up, or a new primary to be chosen after a lease of
 * a few seconds.
 */
export const QUIET_MS = 5000;

export interface AttemptResult {
  won: boolean;
  judgement: GoalJudgement;
  score: ChallengeScore;
  /** The faults that counted, as sentences. */
  faults: readonly string[];
  steps: StepResult[];
  /** A move that could not be done (refused by the budget, a node that is down...): why; the attempt stopped there. */
  stopped: string | null;
}

/** A ScenarioCluster whose breaking faults go through the budget, and which the runner cannot close (the attempt is judged after the moves). */
class BudgetedCluster extends ScenarioClusterWrapper {
  private readonly ledger: BudgetLedger;

  constructor(inner: ScenarioCluster, ledger: BudgetLedger) {
    super(inner);
    this.ledger = ledger;
  }

  override async fault(fault: Fault): Promise<void> {
    const refusal = this.ledger.refusal(fault, this.inner.nowMs());
    if (refusal !== null) throw new BudgetRefusal(refusal);
    await this.inner.fault(fault);
    this.ledger.charge(fault);
  }

  override async close(): Promise<void> {}
}

export interface AttemptOptions {
  /** The cluster to play on (default: the simulator). */
  cluster?: (setup: ClusterSetup) => Promise<ScenarioCluster>;
  onStep?: (step: StepResult) => void;
}

/** The keys the challenge's workload writes (the simulator's and the live clients' k0, k1, ...). */
export function workloadKeys(challenge: Challenge): ReadonlySet<string> {
  return new Set(Array.from({ length: challenge.workload?.keys ?? 0 }, (_, i) => `k${i}`));
}

/** The cluster setup of one configuration: what the window starts too. */
export function configurationSetup(challenge: Challenge, index: number): ClusterSetup {
  const configuration = challenge.configurations[index];
  if (configuration === undefined) throw new RangeError(`${challenge.id} has configurations 1 to ${challenge.configurations.length}, not ${index + 1}`);
  const algorithm = getAlgorithm(configuration.algorithm);
  if (algorithm === undefined) throw new RangeError(`no algorithm ${JSON.stringify(configuration.algorithm)}`);
  return {
    algorithm,
    options: configuration.options,
    nodes: challenge.nodes,
    seed: challenge.seed,
    network: { delayMs: challenge.delayMs, jitterMs: challenge.delayMs / 4 },
    workload: challenge.workload === null ? null : { ...challenge.workload, running: true },
    monitor: standardMonitor(algorithm),
  };
}

/**
 * Plays `moves` on configuration `index` (0-based) within the budget, then judges: after settling
 * for a lost write, on the history as it stands otherwise. A move the budget refuses ends the
 * moves there (as a refused click leaves the person where they were); the attempt is judged all
 * the same. The time taken is the cluster's time when the moves ended (at most the limit).
 */
export async function playChallenge(challenge: Challenge, index: number, moves: readonly ScenarioStep[], options: AttemptOptions = {}): Promise<AttemptResult> {
  const setup = configurationSetup(challenge, index);
  const inner = options.cluster === undefined ? new SimScenarioCluster(setup) : await options.cluster(setup);
  const ledger = new BudgetLedger(challenge.budget);
  const configuration = challenge.configurations[index] as ChallengeConfiguration;
  const scenario: Scenario = {
    file: challenge.file,
    title: `${challenge.title}: ${configuration.name}`,
    summary: null,
    algorithm: configuration.algorithm,
    options: configuration.options,
    nodes: challenge.nodes,
    seed: challenge.seed,
    network: setup.network,
    workload: setup.workload,
    steps: [...moves],
    simulatorOnly: null,
  };
  try {
    const result = await runScenario(scenario, { cluster: async () => new BudgetedCluster(inner, ledger), ...(options.onStep === undefined ? {} : { onStep: options.onStep }) });
    const endedMs = Math.round(inner.nowMs());
    if (!judgedAsItGoes(challenge.goal)) await settleCluster(inner, { quietMs: QUIET_MS, resetLinkRules: true });
    let judgement = judgeGoal(challenge.goal, inner.history(), undefined, workloadKeys(challenge));
    // What happened after the time ran out does not count.
    if (judgement.reached && endedMs > challenge.budget.timeMs) judgement = { reached: false, text: `time is up: the moves took ${formatMs(endedMs)}, past the ${formatMs(challenge.budget.timeMs)} the challenge gives (${judgement.text})`, witness: null };
    const stopped = result.steps.find((s) => s.error !== null)?.error ?? null;
    return { won: judgement.reached, judgement, score: { faults: ledger.used, timeMs: Math.min(endedMs, challenge.budget.timeMs) }, faults: ledger.faults, steps: result.steps, stopped };
  } finally {
    await inner.close();
  }
}
