import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bin = join(import.meta.dirname, '..', '..', 'src', 'main', 'cli', 'consensus-playground.mjs');

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('consensus-playground fuzz', () => {
  it('reports a clean run with the summary line and exit 0', () => {
    const r = cli('fuzz', '--algo', 'raft', '--runs', '5', '--seed', '9', '--nodes', '3', '--duration', '5s');
    expect(r.code).toBe(0);
    const last = r.stdout.trim().split('\n').pop() ?? '';
    expect(last).toMatch(/^runs: 5, violations: 0, simulated: \d+\.\d s, wall: \d+\.\d s, speed: \d+ x$/);
  });

  it('gives the same figures for the same seed', () => {
    const strip = (s: string) => s.replace(/wall: .*$/m, '');
    expect(strip(cli('fuzz', '--runs', '3', '--seed', '4', '--duration', '3s').stdout)).toBe(strip(cli('fuzz', '--runs', '3', '--seed', '4', '--duration', '3s').stdout));
  });

  for (const [option, value, mention] of [
    ['--nodes', '0', '--nodes'],
    ['--nodes', '16', '--nodes'],
    ['--algo', 'pbft', '--algo'],
    ['--rate', '-5', '--rate'],
    ['--seed', '12abc', '--seed'],
    ['--runs', 'many', '--runs'],
    ['--faults', 'meteor', '--faults'],
  ] as const) {
    it(`rejects ${option} ${value} with one line and exit 2`, () => {
      const r = cli('fuzz', option, value);
      expect(r.code).toBe(2);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toContain(mention);
    });
  }
});
