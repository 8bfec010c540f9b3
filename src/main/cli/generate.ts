// `consensus-playground generate --runs N --out DIR [run options]`: many recorded sessions with
// random fault schedules and distinct seeds, exported together as one data set.

import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendShare, eachLineFile, shareBuffers, writeDataCard, type ExportedSession } from '../record/export.ts';
import { FileDigest, MANIFEST_FILE, MANIFEST_FORMAT, manifestText, parseShard, shardRange, type Manifest, type ManifestSession, type ShardSpec } from '../record/manifest.ts';
import { appVersion, openSessionFile } from '../record/session-file.ts';
import { UsageError } from './args.ts';
import type { CommandMain } from './cli.ts';
import type { GenerateAnswer, GenerateTask } from './generate-worker.ts';
import { WorkerPool } from './worker-pool.ts';
import { outFolder } from './export.ts';
import { parseRunArgs } from './run.ts';

const HELP = `usage: consensus-playground generate --runs N --out DIR [--sim] [--shard I/N] [run options]

Records N sessions, each with its own seed (--seed S gives S, S+1, ...) and so its own random
fault schedule, into DIR/sessions/, and exports them all as one data set into DIR (see
\`consensus-playground export --help\`). Every option of \`run\` applies to each session; the
defaults differ: --duration 60s and --faults partition,kill,pause,drop,delay,dup.
With --sim the sessions run in the deterministic simulator, many times faster than real time.

DIR/manifest.json lists the sessions (seed, counts) and each data set file's size and sha256.
--shard I/N (I from 1 to N) makes only the I-th of N contiguous blocks of the N runs, with the
seeds and session names the whole run would give them; \`consensus-playground merge\` joins the N
shares into the data set one run makes (with --sim, byte for byte).
A Kubernetes Indexed Job's JOB_COMPLETION_INDEX counts from 0: --shard $((JOB_COMPLETION_INDEX+1))/N.

Shows a progress bar with an estimate of the time left. Exit 0 when every session was safe and
linearizable, 1 when any was not (they are all kept: those are the interesting ones), 2 on bad
arguments.`;

export function progressBar(done: number, total: number, elapsedMs: number): string {
  const width = 30;
  const filled = Math.round((done / total) * width);
  const perRun = done > 0 ? elapsedMs / done : 0;
  const left = (total - done) * perRun;
  const time = (ms: number): string => (ms >= 60_000 ? `${Math.floor(ms / 60_000)}m${String(Math.round((ms % 60_000) / 1000)).padStart(2, '0')}s` : `${(ms / 1000).toFixed(1)}s`);
  return `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${done}/${total} sessions${done > 0 ? `, ${time(perRun)} each, ${time(left)} left` : ''}`;
}

/** Takes `--name VALUE` or `--name=VALUE` out of argv; the rest goes on to \`run\`'s parser. */
function takeOption(argv: string[], name: string): { value: string | undefined; rest: string[] } {
  const rest: string[] = [];
  let value: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === `--${name}`) {
      value = argv[i + 1];
      if (value === undefined) throw new UsageError(`--${name} needs a value`);
      i++;
    } else if (arg.startsWith(`--${name}=`)) value = arg.slice(name.length + 3);
    else rest.push(arg);
  }
  return { value, rest };
}

export const generateCommand: CommandMain = async (argv, io) => {
  if (argv.includes('--help') || argv.includes('-h')) {
    io.out(HELP);
    return 0;
  }
  const runsOption = takeOption(argv, 'runs');
  const shardOption = takeOption(runsOption.rest, 'shard');
  const outOption = takeOption(shardOption.rest, 'out');
  const runs = Number(runsOption.value);
  if (runsOption.value === undefined || !Number.isInteger(runs) || runs < 1 || runs > 100_000) throw new UsageError(`--runs must be a whole number from 1 to 100000, got ${JSON.stringify(runsOption.value ?? null)}`);
  let shard: ShardSpec | null = null;
  if (shardOption.value !== undefined) {
    shard = parseShard(shardOption.value);
    if (shard === null) throw new UsageError(`--shard must be I/N with 1 <= I <= N (the first of three is 1/3), got ${JSON.stringify(shardOption.value)}`);
  }
  const { first, end } = shard === null ? { first: 0, end: runs } : shardRange(runs, shard);
  const out = outOption.value;
  if (out === undefined) throw new UsageError('--out DIR is required');
  outFolder(out, 'generate');
  if (existsSync(join(out, MANIFEST_FILE))) throw new UsageError(`${join(out, MANIFEST_FILE)} already exists; generate into an empty or new folder`);
  const sessionsDir = join(out, 'sessions');
  if (existsSync(sessionsDir) && readdirSync(sessionsDir).length > 0) throw new UsageError(`${sessionsDir} is not empty; generate into an empty or new folder`);

  const forwarded = outOption.rest;
  if (forwarded.some((a) => a === '--record' || a.startsWith('--record=') || a === '--history' || a.startsWith('--history='))) throw new UsageError('--record and --history are chosen by generate itself');
  const withDefaults = [...(forwarded.some((a) => a.startsWith('--duration')) ? [] : ['--duration', '60s']), ...(forwarded.some((a) => a.startsWith('--faults')) ? [] : ['--faults', 'partition,kill,pause,drop,delay,dup']), ...forwarded];
  const base = parseRunArgs(withDefaults);
  if (base === 'help') return 0;
  if ('options' in base) {
    io.out(base.options);
    return 0;
  }
  mkdirSync(sessionsDir, { recursive: true });

  // Sessions are independent: as many at once as there are cores (simulated ones); worker-thread
  // clusters already use every core, so they go one at a time.
  const pool = new WorkerPool<GenerateTask>(new URL('./generate-worker.ts', import.meta.url), base.sim ? undefined : 1);
  let unsafe = 0;
  let finished = 0;
  const started = performance.now();
  const interactive = (process.stderr as { isTTY?: boolean }).isTTY === true;
  let lastPrint = 0;
  // Shares arrive in any order and are appended in session order as soon as they can be, so at
  // most a few sessions' lines wait in memory.
  // Exclusive, as export's: nothing there is written through, a link included.
  const files = eachLineFile((name) => openSync(join(out, name), 'wx'));
  const digests = eachLineFile(() => new FileDigest());
  const sessions: ExportedSession[] = [];
  const count = end - first;
  const waiting = new Map<number, GenerateAnswer>();
  let nextToWrite = 0;
  try {
    await Promise.all(
      Array.from({ length: count }, async (_, k) => {
        // Numbered and seeded within the whole data set, whichever share makes the session.
        const i = first + k;
        const seed = (base.seed + i) % 4_294_967_296;
        const session = `run-${String(i + 1).padStart(String(runs).length, '0')}-seed${seed}`;
        const file = join(sessionsDir, `${session}.session.sqlite`);
        const answer = await pool.run<GenerateAnswer>({ settings: { ...base, seed, recordFile: file, historyFile: undefined }, session });
        if (answer.exitCode !== 0) unsafe++;
        const { db, meta } = openSessionFile(file, { quick: true });
        db.close();
        sessions[k] = { file, session, meta, ...answer.counts };
        waiting.set(k, answer);
        for (let ready = waiting.get(nextToWrite); ready !== undefined; ready = waiting.get(nextToWrite)) {
          appendShare(files, ready.data);
          for (const [name, pieces] of Object.entries(ready.data) as Array<[keyof typeof digests, Uint8Array[]]>) for (const piece of pieces) digests[name].update(piece);
          pool.giveBack(shareBuffers(ready.data));
          waiting.delete(nextToWrite);
          nextToWrite++;
        }
        finished++;
        const now = performance.now();
        if (interactive || now - lastPrint >= 1000 || finished === count) {
          lastPrint = now;
          io.err(progressBar(finished, count, now - started));
        }
      }),
    );
  } finally {
    await pool.close();
    for (const fd of Object.values(files)) closeSync(fd);
  }
  writeDataCard(sessions, out);
  const card = new FileDigest();
  card.update(readFileSync(join(out, 'dataset.md')));
  const { seed: firstSeed, recordFile: _record, historyFile: _history, dataDir: _dataDir, ...settings } = base;
  const manifest: Manifest = {
    format: MANIFEST_FORMAT,
    app: appVersion(),
    generate: { runs, seed: firstSeed, settings },
    shard,
    sessions: sessions.map((s, k): ManifestSession => ({ index: first + k, name: s.session, seed: s.meta.seed, recording: `sessions/${s.session}.session.sqlite`, transitions: s.transitions, events: s.events, history: s.history })),
    files: { ...Object.fromEntries(Object.entries(digests).map(([name, digest]) => [name, digest.finish()])), 'dataset.md': card.finish() },
  };
  writeFileSync(join(out, MANIFEST_FILE), manifestText(manifest), { flag: 'wx' });
  const result = { dir: out, sessions };
  const total = (key: 'transitions' | 'events' | 'history'): number => result.sessions.reduce((sum, s) => sum + s[key], 0);
  const seconds = (performance.now() - started) / 1000;
  io.out(`generated ${count} session(s)${shard === null ? '' : ` (shard ${shard.index}/${shard.count}: runs ${first + 1} to ${end} of ${runs})`} in ${seconds.toFixed(1)} s (${((count / seconds) * 60).toFixed(0)} per minute), ${unsafe} not safe or not linearizable; data set in ${out}: ${total('transitions')} transitions, ${total('events')} events, ${total('history')} history events`);
  return unsafe === 0 ? 0 : 1;
};
