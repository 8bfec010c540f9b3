// What a node knows to be chosen. The chosen slots from the snapshot up to the first gap form the
// log (`commit` is its end): it is durable, in the storage's log table, so a restarted node
// re-applies it instead of asking again. Slots learned past a gap wait in memory until the gap is
// filled; losing them in a crash costs only a catch-up.

import type { LogEntry, Snapshot } from '../../shared/protocol.ts';
import type { ChosenValue } from './messages.ts';

export class ChosenLog {
  private base: Snapshot;
  /** Slots base.index + 1 .. commit, in order. */
  private log: LogEntry[];
  private readonly ahead = new Map<number, LogEntry>();
  /** The first log slot not yet handed to the storage (commit + 1 when none). */
  private unstableFrom: number;

  constructor(snapshot: Snapshot, entries: readonly LogEntry[]) {
    this.base = snapshot;
    this.log = entries.filter((e) => e.index > snapshot.index);
    this.unstableFrom = this.commit + 1;
  }

  get snapshot(): Snapshot {
    return this.base;
  }

  get snapshotIndex(): number {
    return this.base.index;
  }

  get commit(): number {
    return this.base.index + this.log.length;
  }

  /** The highest slot known chosen, past any gap. */
  get highestKnown(): number {
    let highest = this.commit;
    for (const slot of this.ahead.keys()) if (slot > highest) highest = slot;
    return highest;
  }

  isChosen(slot: number): boolean {
    return slot <= this.commit || this.ahead.has(slot);
  }

  /** The chosen entry at `slot`, if it is known and not folded into the snapshot. */
  entry(slot: number): LogEntry | undefined {
    if (slot <= this.base.index) return undefined;
    if (slot <= this.commit) return this.log[slot - this.base.index - 1];
    return this.ahead.get(slot);
  }

  termAt(slot: number): number {
    if (slot === this.base.index) return this.base.term;
    return this.entry(slot)?.term ?? -1;
  }

  /** Records a chosen slot; returns false when it was known already. */
  learn(entry: LogEntry): boolean {
    if (entry.index <= this.commit || this.ahead.has(entry.index)) return false;
    this.ahead.set(entry.index, entry);
    this.advance();
    return true;
  }

  /** Chosen values from `from` through `to` that are still in the log or ahead of it. */
  chosenRange(from: number, to: number): ChosenValue[] {
    const out: ChosenValue[] = [];
    for (let slot = Math.max(from, this.base.index + 1); slot <= to; slot++) {
      const entry = this.entry(slot);
      if (entry !== undefined) out.push({ slot, round: entry.term, value: entry.data });
    }
    return out;
  }

  /** Everything known chosen from `from` on, gaps skipped. */
  chosenFrom(from: number): ChosenValue[] {
    const out = this.chosenRange(from, this.commit);
    const later = [...this.ahead.values()].filter((e) => e.index >= from).sort((a, b) => a.index - b.index);
    for (const e of later) out.push({ slot: e.index, round: e.term, value: e.data });
    return out;
  }

  /** The node's own snapshot at or below commit: the log before it goes. */
  compact(snapshot: Snapshot): void {
    this.log = this.log.filter((e) => e.index > snapshot.index);
    this.base = snapshot;
    this.unstableFrom = Math.max(this.unstableFrom, snapshot.index + 1);
  }

  /** A snapshot from another node, past our commit: it replaces the log. */
  install(snapshot: Snapshot): void {
    this.base = snapshot;
    this.log = [];
    for (const slot of [...this.ahead.keys()]) if (slot <= snapshot.index) this.ahead.delete(slot);
    this.unstableFrom = snapshot.index + 1;
    this.advance();
  }

  hasUnstable(): boolean {
    return this.unstableFrom <= this.commit;
  }

  /** The log slots to write, as a PersistBatch's log. */
  takeUnstable(): { from: number; entries: LogEntry[] } | null {
    if (!this.hasUnstable()) return null;
    const from = this.unstableFrom;
    const entries = this.log.slice(from - this.base.index - 1);
    this.unstableFrom = this.commit + 1;
    return { from, entries };
  }

  /** The log after the snapshot, then what is known past the first gap. */
  entries(): LogEntry[] {
    return [...this.log, ...[...this.ahead.values()].sort((a, b) => a.index - b.index)];
  }

  private advance(): void {
    for (;;) {
      const next = this.ahead.get(this.commit + 1);
      if (next === undefined) return;
      this.ahead.delete(next.index);
      this.log.push(next);
    }
  }
}
