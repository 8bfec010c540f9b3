// The heap setting every entry point applies before a cluster starts (src/main/heap.ts): it must
// keep the young generation from growing, in the thread that sets it and in workers started later.
import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const HEAP_MODULE = new URL('../../src/main/heap.ts', import.meta.url).href;

/** Allocates in bursts with a few objects surviving each, as the relay does; prints the young generation's size in MiB in the main thread and in a worker. */
const PROBE = `
const { getHeapSpaceStatistics } = require('node:v8');
const { Worker } = require('node:worker_threads');
const churn = () => { let keep = []; for (let i = 0; i < 3e6; i++) { keep.push({ i, s: 'x' + i }); if (keep.length > 30000) keep = []; } };
const youngMiB = () => getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size / 2 ** 20;
async function probe(small) {
  if (small) (await import(process.env.HEAP_MODULE)).keepYoungGenerationSmall();
  churn();
  const main = youngMiB();
  const inWorker = await new Promise((resolve) => {
    const source = 'const { getHeapSpaceStatistics } = require("node:v8"); const { parentPort } = require("node:worker_threads");' + \`const churn = \${churn}; const youngMiB = \${youngMiB}; churn(); parentPort.postMessage(youngMiB());\`;
    const w = new Worker(source, { eval: true });
    w.once('message', resolve);
  });
  console.log(JSON.stringify({ main, worker: inWorker }));
}
probe(process.argv[1] === 'small');
`;

function youngGeneration(small: boolean): { main: number; worker: number } {
  const out = execFileSync(process.execPath, ['-e', PROBE, small ? 'small' : 'default'], { env: { ...process.env, HEAP_MODULE }, encoding: 'utf8' });
  return JSON.parse(out.trim()) as { main: number; worker: number };
}

describe('keepYoungGenerationSmall', () => {
  it('keeps the young generation at its starting size in the main thread and in later workers, where it would otherwise grow', () => {
    const grown = youngGeneration(false);
    const kept = youngGeneration(true);
    expect(grown.main).toBeGreaterThan(4);
    expect(grown.worker).toBeGreaterThan(4);
    expect(kept.main).toBeLessThanOrEqual(2);
    expect(kept.worker).toBeLessThanOrEqual(2);
  });
});
