// Runs every scenario file in test/scenarios and its folders (one folder per algorithm other than
// Raft; a file names its algorithm in its first add-nodes). Each block is a command and the output
// it must print. To accept changed output after reviewing it:
// UPDATE_SCENARIOS=1 npx vitest run test/nodes/scenarios.test.ts
// and read the diff like code.

import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InteractionEnv, normalizeOutput, parseScenario, renderScenario } from '../../src/main/scenario/interaction.ts';

const dir = join(import.meta.dirname, '..', 'scenarios');
const files = readdirSync(dir, { recursive: true, encoding: 'utf8' })
  .filter((f) => f.endsWith('.txt'))
  .sort();
const update = process.env.UPDATE_SCENARIOS === '1';

describe('scenarios', () => {
  it('has scenario files for Raft and Multi-Paxos', () => {
    expect(files.filter((f) => !f.includes('/')).length).toBeGreaterThan(0);
    expect(files.filter((f) => f.startsWith('multipaxos/')).length).toBeGreaterThan(0);
  });
  for (const file of files) {
    it(file, () => {
      const path = join(dir, file);
      const cases = parseScenario(readFileSync(path, 'utf8'));
      const env = new InteractionEnv();
      const results = cases.map((c) => ({ ...c, actual: env.run(c.command, c.args) }));
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
