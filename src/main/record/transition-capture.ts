// A simulation's transitions as it runs, for `generate`: the lines export.ts gets by re-executing
// the session file, made from the steps themselves while the nodes and their Readies are at hand.
// Re-executing meant parsing every recorded input back and running every node a second time, a
// quarter of generate's time. The lines are the same, byte for byte (a test compares the two):
// lives in the order they started, each step's input as the recording keeps it, and a life that a
// crash ended cut after its last step that produced anything, as re-execution cuts it (the
// recording cannot tell which of the inputs after that the node still read).

import type { ConsensusNode, Ready } from '../../nodes/types.ts';
import type { NodeId, NodeStatus } from '../../shared/protocol.ts';
import type { BufferPool } from './chunks.ts';
import { MemoryLines, TransitionLines, type CapturedTransitions } from './export.ts';
import { stateOf, stepOutputs, type NodeState } from './reexecute.ts';
import type { StepTap } from './sink.ts';

interface LifeCapture {
  number: number;
  node: NodeId;
  lines: TransitionLines;
  sink: MemoryLines;
  state: { status: NodeStatus; state: NodeState };
  /** Lines of the steps since the last one that produced a Ready: dropped if a crash comes next. */
  pending: string[];
  count: number;
}

export class TransitionCapture implements StepTap {
  private readonly session: string;
  private readonly pool: BufferPool;
  private readonly lives: LifeCapture[] = [];
  private readonly running = new Map<NodeId, LifeCapture>();

  constructor(session: string, pool: BufferPool) {
    this.session = session;
    this.pool = pool;
  }

  lifeStarted(node: NodeId, consensusNode: ConsensusNode): void {
    this.crashed(node);
    const life: LifeCapture = { number: this.lives.length + 1, node, lines: new TransitionLines(this.session), sink: new MemoryLines(this.pool), state: stateOf(consensusNode, null), pending: [], count: 0 };
    this.lives.push(life);
    this.running.set(node, life);
  }

  stepped(node: NodeId, consensusNode: ConsensusNode, inputJson: string, readies: readonly Ready[], timeMs: number): void {
    const life = this.running.get(node);
    if (life === undefined) return;
    const before = life.state;
    life.state = stateOf(consensusNode, before);
    const line = life.lines.line(node, life.number, timeMs, before.state, inputJson, stepOutputs(readies), life.state.state);
    life.pending.push(line);
    if (readies.length > 0) this.keepPending(life);
  }

  crashed(node: NodeId): void {
    const life = this.running.get(node);
    if (life === undefined) return;
    life.pending = [];
    this.running.delete(node);
  }

  /** Every life's lines, in the order the lives started; the lives still running keep all their steps. */
  finish(): CapturedTransitions {
    for (const life of this.running.values()) this.keepPending(life);
    this.running.clear();
    const pieces: Uint8Array[] = [];
    let count = 0;
    for (const life of this.lives) {
      life.sink.finish();
      pieces.push(...life.sink.pieces);
      count += life.count;
    }
    return { pieces, count };
  }

  private keepPending(life: LifeCapture): void {
    for (const line of life.pending) life.sink.add(line);
    life.count += life.pending.length;
    life.pending = [];
  }
}
