// `scenario`: runs scenario files (a cluster, faults and client operations step by step, and
// what must hold after each) on the simulator, and lists the built-in library.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { sessionToScenario } from '../record/to-scenario.ts';
import { SessionFileError } from '../record/session-file.ts';
import { join } from 'node:path';
import { parseScenario, ScenarioFileError, type Scenario } from '../scenario/file.ts';
import { runScenario, ScenarioSetupError, type StepResult } from '../scenario/runner.ts';
import { startLiveScenarioCluster } from '../scenario/live-target.ts';
import { parseArgs, stringOption, UsageError } from './args.ts';
import type { CliIo, CommandMain } from './cli.ts';

const HELP = `usage: consensus-playground scenario run [--live] FILE... | run --all | list | from-session SESSION [--out FILE]

  run FILE...   runs each scenario file on the simulator, step by step: what each step did, and
                each expectation, held or not, with the file's line
  run --live    on a cluster of worker threads with SQLite files instead (real time, as the
                window runs; timing differs from run to run, so a scenario written for the
                simulator's exact interleavings may not hold there)
  run --all     runs every scenario of the built-in library
  list          one line per built-in scenario: its file and its title
  from-session  a recorded session's faults and client operations as a scenario file, at the
                times they happened (standard output, or --out FILE, which must not exist)

Scenario files are YAML; the README's "Scenario files" section describes them.
Exit 0 when every expectation held, 1 when one did not (or a step could not run), 2 on a bad file.`;

/** The built-in library: the YAML files beside the scenario runner. */
export const LIBRARY_DIR = new URL('../scenario/library/', import.meta.url);

export function libraryFiles(): string[] {
  return readdirSync(LIBRARY_DIR)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => join(LIBRARY_DIR.pathname, f));
}

function load(file: string): Scenario {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
  return parseScenario(text, file);
}

function printStep(io: CliIo, step: StepResult): void {
  io.out(`step ${step.index + 1} (line ${step.line}, at ${step.atMs} ms)${step.error === null ? '' : `: could not run: ${step.error}`}`);
  for (const event of step.events) io.out(`  ${event}`);
  for (const check of step.checks) io.out(`  ${check.ok ? 'ok  ' : 'FAIL'} ${check.text}`);
}

export const scenarioCommand: CommandMain = async (argv, io) => {
  const args = parseArgs(argv, { all: { type: 'boolean' }, live: { type: 'boolean' }, out: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  const [sub, ...files] = args.positionals;
  if (args.options.has('help') || sub === undefined) {
    io.out(HELP);
    return sub === undefined && !args.options.has('help') ? 2 : 0;
  }
  if (sub === 'list') {
    for (const file of libraryFiles()) io.out(`${file.split('/').pop()}: ${load(file).title}`);
    return 0;
  }
  if (sub === 'from-session') {
    if (files.length !== 1) throw new UsageError('from-session takes one session file');
    let text: string;
    try {
      text = sessionToScenario(files[0] as string);
    } catch (error) {
      if (error instanceof SessionFileError) throw new UsageError(error.message);
      throw error;
    }
    const out = stringOption(args, 'out');
    if (out === undefined) io.out(text.trimEnd());
    else {
      try {
        writeFileSync(out, text, { flag: 'wx' });
      } catch (error) {
        throw new UsageError(`--out ${out}: ${(error as NodeJS.ErrnoException).code === 'EEXIST' ? 'the file exists; a scenario never overwrites one' : (error as Error).message}`);
      }
      io.err(`wrote ${out}`);
    }
    return 0;
  }
  if (sub !== 'run') throw new UsageError(`unknown subcommand ${JSON.stringify(sub)} (run, list or from-session)`);
  const paths = args.options.has('all') ? [...libraryFiles(), ...files] : files;
  if (paths.length === 0) throw new UsageError('name a scenario file to run, or --all for the built-in library');
  let scenarios: Scenario[];
  try {
    // Every file is read before any runs: a mistake in the last is reported before minutes of the first.
    scenarios = paths.map(load);
  } catch (error) {
    if (error instanceof ScenarioFileError) throw new UsageError(error.message);
    throw error;
  }
  let failed = 0;
  let skipped = 0;
  for (const scenario of scenarios) {
    if (args.options.has('live') && scenario.simulatorOnly !== null) {
      io.out(`== ${scenario.title} (${scenario.file}): skipped live, it runs on the simulator only (${scenario.simulatorOnly})`);
      skipped++;
      continue;
    }
    io.out(`== ${scenario.title} (${scenario.file})${args.options.has('live') ? ', live' : ''}`);
    let result;
    try {
      result = await runScenario(scenario, { onStep: (step) => printStep(io, step), ...(args.options.has('live') ? { cluster: startLiveScenarioCluster } : {}) });
    } catch (error) {
      if (error instanceof ScenarioSetupError) throw new UsageError(error.message);
      throw error;
    }
    const checks = result.steps.flatMap((s) => s.checks);
    io.out(`${result.passed ? 'PASS' : 'FAIL'} ${scenario.file}: ${checks.filter((c) => c.ok).length} of ${checks.length} expectations held${result.steps.length < scenario.steps.length ? `; stopped after step ${result.steps.length} of ${scenario.steps.length}` : ''}`);
    if (!result.passed) failed++;
  }
  if (scenarios.length > 1) io.out(`${scenarios.length - failed - skipped} of ${scenarios.length - skipped} scenarios passed${skipped === 0 ? '' : ` (${skipped} skipped: simulator only)`}`);
  return failed === 0 ? 0 : 1;
};
