// `challenge`: the built-in challenges (a goal, a budget of faults, configurations that give way
// and ones that cannot), and a scripted attempt at one, judged as the window judges a person's.

import { readFileSync } from 'node:fs';
import { builtInChallenges, formatMs, GOAL_TEXT, parseChallenge, parseMoves, playChallenge, ScenarioFileError, type Challenge } from '../scenario/challenge.ts';
import { ScenarioSetupError, type StepResult } from '../scenario/runner.ts';
import { startLiveScenarioCluster } from '../scenario/live-target.ts';
import { intOption, parseArgs, stringOption, UsageError } from './args.ts';
import type { CliIo, CommandMain } from './cli.ts';

const HELP = `usage: consensus-playground challenge list
       consensus-playground challenge try FILE|ID --config N --moves MOVES.yaml [--live]

  list   one block per built-in challenge: its id, title, goal, budget, and its configurations
         numbered from 1
  try    plays a scripted attempt: the challenge's cluster as configuration N says, its workload
         running, then the moves (a YAML file: "moves:" and a list of steps as scenario files
         write them: at / when, do). Faults past the budget are refused and the moves stop there.
         Then the checker judges the goal on the attempt's client history (a lost write after
         healing, restarting every node, a quiet period and reads of every key at every node).
         Prints each move, the verdict with the checker's witness, and the score.
  --live on a cluster of worker threads with SQLite files instead of the simulator (real time;
         timing differs from run to run)

Challenge files are YAML; the README's "Challenges" section describes them and the moves.
Exit 0 won, 1 not won, 2 bad input.`;

function readText(file: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`);
  }
}

function findChallenge(ref: string): Challenge {
  const builtIn = builtInChallenges().find((c) => c.id === ref);
  if (builtIn !== undefined) return builtIn;
  if (!/\.ya?ml$/.test(ref)) throw new UsageError(`no built-in challenge ${JSON.stringify(ref)} (challenges: ${builtInChallenges().map((c) => c.id).join(', ')}); a file ends in .yaml`);
  return parseChallenge(readText(ref), ref);
}

function printStep(io: CliIo, step: StepResult): void {
  io.out(`move ${step.index + 1} (line ${step.line}, at ${step.atMs} ms)${step.error === null ? '' : `: could not be done: ${step.error}`}`);
  for (const event of step.events) io.out(`  ${event}`);
}

export const challengeCommand: CommandMain = async (argv, io) => {
  const args = parseArgs(argv, { config: { type: 'string' }, moves: { type: 'string' }, live: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  const [sub, ...rest] = args.positionals;
  if (args.options.has('help') || sub === undefined) {
    io.out(HELP);
    return sub === undefined && !args.options.has('help') ? 2 : 0;
  }
  try {
    if (sub === 'list') {
      if (rest.length > 0) throw new UsageError('list takes no arguments');
      for (const c of builtInChallenges()) {
        io.out(`${c.id}: ${c.title}`);
        io.out(`  goal: ${GOAL_TEXT[c.goal]}`);
        io.out(`  budget: ${c.budget.faults} fault${c.budget.faults === 1 ? '' : 's'}, ${formatMs(c.budget.timeMs)}`);
        c.configurations.forEach((k, i) => io.out(`  --config ${i + 1}: ${k.name}`));
      }
      return 0;
    }
    if (sub !== 'try') throw new UsageError(`unknown subcommand ${JSON.stringify(sub)} (list or try)`);
    if (rest.length !== 1) throw new UsageError('try takes one challenge: a built-in id or a .yaml file');
    const challenge = findChallenge(rest[0] as string);
    if (!args.options.has('config')) throw new UsageError(`--config N is required (1 to ${challenge.configurations.length})`);
    const index = intOption(args, 'config', 1, 1, challenge.configurations.length) - 1;
    const movesFile = stringOption(args, 'moves');
    if (movesFile === undefined) throw new UsageError('--moves MOVES.yaml is required');
    const moves = parseMoves(readText(movesFile), movesFile);
    const configuration = challenge.configurations[index];
    io.out(`== ${challenge.title}: ${configuration?.name}${args.options.has('live') ? ', live' : ''}`);
    io.out(`goal: ${GOAL_TEXT[challenge.goal]}`);
    let attempt;
    try {
      attempt = await playChallenge(challenge, index, moves, { onStep: (step) => printStep(io, step), ...(args.options.has('live') ? { cluster: startLiveScenarioCluster } : {}) });
    } catch (error) {
      if (error instanceof ScenarioSetupError) throw new UsageError(error.message);
      throw error;
    }
    const { judgement, score } = attempt;
    io.out(`${attempt.won ? 'WON' : 'NOT WON'}: ${judgement.text}`);
    if (judgement.witness !== null) {
      io.out(`  anomaly: ${judgement.witness.anomaly}`);
      for (const op of judgement.witness.operations) io.out(`  client ${op.process}: ${op.description}`);
      io.out(`  why: ${judgement.witness.why}`);
    }
    io.out(`score: ${score.faults} of ${challenge.budget.faults} faults${attempt.faults.length > 0 ? ` (${attempt.faults.join(', ')})` : ''}, ${formatMs(score.timeMs)} of ${formatMs(challenge.budget.timeMs)}`);
    if (!attempt.won && configuration?.winnable === false) io.out('This configuration is correct: no faults win it, which is the lesson.');
    return attempt.won ? 0 : 1;
  } catch (error) {
    if (error instanceof ScenarioFileError) throw new UsageError(error.message);
    throw error;
  }
};
