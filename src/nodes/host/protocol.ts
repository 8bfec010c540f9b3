// What the cluster runtime and a node's worker thread say to each other.

import type { NodeId, NodeStatus } from '../../shared/protocol.ts';
import type { Input, PersistedState, Ready } from '../types.ts';
import type { SyncMode } from './sqlite-storage.ts';

export interface WorkerConfig {
  id: NodeId;
  algorithm: string;
  options: unknown;
  bootstrapVoters: NodeId[];
  seed: number;
  /** How many times this node was restarted: part of its PRNG's seed, so every life differs. */
  restarts: number;
  dbPath: string;
  sync: SyncMode;
  /**
   * Send what was persisted and applied with every Ready (the safety monitors and the recorder
   * need it). Off, a Ready carries only messages, replies and status: far less to copy.
   */
  reportDetail: boolean;
}

export type ToWorker = { type: 'inputs'; inputs: Input[] } | { type: 'close' };

export type FromWorker =
  | { type: 'started'; status: NodeStatus; persisted: PersistedState }
  /** Sent after the Ready's persist committed to the node's file. */
  | { type: 'ready'; ready: Ready; status: NodeStatus; loggedEntries: number }
  /** The node cannot run: its file is corrupt or foreign, or its algorithm threw. */
  | { type: 'failed'; message: string }
  | { type: 'closed' };
