// `consensus-playground merge DIR... --out DIR`: the shares of one data set, made by
// `generate --shard I/N` on many machines, joined into the data set one `generate` makes.

import { closeSync, constants, copyFileSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, readSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { DATASET_FILES, DATASET_LINE_FILES, writeDataCard, type ExportedSession } from '../record/export.ts';
import { digestFile, FileDigest, MANIFEST_FILE, manifestText, ManifestError, readManifest, shardRange, type Manifest, type ManifestFile } from '../record/manifest.ts';
import { openSessionFile } from '../record/session-file.ts';
import { parseArgs, stringOption, UsageError } from './args.ts';
import type { CommandMain } from './cli.ts';
import { outFolder } from './export.ts';

const HELP = `usage: consensus-playground merge DIR... --out DIR

Joins the shares of one data set, each made by \`generate --shard I/N\` with the same settings,
into DIR: the data set files appended in shard order (the shards are contiguous blocks of runs),
the recordings copied into DIR/sessions/, a new data card and manifest.json. The result is the
data set one \`generate\` without --shard makes; with --sim it is the same byte for byte.

Every share is checked before anything is written: made by the same version with the same runs,
first seed and run settings; each of the N shards exactly once; every file as its manifest says
(size and sha256), so a share cut short or changed on its way is caught.

Exit 0 on success, 2 on bad arguments or shares that do not make one data set.`;

/** The first setting two shares disagree on, in words; null when they agree. */
function difference(a: Manifest, b: Manifest): string | null {
  if (a.app !== b.app) return `app version ${a.app} vs ${b.app}`;
  if (a.generate.runs !== b.generate.runs) return `--runs ${a.generate.runs} vs ${b.generate.runs}`;
  if (a.generate.seed !== b.generate.seed) return `--seed ${a.generate.seed} vs ${b.generate.seed}`;
  const keys = [...new Set([...Object.keys(a.generate.settings), ...Object.keys(b.generate.settings)])].sort();
  for (const key of keys) {
    const x = JSON.stringify(a.generate.settings[key]);
    const y = JSON.stringify(b.generate.settings[key]);
    if (x !== y) return `${key} ${x ?? 'unset'} vs ${y ?? 'unset'}`;
  }
  if (a.shard?.count !== b.shard?.count) return `--shard I/${a.shard?.count} vs I/${b.shard?.count}`;
  return null;
}

/** Checks the shares make one whole data set; returns them in shard order. */
function checkShares(shares: Array<{ dir: string; manifest: Manifest }>): Array<{ dir: string; manifest: Manifest }> {
  const [first] = shares as [{ dir: string; manifest: Manifest }];
  for (const { dir, manifest } of shares) {
    if (manifest.shard === null) throw new ManifestError(`${dir} is a whole data set (made without --shard), not a share of one`);
    const differs = difference(first.manifest, manifest);
    if (differs !== null) throw new ManifestError(`${dir} was generated with other settings than ${first.dir}: ${differs}`);
  }
  const count = (first.manifest.shard as { count: number }).count;
  const byIndex = new Map<number, string>();
  for (const { dir, manifest } of shares) {
    const index = (manifest.shard as { index: number }).index;
    const twice = byIndex.get(index);
    if (twice !== undefined) throw new ManifestError(`shard ${index}/${count} is given twice: ${twice} and ${dir}`);
    byIndex.set(index, dir);
  }
  const missing = Array.from({ length: count }, (_, i) => i + 1).filter((i) => !byIndex.has(i));
  if (missing.length > 0) throw new ManifestError(`shard${missing.length > 1 ? 's' : ''} ${missing.map((i) => `${i}/${count}`).join(', ')} missing: give all ${count} shares of the data set`);
  const ordered = [...shares].sort((a, b) => (a.manifest.shard as { index: number }).index - (b.manifest.shard as { index: number }).index);
  for (const { dir, manifest } of ordered) {
    const { first: from, end } = shardRange(manifest.generate.runs, manifest.shard as { index: number; count: number });
    const indexes = manifest.sessions.map((s) => s.index);
    if (indexes.length !== end - from || indexes.some((index, k) => index !== from + k)) throw new ManifestError(`${dir}'s sessions are not the runs of shard ${manifest.shard?.index}/${count} (runs ${from + 1} to ${end})`);
  }
  return ordered;
}

async function checkFiles(dir: string, manifest: Manifest): Promise<void> {
  for (const name of DATASET_FILES) {
    const expected = manifest.files[name];
    if (expected === undefined) throw new ManifestError(`${join(dir, MANIFEST_FILE)} does not list ${name}`);
    if (!existsSync(join(dir, name))) throw new ManifestError(`${join(dir, name)} is missing`);
    const found = await digestFile(join(dir, name));
    if (found.bytes !== expected.bytes || found.sha256 !== expected.sha256) throw new ManifestError(`${join(dir, name)} is not what its manifest says (${found.bytes} bytes, expected ${expected.bytes}): changed or cut short on its way?`);
  }
  for (const s of manifest.sessions) if (!existsSync(join(dir, s.recording))) throw new ManifestError(`${join(dir, s.recording)} is missing`);
}

/** Appends the file at `from` to the open file `to`, a few megabytes at a time. */
function append(from: string, to: number, digest: FileDigest): void {
  const buffer = Buffer.allocUnsafe(8 << 20);
  const fd = openSync(from, 'r');
  try {
    for (let n = readSync(fd, buffer); n > 0; n = readSync(fd, buffer)) {
      const piece = buffer.subarray(0, n);
      digest.update(piece);
      for (let written = 0; written < n; ) written += writeSync(to, piece, written);
    }
  } finally {
    closeSync(fd);
  }
}

export const mergeCommand: CommandMain = async (argv, io) => {
  const args = parseArgs(argv, { out: { type: 'string' }, help: { type: 'boolean', short: 'h' } });
  if (args.options.has('help')) {
    io.out(HELP);
    return 0;
  }
  const out = stringOption(args, 'out');
  if (out === undefined) throw new UsageError('--out DIR is required');
  if (args.positionals.length === 0) throw new UsageError('give the folders of the shares to merge');
  outFolder(out, 'merge');
  if (existsSync(join(out, MANIFEST_FILE))) throw new UsageError(`${join(out, MANIFEST_FILE)} already exists; merge into an empty or new folder`);
  const sessionsDir = join(out, 'sessions');
  if (existsSync(sessionsDir) && readdirSync(sessionsDir).length > 0) throw new UsageError(`${sessionsDir} is not empty; merge into an empty or new folder`);

  let ordered: Array<{ dir: string; manifest: Manifest }>;
  try {
    ordered = checkShares(args.positionals.map((dir) => ({ dir, manifest: readManifest(dir) })));
    for (const { dir, manifest } of ordered) await checkFiles(dir, manifest);
  } catch (error) {
    if (error instanceof ManifestError) {
      io.err(`consensus-playground merge: ${error.message}`);
      return 2;
    }
    throw error;
  }

  mkdirSync(sessionsDir, { recursive: true });
  const files: Record<string, ManifestFile> = {};
  for (const name of DATASET_LINE_FILES) {
    const digest = new FileDigest();
    // Exclusive, as export's: nothing there is written through, a link included.
    const fd = openSync(join(out, name), 'wx');
    try {
      for (const { dir } of ordered) append(join(dir, name), fd, digest);
    } finally {
      closeSync(fd);
    }
    files[name] = digest.finish();
  }
  const sessions: ExportedSession[] = [];
  for (const { dir, manifest } of ordered) {
    for (const s of manifest.sessions) {
      const file = join(out, s.recording);
      copyFileSync(join(dir, s.recording), file, constants.COPYFILE_EXCL);
      const { db, meta } = openSessionFile(file, { quick: true });
      db.close();
      sessions.push({ file, session: s.name, meta, transitions: s.transitions, events: s.events, history: s.history });
    }
  }
  // The card is written anew, as one generate writes it for all the sessions.
  writeDataCard(sessions, out);
  const card = new FileDigest();
  card.update(readFileSync(join(out, 'dataset.md')));
  files['dataset.md'] = card.finish();
  const whole: Manifest = { ...(ordered[0] as { manifest: Manifest }).manifest, shard: null, sessions: ordered.flatMap((o) => o.manifest.sessions), files };
  writeFileSync(join(out, MANIFEST_FILE), manifestText(whole), { flag: 'wx' });
  const total = (key: 'transitions' | 'events' | 'history'): number => sessions.reduce((sum, s) => sum + s[key], 0);
  io.out(`merged ${ordered.length} share(s), ${sessions.length} session(s), into ${out}: ${total('transitions')} transitions, ${total('events')} events, ${total('history')} history events`);
  return 0;
};
