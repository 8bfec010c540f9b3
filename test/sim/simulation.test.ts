import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/main/sim/simulation.ts';
import { scheduleFaults } from '../../src/main/sim/faults.ts';
import { raftAlgorithm } from '../../src/nodes/raft/raft.ts';
import { createRng } from '../../src/shared/rng.ts';
import type { Algorithm, ConsensusNode, Envelope, Input, Ready } from '../../src/nodes/types.ts';
import type { TraceEvent } from '../../src/main/sim/simulation.ts';
import { defineAlgorithm } from '../../src/nodes/define.ts';

function raftRun(seed: number, faults = true): Simulation {
  const sim = new Simulation({ algorithm: raftAlgorithm, nodes: 5, seed, workload: { rate: 50 } });
  if (faults) scheduleFaults(sim, createRng(seed).fork('faults'), { kinds: ['partition', 'kill', 'pause', 'drop', 'delay', 'dup'], intervalMs: 400, untilMs: 5000 });
  sim.runFor(7000);
  return sim;
}

/** A toy algorithm: every node forwards a `ping` to the next on each tick, for network tests. */
function pingAlgorithm(received: Array<{ at: string; from: string; n: number }>): Algorithm<Record<string, never>> {
  return defineAlgorithm({
    name: 'ping',
    defaultOptions: {},
    promises: 'convergent',
    create(context) {
      let out: Envelope[] = [];
      let n = 0;
      const ids = context.bootstrapVoters;
      const node: ConsensusNode = {
        id: context.id,
        step(input: Input) {
          if (input.kind === 'tick') {
            for (const peer of ids) if (peer !== context.id) out.push({ src: context.id, dest: peer, body: { type: 'ping', n: ++n } as { type: string } });
          } else if (input.kind === 'message') {
            received.push({ at: context.id, from: input.envelope.src, n: (input.envelope.body as unknown as { n: number }).n });
          }
        },
        hasReady: () => out.length > 0,
        ready(): Ready {
          const r: Ready = { persist: null, messages: out, applied: [], replies: [] };
          out = [];
          return r;
        },
        status: () => ({ id: context.id, role: 'follower', term: 0, leader: null, votedFor: null, commit: 0, applied: 0, lastIndex: 0, snapshotIndex: 0, voters: ids }),
      };
      return node;
    },
  });
}

describe('simulation', () => {
  it('is deterministic: the same seed gives the same trace and history, another seed does not', () => {
    const a = raftRun(42);
    const b = raftRun(42);
    const c = raftRun(43);
    expect(a.traceHash()).toBe(b.traceHash());
    expect(JSON.stringify(a.history())).toBe(JSON.stringify(b.history()));
    expect(a.traceHash()).not.toBe(c.traceHash());
    expect(a.stats.delivered).toBeGreaterThan(1000);
  });

  it('elects one leader and commits client writes without faults', () => {
    const sim = raftRun(7, false);
    expect(sim.leader()).not.toBeNull();
    expect(sim.stats.ops.ok).toBeGreaterThan(200);
    expect(sim.stats.ops.info).toBe(0);
    const commits = sim.nodeIds.map((id) => sim.status(id)?.commit ?? 0);
    expect(Math.min(...commits)).toBeGreaterThan(100);
  });

  it('keeps storage across a crash and restores the node from it', () => {
    const sim = new Simulation({ algorithm: raftAlgorithm, nodes: 3, seed: 3, workload: { rate: 100 } });
    sim.runFor(2000);
    const before = sim.status('n2');
    sim.crash('n2');
    expect(sim.isUp('n2')).toBe(false);
    sim.restart('n2');
    const after = sim.status('n2');
    expect(after?.lastIndex).toBe(before?.lastIndex);
    expect(after?.term).toBe(before?.term);
    sim.runFor(2000);
    expect(sim.status('n2')?.commit).toBeGreaterThan(before?.commit ?? 0);
  });

  it('holds deliveries to a paused node and delivers them in order at resume', () => {
    const received: Array<{ at: string; from: string; n: number }> = [];
    const sim = new Simulation({ algorithm: pingAlgorithm(received), nodes: 2, seed: 1, workload: null, network: { jitterMs: 0 } });
    sim.pause('n2');
    sim.runFor(100);
    expect(received.filter((r) => r.at === 'n2')).toEqual([]);
    sim.resume('n2');
    const atN2 = received.filter((r) => r.at === 'n2').map((r) => r.n);
    expect(atN2.length).toBeGreaterThan(5);
    expect(atN2).toEqual([...atN2].sort((x, y) => x - y));
  });

  it('drops only one direction of a one-way cut, and partitions by group', () => {
    const received: Array<{ at: string; from: string; n: number }> = [];
    const sim = new Simulation({ algorithm: pingAlgorithm(received), nodes: 3, seed: 1, workload: null });
    sim.cut('n1', 'n2');
    sim.runFor(200);
    expect(received.some((r) => r.from === 'n1' && r.at === 'n2')).toBe(false);
    expect(received.some((r) => r.from === 'n2' && r.at === 'n1')).toBe(true);
    sim.heal();
    sim.partition([['n1'], ['n2', 'n3']]);
    received.length = 0;
    sim.runFor(200);
    expect(received.some((r) => r.from === 'n1' || r.at === 'n1')).toBe(false);
    expect(received.some((r) => r.from === 'n2' && r.at === 'n3')).toBe(true);
  });

  it('lets a send listener take a message off the network and deliver it late', () => {
    const received: Array<{ at: string; from: string; n: number }> = [];
    const sim = new Simulation({ algorithm: pingAlgorithm(received), nodes: 2, seed: 1, workload: null, network: { jitterMs: 0 } });
    sim.onSend((envelope) => {
      const n = (envelope.body as unknown as { n: number }).n;
      if (envelope.src !== 'n1' || n > 2) return false;
      // Ping 1 is lost; ping 2 is held and arrives 50 ms late, after the pings sent meanwhile.
      if (n === 2) sim.deliverLate(envelope, 50);
      return true;
    });
    sim.runFor(100);
    const fromN1 = received.filter((r) => r.from === 'n1').map((r) => r.n);
    expect(fromN1).not.toContain(1);
    expect(fromN1.filter((n) => n === 2)).toHaveLength(1);
    expect(fromN1.indexOf(2)).toBeGreaterThan(fromN1.indexOf(3));
    expect(fromN1.indexOf(3)).toBeGreaterThanOrEqual(0);
    expect(received.filter((r) => r.from === 'n2').map((r) => r.n).slice(0, 2)).toEqual([1, 2]);
  });

  it('drops and duplicates at about the configured rates', () => {
    const received: Array<{ at: string; from: string; n: number }> = [];
    const events: TraceEvent[] = [];
    const sim = new Simulation({ algorithm: pingAlgorithm(received), nodes: 2, seed: 5, workload: null, network: { drop: 0.2, duplicate: 0.1 }, trace: (e) => events.push(e) });
    sim.runFor(20_000);
    const sent = events.filter((e) => e.kind === 'send').length;
    expect(sent).toBe(4000);
    expect(sim.stats.dropped / sent).toBeGreaterThan(0.17);
    expect(sim.stats.dropped / sent).toBeLessThan(0.23);
    expect(sim.stats.duplicated / (sent - sim.stats.dropped)).toBeGreaterThan(0.08);
    expect(sim.stats.duplicated / (sent - sim.stats.dropped)).toBeLessThan(0.12);
  });

  it('lets clients follow redirects and records a timeout as info', () => {
    const sim = new Simulation({ algorithm: raftAlgorithm, nodes: 3, seed: 11, workload: { rate: 50, clients: 3, timeoutMs: 500 } });
    sim.runFor(3000);
    expect(sim.stats.ops.ok).toBeGreaterThan(50);
    const leader = sim.leader() as string;
    sim.isolate(leader);
    sim.runFor(3000);
    expect(sim.stats.ops.info).toBeGreaterThan(0);
    const history = sim.history();
    const infos = history.filter((e) => e.type === 'info');
    expect(infos.length).toBe(sim.stats.ops.info);
    expect(history.filter((e) => e.type === 'invoke').length).toBe(sim.stats.ops.ok + sim.stats.ops.fail + sim.stats.ops.info + sim.openOperations);
  });
});
