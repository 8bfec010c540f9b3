// `consensus-playground prune [--data-dir DIR] [--keep-size SIZE] [--dry-run]`: the oldest
// recorded sessions deleted until the rest fit in a size, by the same rule the app follows while
// it runs (record/retention.ts).

import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { loadAppSettings } from '../app/app-settings.ts';
import { formatBytes, MAX_RETENTION_BYTES, parseByteSize, planRetention } from '../record/retention.ts';
import { removeSessionFromDisk, sessionsOnDisk } from '../record/session-disk.ts';
import { openSessionFile } from '../record/session-file.ts';
import { parseArgs, stringOption, UsageError } from './args.ts';
import type { CommandMain } from './cli.ts';

/** A session not closed and written this recently is taken to be still recording somewhere. */
export const RECENT_MS = 60_000;

const HELP = `usage: consensus-playground prune [--data-dir DIR] [--keep-size SIZE] [--dry-run]

Deletes the oldest recorded sessions in DIR (each one's .session.sqlite file, its -wal and -shm
files and its folder of node files) until the rest take at most SIZE, and prints what it deleted
and what that freed.

  --data-dir DIR    the sessions' folder; by default the app's:
                    \${XDG_CONFIG_HOME:-~/.config}/consensus-playground/clusters
  --keep-size SIZE  e.g. 2GiB, 500M, 1.5G (binary units); by default the limit saved by the
                    app (Sessions dialog), else 2GiB
  --dry-run         print what would be deleted, delete nothing

Another process's session cannot be told apart for sure: a session that was not closed and was
written in the last minute is taken to be recording still and is kept (it counts towards SIZE).
A session being replayed in the app is not known here; stop the app first to be sure.

Exit 0 when done (also when nothing had to go), 2 on bad arguments.`;

export function defaultDataDir(): string {
  return join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'consensus-playground', 'clusters');
}

/** Not closed and written lately: most likely an app or `run` recording into it right now. */
function stillRecording(dataDir: string, name: string, mtimeMs: number, now: number): boolean {
  if (now - mtimeMs > RECENT_MS) return false;
  try {
    const { db, meta } = openSessionFile(join(dataDir, name), { quick: true });
    db.close();
    return meta.summary === null;
  } catch {
    // Unreadable and fresh: a file just created is unreadable too, so it is kept.
    return true;
  }
}

export const pruneCommand: CommandMain = async (argv, io) => {
  const args = parseArgs(argv, { 'data-dir': { type: 'string' }, 'keep-size': { type: 'string' }, 'dry-run': { type: 'boolean' }, help: { type: 'boolean', short: 'h' } });
  if (args.options.has('help')) {
    io.out(HELP);
    return 0;
  }
  if (args.positionals.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(args.positionals[0])}`);
  const given = stringOption(args, 'data-dir');
  const dataDir = given ?? defaultDataDir();
  if (given !== undefined && !(existsSync(given) && statSync(given).isDirectory())) throw new UsageError(`--data-dir ${given} is not a folder`);
  const sizeText = stringOption(args, 'keep-size');
  let limit: number;
  if (sizeText === undefined) {
    const saved = loadAppSettings(dataDir);
    if (saved.message) io.err(saved.message);
    limit = saved.settings.retentionBytes;
  } else {
    const parsed = parseByteSize(sizeText);
    if (parsed === null || parsed > MAX_RETENTION_BYTES) throw new UsageError(`--keep-size must be a size such as 2GiB, 500M or 1.5G, got ${JSON.stringify(sizeText)}`);
    limit = parsed;
  }
  const dryRun = args.options.has('dry-run');
  const now = Date.now();
  const sessions = sessionsOnDisk(dataDir).map((s) => ({ ...s, protected: stillRecording(dataDir, s.name, s.mtimeMs, now) }));
  const plan = planRetention(sessions, limit);
  for (const s of sessions) if (s.protected) io.out(`kept ${s.name}: not closed and written ${((now - s.mtimeMs) / 1000).toFixed(0)} s ago, so probably still recording`);
  const bytesOf = new Map(sessions.map((s) => [s.name, s.bytes]));
  for (const name of plan.delete) {
    if (!dryRun) removeSessionFromDisk(dataDir, name);
    io.out(`${dryRun ? 'would delete' : 'deleted'} ${name} (${formatBytes(bytesOf.get(name) ?? 0)})`);
  }
  const left = sessions.length - plan.delete.length;
  io.out(`${dryRun ? 'would free' : 'freed'} ${formatBytes(plan.freedBytes)} in ${plan.delete.length} session(s); ${left} session(s) keep ${formatBytes(plan.keptBytes)} of ${formatBytes(limit)} in ${dataDir}${plan.keptBytes > limit ? ' (the sessions still recording alone take more)' : ''}`);
  return 0;
};
