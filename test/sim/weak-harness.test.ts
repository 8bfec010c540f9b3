// The harness's side of the weak algorithms, with toy algorithms standing in for them: workloads
// of counters and sets restricted to what an algorithm serves, causal contexts carried from a
// reply to the client's next write, final reads, and a fuzz that judges each run's own promise.

import { describe, expect, it } from 'vitest';
import { Simulation } from '../../src/main/sim/simulation.ts';
import { WorkloadGenerator } from '../../src/main/sim/workload.ts';
import { runFuzz } from '../../src/main/sim/fuzz.ts';
import { availabilitySeries, inferDataType, measureHistory } from '../../src/main/checker/measures.ts';
import { createRng } from '../../src/shared/rng.ts';
import type { ClientRequest } from '../../src/shared/protocol.ts';
import type { HistoryEvent } from '../../src/shared/history.ts';
import { localStore } from './toy-stores.ts';

describe('workloads by data type', () => {
  it('draws a counter workload of reads and increments, recorded as the checker reads counters', () => {
    const generator = new WorkloadGenerator(createRng(1), 2, {}, 'counter');
    const ops = Array.from({ length: 200 }, () => generator.next());
    expect(new Set(ops.map((o) => o.op.f))).toEqual(new Set(['read', 'incr']));
    for (const o of ops) if (o.op.f === 'incr') expect(o).toMatchObject({ f: 'add', value: o.op.value });
  });

  it('draws set adds of fresh elements and removes of added ones, and only what the algorithm serves', () => {
    const generator = new WorkloadGenerator(createRng(2), 1, {}, 'set', ['read', 'add']);
    const ops = Array.from({ length: 100 }, () => generator.next());
    expect(ops.some((o) => o.op.f === 'remove')).toBe(false);
    const added = ops.filter((o) => o.op.f === 'add').map((o) => o.value);
    expect(new Set(added).size).toBe(added.length);
    expect(() => new WorkloadGenerator(createRng(3), 1, { read: 0, incr: 1 }, 'counter', ['read'])).toThrow(/no weight/);
  });

  it('a register mix given for another data type stands aside for that type\'s own mix', () => {
    const generator = new WorkloadGenerator(createRng(4), 1, { read: 4, write: 4, cas: 1, append: 1, delete: 0 }, 'counter');
    expect(Array.from({ length: 100 }, () => generator.next()).some((o) => o.op.f === 'incr')).toBe(true);
  });

  it('a simulation refuses a data type its algorithm does not serve, by name', () => {
    const algorithm = localStore({ promises: null, serves: { counter: ['read', 'incr'] } });
    expect(() => new Simulation({ algorithm, nodes: 3, seed: 1, workload: { dataType: 'set' } })).toThrow(/does not serve set workloads/);
  });
});

describe('clients of a store that keeps siblings', () => {
  it('send the context of their last read of a key with their next write of it, and only then', () => {
    const requests: ClientRequest[] = [];
    const sim = new Simulation({ algorithm: localStore({ promises: null, gossip: true, contexts: requests }), nodes: 3, seed: 5, workload: { rate: 200, clients: 2, keys: 1, dataType: 'counter' } });
    sim.runFor(2000);
    const byClient = new Map<number, ClientRequest[]>();
    for (const r of requests) byClient.set(r.clientId, [...(byClient.get(r.clientId) ?? []), r]);
    let carried = 0;
    let bare = 0;
    for (const list of byClient.values()) {
      // Only a read gives a context (the toy answers every request with one): two writes with no
      // read between them stay concurrent.
      let read = false;
      for (let i = 0; i < list.length; i++) {
        const request = list[i] as ClientRequest;
        if (i > 0 && request.seq === (list[i - 1] as ClientRequest).seq) continue; // a retry
        if (request.op.f === 'read') {
          expect(request.context).toBeUndefined();
          read = true;
        } else if (read) {
          expect(request.context).toMatch(/^seen-by-n\d$/);
          carried++;
        } else {
          expect(request.context).toBeUndefined();
          bare++;
        }
      }
    }
    expect(carried).toBeGreaterThan(10);
    expect(bare).toBeGreaterThan(0);
  });
});

describe('final reads', () => {
  it('stop the workload, wait, then read every key at every node, marked final', () => {
    const sim = new Simulation({ algorithm: localStore({ promises: 'convergent' }), nodes: 3, seed: 6, workload: { rate: 100, keys: 2 } });
    sim.runFor(1000);
    const before = sim.history().length;
    expect(sim.finalReads(500)).toBe(6);
    const finals = sim.history().slice(before).filter((e) => e.final === true);
    expect(finals.filter((e) => e.type === 'invoke')).toHaveLength(6);
    expect(finals.filter((e) => e.type === 'ok')).toHaveLength(6);
    const lastWorkloadEvent = sim.history().slice(before).filter((e) => e.final !== true).at(-1);
    expect(lastWorkloadEvent === undefined || lastWorkloadEvent.type !== 'invoke').toBe(true);
  });
});

describe('the fuzz judges what each run promises', () => {
  const options = { runs: 3, seed: 1, nodes: 3, durationMs: 2000, faults: [], faultIntervalMs: 500, maxSteps: 200_000, rate: 40, livenessMs: 0 };

  it('a store whose replicas never talk breaks the convergence it promises, found by the final reads', () => {
    const result = runFuzz({ ...options, algorithm: localStore({ promises: 'convergent' }) });
    expect(result.violations).toBe(3);
    expect(result.runs[0]?.violation?.property).toBe('convergent');
    expect(result.runs[0]?.violation?.message).toMatch(/divergent final reads/);
  });

  it('the same store promising nothing passes, and one promising linearizability fails on it', () => {
    expect(runFuzz({ ...options, algorithm: localStore({ promises: null }) }).violations).toBe(0);
    const strong = runFuzz({ ...options, algorithm: localStore({ promises: 'linearizable' }) });
    expect(strong.runs.every((r) => r.violation?.property === 'linearizability')).toBe(true);
  });

  it('counters that gossip converge: a convergent promise on a counter workload holds', () => {
    const result = runFuzz({ ...options, algorithm: localStore({ promises: 'convergent', gossip: true, serves: { counter: ['read', 'incr'] } }) });
    expect(result.runs.map((r) => r.violation)).toEqual([null, null, null]);
    expect(result.runs[0]?.promiseKept).toBe('true');
  });
});

describe('measures of a history', () => {
  const t = (ms: number): number => ms * 1e6;
  const history: HistoryEvent[] = [
    { process: 1, type: 'invoke', f: 'write', key: 'x', value: 1, time: t(0) },
    { process: 1, type: 'ok', f: 'write', key: 'x', value: 1, time: t(2) },
    { process: 2, type: 'invoke', f: 'write', key: 'x', value: 2, time: t(10) },
    { process: 2, type: 'ok', f: 'write', key: 'x', value: 2, time: t(14) },
    { process: 3, type: 'invoke', f: 'write', key: 'y', value: 3, time: t(1100) },
    { process: 3, type: 'info', f: 'write', key: 'y', value: 3, time: t(1300) },
    { process: 4, type: 'invoke', f: 'read', key: 'x', value: null, time: t(2000), final: true },
    { process: 4, type: 'ok', f: 'read', key: 'x', value: 1, time: t(2001), final: true },
  ];

  it('counts, latencies, availability, and the acknowledged write the final read lost', () => {
    const m = measureHistory(history, { promises: 'convergent' });
    expect(m).toMatchObject({ ops: 4, ok: 3, fail: 0, info: 1, lostWrites: 1, linearizable: 'false', kept: false, availability: 0.75 });
    expect(m.p50Ms).toBe(2);
    expect(m.p99Ms).toBe(4);
    expect(m.promised?.witness?.anomaly).toBe('lost write');
    expect(availabilitySeries(history, 1000).map((b) => [b.ended, b.ok])).toEqual([[2, 2], [1, 0], [1, 1]]);
  });

  it('reads the data type off the operations: sets, counters, registers with siblings', () => {
    expect(inferDataType(history)).toBe('kv');
    expect(inferDataType([{ process: 1, type: 'invoke', f: 'add', key: 'c', value: 2 }])).toBe('counter');
    expect(inferDataType([{ process: 1, type: 'invoke', f: 'add', key: 's', value: 2 }, { process: 1, type: 'ok', f: 'add', key: 's', value: 2 }, { process: 1, type: 'invoke', f: 'read', key: 's', value: null }, { process: 1, type: 'ok', f: 'read', key: 's', value: [2] }])).toBe('set');
    const siblings: HistoryEvent[] = [...history.slice(0, 4), { process: 4, type: 'invoke', f: 'read', key: 'x', value: null, time: t(30), final: true }, { process: 4, type: 'ok', f: 'read', key: 'x', value: [1, 2], time: t(31), final: true }];
    expect(inferDataType(siblings)).toBe('kv');
    // Two writes, one after the other: the first is overwritten, so siblings holding it are not a last write's value.
    expect(measureHistory(siblings, { promises: 'convergent' }).models.convergent).toBe('false');
  });

  it('siblings of concurrent writes are a converged register that lost nothing', () => {
    const concurrent: HistoryEvent[] = [
      { process: 1, type: 'invoke', f: 'write', key: 'x', value: 1, time: t(0) },
      { process: 2, type: 'invoke', f: 'write', key: 'x', value: 2, time: t(1) },
      { process: 1, type: 'ok', f: 'write', key: 'x', value: 1, time: t(5) },
      { process: 2, type: 'ok', f: 'write', key: 'x', value: 2, time: t(6) },
      { process: 3, type: 'invoke', f: 'read', key: 'x', value: null, time: t(100), final: true },
      { process: 3, type: 'ok', f: 'read', key: 'x', value: [1, 2], time: t(101), final: true },
    ];
    const m = measureHistory(concurrent, { promises: 'convergent' });
    expect(m.models.convergent).toBe('true');
    expect(m.lostWrites).toBe(0);
    expect(m.linearizable).toBe('false');
  });
});

describe('operations by hand and a workload that stops and starts', () => {
  it('sends one operation to a node, follows its redirect, records it, and says how it ended', async () => {
    const { raftAlgorithm } = await import('../../src/nodes/raft/raft.ts');
    const sim = new Simulation({ algorithm: raftAlgorithm, nodes: 3, seed: 3, workload: null });
    sim.runFor(1500);
    const leader = sim.leader() as string;
    const follower = sim.nodeIds.find((id) => id !== leader) as string;
    const outcomes: unknown[] = [];
    sim.submit({ f: 'write', key: 'x', value: 7 }, follower, (o) => outcomes.push(o));
    sim.runFor(200);
    sim.submit({ f: 'read', key: 'x' }, null, (o) => outcomes.push(o));
    sim.runFor(200);
    expect(outcomes).toEqual([{ type: 'ok', value: 7 }, { type: 'ok', value: 7 }]);
    expect(sim.history().filter((e) => e.type === 'invoke').map((e) => e.f)).toEqual(['write', 'read']);
    expect(() => sim.submit({ f: 'read', key: 'x' }, 'n9')).toThrow(/no node n9/);
  });

  it('stops the workload\'s clients and starts them again', async () => {
    const { raftAlgorithm } = await import('../../src/nodes/raft/raft.ts');
    const sim = new Simulation({ algorithm: raftAlgorithm, nodes: 3, seed: 4, workload: { rate: 100 } });
    sim.setWorkloadRunning(false);
    sim.runFor(1000);
    expect(sim.history()).toHaveLength(0);
    sim.setWorkloadRunning(true);
    expect(sim.workloadRunning).toBe(true);
    sim.runFor(1000);
    const invoked = sim.history().filter((e) => e.type === 'invoke').length;
    expect(invoked).toBeGreaterThan(30);
    sim.setWorkloadRunning(false);
    sim.runFor(1000);
    expect(sim.history().filter((e) => e.type === 'invoke').length).toBeLessThanOrEqual(invoked);
  });
});
