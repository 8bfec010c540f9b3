// The acceptor's durable state: the highest ballot it promised, and per slot the (ballot, value) it
// last accepted. It lives in the storage's private records (`promised`, `accepted:<slot>`), and
// every change waits in `dirty` until the node's next Ready writes it, before any message of that
// Ready (the promise or the acknowledgement that reveals it) leaves.

import type { EntryData } from '../../shared/protocol.ts';
import { ballotAbove, compareBallots, ZERO_BALLOT, type Ballot } from './ballot.ts';
import type { AcceptedValue } from './messages.ts';

export const PROMISED_RECORD = 'promised';
const ACCEPTED_PREFIX = 'accepted:';

export const acceptedRecord = (slot: number): string => `${ACCEPTED_PREFIX}${slot}`;

export interface AcceptedRecord {
  ballot: Ballot;
  value: EntryData;
}

/** The slot an `accepted:<slot>` record key names, or null for any other record. */
export function slotOfRecord(key: string): number | null {
  if (!key.startsWith(ACCEPTED_PREFIX)) return null;
  const slot = Number(key.slice(ACCEPTED_PREFIX.length));
  return Number.isInteger(slot) ? slot : null;
}

export class Acceptor {
  private promisedBallot: Ballot = ZERO_BALLOT;
  private readonly accepted = new Map<number, AcceptedRecord>();
  /** The highest slot in `accepted`, kept as slots come and go (status() asks for it after every step). */
  private highest = 0;
  private readonly dirty = new Map<string, unknown>();

  static restore(records: ReadonlyMap<string, unknown>): Acceptor {
    const acceptor = new Acceptor();
    for (const [key, value] of records) {
      if (key === PROMISED_RECORD) acceptor.promisedBallot = value as Ballot;
      const slot = slotOfRecord(key);
      if (slot !== null) {
        acceptor.accepted.set(slot, value as AcceptedRecord);
        acceptor.highest = Math.max(acceptor.highest, slot);
      }
    }
    return acceptor;
  }

  get promised(): Ballot {
    return this.promisedBallot;
  }

  /** Phase 1b: promises `ballot` unless a higher one was promised. True when the promise holds. */
  promise(ballot: Ballot): boolean {
    const order = compareBallots(ballot, this.promisedBallot);
    if (order < 0) return false;
    if (order > 0) this.raisePromise(ballot);
    return true;
  }

  /** Whether phase 2a in `ballot` may be accepted: nothing higher was promised. */
  allows(ballot: Ballot): boolean {
    return !ballotAbove(this.promisedBallot, ballot);
  }

  /**
   * Phase 2b. The caller decides whether the ballot is acceptable (see allows); accepting also
   * promises the ballot, since a proposer that reached phase 2 in it already holds a majority.
   */
  accept(slot: number, ballot: Ballot, value: EntryData): void {
    if (ballotAbove(ballot, this.promisedBallot)) this.raisePromise(ballot);
    const record: AcceptedRecord = { ballot, value };
    this.accepted.set(slot, record);
    if (slot > this.highest) this.highest = slot;
    this.dirty.set(acceptedRecord(slot), record);
  }

  acceptedAt(slot: number): AcceptedRecord | undefined {
    return this.accepted.get(slot);
  }

  /** What a promise reports: every accepted slot from `from` on, in slot order. */
  acceptedFrom(from: number): AcceptedValue[] {
    const out: AcceptedValue[] = [];
    for (const [slot, record] of this.accepted) if (slot >= from) out.push({ slot, ballot: record.ballot, value: record.value });
    return out.sort((a, b) => a.slot - b.slot);
  }

  get highestSlot(): number {
    return this.highest;
  }

  /** Slots folded into a snapshot are chosen for good: their records are deleted. */
  forgetUpTo(slot: number): void {
    for (const s of [...this.accepted.keys()]) {
      if (s > slot) continue;
      this.accepted.delete(s);
      this.dirty.set(acceptedRecord(s), null);
    }
    // Only slots at or below `slot` went: the highest stays unless it went too.
    if (this.highest <= slot) this.highest = 0;
  }

  hasChanges(): boolean {
    return this.dirty.size > 0;
  }

  takeRecords(): Array<[string, unknown]> | null {
    if (this.dirty.size === 0) return null;
    const records = [...this.dirty];
    this.dirty.clear();
    return records;
  }

  private raisePromise(ballot: Ballot): void {
    this.promisedBallot = ballot;
    this.dirty.set(PROMISED_RECORD, ballot);
  }
}
