// A simulated session's share of a data set, made while it runs, for `generate`: the lines
// export.ts gets from the session file, taken as the recorder stores them and as the nodes take
// their steps. Reading the file back meant parsing every recorded input again and running every
// node a second time (a quarter of generate's time), and reading every event back out of SQLite.
// The lines are the same, byte for byte (a test compares them with export's): events and history
// in the order they were stored; transitions life by life in the order the lives started, each
// step's input as the recording keeps it, and a life that a crash ended cut after its last step
// that produced anything, as re-execution cuts it (the recording cannot tell which of the inputs
// after that the node still read).

import type { ConsensusNode, Ready } from '../../nodes/types.ts';
import type { NodeId, NodeStatus } from '../../shared/protocol.ts';
import type { BufferPool } from './chunks.ts';
import { eachLineFile, MemoryLines, sessionLine, sessionLinePrefix, TransitionLines, type PartCounts, type SessionShare } from './export.ts';
import { stateOf, stepOutputs, type NodeState } from './reexecute.ts';
import type { JournalTap, StepTap } from '../runtime/sink.ts';

interface LifeCapture {
  number: number;
  lines: TransitionLines;
  sink: MemoryLines;
  state: { status: NodeStatus; state: NodeState };
  /** Lines of the steps since the last one that produced a Ready: dropped if a crash comes next. */
  pending: string[];
  count: number;
}

export class ShareCapture implements StepTap, JournalTap {
  private readonly session: string;
  private readonly pool: BufferPool;
  private readonly prefix: string;
  private readonly events: MemoryLines;
  private readonly historyLines: MemoryLines;
  private readonly counts: PartCounts = { transitions: 0, events: 0, history: 0 };
  private readonly lives: LifeCapture[] = [];
  private readonly running = new Map<NodeId, LifeCapture>();

  constructor(session: string, pool: BufferPool) {
    this.session = session;
    this.pool = pool;
    this.prefix = sessionLinePrefix(session);
    this.events = new MemoryLines(pool);
    this.historyLines = new MemoryLines(pool);
  }

  event(json: string): void {
    this.events.add(sessionLine(this.prefix, json));
    this.counts.events++;
  }

  history(json: string): void {
    this.historyLines.add(sessionLine(this.prefix, json));
    this.counts.history++;
  }

  lifeStarted(node: NodeId, consensusNode: ConsensusNode): void {
    this.crashed(node);
    const life: LifeCapture = { number: this.lives.length + 1, lines: new TransitionLines(this.session), sink: new MemoryLines(this.pool), state: stateOf(consensusNode, null), pending: [], count: 0 };
    this.lives.push(life);
    this.running.set(node, life);
  }

  stepped(node: NodeId, consensusNode: ConsensusNode, inputJson: string, readies: readonly Ready[], timeMs: number): void {
    const life = this.running.get(node);
    if (life === undefined) return;
    const before = life.state;
    life.state = stateOf(consensusNode, before);
    life.pending.push(life.lines.line(node, life.number, timeMs, before.state, inputJson, stepOutputs(readies), life.state.state));
    if (readies.length > 0) this.keepPending(life);
  }

  crashed(node: NodeId): void {
    const life = this.running.get(node);
    if (life === undefined) return;
    life.pending = [];
    this.running.delete(node);
  }

  /** The share, once the session has ended: the lives still running keep all their steps. */
  finish(): SessionShare {
    for (const life of this.running.values()) this.keepPending(life);
    this.running.clear();
    const transitions: Uint8Array[] = [];
    for (const life of this.lives) {
      life.sink.finish();
      transitions.push(...life.sink.pieces);
      this.counts.transitions += life.count;
    }
    this.events.finish();
    this.historyLines.finish();
    const data = eachLineFile((name) => (name === 'events.jsonl' ? this.events.pieces : name === 'history.jsonl' ? this.historyLines.pieces : transitions));
    return { counts: this.counts, data };
  }

  private keepPending(life: LifeCapture): void {
    for (const line of life.pending) life.sink.add(line);
    life.count += life.pending.length;
    life.pending = [];
  }
}
