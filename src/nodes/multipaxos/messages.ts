// Multi-Paxos's messages between nodes. Values travel as EntryData (a client command or a no-op),
// so a chosen slot becomes a LogEntry (index = slot, term = round of the ballot that chose it)
// without translation.

import type { EntryData, NodeId, Snapshot } from '../../shared/protocol.ts';
import type { Ballot } from './ballot.ts';

export interface SlotValue {
  slot: number;
  value: EntryData;
}

export interface AcceptedValue extends SlotValue {
  ballot: Ballot;
}

export interface ChosenValue extends SlotValue {
  /** The round of the ballot in which the value was chosen (the LogEntry's term). */
  round: number;
}

/** Phase 1a: "promise me `ballot` for every slot from `fromSlot` on". */
export interface Prepare {
  type: 'prepare';
  ballot: Ballot;
  /** The proposer's first slot not known to be chosen. */
  fromSlot: number;
}

/** Phase 1b: the acceptor promised, and says what it accepted or knows chosen from `fromSlot` on. */
export interface PromiseMessage {
  type: 'promise';
  ballot: Ballot;
  fromSlot: number;
  /** Its accepted (ballot, value) per slot, for slots it does not know to be chosen. */
  accepted: AcceptedValue[];
  /** Slots it knows to be chosen: the proposer learns them instead of proposing them again. */
  chosen: ChosenValue[];
  /** Present when `fromSlot` is already folded into its snapshot. */
  snapshot: Snapshot | null;
  /** Its first-unchosen-slot minus one: where catch-up would start. */
  commit: number;
}

/** Phase 2a, several slots at once. */
export interface Accept {
  type: 'accept';
  ballot: Ballot;
  entries: SlotValue[];
}

/** Phase 2b: the acceptor accepted these slots in `ballot` (and made them durable first). */
export interface Accepted {
  type: 'accepted';
  ballot: Ballot;
  slots: number[];
  commit: number;
}

/**
 * A refusal of a prepare, accept or heartbeat in `ballot`: the acceptor promised `promised`, or
 * (with lease reads) still defers to `leader`, whose lease it must not break.
 */
export interface Reject {
  type: 'reject';
  ballot: Ballot;
  promised: Ballot;
  leader: NodeId | null;
}

/** Learning: these slots are chosen. Anyone may learn from it; `ballot` is the sender's. */
export interface Chosen {
  type: 'chosen';
  ballot: Ballot;
  entries: ChosenValue[];
}

/** The leader is alive; `tick` (its clock) comes back in the ack and dates its read lease. */
export interface Heartbeat {
  type: 'heartbeat';
  ballot: Ballot;
  commit: number;
  tick: number;
}

export interface HeartbeatAck {
  type: 'heartbeat_ack';
  ballot: Ballot;
  commit: number;
  tick: number;
}

/** Catch-up for an acceptor that needs slots the leader already folded into its snapshot. */
export interface SnapshotMessage {
  type: 'snapshot';
  ballot: Ballot;
  snapshot: Snapshot;
}

export type MultiPaxosMessage = Prepare | PromiseMessage | Accept | Accepted | Reject | Chosen | Heartbeat | HeartbeatAck | SnapshotMessage;
