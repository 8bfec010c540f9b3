// The headless entry point: `consensus-playground <command> ...`. Each command lives in its own
// module, loaded only when asked for, so `check` does not pay for the simulator and vice versa.

import { UsageError } from './args.ts';
import { fileErrorMessage } from './file-errors.ts';

export interface CliIo {
  out(line: string): void;
  err(line: string): void;
  stdin: NodeJS.ReadableStream;
}

export type CommandMain = (argv: string[], io: CliIo) => Promise<number>;

interface CommandEntry {
  summary: string;
  load: () => Promise<CommandMain>;
}

const commands: Record<string, CommandEntry> = {
  run: {
    summary: 'run a cluster (worker threads and SQLite, or --sim) with clients and faults, then check it',
    load: async () => (await import('./run.ts')).runCommand,
  },
  fuzz: {
    summary: 'simulate many seeded runs with random faults and check the safety properties',
    load: async () => (await import('./fuzz.ts')).fuzzCommand,
  },
  compare: {
    summary: 'one workload and one fault schedule on several algorithms: what each gives up and gains',
    load: async () => (await import('./compare.ts')).compareCommand,
  },
  scenario: {
    summary: 'run scenario files (a cluster, faults, client operations and what must hold) or the built-in library',
    load: async () => (await import('./scenario.ts')).scenarioCommand,
  },
  challenge: {
    summary: 'the built-in challenges, and a scripted attempt at one (faults within a budget), judged by the checker',
    load: async () => (await import('./challenge.ts')).challengeCommand,
  },
  replay: {
    summary: 'show a recorded session; --verify re-executes every node and compares',
    load: async () => (await import('./replay.ts')).replayCommand,
  },
  export: {
    summary: 'turn recorded sessions into a data set (transitions, events, history, data card)',
    load: async () => (await import('./export.ts')).exportCommand,
  },
  generate: {
    summary: 'record and export many sessions with random faults and distinct seeds',
    load: async () => (await import('./generate.ts')).generateCommand,
  },
  merge: {
    summary: 'join the shares of one data set made by generate --shard I/N on many machines',
    load: async () => (await import('./merge.ts')).mergeCommand,
  },
  prune: {
    summary: 'delete the oldest recorded sessions beyond a total size (--keep-size 2GiB)',
    load: async () => (await import('./prune.ts')).pruneCommand,
  },
  check: {
    summary: 'check client histories (JSON Lines) for linearizability',
    load: async () => (await import('./check.ts')).checkCommand,
  },
};

export function usage(): string {
  const lines = ['usage: consensus-playground <command> [options]', '', 'commands:'];
  for (const [name, entry] of Object.entries(commands)) lines.push(`  ${name.padEnd(10)}${entry.summary}`);
  lines.push('', 'Run `consensus-playground <command> --help` for the options of one command.');
  return lines.join('\n');
}

export async function main(argv: string[], io: CliIo): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    io.out(usage());
    return name === undefined ? 2 : 0;
  }
  const entry = commands[name];
  if (entry === undefined) {
    io.err(`consensus-playground: unknown command ${JSON.stringify(name)}`);
    io.err(usage());
    return 2;
  }
  try {
    const run = await entry.load();
    return await run(rest, io);
  } catch (error) {
    if (error instanceof UsageError) {
      io.err(`consensus-playground ${name}: ${error.message}`);
      return 2;
    }
    const message = fileErrorMessage(error);
    if (message !== null) {
      io.err(`consensus-playground ${name}: ${message}`);
      return 2;
    }
    throw error;
  }
}
