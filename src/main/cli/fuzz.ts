import { existsSync, writeFileSync } from 'node:fs';
import { algorithmNames, DEFAULT_ALGORITHM, getAlgorithm } from '../../nodes/index.ts';
import { FAULT_KINDS, type FaultKind } from '../sim/faults.ts';
import { defaultFuzzOptions, runFuzz, type FuzzOptions, type FuzzRunResult } from '../sim/fuzz.ts';
import { scenarioProperty, shrinkFuzzRun, type ShrinkSize } from '../scenario/shrink.ts';
import { choiceOption, durationOption, intOption, numberOption, parseArgs, seedOption, stringOption, UsageError } from './args.ts';
import type { CommandMain } from './cli.ts';

const HELP = `usage: consensus-playground fuzz [options]

Simulates many seeded runs of a cluster under random faults, checking after every step the
algorithm's own safety monitors (the properties its paper states: for a consensus algorithm, one
leader per term or one value per slot, matching logs, no acknowledged write lost) and that no
node's commit or applied index goes back; after the final heal, that a leader and a committed operation come within a bound
(liveness, for algorithms with leaders); at the end of each run, that the clients' history keeps
the consistency model the run's options promise (linearizable for the consensus algorithms; a
weaker one, or none, for others: a convergent run ends with a quiet period and final reads at
every node). A run that uses its step budget, or whose history the checker leaves undecided,
counts as a failure too.
Run i uses seed S+i; a failing seed replays exactly.

options:
  --algo NAME          algorithm (${algorithmNames().join(', ')}; default ${DEFAULT_ALGORITHM})
  --runs N             number of runs (default 100)
  --seed S             first seed, 0 to 4294967295 (default 1)
  --nodes N            nodes per cluster, 1 to 15 (default 5)
  --duration D         simulated time with faults per run, e.g. 20s (default 20s)
  --steps K            step budget: a run needing more than K simulation events fails (default ${defaultFuzzOptions.maxSteps})
  --faults LIST        comma-separated: ${FAULT_KINDS.join(',')} or none (default all but skew)
  --fault-interval D   mean time between faults (default 500ms; a swarm run draws its own)
  --swarm on|off       each run draws a random subset of the faults at extreme settings (default off:
                       on the mutant catalogue it caught no more, and most later; npm run bench -- mutants)
  --liveness D         after the final heal, a leader and a committed operation within D; 0 skips (default 5s)
  --rate R             client operations per simulated second (default 40)
  --shrink             after the runs, the first failing seed as the smallest scenario file that still
                       breaks the same property (delta debugging over its faults, operations, nodes
                       and time); the next failing seed if its scenario does not fail so (up to 3)
  --out FILE           where --shrink writes (never overwritten; default shrunk-ALGO-seed-S.yaml here)
  --shrink-budget N    the most scenario runs a shrink may take (default 300)`;

/** How many failing seeds --shrink tries when a seed's scenario does not fail the same way. */
const SHRINK_ATTEMPTS = 3;

export const fuzzCommand: CommandMain = async (argv, io) => {
  const args = parseArgs(argv, {
    algo: { type: 'string' },
    runs: { type: 'string' },
    seed: { type: 'string' },
    nodes: { type: 'string' },
    duration: { type: 'string' },
    steps: { type: 'string' },
    faults: { type: 'string' },
    'fault-interval': { type: 'string' },
    rate: { type: 'string' },
    swarm: { type: 'string' },
    liveness: { type: 'string' },
    shrink: { type: 'boolean' },
    out: { type: 'string' },
    'shrink-budget': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (args.options.has('help')) {
    io.out(HELP);
    return 0;
  }
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`);
  const algoName = stringOption(args, 'algo') ?? DEFAULT_ALGORITHM;
  const algorithm = getAlgorithm(algoName);
  if (algorithm === undefined) throw new UsageError(`--algo must be one of ${algorithmNames().join(', ')}, got ${JSON.stringify(algoName)}`);
  const faultsText = stringOption(args, 'faults');
  let faults: readonly FaultKind[] = defaultFuzzOptions.faults;
  if (faultsText !== undefined) {
    const parts = faultsText.split(',').map((f) => f.trim()).filter(Boolean);
    const unknown = parts.filter((p) => p !== 'none' && !(FAULT_KINDS as readonly string[]).includes(p));
    if (unknown.length > 0 || parts.length === 0) {
      throw new UsageError(`--faults takes a comma-separated list of ${FAULT_KINDS.join(', ')} or none, got ${JSON.stringify(faultsText)}`);
    }
    faults = parts.filter((p) => p !== 'none') as FaultKind[];
  }
  const durationMs = durationOption(args, 'duration', defaultFuzzOptions.durationMs);
  if (durationMs <= 0 || durationMs > 3_600_000) throw new UsageError('--duration must be more than 0 and at most 1h');
  const intervalMs = durationOption(args, 'fault-interval', defaultFuzzOptions.faultIntervalMs);
  if (intervalMs < 10) throw new UsageError('--fault-interval must be at least 10ms');
  const livenessMs = durationOption(args, 'liveness', defaultFuzzOptions.livenessMs);
  if (livenessMs < 0 || livenessMs > 3_600_000) throw new UsageError('--liveness must be from 0 to 1h');
  const options = {
    algorithm,
    swarm: choiceOption(args, 'swarm', ['on', 'off'] as const, defaultFuzzOptions.swarm ? 'on' : 'off') === 'on',
    livenessMs,
    runs: intOption(args, 'runs', 100, 1, 1_000_000),
    seed: seedOption(args, 'seed', 1),
    nodes: intOption(args, 'nodes', defaultFuzzOptions.nodes, 1, 15),
    durationMs,
    maxSteps: intOption(args, 'steps', defaultFuzzOptions.maxSteps, 1, Number.MAX_SAFE_INTEGER),
    faults,
    faultIntervalMs: intervalMs,
    rate: numberOption(args, 'rate', defaultFuzzOptions.rate, 0, 100_000),
  };
  const shrink = args.options.has('shrink');
  const out = stringOption(args, 'out');
  if (!shrink && (out !== undefined || args.options.has('shrink-budget'))) throw new UsageError('--out and --shrink-budget go with --shrink');
  if (out !== undefined && existsSync(out)) throw new UsageError(`--out ${out}: the file exists; a shrunk scenario never overwrites one`);
  const shrinkBudget = intOption(args, 'shrink-budget', 300, 1, 100_000);
  let lastProgress = performance.now();
  const started = lastProgress;
  const result = runFuzz({
    ...options,
    onRun: (run, done) => {
      if (run.violation) io.out(`seed ${run.seed}: ${run.violation.property} at step ${run.violation.step}: ${run.violation.message.split('\n')[0]}`);
      const now = performance.now();
      if (now - lastProgress > 1000 && done < options.runs) {
        lastProgress = now;
        const eta = ((now - started) / done) * (options.runs - done);
        io.err(`fuzz: ${done}/${options.runs} runs, eta ${(eta / 1000).toFixed(0)} s`);
      }
    },
  });
  const simulated = result.simulatedMs / 1000;
  const wall = result.wallMs / 1000;
  const unknown = result.runs.filter((r) => r.promiseKept === 'unknown').length;
  if (unknown > 0) io.out(`the promised model undecided (check out of time) for ${unknown} run(s), counted as violations`);
  const promises = new Map<string, number>();
  for (const r of result.runs) promises.set(r.promised ?? 'nothing', (promises.get(r.promised ?? 'nothing') ?? 0) + 1);
  io.out(`promised: ${[...promises].map(([model, n]) => `${model} in ${n} run${n === 1 ? '' : 's'}`).join(', ')}`);
  const sum = (f: (r: (typeof result.runs)[number]) => number): number => result.runs.reduce((n, r) => n + f(r), 0);
  io.out(
    `client duplicates: ${sum((r) => r.requestDuplicates)} requests delivered twice by the network, ${sum((r) => r.sameSeqRetries)} retries under the same sequence number; ${sum((r) => r.duplicatesCommitted)} writes committed again under a sequence number already applied (deduplicated unless a violation says otherwise); ${sum((r) => r.tornWrites)} crashes that lost a write whose messages had left`,
  );
  io.out(`runs: ${options.runs}, violations: ${result.violations}, simulated: ${simulated.toFixed(1)} s, wall: ${wall.toFixed(1)} s, speed: ${Math.round(simulated / Math.max(wall, 1e-9))} x`);
  if (shrink) await shrinkFirst(result.runs, { ...options, runs: 1 }, { algoName, out, budget: shrinkBudget, argv }, io);
  return result.violations === 0 ? 0 : 1;
};

const sizeText = (s: ShrinkSize): string => `${s.faults} fault${s.faults === 1 ? '' : 's'}, ${s.operations} operation${s.operations === 1 ? '' : 's'}, ${s.nodes} node${s.nodes === 1 ? '' : 's'}, ${(s.simulatedMs / 1000).toFixed(1)} s`;

/** The fuzz command line that runs one seed again (without the shrink's own options). */
function rerunCommand(argv: readonly string[], seed: number): string {
  const kept: string[] = [];
  const dropped = new Set(['--runs', '--seed', '--out', '--shrink-budget']);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    const name = arg.split('=')[0] as string;
    if (arg === '--shrink') continue;
    if (dropped.has(name)) {
      if (!arg.includes('=')) i++;
      continue;
    }
    kept.push(arg);
  }
  return ['consensus-playground fuzz', ...kept, `--seed ${seed} --runs 1`].join(' ');
}

/**
 * Shrinks the first failing seed a scenario can check (a safety property or the promised model)
 * and writes it; the next one if its scenario does not fail the same way. `algoName`: the
 * registered algorithm the file names (the fuzzed one, or the real one of a planted mutant).
 */
export async function shrinkFirst(runs: readonly FuzzRunResult[], options: FuzzOptions, how: { algoName: string; out: string | undefined; budget: number; argv: readonly string[] }, io: Parameters<CommandMain>[1]): Promise<void> {
  const failing = runs.filter((r) => r.violation !== null);
  const shrinkable = failing.filter((r) => scenarioProperty(r) !== null);
  if (shrinkable.length === 0) {
    io.out(failing.length === 0 ? 'shrink: no run failed' : `shrink: no failing seed breaks what a scenario file can check (${[...new Set(failing.map((r) => r.violation?.property))].join(', ')}: liveness, the step budget and undecided checks have no expectation there)`);
    return;
  }
  for (const run of shrinkable.slice(0, SHRINK_ATTEMPTS)) {
    const file = how.out ?? `shrunk-${how.algoName}-seed-${run.seed}.yaml`;
    let lastProgress = performance.now();
    io.err(`shrink: seed ${run.seed} (${scenarioProperty(run)}), at most ${how.budget} scenario runs`);
    let result: Awaited<ReturnType<typeof shrinkFuzzRun>>;
    try {
      result = await shrinkFuzzRun(options, run.seed, {
        scenarioAlgorithm: how.algoName,
        budget: how.budget,
        file,
        origin: rerunCommand(how.argv, run.seed),
        onProgress: (p) => {
          const now = performance.now();
          if (now - lastProgress < 1000) return;
          lastProgress = now;
          io.err(`shrink: ${p.candidates}/${p.budget} runs (${p.phase}), now ${sizeText(p.size)}`);
        },
      });
    } catch (error) {
      // A run a scenario file cannot hold (more nodes, more time than a file takes).
      if (!(error instanceof RangeError)) throw error;
      io.out(`shrink: ${error.message}`);
      continue;
    }
    if (!result.reproduced) {
      io.out(`shrink: seed ${run.seed} written as a scenario did not break ${result.property}${result.foundInstead.length === 0 ? '' : ` (it broke ${result.foundInstead.join(', ')})`} in ${result.candidates} tries${result.dropped.length === 0 ? '' : `; it could not keep: ${result.dropped.join('; ')}`}`);
      continue;
    }
    try {
      writeFileSync(file, result.text as string, { flag: 'wx' });
    } catch (error) {
      throw new UsageError(`${file}: ${(error as NodeJS.ErrnoException).code === 'EEXIST' ? 'the file exists; a shrunk scenario never overwrites one (name another with --out)' : (error as Error).message}`);
    }
    io.out(`shrunk seed ${run.seed} (${result.property}): ${sizeText(result.before)} -> ${sizeText(result.after)}, in ${result.candidates} scenario runs (${(result.wallMs / 1000).toFixed(1)} s)${result.minimal ? ', 1-minimal in faults and operations' : ''}`);
    if (result.dropped.length > 0) io.out(`left out (a scenario file cannot say it): ${result.dropped.join('; ')}`);
    io.out(`wrote ${file}; run it: consensus-playground scenario run ${file}`);
    return;
  }
}
