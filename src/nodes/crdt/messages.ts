// Gossip, push then pull. Every round a replica sends `fanout` random peers a `gossip`: its digest
// (a summary of every key it holds: the version vector, and with the multi-value register the dots
// of the values held) and, per key, what that peer lacked by the last digest the peer sent it
// (everything, when it has none). The peer merges, and answers with a `gossip_reply` holding what
// the digest shows the sender lacks, and its own digest; a reply gets no answer. A digest never
// overstates what its sender has seen (a replica writes its state down before anything reveals it,
// and merges never go back), so what is sent from it is never too little, at worst more than needed.

import type { CrdtState, Summary } from './datatypes.ts';

export interface GossipMessage {
  type: 'gossip' | 'gossip_reply';
  /** The sender's gossip round (a reply carries the round it answers). */
  round: number;
  /** Per key, sorted by key, the sender's summary: what it has seen (and the multi-value register's values held). */
  digest: Array<[string, Summary]>;
  /** Per key, what the receiver lacks: a whole state, or a counter's missing increments. */
  states: Array<[string, CrdtState]>;
}

export type CrdtMessage = GossipMessage;
