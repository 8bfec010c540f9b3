// Nothing above src/nodes knows an algorithm by name: the registry (src/nodes/index.ts) lists
// them, each one's folder holds everything about it, and the rest of the product reads their
// descriptors. Benchmarks name what they measure, and are left out.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { algorithmNames } from '../../src/nodes/index.ts';

function files(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path) : /\.(ts|vue|mts|cts)$/.test(name) ? [path] : [];
  });
}

const scanned = ['src/main', 'src/shared', 'src/renderer'].flatMap(files).filter((f) => !f.startsWith(join('src', 'main', 'bench')));
// Each registered algorithm's name, and the names people write (Raft, Paxos).
const names = [...new Set([...algorithmNames(), 'raft', 'paxos'])];

describe('algorithm names', () => {
  it('appear in no file of src/main, src/shared or src/renderer (benchmarks aside)', () => {
    expect(scanned.length).toBeGreaterThan(100);
    const found: string[] = [];
    for (const file of scanned) {
      const text = readFileSync(file, 'utf8').toLowerCase();
      for (const name of names) if (text.includes(name.toLowerCase())) found.push(`${relative('.', file)}: ${name}`);
    }
    expect(found).toEqual([]);
  });
});
