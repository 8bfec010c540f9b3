// What a cluster (worker threads or the simulator) hands a recorder. Enough to re-execute every
// node: each life's starting point, then every batch of inputs it was given, in order, and every
// Ready it answered with, to check the re-execution against.

import type { ConsensusNode, PersistedState, Ready } from '../../nodes/types.ts';
import type { WireEnvelope, WireInput } from '../../nodes/host/protocol.ts';
import type { HistoryEvent } from '../../shared/history.ts';
import type { JournalEvent } from '../../shared/journal.ts';
import type { NodeId, NodeStatus } from '../../shared/protocol.ts';

/** Everything `Algorithm.create` was given besides the persisted state. */
export interface LifeContext {
  algorithm: string;
  /** The algorithm's options as the node saw them (defaults merged). */
  options: Record<string, unknown>;
  bootstrapVoters: NodeId[];
  seed: number;
  /** Which life of the node this is: part of its PRNG's seed. */
  restarts: number;
}

export interface RecordingSink {
  /**
   * A node is being started or restarted: inputs from now on belong to this life. `persisted`
   * comes with `started`, once the node has read its storage (a node that never starts has none).
   */
  life(node: NodeId, context: LifeContext, timeMs: number): void;
  started(node: NodeId, persisted: PersistedState): void;
  /**
   * A batch of inputs the node is given (it steps them all, then drains its Readies); returns the
   * batch as the text a worker is posted (encodeInputBatch's).
   */
  encodeInputs(node: NodeId, inputs: readonly WireInput[], timeMs: number): string;
  /** One Ready, as the node produced it; its replies as JSON. */
  output(node: NodeId, messages: readonly WireEnvelope[], repliesJson: string, status: NodeStatus, timeMs: number): void;
  journal(events: readonly JournalEvent[]): void;
  history(event: HistoryEvent): void;
  /** True while the recording cannot keep up: new client requests wait for caughtUp. */
  readonly behind?: boolean;
  caughtUp?(): Promise<void>;
}

/**
 * What a simulation hands whoever writes its transitions while it runs (see
 * share-capture.ts): each life once its starting Readies are out, then each step.
 */
export interface StepTap {
  lifeStarted(node: NodeId, consensusNode: ConsensusNode): void;
  /** The node stepped one input (`inputJson`: a batch of it, as recorded) and produced `readies`. */
  stepped(node: NodeId, consensusNode: ConsensusNode, inputJson: string, readies: readonly Ready[], timeMs: number): void;
  crashed(node: NodeId): void;
}

/** Gets the JSON of every event and history event a recorder stores, in the order it stores them. */
export interface JournalTap {
  event(json: string): void;
  history(json: string): void;
}
