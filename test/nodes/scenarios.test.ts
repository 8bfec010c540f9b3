// Runs every scenario file in test/scenarios and its folders (one folder per algorithm other than
// Raft; a file names its algorithm in its first add-nodes). Each block is a command and the output
// it must print. To accept changed output after reviewing it:
// UPDATE_SCENARIOS=1 npx vitest run test/nodes/scenarios.test.ts
// and read the diff like code.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InteractionEnv, normalizeOutput, parseScenario, renderScenario, type ScenarioCase } from '../../src/main/scenario/interaction.ts';
import { DEFAULT_ALGORITHM, getAlgorithm } from '../../src/nodes/index.ts';
import type { SafetyMonitor } from '../../src/nodes/monitor.ts';

const dir = join(import.meta.dirname, '..', 'scenarios');
const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.txt'))
  .sort();
const update = process.env.UPDATE_SCENARIOS === '1';

function monitorFor(cases: readonly ScenarioCase[]): SafetyMonitor {
  const first = cases.find((c) => c.command === 'add-nodes');
  const named = first?.args.find((a) => a.startsWith('algo='))?.slice('algo='.length);
  const algorithm = getAlgorithm(named ?? DEFAULT_ALGORITHM);
  if (algorithm === undefined) throw new Error(`unknown algorithm ${named}`);
  return algorithm.createMonitor();
}

describe('scenarios', () => {
  it('has scenario files for Raft and Multi-Paxos', () => {
    expect(files.filter((f) => !f.includes('/')).length).toBeGreaterThan(0);
    expect(files.filter((f) => f.startsWith('multipaxos/')).length).toBeGreaterThan(0);
  });
  for (const file of files) {
    it(file, () => {
      const path = join(dir, file);
      const cases = parseScenario(readFileSync(path, 'utf8'));
      // The algorithm's own monitors watch every scenario: what a file shows must also be safe.
      const monitor = monitorFor(cases);
      let step = 0;
      const env = new InteractionEnv({
        onReady: (node, ready, status) => monitor.onReady?.(node, ready, status, ++step),
        onStart: (node, { storage, status }) => monitor.onNodeStart?.(node, storage.load(), status, ++step),
        onCrash: (node) => monitor.onNodeCrash?.(node, ++step),
      });
      const results = cases.map((c) => ({ ...c, actual: env.run(c.command, c.args) }));
      monitor.finalCheck();
      expect(monitor.violations().map((v) => `${v.property}: ${v.message}`)).toEqual([]);
      if (update) {
        writeFileSync(path, renderScenario(results));
        return;
      }
      for (const r of results) {
        expect(normalizeOutput(r.actual), `${file}:${r.line}: ${r.command} ${r.args.join(' ')}`).toBe(r.expected);
      }
    });
  }
});

describe('a scenario file that asks for something wrong', () => {
  it('is refused with the reason, and leaves the scenario as it was', () => {
    const env = new InteractionEnv();
    expect(() => env.run('add-nodes', ['3', 'algo=zab'])).toThrow(/unknown algorithm "zab"; known: /);
    expect(() => env.run('add-nodes', ['3', 'algo=multipaxos', 'stableLeader=maybe'])).toThrow(/option stableLeader: true or false, not "maybe"/);
    expect(() => env.run('add-nodes', ['two'])).toThrow(/needs a count/);
    expect(env.run('add-nodes', ['3', 'algo=multipaxos'])).toBe('n1 n2 n3 started; voters n1,n2,n3');
    // More nodes join the algorithm the scenario runs; another algorithm cannot.
    expect(env.run('add-nodes', ['1'])).toContain('n4 started');
    expect(() => env.run('add-nodes', ['1', 'algo=raft'])).toThrow(/one algorithm per scenario/);
  });
});
