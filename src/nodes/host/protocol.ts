// What the cluster runtime and a node's worker thread say to each other.

import type { NodeId, NodeStatus } from '../../shared/protocol.ts';
import type { Input, NodeDetail, PersistedState, Ready } from '../types.ts';
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
  /** Send a digest of what was persisted and applied instead (see ready-digest.ts); never with reportDetail. */
  reportDigest: boolean;
}

/**
 * A message between nodes as it crosses the main process: the body travels as the JSON text the
 * sending thread wrote once, so the router copies a string instead of decoding and re-encoding an
 * object graph per hop (a leader's append can carry 64 entries). `type` is what the router and
 * the journal look at; whoever needs more parses `body`.
 */
export interface WireEnvelope {
  src: NodeId;
  dest: NodeId;
  type: string;
  body: string;
}

export type WireInput = Exclude<Input, { kind: 'message' }> | { kind: 'wire'; envelope: WireEnvelope };

/** `inputs` is a batch of inputs as one JSON text (see encodeInputBatch). */
export type ToWorker = { type: 'inputs'; inputs: string } | { type: 'inspect'; requestId: number } | { type: 'close' };

/**
 * A Ready as the worker reports it: messages in wire form, replies as one JSON text (cheaper to
 * copy across threads than an array of objects, and what a recording keeps anyway).
 */
export type WireReady = Pick<Ready, 'persistFirst'> & {
  messages: WireEnvelope[];
  replies: string;
  /** With reportDetail: `{ persist, applied }` as JSON (parsed in one go, where a clone walks every object). */
  detail: string | null;
  /** With reportDigest: the ReadyDigest as JSON. */
  digest: string | null;
};

export type FromWorker =
  | { type: 'started'; status: NodeStatus; persisted: PersistedState }
  /** Sent after the Ready's persist committed to the node's file. */
  | { type: 'ready'; ready: WireReady; status: NodeStatus; loggedEntries: number }
  /** The node cannot run: its file is corrupt or foreign, or its algorithm threw. */
  | { type: 'failed'; message: string }
  | { type: 'inspection'; requestId: number; detail: NodeDetail | null }
  | { type: 'closed' };
