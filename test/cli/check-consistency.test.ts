// `check --consistency`: which models a history keeps, the strongest of them, and for each one it
// breaks, the operations that break it; exit codes over all the models asked for.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const bin = join(root, 'src', 'main', 'cli', 'consensus-playground.mjs');
const fixtures = join(root, 'test', 'checker', 'fixtures');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'check', ...args], { encoding: 'utf8' });

function historyFile(name: string, events: object[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'consistency-'));
  const file = join(dir, name);
  writeFileSync(file, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
  return file;
}

describe('check --consistency', () => {
  it('names the strongest models that hold, and a witness for each that does not', () => {
    // Process 2 reads the older of process 1's two writes after both returned: stale, so not
    // linearizable, but a sequential order puts the read between the writes.
    const result = run('--model', 'kv', '--consistency', 'all', join(fixtures, 'stale-read.jsonl'));
    expect(result.stderr).toBe('');
    const lines = result.stdout.trimEnd().split('\n');
    expect(lines[0]).toMatch(/stale-read\.jsonl: strongest: sequential$/);
    expect(result.stdout).toContain('  linearizable: false\n    anomaly: stale read\n');
    expect(result.stdout).toMatch(/    process 2: read x -> 1 \(line 5\)/);
    expect(result.stdout).toMatch(/\n {2}sequential: true\n/);
    expect(result.stdout).toMatch(/\n {2}causal: true\n/);
    expect(result.stdout).toMatch(/\n {2}monotonic-reads: true\n/);
    // No final reads: convergence cannot be judged, and says why.
    expect(result.stdout).toMatch(/\n {2}convergent: unknown\n {4}why: .*final/);
    expect(result.status).toBe(1);
  });

  it('exits 0 when every model asked for holds, 3 when one is unknown and none fails', () => {
    const stale = join(fixtures, 'stale-read.jsonl');
    const held = run('--model', 'kv', '--consistency', 'sequential,pram,read-your-writes', stale);
    expect(held.stdout.split('\n')[0]).toMatch(/strongest: sequential$/);
    expect(held.status).toBe(0);
    expect(run('--model', 'kv', '--consistency', 'convergent', stale).status).toBe(3);
  });

  it('says a weaker model fails with a stronger one, and which settled it', () => {
    // Process 1 writes 1 and then reads the initial value: it does not read its own write.
    const file = historyFile('own-write.jsonl', [
      { process: 1, type: 'invoke', f: 'write', key: 'x', value: 1 },
      { process: 1, type: 'ok', f: 'write', key: 'x', value: 1 },
      { process: 1, type: 'invoke', f: 'read', key: 'x', value: null },
      { process: 1, type: 'ok', f: 'read', key: 'x', value: null },
    ]);
    const result = run('--model', 'kv', '--consistency', 'all', file);
    expect(result.stdout).toMatch(/read-your-writes: false\n {4}anomaly: /);
    expect(result.stdout).toMatch(/ {2}sequential: false\n/);
    const strongest = (result.stdout.split('\n')[0] as string).replace(/^.*strongest: /, '').split(', ');
    // Monotonic reads holds (one read), implied by the strongest that hold; read-your-writes does not.
    expect(result.stdout).toMatch(/\n {2}monotonic-reads: true\n/);
    expect(strongest).not.toContain('read-your-writes');
    expect(strongest).not.toContain('sequential');
    expect(result.stdout).toMatch(/\n {2}staleness: 1 of 1 reads stale/);
    expect(result.status).toBe(1);
  });

  it('lets a model that holds settle a weaker one its own check cannot judge', () => {
    // A counter: the register-family checks answer unknown for it, but sequential holds, and
    // every model below sequential holds with it. The final read lost the acknowledged add.
    const file = historyFile('counter.jsonl', [
      { process: 1, type: 'invoke', f: 'add', value: 1 },
      { process: 1, type: 'ok', f: 'add', value: 1 },
      { process: 3, type: 'invoke', f: 'read', value: null },
      { process: 3, type: 'ok', f: 'read', value: 0, final: true },
    ]);
    const result = run('--model', 'counter', '--consistency', 'all', file);
    expect(result.stdout).toMatch(/\n {2}causal: true\n {4}holds since sequential holds\n/);
    expect(result.stdout).toMatch(/\n {2}convergent: false\n {4}anomaly: lost write/);
    expect(result.status).toBe(1);
  });

  it('prints the same as JSON', () => {
    const result = run('--model', 'kv', '--consistency', 'linearizable,sequential', '--json', join(fixtures, 'stale-read.jsonl'));
    const report = JSON.parse(result.stdout) as { strongest: string[]; models: Record<string, { verdict: string; witness: { anomaly: string; operations: Array<{ line: number }> } | null }> };
    expect(report.strongest).toEqual(['sequential']);
    expect(report.models.linearizable?.verdict).toBe('false');
    expect(report.models.linearizable?.witness?.operations.map((o) => o.line)).toContain(5);
    expect(report.models.sequential?.verdict).toBe('true');
  });

  it('refuses a model it does not know with exit 2', () => {
    const result = run('--model', 'kv', '--consistency', 'snapshot-isolation', join(fixtures, 'stale-read.jsonl'));
    expect(result.status).toBe(2);
    expect(result.stderr).toMatch(/unknown model "snapshot-isolation"/);
  });

  it('keeps the plain linearizability output without --consistency', () => {
    const result = run('--model', 'kv', join(fixtures, 'stale-read.jsonl'));
    expect(result.stdout).toMatch(/^.*stale-read\.jsonl: linearizable: false, ops: 3, keys: 1, ms: \d+\n/);
  });
});
