// The heap settings every entry point applies before a cluster starts (src/main/heap.ts): the young
// generation keeps one size, the one it started with in the thread that sets it and
// WORKER_SEMI_SPACE_MB in workers started later, where by default both grow.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { WORKER_SEMI_SPACE_MB } from '../../src/main/heap.ts';

const HEAP_MODULE = new URL('../../src/main/heap.ts', import.meta.url).href;

/** Allocates in bursts with a few objects surviving each, as the relay does; prints the young generation's size in MiB in the main thread and in a worker. */
const PROBE = `
const { getHeapSpaceStatistics } = require('node:v8');
const { Worker } = require('node:worker_threads');
const churn = () => { let keep = []; for (let i = 0; i < 3e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 30000) keep = []; } };
const youngMiB = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 2 ** 20;
async function probe(fixed) {
  if (fixed) (await import(process.env.HEAP_MODULE)).fixYoungGenerationSizes();
  churn();
  const main = youngMiB();
  const inWorker = await new Promise((resolve) => {
    const source = 'const { getHeapSpaceStatistics } = require("node:v8"); const { parentPort } = require("node:worker_threads");' + \`const churn = \${churn}; const youngMiB = \${youngMiB}; churn(); parentPort.postMessage(youngMiB());\`;
    const w = new Worker(source, { eval: true });
    w.once('message', resolve);
  });
  console.log(JSON.stringify({ main, worker: inWorker }));
}
probe(process.argv[1] === 'fixed');
`;

function youngGeneration(fixed: boolean): { main: number; worker: number } {
  const out = execFileSync(process.execPath, ['-e', PROBE, fixed ? 'fixed' : 'default'], { env: { ...process.env, HEAP_MODULE }, encoding: 'utf8' });
  return JSON.parse(out.trim()) as { main: number; worker: number };
}

describe('fixYoungGenerationSizes', () => {
  it('keeps the main thread at its starting size and gives later workers a fixed one, where by default both grow', () => {
    const grown = youngGeneration(false);
    const fixed = youngGeneration(true);
    // A young generation is two semi-spaces.
    const workerSize = 2 * WORKER_SEMI_SPACE_MB;
    expect(grown.main).toBeGreaterThan(4);
    expect(grown.worker).toBeGreaterThan(workerSize);
    expect(fixed.main).toBeLessThanOrEqual(2);
    expect(fixed.worker).toBe(workerSize);
  });
});
