// `consensus-playground export FILE... --out DIR`: recorded sessions to a data set.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { DATASET_LINE_FILES, exportSessions } from '../record/export.ts';
import { SessionFileError } from '../record/session-file.ts';
import { parseArgs, stringOption, UsageError } from './args.ts';
import type { CommandMain } from './cli.ts';

const HELP = `usage: consensus-playground export FILE... --out DIR

Writes a data set from one or more recorded sessions (.session.sqlite) into DIR:
  transitions.jsonl  one line per node step: node, time, before, input, outputs, after
  events.jsonl       the journal of every session
  history.jsonl      the clients' histories in the checker's format
  dataset.md         the data card: schema, settings, seeds, counts, how it was made
Files already in DIR are never overwritten: give an empty or new folder.

Exit 0 on success, 2 on a bad file or bad arguments.`;

export const DATASET_FILES = [...DATASET_LINE_FILES, 'dataset.md'];

export const exportCommand: CommandMain = async (argv, io) => {
  const args = parseArgs(argv, { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (args.options.has('help')) {
    io.out(HELP);
    return 0;
  }
  const out = stringOption(args, 'out');
  if (out === undefined) throw new UsageError('--out DIR is required');
  if (args.positionals.length === 0) throw new UsageError('give at least one session file');
  const clash = DATASET_FILES.find((f) => existsSync(join(out, f)));
  if (clash) throw new UsageError(`${join(out, clash)} already exists; export into an empty or new folder`);
  try {
    const result = await exportSessions(args.positionals, out, { progress: (line) => io.err(line) });
    const total = (key: 'transitions' | 'events' | 'history'): number => result.sessions.reduce((sum, s) => sum + s[key], 0);
    io.out(`exported ${result.sessions.length} session(s) to ${out}: ${total('transitions')} transitions, ${total('events')} events, ${total('history')} history events`);
    return 0;
  } catch (error) {
    if (error instanceof SessionFileError) {
      io.err(`consensus-playground export: ${error.message}`);
      return 2;
    }
    throw error;
  }
};
