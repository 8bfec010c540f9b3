// `consensus-playground replay FILE [--verify]`: what a recorded session holds, and with --verify
// a deterministic re-execution of every node against what it recorded.

import { verifySession } from '../record/reexecute.ts';
import { openSessionFile, SessionFileError, type SessionMeta } from '../record/session-file.ts';
import { parseArgs, UsageError } from './args.ts';
import type { CommandMain } from './cli.ts';

const HELP = `usage: consensus-playground replay FILE [--verify]

Prints what a recorded session holds: its settings, how long it ran, its verdict and how much was
recorded. With --verify it re-runs every node's algorithm on the inputs it recorded, from the state
each node life started from, and checks that every state and output comes out as recorded; the
first difference is printed.

Exit 0 when everything matches, 1 on a divergence or when --verify could not vouch for the whole
session: it held no node lives (nothing verified) or was never closed (a copy taken without its
-wal file, or a recording cut short, may end anywhere); 2 on a bad file or bad arguments.`;

export function describeSession(meta: SessionMeta, counts: Record<string, number>): string[] {
  const s = meta.summary;
  return [
    `session: ${meta.mode === 'sim' ? 'simulated' : 'worker threads'}, ${meta.algorithm}, ${meta.nodes} nodes, seed ${meta.seed}, started ${meta.startedAt}, app ${meta.appVersion}`,
    s === null
      ? 'summary: none (the recording was not closed: the app or run stopped abruptly)'
      : `summary: ${(s.durationMs / 1000).toFixed(1)} s, ops ${s.ops.ok + s.ops.fail + s.ops.info} (ok ${s.ops.ok}, fail ${s.ops.fail}, info ${s.ops.info}), elections ${s.elections}, violations ${s.violations}, linearizable ${s.linearizable}, faults ${s.faults.length > 0 ? s.faults.join(',') : 'none'}`,
    `recorded: ${Object.entries(counts).map(([table, n]) => `${n} ${table}`).join(', ')}`,
  ];
}

export const replayCommand: CommandMain = async (argv, io) => {
  const args = parseArgs(argv, { verify: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (args.options.has('help')) {
    io.out(HELP);
    return 0;
  }
  if (args.positionals.length !== 1) throw new UsageError('give exactly one session file');
  const file = args.positionals[0] as string;
  let opened;
  try {
    opened = openSessionFile(file);
  } catch (error) {
    if (error instanceof SessionFileError) {
      io.err(`consensus-playground replay: ${error.message}`);
      return 2;
    }
    throw error;
  }
  const { db, meta } = opened;
  try {
    const counts: Record<string, number> = {};
    for (const table of ['events', 'lives', 'history']) counts[table] = (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    // Inputs and outputs are stored in chunks; these are the batches and Readies inside them.
    for (const table of ['inputs', 'outputs']) counts[table] = (db.prepare(`SELECT COALESCE(SUM(count), 0) AS n FROM ${table}`).get() as { n: number }).n;
    for (const line of describeSession(meta, counts)) io.out(line);
    if (!args.options.has('verify')) return 0;
    const started = performance.now();
    let lastPrint = started;
    const result = verifySession(db, (done, total) => {
      if (performance.now() - lastPrint < 1000) return;
      lastPrint = performance.now();
      io.err(`verifying: ${done}/${total} node lives`);
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    const d = result.divergence;
    if (d === null) {
      const notClosed = meta.summary === null ? 'the session was never closed (it has no summary: the recording stopped abruptly, or the file was copied without its -wal file)' : null;
      if (result.lives === 0) {
        io.out(`nothing verified: the session holds no node lives${notClosed === null ? '' : `, and ${notClosed}`}`);
        return 1;
      }
      io.out(`verified: ${result.lives} node lives, ${result.batches} input batches, ${result.outputsChecked} outputs re-executed and identical (${seconds} s)`);
      if (notClosed === null) return 0;
      // What is there is right, but a session cut short cannot be vouched for as a whole.
      io.out(`not verified whole: ${notClosed}`);
      return 1;
    }
    io.out(`DIVERGENCE at ${d.node} (life ${d.life}), output ${d.output} at t=${d.time.toFixed(1)} ms: ${d.field} differs`);
    io.out(`  recorded:     ${d.expected.slice(0, 2000)}`);
    io.out(`  re-executed:  ${d.actual.slice(0, 2000)}`);
    return 1;
  } catch (error) {
    // A chunk that does not parse says `damaged: <which row>` (chunks.ts).
    const message = (error as Error).message;
    io.err(`consensus-playground replay: ${file} ${message.startsWith('damaged: ') ? `is ${message}` : `cannot be replayed: ${message}`}`);
    return 2;
  } finally {
    db.close();
  }
};
