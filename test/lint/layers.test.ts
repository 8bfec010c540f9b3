// The layer arrows are only worth having if they bite: each forbidden import must be an error in
// its layer, and the allowed ones must pass.
import { ESLint } from 'eslint';
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error -- the lint configuration is plain JavaScript, without types
import { MAIN_LAYERS as LAYERS } from '../../eslint.config.js';

const MAIN_LAYERS = LAYERS as Record<string, string[]>;

const eslint = new ESLint({ cwd: process.cwd() });

async function errorsFor(filePath: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath });
  return (result?.messages ?? []).filter((m) => m.severity === 2).map((m) => `${m.ruleId}: ${m.message}`);
}

const cases: Array<[layer: string, file: string, code: string]> = [
  ['shared', 'src/shared/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"],
  ['shared', 'src/shared/x.ts', "import { raftAlgorithm } from '../nodes/raft/raft.ts';\nexport const x = raftAlgorithm;\n"],
  ['nodes', 'src/nodes/x.ts', "import { Worker } from 'node:worker_threads';\nexport const x = Worker;\n"],
  ['nodes', 'src/nodes/x.ts', "import Database from 'better-sqlite3';\nexport const x = Database;\n"],
  ['nodes', 'src/nodes/x.ts', "import { usage } from '../main/cli/cli.ts';\nexport const x = usage;\n"],
  ['nodes', 'src/nodes/x.ts', 'export const x = Math.random();\n'],
  ['nodes', 'src/nodes/x.ts', 'export const x = Date.now();\n'],
  ['nodes', 'src/nodes/x.ts', 'setTimeout(() => undefined, 1);\n'],
  ['main', 'src/main/x.ts', "import { app } from 'electron';\nexport const x = app;\n"],
  ['main', 'src/main/x.ts', "import y from '../renderer/src/main.ts';\nexport const x = y;\n"],
  ['renderer', 'src/renderer/src/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"],
  ['renderer', 'src/renderer/src/x.ts', "import { ipcRenderer } from 'electron';\nexport const x = ipcRenderer;\n"],
  ['renderer', 'src/renderer/src/x.ts', "import { raftAlgorithm } from '../../nodes/raft/raft.ts';\nexport const x = raftAlgorithm;\n"],
  ['preload', 'src/preload/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"],
];

const allowed: Array<[layer: string, file: string, code: string]> = [
  ['nodes', 'src/nodes/x.ts', "import type { LogEntry } from '../shared/protocol.ts';\nexport const x = (e: LogEntry) => e.index;\n"],
  ['nodes/host', 'src/nodes/host/x.ts', "import { Worker } from 'node:worker_threads';\nexport const x = Worker;\n"],
  ['main', 'src/main/x.ts', "import { readFileSync } from 'node:fs';\nexport const x = readFileSync;\n"],
  ['main/electron', 'src/main/electron/x.ts', "import { app } from 'electron';\nexport const x = app;\n"],
  ['renderer', 'src/renderer/src/x.ts', "import type { NodeId } from '../../shared/protocol.ts';\nexport const x = (id: NodeId) => id;\n"],
  ['preload', 'src/preload/x.ts', "import { contextBridge } from 'electron';\nexport const x = contextBridge;\n"],
];

// src/main's folders, bottom up: each imports only the folders below it that eslint.config.js lists.
const layerCases = Object.entries(MAIN_LAYERS).flatMap(([folder, allowedFolders]) => {
  const forbiddenFolders = Object.keys(MAIN_LAYERS).filter((f) => f !== folder && !allowedFolders.includes(f));
  const file = `src/main/${folder}/x.ts`;
  const deeper = `src/main/${folder}/inner/x.ts`;
  return [
    ...forbiddenFolders.map((f) => ({ folder, file, code: `import { y } from '../${f}/y.ts';\nexport const x = y;\n`, bites: true })),
    ...forbiddenFolders.slice(0, 1).map((f) => ({ folder, file: deeper, code: `import type { Y } from '../../${f}/y.ts';\nexport const x = (y: Y) => y;\n`, bites: true })),
    ...allowedFolders.map((f) => ({ folder, file, code: `import { y } from '../${f}/y.ts';\nexport const x = y;\n`, bites: false })),
  ];
});

describe('the arrows between src/main folders', () => {
  it('has a rule for every folder of src/main', () => {
    const folders = readdirSync('src/main', { withFileTypes: true }).filter((d) => d.isDirectory()).map((d) => d.name);
    expect(folders.filter((f) => !(f in MAIN_LAYERS))).toEqual([]);
  });
  for (const { folder, file, code, bites } of layerCases) {
    it(`${bites ? 'forbid' : 'allow'} in ${file}: ${code.split('\n')[0]}`, async () => {
      const errors = (await errorsFor(file, code)).filter((e) => e.startsWith('no-restricted-imports'));
      if (bites) expect(errors.some((e) => e.includes(`src/main/${folder} imports only`)), errors.join('\n')).toBe(true);
      else expect(errors).toEqual([]);
    });
  }
});

describe('layer rules', () => {
  for (const [layer, file, code] of cases) {
    it(`forbid in ${layer}: ${code.split('\n')[0]}`, async () => {
      const errors = await errorsFor(file, code);
      expect(errors.some((e) => /no-restricted-(imports|properties|globals)/.test(e)), errors.join('\n')).toBe(true);
    });
  }
  for (const [layer, file, code] of allowed) {
    it(`allow in ${layer}: ${code.split('\n')[0]}`, async () => {
      expect(await errorsFor(file, code)).toEqual([]);
    });
  }
});
