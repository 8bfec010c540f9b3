// The messages of leaderless quorums. A request's messages carry `op`, the coordinator's counter
// when the request began: unique across the coordinator's restarts, so a late answer to a request
// of an earlier life matches nothing.

import type { NodeId } from '../../shared/protocol.ts';
import type { Attempt } from './store.ts';
import type { Version } from './versions.ts';

/** Coordinator -> replica: what do you hold for the key? With `attempt`, a two-phase write's first phase, which the replica records. */
export interface Get {
  type: 'get';
  op: number;
  key: string;
  attempt?: Attempt;
}

/** Replica -> coordinator: its versions of the key (and its hints for it). `refused`: it recorded another attempt of the write first. */
export interface Got {
  type: 'got';
  op: number;
  key: string;
  versions: Version[];
  refused: boolean;
}

/** Coordinator -> replica: store these versions; `hint` names the replica this node stands in for (sloppy quorum). */
export interface Put {
  type: 'put';
  op: number;
  key: string;
  versions: Version[];
  hint: NodeId | null;
}

/** Replica -> coordinator: the versions are on its disk. */
export interface PutAck {
  type: 'put_ack';
  op: number;
  key: string;
}

/** Read repair and anti-entropy's last step: merge these versions; no answer. */
export interface Repair {
  type: 'repair';
  items: Array<[string, Version[]]>;
}

/** Anti-entropy: a digest of every key the two nodes both replicate, as the sender holds it. */
export interface Digest {
  type: 'digest';
  entries: Array<[string, string]>;
}

/** Anti-entropy: the receiver's versions of the keys whose digests differ (or that the sender lacks). */
export interface Sync {
  type: 'sync';
  items: Array<[string, Version[]]>;
}

/** Hinted handoff: versions held for the receiver while it was unreachable. */
export interface Handoff {
  type: 'handoff';
  items: Array<[string, Version[]]>;
}

/** The owner stored the handed-off versions (key, their fingerprint): the holder may forget them. */
export interface HandoffAck {
  type: 'handoff_ack';
  items: Array<[string, string]>;
}

export type LeaderlessMessage = Get | Got | Put | PutAck | Repair | Digest | Sync | Handoff | HandoffAck;
