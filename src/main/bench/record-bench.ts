// Recording: what it costs the live cluster's throughput, and how fast `generate --sim` records and
// exports sessions, each beside the same work without recording, measured in this run.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateCommand } from '../cli/generate.ts';
import { parseRunArgs, runSession, type RunSettings } from '../cli/run.ts';
import type { CliIo } from '../cli/cli.ts';
import { median, throughput } from './cluster-bench.ts';
import type { BenchFigure, BenchSuite } from './types.ts';

/**
 * Paired rounds per sync mode. A single pair's ratio ranges from 0.7 to 1.2 on this machine, and
 * the median of ten moved by 0.05 from one run to the next: sixteen narrow it.
 */
const ROUNDS = 16;
const SESSIONS = 20;
const quiet: CliIo = { out: () => undefined, err: () => undefined, stdin: process.stdin };

export const recordBench: BenchSuite = {
  name: 'recording',
  async run(progress) {
    const dir = mkdtempSync(join(tmpdir(), 'record-bench-'));
    try {
      // Alternating rounds, so that drift in the machine's speed hits both sides alike, and each
      // side goes first in half of them (a run's files are deleted as it ends, which drops most of
      // their write-back, but not all of it). At sync normal, where the cluster is fastest and
      // recording has the most to keep up with, and at sync full, the app's default.
      const throughputFigures: BenchFigure[] = [];
      for (const sync of ['normal', 'full'] as const) {
        const plain: number[] = [];
        const recorded: number[] = [];
        for (let round = 0; round < ROUNDS; round++) {
          const runPlain = async (): Promise<void> => void plain.push((await throughput(dir, 3, sync)).perSecond);
          const runRecorded = async (): Promise<void> => void recorded.push((await throughput(dir, 3, sync, join(dir, `tp-${sync}-${round}.session.sqlite`))).perSecond);
          for (const run of round % 2 === 0 ? [runPlain, runRecorded] : [runRecorded, runPlain]) await run();
          progress(`sync ${sync}, round ${round + 1}/${ROUNDS}: ${Math.round(plain.at(-1)!)} writes/s plain, ${Math.round(recorded.at(-1)!)} recorded`);
        }
        // A round's two runs, back to back, share the machine's speed of that minute: their ratio
        // leaves out the drift (one side's runs ranged from 40,000 to 60,000 writes/s in one bench).
        const paired = median(recorded.map((r, i) => r / (plain[i] as number)));
        throughputFigures.push({
          name: sync === 'normal' ? 'record.throughput' : 'record.throughput.full',
          label: `3 nodes ${sync.toUpperCase()}, ${ROUNDS} alternating rounds, each side first in half: committed writes/s while recording (ratio: the median of each round's recorded / not recording)`,
          value: median(recorded),
          unit: 'writes/s',
          baseline: { label: 'not recording', value: median(plain) },
          ratio: paired,
          better: 'higher',
          target: { text: '<= 10% lower', met: paired >= 0.9 },
        });
      }

      // generate first, in a fresh process state; then the same sessions simulated bare.
      let started = performance.now();
      const code = await generateCommand(['--runs', String(SESSIONS), '--sim', '--seed', '1000', '--out', join(dir, 'generated')], quiet);
      const generated = (SESSIONS / (performance.now() - started)) * 60_000;
      if (code === 2) throw new Error('generate refused its arguments');
      progress(`generate --sim --runs ${SESSIONS}: ${generated.toFixed(0)} per minute (recorded and exported)`);
      const settings = parseRunArgs(['--sim', '--duration', '60s', '--faults', 'partition,kill,pause,drop,delay,dup']) as RunSettings;
      started = performance.now();
      for (let i = 0; i < SESSIONS; i++) await runSession({ ...settings, seed: 1000 + i }, quiet);
      const simOnly = (SESSIONS / (performance.now() - started)) * 60_000;
      progress(`${SESSIONS} simulated sessions of 60 s without recording: ${simOnly.toFixed(0)} per minute`);

      const figures: BenchFigure[] = [
        ...throughputFigures,
        { name: 'record.generateSim', label: 'generate --sim: sessions of 60 simulated seconds recorded and exported per minute', value: generated, unit: 'sessions/min', baseline: { label: 'the same sessions simulated one at a time, neither recorded nor exported', value: simOnly }, ratio: generated / simOnly, better: 'higher', target: { text: '>= 50 per minute', met: generated >= 50 } },
      ];
      return figures;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
};
