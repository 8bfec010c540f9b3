// Gossip, push then pull. Every round a replica sends `fanout` random peers a `gossip`: its digest
// (the version vector of every key it holds) and, for each key, what that peer lacked by the last
// digest the peer sent it (everything, when it has none). The peer merges, and answers with a
// `gossip_reply` holding what the digest shows the sender lacks, and its own digest; a reply gets
// no answer. A digest only ever understates what its sender holds (a replica writes its state
// down before anything reveals it, and merges never go back), so what is sent from it is never too
// little, only sometimes more than needed.

import type { VersionVector } from './dots.ts';
import type { CrdtState } from './datatypes.ts';

export interface GossipMessage {
  type: 'gossip' | 'gossip_reply';
  /** The sender's gossip round (a reply carries the round it answers). */
  round: number;
  /** Per key, the sender's version vector: what it has seen, sorted by key. */
  digest: Array<[string, VersionVector]>;
  /** Per key, what the receiver lacks: a whole state, or a counter's missing increments. */
  states: Array<[string, CrdtState]>;
}

export type CrdtMessage = GossipMessage;
