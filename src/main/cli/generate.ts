// `consensus-playground generate --runs N --out DIR [run options]`: many recorded sessions with
// random fault schedules and distinct seeds, exported together as one data set.

import { closeSync, existsSync, mkdirSync, openSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { appendShare, eachLineFile, shareBuffers, writeDataCard, type ExportedSession } from '../record/export.ts';
import { openSessionFile } from '../record/session-file.ts';
import { UsageError } from './args.ts';
import type { CommandMain } from './cli.ts';
import type { GenerateAnswer, GenerateTask } from './generate-worker.ts';
import { WorkerPool } from './worker-pool.ts';
import { outFolder } from './export.ts';
import { parseRunArgs } from './run.ts';

const HELP = `usage: consensus-playground generate --runs N --out DIR [--sim] [run options]

Records N sessions, each with its own seed (--seed S gives S, S+1, ...) and so its own random
fault schedule, into DIR/sessions/, and exports them all as one data set into DIR (see
\`consensus-playground export --help\`). Every option of \`run\` applies to each session; the
defaults differ: --duration 60s and --faults partition,kill,pause,drop,delay,dup.
With --sim the sessions run in the deterministic simulator, many times faster than real time.

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
  const outOption = takeOption(runsOption.rest, 'out');
  const runs = Number(runsOption.value);
  if (runsOption.value === undefined || !Number.isInteger(runs) || runs < 1 || runs > 100_000) throw new UsageError(`--runs must be a whole number from 1 to 100000, got ${JSON.stringify(runsOption.value ?? null)}`);
  const out = outOption.value;
  if (out === undefined) throw new UsageError('--out DIR is required');
  outFolder(out, 'generate');
  const sessionsDir = join(out, 'sessions');
  if (existsSync(sessionsDir) && readdirSync(sessionsDir).length > 0) throw new UsageError(`${sessionsDir} is not empty; generate into an empty or new folder`);

  const forwarded = outOption.rest;
  if (forwarded.some((a) => a === '--record' || a.startsWith('--record=') || a === '--history' || a.startsWith('--history='))) throw new UsageError('--record and --history are chosen by generate itself');
  const withDefaults = [...(forwarded.some((a) => a.startsWith('--duration')) ? [] : ['--duration', '60s']), ...(forwarded.some((a) => a.startsWith('--faults')) ? [] : ['--faults', 'partition,kill,pause,drop,delay,dup']), ...forwarded];
  const base = parseRunArgs(withDefaults);
  if (base === 'help') return 0;
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
  const sessions: ExportedSession[] = [];
  const waiting = new Map<number, GenerateAnswer>();
  let nextToWrite = 0;
  try {
    await Promise.all(
      Array.from({ length: runs }, async (_, i) => {
        const seed = (base.seed + i) % 4_294_967_296;
        const session = `run-${String(i + 1).padStart(String(runs).length, '0')}-seed${seed}`;
        const file = join(sessionsDir, `${session}.session.sqlite`);
        const answer = await pool.run<GenerateAnswer>({ settings: { ...base, seed, recordFile: file, historyFile: undefined }, session });
        if (answer.exitCode !== 0) unsafe++;
        const { db, meta } = openSessionFile(file, { quick: true });
        db.close();
        sessions[i] = { file, session, meta, ...answer.counts };
        waiting.set(i, answer);
        for (let ready = waiting.get(nextToWrite); ready !== undefined; ready = waiting.get(nextToWrite)) {
          appendShare(files, ready.data);
          pool.giveBack(shareBuffers(ready.data));
          waiting.delete(nextToWrite);
          nextToWrite++;
        }
        finished++;
        const now = performance.now();
        if (interactive || now - lastPrint >= 1000 || finished === runs) {
          lastPrint = now;
          io.err(progressBar(finished, runs, now - started));
        }
      }),
    );
  } finally {
    await pool.close();
    for (const fd of Object.values(files)) closeSync(fd);
  }
  writeDataCard(sessions, out);
  const result = { dir: out, sessions };
  const total = (key: 'transitions' | 'events' | 'history'): number => result.sessions.reduce((sum, s) => sum + s[key], 0);
  const seconds = (performance.now() - started) / 1000;
  io.out(`generated ${runs} session(s) in ${seconds.toFixed(1)} s (${((runs / seconds) * 60).toFixed(0)} per minute), ${unsafe} not safe or not linearizable; data set in ${out}: ${total('transitions')} transitions, ${total('events')} events, ${total('history')} history events`);
  return unsafe === 0 ? 0 : 1;
};
