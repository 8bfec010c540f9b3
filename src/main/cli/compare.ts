// `compare`: one workload and one fault schedule on several algorithms (or one algorithm under
// several options), and for each what it gave: operations and how they ended, acknowledged writes
// the final reads no longer hold, the strongest consistency models that held, latency, and
// availability. The cost of strong consistency, and what weak consistency gives up, in one table.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { algorithmNames, getAlgorithm, promisesOf, servedRequests } from '../../nodes/index.ts';
import type { Algorithm } from '../../nodes/types.ts';
import { standardMonitor } from '../../nodes/progress-monitor.ts';
import { OptionError, parseAssignments, relationProblem } from '../../shared/algorithm.ts';
import type { ConsistencyName } from '../../shared/consistency.ts';
import type { Fault } from '../../shared/fault.ts';
import { DATA_TYPE_REQUESTS, WORKLOAD_DATA_TYPES, type HistoryEvent, type RequestFunction, type WorkloadDataType } from '../../shared/history.ts';
import type { NodeId } from '../../shared/protocol.ts';
import { createRng, type Rng } from '../../shared/rng.ts';
import type { LinkRuleView } from '../../shared/bridge.ts';
import { measureHistory, type Measures } from '../checker/measures.ts';
import { Cluster } from '../cluster/cluster.ts';
import { ClientPool } from '../cluster/clients.ts';
import { applyFault, type FaultTarget } from '../runtime/faults.ts';
import { drawFault, SCHEDULE_FAULT_KINDS, type BasicFaultKind } from '../runtime/schedule.ts';
import { DEFAULT_MIXES, type OperationMix } from '../sim/workload.ts';
import { defaultLinkRule, Simulation } from '../sim/simulation.ts';
import { durationOption, intOption, numberOption, parseArgs, seedOption, stringOption, UsageError } from './args.ts';
import type { CliIo, CommandMain } from './cli.ts';

const HELP = `usage: consensus-playground compare [options] SPEC...

Runs each SPEC with the same clients (the same operations, from one seed) and the same faults
(the same kinds, at the same times, on the same node positions), then reads every key at every
node after a quiet period, and prints one line per SPEC:

  SPEC: ops N (ok A, fail B, info C), lost acknowledged writes: L, strongest: M, linearizable: true|false, p50 ms: X, p99 ms: Y, availability: P%

SPEC is NAME or NAME:KEY=VALUE,KEY=VALUE (the algorithm's options, as run --set takes them; run
--algo NAME --options lists them): a strong and a weak algorithm side by side, or one algorithm
under two settings. The workload's data type is one every SPEC serves (registers when they all
do), with the requests they all take.

options:
  --sim                 the simulator (default: worker threads and SQLite, one SPEC after another)
  --faults LIST         none, or a comma-separated list of ${SCHEDULE_FAULT_KINDS.join(',')} (default partition,kill)
  --fault-interval D    time between faults (default 1s)
  --duration D          how long clients and faults run per SPEC (default 10s)
  --seed N              the seed of the workload and of the faults (default 1)
  --nodes N             nodes per cluster, 1 to 9 (default 3)
  --rate R              client operations per second, all clients together (default 100)
  --clients N           concurrent clients (default 5)
  --keys N              keys (default 4)

algorithms: ${algorithmNames().join(', ')}
Exit 0 when each SPEC kept the consistency model it promises (and its safety monitors held), 1
otherwise, 2 on bad options.`;

export interface CompareSpec {
  text: string;
  algorithm: Algorithm<unknown>;
  options: Record<string, unknown>;
  promises: ConsistencyName | null;
}

export function parseSpec(text: string): CompareSpec {
  const colon = text.indexOf(':');
  const name = colon < 0 ? text : text.slice(0, colon);
  const algorithm = getAlgorithm(name);
  if (algorithm === undefined) throw new UsageError(`${JSON.stringify(text)}: no algorithm ${JSON.stringify(name)} (algorithms: ${algorithmNames().join(', ')})`);
  const assignments = colon < 0 ? [] : text.slice(colon + 1).split(',').map((a) => a.trim()).filter((a) => a !== '');
  let options: Record<string, unknown>;
  try {
    options = parseAssignments(algorithm.options, assignments);
  } catch (error) {
    if (error instanceof OptionError) throw new UsageError(`${JSON.stringify(text)}: ${error.message.replace(/^--set takes/, 'options take')}`);
    throw error;
  }
  const complete = { ...(algorithm.defaultOptions as Record<string, unknown>), ...options };
  const problem = relationProblem(algorithm.options, complete);
  if (problem !== null) throw new UsageError(`${JSON.stringify(text)}: ${problem}`);
  return { text, algorithm, options, promises: promisesOf(algorithm, options) };
}

/** The data type every spec serves (registers first), with the requests all of them take. */
export function commonWorkload(specs: readonly CompareSpec[]): { dataType: WorkloadDataType; requests: RequestFunction[] } {
  for (const dataType of WORKLOAD_DATA_TYPES) {
    const lists = specs.map((s) => servedRequests(s.algorithm, s.options)[dataType]);
    if (lists.some((l) => l === undefined)) continue;
    const requests = DATA_TYPE_REQUESTS[dataType].filter((f) => lists.every((l) => l?.includes(f) === true));
    if (requests.some((f) => f !== 'read')) return { dataType, requests };
  }
  const served = specs.map((s) => `${s.text} serves ${Object.keys(servedRequests(s.algorithm, s.options)).join(', ') || 'nothing'}`);
  throw new UsageError(`no data type that every SPEC can both read and write: ${served.join('; ')}`);
}

/**
 * The data type's mix, with no weight on what some spec does not take, nor on cas: a cas that
 * finds another value fails by design, and would count against availability like a refusal.
 */
export function mixFor(dataType: WorkloadDataType, requests: readonly RequestFunction[]): OperationMix {
  const mix: OperationMix = {};
  for (const f of DATA_TYPE_REQUESTS[dataType]) mix[f] = requests.includes(f) && f !== 'cas' ? (DEFAULT_MIXES[dataType][f] ?? 0) : 0;
  return mix;
}

export interface ScheduledFaults {
  atMs: number;
  faults: Fault[];
}

/**
 * The faults, drawn once from the seed for every spec: by position, never by role (each algorithm
 * has its own leader, or none), each undone two faults later; at the end, everything undone,
 * healed and restarted, so that the final reads find every node.
 */
export function drawSchedule(rng: Rng, kinds: readonly BasicFaultKind[], nodeIds: readonly NodeId[], startingRule: LinkRuleView, durationMs: number, intervalMs: number): ScheduledFaults[] {
  const schedule: ScheduledFaults[] = [];
  const pending: Fault[][] = [];
  const view = { nodeIds: [...nodeIds], leader: () => null, startingRule };
  if (kinds.length > 0) {
    for (let at = intervalMs; at < durationMs; at += intervalMs) {
      const drawn = drawFault(rng, kinds[rng.int(0, kinds.length)] as BasicFaultKind, view);
      const faults = [...drawn.faults];
      pending.push(drawn.undo);
      if (pending.length > 2) faults.push(...(pending.shift() ?? []));
      schedule.push({ atMs: at, faults });
    }
  }
  const recover: Fault[] = pending.flat();
  recover.push({ kind: 'heal' }, { kind: 'network', rule: { ...startingRule } });
  for (const node of nodeIds) recover.push({ kind: 'restart', node }, { kind: 'resume', node }, { kind: 'clock-skew', node, offsetMs: 0, drift: 0 });
  schedule.push({ atMs: durationMs, faults: recover });
  return schedule;
}

/** Applies a fault where it makes sense: restarting a node that is up, or resuming one that runs, is no fault. */
function strike(target: FaultTarget & { isUp(id: NodeId): boolean; isPaused(id: NodeId): boolean }, fault: Fault): void | Promise<void> {
  if (fault.kind === 'restart' && target.isUp(fault.node)) return;
  if (fault.kind === 'crash' && !target.isUp(fault.node)) return;
  if (fault.kind === 'resume' && !target.isPaused(fault.node)) return;
  if (fault.kind === 'pause' && (!target.isUp(fault.node) || target.isPaused(fault.node))) return;
  return applyFault(target, fault);
}

export interface CompareSettings {
  sim: boolean;
  kinds: BasicFaultKind[];
  intervalMs: number;
  durationMs: number;
  seed: number;
  nodes: number;
  rate: number;
  clients: number;
  keys: number;
}

const QUIET_MS = 2000;

interface SpecOutcome {
  history: HistoryEvent[];
  violations: string[];
}

function runSimulated(spec: CompareSpec, settings: CompareSettings, dataType: WorkloadDataType, mix: OperationMix): SpecOutcome {
  const monitor = standardMonitor(spec.algorithm);
  const sim = new Simulation({
    algorithm: spec.algorithm,
    nodes: settings.nodes,
    seed: settings.seed,
    algorithmOptions: spec.options,
    workload: { rate: settings.rate, clients: settings.clients, keys: settings.keys, dataType, mix, opsPerClient: true },
    observers: [monitor],
  });
  const schedule = drawSchedule(createRng(settings.seed).fork('compare faults'), settings.kinds, sim.nodeIds, defaultLinkRule, settings.durationMs, settings.intervalMs);
  for (const { atMs, faults } of schedule) sim.at(atMs, () => faults.forEach((f) => void strike(sim, f)));
  sim.runFor(settings.durationMs + 1);
  sim.finalReads(QUIET_MS);
  monitor.finalCheck();
  return { history: sim.history(), violations: monitor.violations().map((v) => v.message) };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

async function runLive(spec: CompareSpec, settings: CompareSettings, dataType: WorkloadDataType, mix: OperationMix, io: CliIo): Promise<SpecOutcome> {
  const monitor = standardMonitor(spec.algorithm);
  const dataDir = mkdtempSync(join(tmpdir(), 'compare-'));
  const cluster = new Cluster({ algorithm: spec.algorithm.name, nodes: settings.nodes, seed: settings.seed, dataDir, session: 'compare', sync: 'normal', algorithmOptions: spec.options, observers: [monitor] });
  const clients = new ClientPool(cluster, { clients: settings.clients, rate: settings.rate, keys: settings.keys, dataType, mix, timeoutMs: 1000, seed: settings.seed });
  try {
    await cluster.start();
    const schedule = drawSchedule(createRng(settings.seed).fork('compare faults'), settings.kinds, cluster.nodeIds, cluster.networkView().defaultRule, settings.durationMs, settings.intervalMs);
    clients.start();
    const started = performance.now();
    for (const { atMs, faults } of schedule) {
      await sleep(atMs - (performance.now() - started));
      for (const fault of faults) {
        try {
          await strike(cluster, fault);
        } catch (error) {
          io.err(`${spec.text}: ${(error as Error).message}`);
        }
      }
    }
    await clients.finalReads(QUIET_MS);
    monitor.finalCheck();
    return { history: clients.history, violations: monitor.violations().map((v) => v.message) };
  } finally {
    await clients.stop();
    await cluster.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

export function formatLine(spec: string, m: Measures): string {
  const ms = (v: number | null): string => (v === null ? '-' : v.toFixed(2));
  const strongest = m.strongest.length === 0 ? 'none' : m.strongest.join(',');
  const availability = m.availability === null ? '-' : `${(m.availability * 100).toFixed(1)}%`;
  return `${spec}: ops ${m.ops} (ok ${m.ok}, fail ${m.fail}, info ${m.info}), lost acknowledged writes: ${m.lostWrites ?? '-'}, strongest: ${strongest}, linearizable: ${m.linearizable}, p50 ms: ${ms(m.p50Ms)}, p99 ms: ${ms(m.p99Ms)}, availability: ${availability}`;
}

export const compareCommand: CommandMain = async (argv, io) => {
  const args = parseArgs(argv, {
    sim: { type: 'boolean' },
    faults: { type: 'string' },
    'fault-interval': { type: 'string' },
    duration: { type: 'string' },
    seed: { type: 'string' },
    nodes: { type: 'string' },
    rate: { type: 'string' },
    clients: { type: 'string' },
    keys: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (args.options.has('help')) {
    io.out(HELP);
    return 0;
  }
  if (args.positionals.length === 0) throw new UsageError(`name at least one SPEC to run: NAME or NAME:KEY=VALUE,... with NAME one of ${algorithmNames().join(', ')} (see --help)`);
  const specs = args.positionals.map(parseSpec);
  const faultsText = stringOption(args, 'faults') ?? 'partition,kill';
  const parts = faultsText.split(',').map((f) => f.trim()).filter(Boolean);
  const unknown = parts.filter((p) => p !== 'none' && !(SCHEDULE_FAULT_KINDS as readonly string[]).includes(p));
  if (unknown.length > 0 || parts.length === 0) throw new UsageError(`--faults takes none or a comma-separated list of ${SCHEDULE_FAULT_KINDS.join(', ')}, got ${JSON.stringify(faultsText)}`);
  const settings: CompareSettings = {
    sim: args.options.has('sim'),
    kinds: parts.filter((p) => p !== 'none') as BasicFaultKind[],
    intervalMs: durationOption(args, 'fault-interval', 1000),
    durationMs: durationOption(args, 'duration', 10_000),
    seed: seedOption(args, 'seed', 1),
    nodes: intOption(args, 'nodes', 3, 1, 9),
    rate: numberOption(args, 'rate', 100, 0.1, 5000),
    clients: intOption(args, 'clients', 5, 1, 100),
    keys: intOption(args, 'keys', 4, 1, 1000),
  };
  if (settings.durationMs <= 0 || settings.durationMs > 3_600_000) throw new UsageError('--duration must be more than 0 and at most 1h');
  if (settings.intervalMs < 50) throw new UsageError('--fault-interval must be at least 50ms');
  return runComparison(specs, settings, io);
};

/** Runs every spec with the one workload and fault schedule; prints a line each; 0 when every promise held. */
export async function runComparison(specs: readonly CompareSpec[], settings: CompareSettings, io: CliIo): Promise<number> {
  const { dataType, requests } = commonWorkload(specs);
  const mix = mixFor(dataType, requests);
  io.err(`workload: ${dataType === 'kv' ? 'registers' : `${dataType}s`} (${requests.filter((f) => (mix[f] ?? 0) > 0).join(', ')}); faults: ${settings.kinds.join(', ') || 'none'}; ${settings.sim ? 'simulated' : 'worker threads'}, ${settings.nodes} nodes, seed ${settings.seed}`);
  let allKept = true;
  for (const spec of specs) {
    const outcome = settings.sim ? runSimulated(spec, settings, dataType, mix) : await runLive(spec, settings, dataType, mix, io);
    const measures = measureHistory(outcome.history, { dataType, promises: spec.promises });
    io.out(formatLine(spec.text, measures));
    for (const v of outcome.violations) io.out(`  violation: ${v}`);
    if (measures.problem !== null) io.out(`  the history could not be checked: ${measures.problem}`);
    if (!measures.kept) {
      const why = measures.promised?.witness ? `: ${measures.promised.witness.anomaly}: ${measures.promised.witness.why}` : measures.promised?.reason ? ` (${measures.promised.reason})` : '';
      io.out(`  promises ${spec.promises}, and this run is ${measures.promised?.verdict === 'false' ? 'not' : 'not shown to be'} ${spec.promises}${why}`);
    }
    if (!measures.kept || outcome.violations.length > 0) allKept = false;
  }
  return allKept ? 0 : 1;
}
