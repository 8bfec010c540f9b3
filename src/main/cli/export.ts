// `consensus-playground export FILE... --out DIR`: recorded sessions to a data set.

import { statSync } from 'node:fs';
import { exportSessions, refuseDatasetClash } from '../record/export.ts';
import { parseArgs, stringOption, UsageError } from './args.ts';
import type { CommandMain } from './cli.ts';

const HELP = `usage: consensus-playground export FILE... --out DIR

Writes a data set from one or more recorded sessions (.session.sqlite) into DIR:
  transitions.jsonl  one line per node step: node, time, before, input, outputs, after
  events.jsonl       the journal of every session
  history.jsonl      the clients' histories in the checker's format
  dataset.md         the data card: schema, settings, seeds, counts, how it was made
  labels.jsonl       one line per session: each consistency model's verdict when it closed
Files already in DIR are never overwritten, nor anything else there touched: give an empty or
new folder.

Exit 0 on success, 2 on a bad file or bad arguments.`;

/** `--out`, `generate`'s too: a folder, or nothing yet. */
export function outFolder(out: string, verb: string): void {
  if (statSync(out, { throwIfNoEntry: false })?.isDirectory() === false) throw new UsageError(`--out: ${out} is not a folder; ${verb} into an empty or new folder`);
  refuseDatasetClash(out, verb);
}

export const exportCommand: CommandMain = async (argv, io) => {
  const args = parseArgs(argv, { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (args.options.has('help')) {
    io.out(HELP);
    return 0;
  }
  const out = stringOption(args, 'out');
  if (out === undefined) throw new UsageError('--out DIR is required');
  if (args.positionals.length === 0) throw new UsageError('give at least one session file');
  outFolder(out, 'export');
  // A bad session file or a clash in DIR is reported by the CLI in one line (cli/file-errors.ts).
  const result = await exportSessions(args.positionals, out, { progress: (line) => io.err(line) });
  const total = (key: 'transitions' | 'events' | 'history'): number => result.sessions.reduce((sum, s) => sum + s[key], 0);
  io.out(`exported ${result.sessions.length} session(s) to ${out}: ${total('transitions')} transitions, ${total('events')} events, ${total('history')} history events`);
  return 0;
};
