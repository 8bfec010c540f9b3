import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '..', '..', 'src', 'main', 'cli', 'consensus-playground.mjs');
const run = (...args: string[]) => spawnSync(process.execPath, [bin, 'run', ...args], { encoding: 'utf8', timeout: 120_000 });
const LAST = /^ops: (\d+) \(ok (\d+), fail (\d+), info (\d+)\), elections: (\d+), violations: (\d+), linearizable: (true|false|unknown)$/;

describe('consensus-playground run', () => {
  it('runs the simulator with faults and ends safe and linearizable', () => {
    const r = run('--sim', '--faults', 'partition,kill', '--duration', '20s', '--seed', '3');
    expect(r.status, r.stderr).toBe(0);
    const last = r.stdout.trim().split('\n').pop() ?? '';
    const m = LAST.exec(last);
    expect(m, last).not.toBeNull();
    const [, total, ok, fail, info] = (m as RegExpExecArray).map(Number);
    expect(total).toBe((ok as number) + (fail as number) + (info as number));
    expect(ok).toBeGreaterThan(1000);
  });

  it('runs worker threads without faults past the fault interval, and judges a convergent promise by final reads', () => {
    const plain = run('--nodes', '3', '--fault-interval', '300ms', '--duration', '1s', '--rate', '50');
    expect(plain.status, plain.stdout + plain.stderr).toBe(0);
    const counters = run('--algo', 'crdt', '--set', 'type=pn-counter', '--nodes', '3', '--faults', 'partition', '--fault-interval', '400ms', '--duration', '2s', '--rate', '50');
    expect(counters.status, counters.stdout + counters.stderr).toBe(0);
    expect(counters.stdout).toMatch(/^promised convergent: true$/m);
  }, 60_000);

  it('runs worker threads with SQLite files, writes the history, and ends safe and linearizable', () => {
    const dir = mkdtempSync(join(tmpdir(), 'run-cli-'));
    const history = join(dir, 'history.jsonl');
    try {
      const r = run('--nodes', '3', '--faults', 'partition,kill', '--fault-interval', '1s', '--duration', '5s', '--rate', '50', '--data-dir', dir, '--history', history);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout.trim().split('\n').pop()).toMatch(LAST);
      expect(r.stderr).toMatch(/t=\d+s ops ok \d+/);
      const lines = readFileSync(history, 'utf8').trim().split('\n');
      expect(lines.length).toBeGreaterThan(100);
      expect(JSON.parse(lines[0] as string)).toMatchObject({ type: 'invoke' });
      const check = spawnSync(process.execPath, [bin, 'check', '--model', 'kv', history], { encoding: 'utf8' });
      expect(check.status, check.stdout).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);

  for (const [option, value] of [
    ['--nodes', '16'],
    ['--algo', 'zab'],
    ['--rate', '-1'],
    ['--seed', 'x1'],
    ['--sync', 'sometimes'],
    ['--faults', 'fire'],
  ] as const) {
    it(`rejects ${option} ${value} with one line and exit 2`, () => {
      const r = run(option, value);
      expect(r.status).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(option);
    });
  }
});
