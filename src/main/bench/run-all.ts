// `npm run bench [-- suite...]`: runs the benchmark suites, prints every figure beside its baseline
// and the ratio, and writes them all to bench-results/bench.json.

import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import type { BenchFigure, BenchSuite } from './types.ts';

const suites: Record<string, () => Promise<BenchSuite>> = {
  sim: async () => (await import('./sim-bench.ts')).simBench,
  checker: async () => (await import('./checker-bench.ts')).checkerBench,
  consistency: async () => (await import('./consistency-bench.ts')).consistencyBench,
  cluster: async () => (await import('./cluster-bench.ts')).clusterBench,
  record: async () => (await import('./record-bench.ts')).recordBench,
  ui: async () => (await import('./ui-bench.ts')).uiBench,
  mutants: async () => (await import('./mutants-bench.ts')).mutantsBench,
};

function formatNumber(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  if (Math.abs(value) >= 100) return Math.round(value).toLocaleString('en-US');
  return value.toPrecision(3);
}

function formatFigure(f: BenchFigure): string {
  const main = `${f.label}: ${formatNumber(f.value)} ${f.unit}`;
  const base = f.baseline ? `  | baseline (${f.baseline.label}): ${formatNumber(f.baseline.value)} ${f.unit}` : '';
  const ratio = f.ratio !== undefined ? `  | ratio ${f.ratio.toFixed(2)}` : '';
  const target = f.target ? `  | target ${f.target.text}: ${f.target.met ? 'met' : 'NOT met'}` : '';
  return `  ${main}${base}${ratio}${target}`;
}

async function runAll(selected: string[]): Promise<void> {
  const names = selected.length > 0 ? selected : Object.keys(suites);
  const unknown = names.filter((n) => !(n in suites));
  if (unknown.length > 0) {
    console.error(`unknown bench suite(s): ${unknown.join(', ')}; known: ${Object.keys(suites).join(', ')}`);
    process.exit(2);
  }
  const results: Record<string, BenchFigure[]> = {};
  for (const name of names) {
    const suite = await (suites[name] as () => Promise<BenchSuite>)();
    console.log(`\n== ${suite.name}`);
    const started = performance.now();
    const figures = await suite.run((line) => console.log(`  .. ${line}`));
    for (const figure of figures) console.log(formatFigure(figure));
    console.log(`  (${((performance.now() - started) / 1000).toFixed(1)} s)`);
    results[name] = figures;
  }
  const dir = join(process.cwd(), 'bench-results');
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'bench.json');
  const machine = { node: process.version, cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30) };
  writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), machine, results }, null, 2) + '\n');
  console.log(`\nwritten to ${file}`);
}

await runAll(process.argv.slice(2));
