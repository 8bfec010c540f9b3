// The simulator's speed on Raft: simulated seconds per wall second, and delivered messages per
// wall second, at 3 to 9 nodes. Baseline, in the same run: the simulator's own loop (event heap,
// network, delivery) moving messages between nodes that do nothing, which is the ceiling Raft's
// share of the work is measured against.

import type { Algorithm, ConsensusNode, Envelope, Ready } from '../../nodes/types.ts';
import { raftAlgorithm } from '../../nodes/raft/raft.ts';
import { algorithms, servedRequests } from '../../nodes/index.ts';
import { noMonitor, type SafetyMonitor } from '../../nodes/monitor.ts';
import { DATA_TYPE_REQUESTS, type RequestFunction, type WorkloadDataType } from '../../shared/history.ts';
import type { NodeId } from '../../shared/protocol.ts';
import { defaultDataType } from '../sim/workload.ts';
import { Simulation } from '../sim/simulation.ts';
import type { BenchFigure, BenchSuite } from './types.ts';
import { defineAlgorithm } from '../../nodes/define.ts';

const WORKLOAD = { clients: 5, rate: 50, keys: 8 };
const LIGHT_WORKLOAD = { clients: 5, rate: 10, keys: 8 };
const SIMULATED_MS = 600_000;

/** Each node sends one message to every peer per tick and ignores what it receives. */
const floodAlgorithm: Algorithm<Record<string, never>> = defineAlgorithm({
  // It serves no client: nothing to keep.
  promises: 'convergent',
  name: 'flood',
  defaultOptions: {},
  create(context) {
    let out: Envelope[] = [];
    const peers = context.bootstrapVoters.filter((p) => p !== context.id);
    const body = { type: 'flood' };
    const node: ConsensusNode = {
      id: context.id,
      step(input) {
        if (input.kind === 'tick') for (const dest of peers) out.push({ src: context.id, dest, body });
      },
      hasReady: () => out.length > 0,
      ready(): Ready {
        const ready: Ready = { persist: null, messages: out, applied: [], replies: [] };
        out = [];
        return ready;
      },
      status: () => ({ id: context.id, role: 'follower', term: 0, leader: null, votedFor: null, commit: 0, applied: 0, lastIndex: 0, snapshotIndex: 0, voters: context.bootstrapVoters }),
    };
    return node;
  },
});

/** The workload an algorithm serves with its default options: registers, or its own data type. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any algorithm runs in the same simulator
function workloadFor(algorithm: Algorithm<any>, workload: typeof WORKLOAD): typeof WORKLOAD & { dataType: WorkloadDataType } {
  return { ...workload, dataType: defaultDataType(servedRequests(algorithm)) };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any algorithm runs in the same simulator
function measure(algorithm: Algorithm<any>, nodes: number, workload: typeof WORKLOAD | null): { speed: number; messagesPerSecond: number; delivered: number } {
  const sim = new Simulation({ algorithm, nodes, seed: 1, workload: workload === null ? null : workloadFor(algorithm, workload) });
  const started = performance.now();
  sim.runFor(SIMULATED_MS);
  const wallSeconds = (performance.now() - started) / 1000;
  return { speed: SIMULATED_MS / 1000 / wallSeconds, messagesPerSecond: sim.stats.delivered / wallSeconds, delivered: sim.stats.delivered };
}

/** Per acknowledged write, over all nodes: storage write transactions, rows, bytes, and messages. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any algorithm
export function writeCost(algorithm: Algorithm<any>): { batches: number; rows: number; bytes: number; messages: number } {
  let batches = 0;
  let rows = 0;
  let bytes = 0;
  let messages = 0;
  const observer: SafetyMonitor = {
    ...noMonitor(),
    onReady(_node: NodeId, ready: Ready) {
      messages += ready.messages.length;
      const p = ready.persist;
      if (p === null) return;
      batches++;
      const count = (n: number, part: unknown): void => {
        rows += n;
        bytes += JSON.stringify(part).length;
      };
      if (p.hardState !== undefined) count(1, p.hardState);
      if (p.snapshot !== undefined) count(1, p.snapshot);
      if (p.log !== undefined) count(p.log.entries.length, p.log.entries);
      if (p.records !== undefined) count(p.records.length, p.records);
    },
  };
  const dataType = defaultDataType(servedRequests(algorithm));
  const writes = DATA_TYPE_REQUESTS[dataType].find((f) => f !== 'read') as RequestFunction;
  const sim = new Simulation({ algorithm, nodes: 3, seed: 1, workload: { rate: 2000, clients: 20, keys: 8, dataType, mix: { read: 0, [writes]: 1 } }, observers: [observer] });
  sim.runFor(10_000);
  const ok = Math.max(1, sim.stats.ops.ok);
  return { batches: batches / ok, rows: rows / ok, bytes: bytes / ok, messages: messages / ok };
}

export const simBench: BenchSuite = {
  name: `simulator: every algorithm beside Raft under a steady workload (${WORKLOAD.clients} clients over ${WORKLOAD.keys} keys), ${SIMULATED_MS / 1000} simulated s per figure`,
  async run(progress) {
    const figures: BenchFigure[] = [];
    measure(raftAlgorithm, 3, WORKLOAD); // warm up the JIT before anything is timed
    progress(`5 nodes, light workload (${LIGHT_WORKLOAD.rate} ops/s)`);
    const light = measure(raftAlgorithm, 5, LIGHT_WORKLOAD);
    figures.push({
      name: 'sim.raft5.light.speed',
      label: `5 nodes, ${LIGHT_WORKLOAD.rate} ops/s: simulated time per wall time`,
      value: light.speed,
      unit: 'x real time',
      better: 'higher',
      target: { text: '>= 1,000x', met: light.speed >= 1000 },
    });
    for (const nodes of [3, 5, 7, 9]) {
      progress(`${nodes} nodes`);
      const raft = measure(raftAlgorithm, nodes, WORKLOAD);
      const base = measure(floodAlgorithm, nodes, null);
      const gate = nodes === 5;
      figures.push({
        name: `sim.raft${nodes}.speed`,
        label: `${nodes} nodes, ${WORKLOAD.rate} ops/s: simulated time per wall time`,
        value: raft.speed,
        unit: 'x real time',
        better: 'higher',
        ...(gate ? { target: { text: '>= 1,000x', met: raft.speed >= 1000 } } : {}),
      });
      figures.push({
        name: `sim.raft${nodes}.messages`,
        label: `${nodes} nodes, ${WORKLOAD.rate} ops/s: delivered messages per wall second (${raft.delivered.toLocaleString('en-US')} in all)`,
        value: raft.messagesPerSecond,
        unit: 'msg/s',
        baseline: { label: 'simulator loop with no-op nodes', value: base.messagesPerSecond },
        ratio: raft.messagesPerSecond / base.messagesPerSecond,
        better: 'higher',
        ...(gate ? { target: { text: '>= 200,000 msg/s', met: raft.messagesPerSecond >= 200_000 } } : {}),
      });
      // Every other algorithm under the same workload (its own data type where it serves no
      // registers), beside Raft in the same run.
      for (const other of Object.values(algorithms)) {
        if (other === raftAlgorithm) continue;
        const measured = measure(other, nodes, WORKLOAD);
        figures.push({
          name: `sim.${other.name}${nodes}.speed`,
          label: `${nodes} nodes, ${WORKLOAD.rate} ops/s: ${other.title} simulated time per wall time (${measured.delivered.toLocaleString('en-US')} messages delivered)`,
          value: measured.speed,
          unit: 'x real time',
          baseline: { label: "Raft's, same nodes and workload", value: raft.speed },
          ratio: measured.speed / raft.speed,
          better: 'higher',
        });
      }
    }
    // What each design writes and sends per acknowledged write: the work behind its live figures,
    // counted, not timed (3 nodes, writes only, at saturation).
    progress('storage and messages per write');
    const raftCost = writeCost(raftAlgorithm);
    for (const algorithm of Object.values(algorithms)) {
      const cost = algorithm === raftAlgorithm ? raftCost : writeCost(algorithm);
      const versus = algorithm === raftAlgorithm ? {} : { baseline: { label: "Raft's", value: raftCost.rows }, ratio: raftCost.rows / Math.max(cost.rows, 1e-9) };
      figures.push({
        name: `sim.${algorithm.name}.rowsPerWrite`,
        label: `3 nodes: ${algorithm.title}, storage rows written per acknowledged write, all nodes (${cost.batches.toFixed(2)} write transactions, ${cost.bytes.toFixed(0)} bytes, ${cost.messages.toFixed(2)} messages)`,
        value: cost.rows,
        unit: 'rows',
        better: 'lower',
        ...versus,
      });
    }
    return figures;
  },
};
