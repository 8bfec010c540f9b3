import { existsSync, lstatSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import type { HistoryEvent, WorkloadDataType } from '../../shared/history.ts';
import type { ConsistencyName } from '../../shared/consistency.ts';
import type { NodeId } from '../../shared/protocol.ts';
import { createRng, type Rng } from '../../shared/rng.ts';
import { algorithmNames, DEFAULT_ALGORITHM, getAlgorithm, promisesOf, servedRequests } from '../../nodes/index.ts';
import { OptionError, parseAssignments, relationProblem, type OptionField } from '../../shared/algorithm.ts';
import { TICK_MS } from '../../shared/protocol.ts';
import { checkOperations, HistoryBuilder, IncrementalChecker } from '../checker/index.ts';
import { judgePromise } from '../checker/measures.ts';
import { DEFAULT_MIXES, defaultDataType } from '../sim/workload.ts';
import { Cluster, LOOPBACK } from '../cluster/cluster.ts';
import { ClientPool } from '../cluster/clients.ts';
import { scheduleFaults } from '../sim/faults.ts';
import { applyFault } from '../runtime/faults.ts';
import { drawFault, SCHEDULE_FAULT_KINDS } from '../runtime/schedule.ts';
import type { Fault } from '../../shared/fault.ts';
import { standardMonitor } from '../../nodes/progress-monitor.ts';
import { defaultLinkRule, defaultWorkload, Simulation } from '../sim/simulation.ts';
import { choiceOption, durationOption, intOption, numberOption, parseArgs, seedOption, stringOption, UsageError } from './args.ts';
import type { CliIo, CommandMain } from './cli.ts';
import { RECORDING_BEHIND_MESSAGE, SessionRecorder } from '../record/recorder.ts';
import { simJournal } from '../record/sim-journal.ts';
import type { JournalTap, StepTap } from '../runtime/sink.ts';

const RUN_FAULTS = SCHEDULE_FAULT_KINDS;
type RunFault = (typeof RUN_FAULTS)[number];

const HELP = `usage: consensus-playground run [options]

Runs a cluster with clients and random faults, then checks the result: the safety monitors watch
every step, and the linearizability checker reads the clients' whole history at the end. By
default each node is a worker thread with its own SQLite file; --sim runs the deterministic
simulator instead (same seed, same run).

options:
  --algo NAME           ${algorithmNames().join(', ')} (default ${DEFAULT_ALGORITHM})
  --set KEY=VALUE       one of the algorithm's options (repeat for more)
  --options             list the algorithm's options (with --algo NAME), then exit
  --nodes N             1 to 15 (default 5)
  --seed S              0 to 4294967295 (default 1)
  --duration D          how long faults and clients run, e.g. 30s (default 30s)
  --rate R              client operations per second, all clients together (default 100)
  --clients C           concurrent clients (default 5)
  --keys K              keys the clients use (default 8)
  --faults LIST         none, or a comma-separated list of ${RUN_FAULTS.join(',')} (default none)
  --fault-interval D    time between faults (default 2s)
  --data-dir DIR        where node files go (default: the system's temporary folder)
  --history FILE        also write the client history there (JSON Lines); a new file, never
                        one that exists
  --sync full|normal    SQLite synchronous mode (default full)
  --sim                 use the simulator instead of worker threads
  --record FILE         record the session into FILE (.session.sqlite): every event, every
                        node's inputs and outputs, the history; replay and export read it

The last line reads: ops: N (ok A, fail B, info C), elections: E, violations: V, linearizable: true|false|unknown
Exit 0 when safe and linearizable, 1 otherwise, 2 on bad arguments.`;

export interface RunSettings {
  algo: string;
  nodes: number;
  seed: number;
  durationMs: number;
  rate: number;
  clients: number;
  keys: number;
  faults: RunFault[];
  faultIntervalMs: number;
  dataDir: string;
  historyFile: string | undefined;
  sync: 'full' | 'normal';
  algorithmOptions: Record<string, unknown>;
  sim: boolean;
  recordFile: string | undefined;
}

function recordOption(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  if (lstatSync(file, { throwIfNoEntry: false }) !== undefined) throw new UsageError(`--record: ${file} already exists; a recording never overwrites a file`);
  if (!existsSync(dirname(resolve(file)))) throw new UsageError(`--record: the folder ${dirname(resolve(file))} does not exist`);
  return file;
}

/** `--history`, like `--record`, never replaces a file (nor writes through a link, see summarize). */
function historyOption(file: string | undefined): string | undefined {
  if (file === undefined) return undefined;
  if (lstatSync(file, { throwIfNoEntry: false }) !== undefined) throw new UsageError(`--history: ${file} already exists; the history never overwrites a file`);
  if (!existsSync(dirname(resolve(file)))) throw new UsageError(`--history: the folder ${dirname(resolve(file))} does not exist`);
  return file;
}

function dataDirOption(dir: string | undefined): string {
  if (dir === undefined) return join(tmpdir(), 'consensus-playground');
  if (statSync(dir, { throwIfNoEntry: false })?.isDirectory() === false) throw new UsageError(`--data-dir: ${dir} is not a folder`);
  return dir;
}

function startRecorder(settings: RunSettings, tap?: JournalTap): SessionRecorder | null {
  if (settings.recordFile === undefined) return null;
  const { recordFile, historyFile: _history, dataDir: _dir, ...recorded } = settings;
  // What every link did at the start, for a replay to build the network on (see SessionReplay.moment).
  const startingLinkRule = settings.sim ? defaultLinkRule : LOOPBACK;
  return new SessionRecorder(recordFile, { mode: settings.sim ? 'sim' : 'live', algorithm: settings.algo, nodes: settings.nodes, seed: settings.seed, settings: { ...recorded, startingLinkRule } }, { tap });
}

export function parseRunArgs(argv: string[]): RunSettings | 'help' | { options: string } {
  const args = parseArgs(argv, {
    algo: { type: 'string' },
    nodes: { type: 'string' },
    seed: { type: 'string' },
    duration: { type: 'string' },
    rate: { type: 'string' },
    clients: { type: 'string' },
    keys: { type: 'string' },
    faults: { type: 'string' },
    'fault-interval': { type: 'string' },
    'data-dir': { type: 'string' },
    history: { type: 'string' },
    sync: { type: 'string' },
    set: { type: 'string', multiple: true },
    options: { type: 'boolean' },
    sim: { type: 'boolean' },
    record: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (args.options.has('help')) return 'help';
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`);
  const algo = stringOption(args, 'algo') ?? DEFAULT_ALGORITHM;
  const algorithm = getAlgorithm(algo);
  if (algorithm === undefined) throw new UsageError(`--algo must be one of ${algorithmNames().join(', ')}, got ${JSON.stringify(algo)}`);
  let algorithmOptions: Record<string, unknown>;
  try {
    algorithmOptions = parseAssignments(algorithm.options, args.lists.get('set') ?? []);
  } catch (error) {
    if (error instanceof OptionError) throw new UsageError(`--set: ${error.message}`);
    throw error;
  }
  if (args.options.has('options')) return { options: describeOptions(algorithm.title, algorithm.options) };
  const relation = relationProblem(algorithm.options, { ...(algorithm.defaultOptions as Record<string, unknown>), ...algorithmOptions });
  if (relation !== null) throw new UsageError(`--set: ${relation}`);
  const faultsText = stringOption(args, 'faults') ?? 'none';
  const parts = faultsText.split(',').map((f) => f.trim()).filter(Boolean);
  if (parts.length === 0 || parts.some((p) => p !== 'none' && !(RUN_FAULTS as readonly string[]).includes(p))) {
    throw new UsageError(`--faults takes none or a comma-separated list of ${RUN_FAULTS.join(', ')}, got ${JSON.stringify(faultsText)}`);
  }
  const durationMs = durationOption(args, 'duration', 30_000);
  if (durationMs <= 0 || durationMs > 24 * 3_600_000) throw new UsageError('--duration must be more than 0 and at most 24h');
  const faultIntervalMs = durationOption(args, 'fault-interval', 2000);
  if (faultIntervalMs < 10) throw new UsageError('--fault-interval must be at least 10ms');
  return {
    algo,
    nodes: intOption(args, 'nodes', 5, 1, 15),
    seed: seedOption(args, 'seed', 1),
    durationMs,
    rate: numberOption(args, 'rate', 100, 0, 100_000),
    clients: intOption(args, 'clients', 5, 1, 1000),
    keys: intOption(args, 'keys', 8, 1, 1_000_000),
    faults: parts.filter((p) => p !== 'none') as RunFault[],
    faultIntervalMs,
    dataDir: dataDirOption(stringOption(args, 'data-dir')),
    historyFile: historyOption(stringOption(args, 'history')),
    sync: choiceOption(args, 'sync', ['full', 'normal'] as const, 'full'),
    algorithmOptions,
    sim: args.options.has('sim'),
    recordFile: recordOption(stringOption(args, 'record')),
  };
}

/** One line per option: key, what it takes, its default, what it does. */
export function describeOptions(title: string, fields: readonly OptionField[]): string {
  if (fields.length === 0) return `${title} has no options.`;
  const takes = (f: OptionField): string => {
    switch (f.kind) {
      case 'boolean':
        return 'true|false';
      case 'choice':
        return f.choices.map((c) => c.value).join('|');
      case 'ticks':
        return `${f.min}..${f.max} ticks of ${TICK_MS} ms`;
      case 'integer':
        return `${f.min}..${f.max}${f.unit === undefined ? '' : ` ${f.unit}`}`;
    }
  };
  return [`${title} options (--set KEY=VALUE):`, ...fields.map((f) => `  ${f.key}=${takes(f)} (default ${String(f.default)}): ${f.label}. ${f.description}`)].join('\n');
}

interface RunOutcome {
  durationMs: number;
  history: HistoryEvent[];
  stats: { ok: number; fail: number; info: number };
  elections: number;
  violations: string[];
}

/** What the run's workload uses, and what its algorithm promises with the run's options. */
function runPlan(settings: RunSettings): { dataType: WorkloadDataType; promised: ConsistencyName | null } {
  const algorithm = getAlgorithm(settings.algo) as NonNullable<ReturnType<typeof getAlgorithm>>;
  return { dataType: defaultDataType(servedRequests(algorithm, settings.algorithmOptions)), promised: promisesOf(algorithm, settings.algorithmOptions) };
}

async function summarize(io: CliIo, settings: RunSettings, outcome: RunOutcome, recorder: SessionRecorder | null): Promise<number> {
  const { dataType, promised } = runPlan(settings);
  const builder = new HistoryBuilder(dataType);
  outcome.history.forEach((event, i) => builder.add(event, i + 1));
  builder.finish();
  const verdict = checkOperations(builder.operations, { timeoutMs: 60_000 }).linearizable;
  // A weaker promise is judged by its own check; linearizable (or nothing promised) needs no more.
  const promise = promised === null || promised === 'linearizable' ? null : judgePromise(outcome.history, dataType, promised, 60_000);
  const kept = promised === null || (promised === 'linearizable' ? verdict === 'true' : promise?.verdict === 'true');
  for (const v of outcome.violations) io.out(`violation: ${v}`);
  if (promise !== null) io.out(`promised ${promised}: ${promise.verdict}${promise.witness === null ? '' : ` (${promise.witness.anomaly}: ${promise.witness.why})`}`);
  else if (promised === null) io.out(`promised: nothing (only its safety monitors are checked)`);
  const { ok, fail, info } = outcome.stats;
  if (recorder !== null) {
    await recorder.close({ durationMs: outcome.durationMs, ops: outcome.stats, elections: outcome.elections, violations: outcome.violations.length, linearizable: verdict });
    io.err(`recorded to ${recorder.path}`);
  }
  // Exclusive: checked before the run, but a file may have appeared since; after the recording is
  // closed, so that a refusal here costs only the history.
  if (settings.historyFile) writeFileSync(settings.historyFile, outcome.history.map((e) => JSON.stringify(e)).join('\n') + '\n', { flag: 'wx' });
  io.out(`ops: ${ok + fail + info} (ok ${ok}, fail ${fail}, info ${info}), elections: ${outcome.elections}, violations: ${outcome.violations.length}, linearizable: ${verdict}`);
  return outcome.violations.length === 0 && kept ? 0 : 1;
}

function runSimulated(io: CliIo, settings: RunSettings, recorder: SessionRecorder | null, stepTap?: StepTap): RunOutcome {
  const monitor = standardMonitor(getAlgorithm(settings.algo) as NonNullable<ReturnType<typeof getAlgorithm>>);
  const journal = recorder === null ? null : simJournal((event) => recorder.journal([event]));
  const sim = new Simulation({
    recorder: recorder ?? undefined,
    stepTap,
    trace: journal?.trace,
    algorithm: getAlgorithm(settings.algo) as NonNullable<ReturnType<typeof getAlgorithm>>,
    nodes: settings.nodes,
    seed: settings.seed,
    algorithmOptions: settings.algorithmOptions,
    workload: { ...defaultWorkload, clients: settings.clients, rate: settings.rate, keys: settings.keys, dataType: runPlan(settings).dataType },
    observers: journal === null ? [monitor] : [monitor, journal.observer],
  });
  scheduleFaults(sim, createRng(settings.seed).fork('faults'), { kinds: settings.faults, intervalMs: settings.faultIntervalMs, untilMs: settings.durationMs });
  let lastPrint = performance.now();
  const endMs = settings.durationMs + 2000;
  while (sim.timeUs / 1000 < endMs) {
    sim.runFor(Math.min(1000, endMs - sim.timeUs / 1000));
    if (performance.now() - lastPrint >= 1000) {
      lastPrint = performance.now();
      io.err(progressLine(sim.timeUs / 1000, sim.stats.ops, sim.stats.elections, monitor.violations().length, sim.leader()));
    }
  }
  // Convergence is judged by reads at every node once the replicas have had a quiet period.
  if (runPlan(settings).promised === 'convergent') sim.finalReads(3000);
  monitor.finalCheck();
  return { durationMs: sim.timeUs / 1000, history: sim.history(), stats: sim.stats.ops, elections: sim.stats.elections, violations: monitor.violations().map((v) => v.message) };
}

function progressLine(ms: number, ops: { ok: number; fail: number; info: number }, elections: number, violations: number, leader: NodeId | null): string {
  return `t=${(ms / 1000).toFixed(0)}s ops ok ${ops.ok} fail ${ops.fail} info ${ops.info}, elections ${elections}, leader ${leader ?? 'none'}, violations ${violations}`;
}

/**
 * Random faults in real time, drawn as the simulator's schedule draws them (runtime/schedule.ts);
 * each is undone after a while, and `finish` undoes all of them.
 */
function startFaults(cluster: Cluster, rng: Rng, kinds: readonly RunFault[], intervalMs: number): { finish(): Promise<void> } {
  const undo: Fault[][] = [];
  const view = {
    get nodeIds(): NodeId[] {
      return cluster.nodeIds;
    },
    leader: () => cluster.leader(),
    startingRule: cluster.networkView().defaultRule,
  };
  // A fault or its undo that cannot be done any more (the cluster is stopping) is moot, not fatal.
  const apply = async (faults: readonly Fault[]): Promise<void> => {
    for (const fault of faults) {
      try {
        await applyFault(cluster, fault);
      } catch {
        // Nothing to undo or strike any more.
      }
    }
  };
  // No kinds, no faults: an interval with nothing to draw from would draw undefined.
  const timer = setInterval(() => {
    if (kinds.length === 0) return;
    const drawn = drawFault(rng, kinds[rng.int(0, kinds.length)] as RunFault, view);
    void apply(drawn.faults);
    undo.push(drawn.undo);
    // Undo the oldest fault once a couple are active, so faults overlap but do not pile up.
    if (undo.length > 2) void apply(undo.shift() ?? []);
  }, intervalMs);
  return {
    async finish() {
      clearInterval(timer);
      while (undo.length > 0) await apply(undo.shift() ?? []);
      cluster.heal();
      cluster.resetNetwork();
      for (const id of cluster.nodeIds) {
        if (!cluster.isUp(id)) await cluster.restart(id);
        cluster.resume(id);
      }
    },
  };
}

async function runWorkers(io: CliIo, settings: RunSettings, recorder: SessionRecorder | null): Promise<RunOutcome> {
  const monitor = standardMonitor(getAlgorithm(settings.algo) as NonNullable<ReturnType<typeof getAlgorithm>>);
  const session = `run-${new Date().toISOString().replace(/[:.]/g, '-')}-seed${settings.seed}`;
  const cluster = new Cluster({
    algorithm: settings.algo,
    nodes: settings.nodes,
    seed: settings.seed,
    dataDir: settings.dataDir,
    session,
    sync: settings.sync,
    algorithmOptions: settings.algorithmOptions,
    observers: [monitor],
    recorder: recorder ?? undefined,
  });
  if (recorder !== null) cluster.subscribe((events) => recorder.journal(events));
  // The live checker reads the history as it grows, so a violation shows within a second.
  const { dataType } = runPlan(settings);
  // The incremental search knows registers; counters and sets are judged at the end.
  const live = dataType === 'kv' ? new IncrementalChecker(dataType) : null;
  let liveVerdict = 'true';
  const clients = new ClientPool(cluster, { clients: settings.clients, rate: settings.rate, keys: settings.keys, dataType, mix: DEFAULT_MIXES[dataType], timeoutMs: 1000, seed: settings.seed }, (event) => live?.add(event));
  let interrupted = false;
  const onSignal = (): void => {
    interrupted = true;
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  try {
    await cluster.start();
    io.err(`nodes in ${cluster.dir}`);
    clients.start();
    const faults = startFaults(cluster, createRng(settings.seed).fork('faults'), settings.faults, settings.faultIntervalMs);
    const started = performance.now();
    let lastPrint = started;
    while (!interrupted && performance.now() - started < settings.durationMs) {
      await new Promise((resolve) => setTimeout(resolve, Math.min(1000, settings.durationMs - (performance.now() - started))));
      if (performance.now() - lastPrint < 900) continue;
      lastPrint = performance.now();
      const check = live?.checkAtMost(0.1, { timeoutMs: 200 }) ?? { linearizable: 'unknown' as const, explanation: undefined };
      if (check.linearizable === 'false' && liveVerdict !== 'false') {
        cluster.journal({ kind: 'violation', time: cluster.elapsedMs(), property: 'linearizability', message: `key ${check.explanation?.key}` });
        io.err(`linearizability violated on key ${JSON.stringify(check.explanation?.key)}`);
      }
      liveVerdict = check.linearizable;
      io.err(`${progressLine(lastPrint - started, clients.stats, cluster.stats.elections, monitor.violations().length, cluster.leader())}, linearizable so far: ${liveVerdict}`);
      if (recorder?.behind === true) io.err(RECORDING_BEHIND_MESSAGE);
    }
    await faults.finish();
    // Convergence is judged by reads at every node after a quiet period; otherwise a quiet
    // moment after the last fault, so that operations in flight settle before the check.
    if (!interrupted && runPlan(settings).promised === 'convergent') await clients.finalReads(1500);
    else if (!interrupted) await new Promise((resolve) => setTimeout(resolve, 1500));
    await clients.stop();
  } finally {
    await cluster.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
  if (interrupted) io.err('interrupted: workers stopped, checking what ran');
  monitor.finalCheck();
  return { durationMs: cluster.elapsedMs(), history: clients.history, stats: clients.stats, elections: cluster.stats.elections, violations: monitor.violations().map((v) => v.message) };
}

export const runCommand: CommandMain = async (argv, io) => {
  const settings = parseRunArgs(argv);
  if (settings === 'help') {
    io.out(HELP);
    return 0;
  }
  if ('options' in settings) {
    io.out(settings.options);
    return 0;
  }
  return runSession(settings, io);
};

/**
 * One run as `run` does it: the cluster, clients and faults, recorded if asked, then checked.
 * `capture` gets the recording's events and history as they are stored and, in a simulated run,
 * every step of every node (generate makes its data set from them: share-capture.ts).
 */
export async function runSession(settings: RunSettings, io: CliIo, capture?: StepTap & JournalTap): Promise<number> {
  const recorder = startRecorder(settings, capture);
  const outcome = settings.sim ? runSimulated(io, settings, recorder, capture) : await runWorkers(io, settings, recorder);
  return summarize(io, settings, outcome, recorder);
}
