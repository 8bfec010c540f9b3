// The simulator's speed on Raft: simulated seconds per wall second, and delivered messages per
// wall second, at 3 to 9 nodes. Baseline, in the same run: the simulator's own loop (event heap,
// network, delivery) moving messages between nodes that do nothing, which is the ceiling Raft's
// share of the work is measured against.

import type { Algorithm, ConsensusNode, Envelope, Ready } from '../../nodes/types.ts';
import { raftAlgorithm } from '../../nodes/raft/raft.ts';
import { multiPaxosAlgorithm } from '../../nodes/multipaxos/multipaxos.ts';
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

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any algorithm runs in the same simulator
function measure(algorithm: Algorithm<any>, nodes: number, workload: typeof WORKLOAD | null): { speed: number; messagesPerSecond: number; delivered: number } {
  const sim = new Simulation({ algorithm, nodes, seed: 1, workload });
  const started = performance.now();
  sim.runFor(SIMULATED_MS);
  const wallSeconds = (performance.now() - started) / 1000;
  return { speed: SIMULATED_MS / 1000 / wallSeconds, messagesPerSecond: sim.stats.delivered / wallSeconds, delivered: sim.stats.delivered };
}

export const simBench: BenchSuite = {
  name: `simulator: Raft and Multi-Paxos under a steady workload (${WORKLOAD.clients} clients over ${WORKLOAD.keys} keys), ${SIMULATED_MS / 1000} simulated s per figure`,
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
      // Multi-Paxos under the same workload, beside Raft in the same run.
      const paxos = measure(multiPaxosAlgorithm, nodes, WORKLOAD);
      figures.push({
        name: `sim.multipaxos${nodes}.speed`,
        label: `${nodes} nodes, ${WORKLOAD.rate} ops/s: Multi-Paxos simulated time per wall time (${paxos.delivered.toLocaleString('en-US')} messages delivered)`,
        value: paxos.speed,
        unit: 'x real time',
        baseline: { label: "Raft's, same nodes and workload", value: raft.speed },
        ratio: paxos.speed / raft.speed,
        better: 'higher',
      });
    }
    return figures;
  },
};
