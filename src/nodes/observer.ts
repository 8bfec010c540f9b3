import type { NodeId, NodeStatus, Reply } from '../shared/protocol.ts';
import type { ReadyDigest } from './ready-digest.ts';
import type { PersistedState, Ready } from './types.ts';
import type { HistoryEvent } from '../shared/history.ts';

/**
 * What a cluster (the simulator now, the worker-thread cluster later) tells the safety monitors,
 * the recorder and the UI. A monitor that throws stops the run: that is how a violation surfaces.
 */
export interface ClusterObserver {
  /** A node was created or restored; `persisted` is what it was restored from. */
  onNodeStart?(node: NodeId, persisted: PersistedState, status: NodeStatus, timeUs: number): void;
  /** After the Ready's persist was written, before its messages enter the network. */
  onReady?(node: NodeId, ready: Ready, status: NodeStatus, timeUs: number): void;
  /**
   * The same as onReady, for observers that need only which entries were made durable and applied
   * (the safety monitors): a worker-thread cluster then sends that instead of the entries.
   */
  onReadyDigest?(node: NodeId, digest: ReadyDigest, replies: readonly Reply[], status: NodeStatus, timeUs: number): void;
  onNodeCrash?(node: NodeId, timeUs: number): void;
  onHistoryEvent?(event: HistoryEvent): void;
}
