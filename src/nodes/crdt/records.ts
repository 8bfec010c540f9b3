// What a replica keeps in its storage's records, each written in the Ready whose messages or
// replies first reveal it: its peers (the first life's bootstrap list: a restart is given none),
// each key's state (which holds the replica's own dots: its update counter per key is its entry in
// the key's vector), and per client the last update it applied and what it answered.

export const PEERS_RECORD = 'peers';
export const KEY_RECORD_PREFIX = 'key:';
export const SESSION_RECORD_PREFIX = 'session:';

/** The last update a client had applied here, and what it was told: a retry gets the same answer. */
export interface Session {
  seq: number;
  context?: string;
}
