import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { commonWorkload, drawSchedule, mixFor, parseSpec, runComparison, type CompareSettings } from '../../src/main/cli/compare.ts';
import { UsageError } from '../../src/main/cli/args.ts';
import { Simulation, defaultLinkRule } from '../../src/main/sim/simulation.ts';
import { getAlgorithm } from '../../src/nodes/index.ts';
import { createRng } from '../../src/shared/rng.ts';
import { localStore } from '../sim/toy-stores.ts';

const bin = join(import.meta.dirname, '..', '..', 'src', 'main', 'cli', 'consensus-playground.mjs');

function cli(...args: string[]): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const LINE = /^(\S+): ops (\d+) \(ok (\d+), fail (\d+), info (\d+)\), lost acknowledged writes: (\d+|-), strongest: (\S+), linearizable: (true|false|unknown), p50 ms: ([\d.]+|-), p99 ms: ([\d.]+|-), availability: ([\d.]+%|-)$/;

describe('consensus-playground compare', () => {
  it('prints one line per SPEC with the same workload and faults, exit 0 when each kept its promise', () => {
    const r = cli('compare', '--sim', '--duration', '3s', '--seed', '7', 'raft', 'multipaxos', 'raft:readMode=lease,preVote=false');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines).toHaveLength(3);
    const parsed = lines.map((line) => LINE.exec(line));
    expect(parsed.map((m) => m?.[1])).toEqual(['raft', 'multipaxos', 'raft:readMode=lease,preVote=false']);
    for (const m of parsed) {
      expect(Number(m?.[2])).toBeGreaterThan(50);
      expect(Number(m?.[2])).toBe(Number(m?.[3]) + Number(m?.[4]) + Number(m?.[5]));
      expect(m?.[8]).toBe('true');
    }
    expect(r.stderr).toMatch(/workload: registers \(read, write, append, delete\); faults: partition, kill; simulated, 3 nodes, seed 7/);
  });

  it('runs on worker threads by default', () => {
    const r = cli('compare', '--duration', '2s', '--faults', 'kill', '--rate', '50', 'raft');
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const m = LINE.exec(r.stdout.trim());
    expect(m?.[1]).toBe('raft');
    expect(Number(m?.[3])).toBeGreaterThan(10);
    expect(r.stderr).toMatch(/worker threads, 3 nodes/);
  }, 60_000);

  it('exits 2 on a bad SPEC, an unknown option, or no SPEC, saying what is wrong', () => {
    expect(cli('compare', '--sim', 'nope')).toMatchObject({ code: 2, stderr: expect.stringMatching(/no algorithm "nope"/) });
    expect(cli('compare', '--sim', 'raft:electionTicks=abc')).toMatchObject({ code: 2, stderr: expect.stringMatching(/electionTicks/) });
    expect(cli('compare', '--sim', 'raft:heartbeatTicks=50,electionTicks=20')).toMatchObject({ code: 2 });
    expect(cli('compare', '--sim', '--faults', 'meteor', 'raft')).toMatchObject({ code: 2, stderr: expect.stringMatching(/--faults takes/) });
    expect(cli('compare', '--sim')).toMatchObject({ code: 2, stderr: expect.stringMatching(/at least one SPEC/) });
  });
});

describe('one workload and one fault schedule for every spec', () => {
  it('gives every client the same operations whatever the algorithm answers', () => {
    const invokes = (name: string): string[] => {
      const algorithm = getAlgorithm(name);
      if (algorithm === undefined) throw new Error(name);
      const sim = new Simulation({ algorithm, nodes: 3, seed: 11, workload: { rate: 100, clients: 3, keys: 2, opsPerClient: true } });
      sim.runFor(2000);
      return sim.history().filter((e) => e.type === 'invoke').map((e) => `${e.process} ${e.f} ${e.key} ${JSON.stringify(e.value)}`);
    };
    const a = invokes('raft');
    const b = invokes('multipaxos');
    const n = Math.min(a.length, b.length);
    expect(n).toBeGreaterThan(50);
    for (const p of [1, 2, 3]) {
      const ofA = a.filter((line) => line.startsWith(`${p} `));
      const ofB = b.filter((line) => line.startsWith(`${p} `));
      const k = Math.min(ofA.length, ofB.length);
      expect(ofA.slice(0, k)).toEqual(ofB.slice(0, k));
    }
    // No two clients write the same value to a key: a read still names its write.
    const writes = a.filter((line) => / write /.test(line)).map((line) => line.split(' ').slice(2).join(' '));
    expect(new Set(writes).size).toBe(writes.length);
  });

  it('draws faults by node position, never by role, and ends with every node restarted and healed', () => {
    const schedule = drawSchedule(createRng(3), ['partition', 'kill', 'skew'], ['n1', 'n2', 'n3'], defaultLinkRule, 5000, 1000);
    expect(schedule.map((s) => s.atMs)).toEqual([1000, 2000, 3000, 4000, 5000]);
    const last = schedule.at(-1)?.faults ?? [];
    expect(last).toContainEqual({ kind: 'heal' });
    for (const node of ['n1', 'n2', 'n3']) expect(last).toContainEqual({ kind: 'restart', node });
    expect(drawSchedule(createRng(3), ['partition', 'kill', 'skew'], ['n1', 'n2', 'n3'], defaultLinkRule, 5000, 1000)).toEqual(schedule);
  });

  it('runs the data type every spec serves, with the requests all of them take, and refuses when there is none', () => {
    const raft = parseSpec('raft');
    const counters = { text: 'counters', algorithm: localStore({ promises: null, serves: { counter: ['read', 'incr'] } }), options: {}, promises: null };
    const registers = { text: 'registers', algorithm: localStore({ promises: null, serves: { kv: ['read', 'write'] } }), options: {}, promises: null };
    expect(commonWorkload([raft, counters])).toEqual({ dataType: 'counter', requests: ['read', 'incr'] });
    expect(commonWorkload([raft, registers])).toEqual({ dataType: 'kv', requests: ['read', 'write'] });
    expect(mixFor('kv', ['read', 'write', 'cas'])).toMatchObject({ read: 0.4, write: 0.3, cas: 0, append: 0 });
    expect(() => commonWorkload([counters, registers])).toThrow(UsageError);
    expect(() => commonWorkload([counters, registers])).toThrow(/counters serves counter; registers serves kv/);
  });

  it('exits 1 when a spec breaks the model it promises, and says which and why', async () => {
    const settings: CompareSettings = { sim: true, kinds: ['partition'], intervalMs: 500, durationMs: 2000, seed: 2, nodes: 3, rate: 50, clients: 3, keys: 2 };
    const out: string[] = [];
    const io = { out: (line: string) => out.push(line), err: () => {}, stdin: process.stdin };
    const broken = { text: 'lonely', algorithm: localStore({ promises: 'convergent' }), options: {}, promises: 'convergent' as const };
    expect(await runComparison([parseSpec('raft'), broken], settings, io)).toBe(1);
    expect(out[0]).toMatch(LINE);
    expect(out.join('\n')).toMatch(/lonely: .*\n {2}promises convergent, and this run is not convergent: divergent final reads/);
    out.length = 0;
    const honest = { ...broken, algorithm: localStore({ promises: null }), promises: null };
    expect(await runComparison([honest], settings, io)).toBe(0);
    expect(out[0]).toMatch(/^lonely: .*linearizable: false/);
  });
});
