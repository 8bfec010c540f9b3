// The Raft log in memory: a snapshot's (index, term) followed by the entries after it. It also
// remembers the lowest index changed since the last Ready, so the node persists only what changed.

import type { LogEntry, Snapshot } from '../../shared/protocol.ts';

const NOTHING_UNSTABLE = Number.POSITIVE_INFINITY;

export class RaftLog {
  /** Index and term of the last entry folded into the snapshot. */
  snapshotIndex = 0;
  snapshotTerm = 0;
  /** entries[i] has index snapshotIndex + 1 + i. */
  private entries: LogEntry[] = [];
  /** Entries at or above this index changed since the last Ready (POSITIVE_INFINITY: none). */
  private unstableFrom = NOTHING_UNSTABLE;

  static restore(snapshot: Snapshot | null, entries: LogEntry[]): RaftLog {
    const log = new RaftLog();
    if (snapshot) {
      log.snapshotIndex = snapshot.index;
      log.snapshotTerm = snapshot.term;
    }
    const first = entries[0];
    if (first !== undefined && first.index !== log.snapshotIndex + 1) {
      throw new Error(`stored log starts at ${first.index}, expected ${log.snapshotIndex + 1}`);
    }
    log.entries = entries.slice();
    return log;
  }

  get lastIndex(): number {
    return this.snapshotIndex + this.entries.length;
  }

  get lastTerm(): number {
    const last = this.entries[this.entries.length - 1];
    return last === undefined ? this.snapshotTerm : last.term;
  }

  get firstIndex(): number {
    return this.snapshotIndex + 1;
  }

  /** The term at `index`, or -1 when the index is compacted away or beyond the end. */
  term(index: number): number {
    if (index === this.snapshotIndex) return this.snapshotTerm;
    if (index < this.snapshotIndex || index > this.lastIndex) return -1;
    return (this.entries[index - this.snapshotIndex - 1] as LogEntry).term;
  }

  entry(index: number): LogEntry | undefined {
    if (index <= this.snapshotIndex) return undefined;
    return this.entries[index - this.snapshotIndex - 1];
  }

  matchTerm(index: number, term: number): boolean {
    return this.term(index) === term;
  }

  /** Entries in [from, to] (inclusive), at most `max` of them. `from` must be above the snapshot. */
  slice(from: number, to: number, max = Number.POSITIVE_INFINITY): LogEntry[] {
    if (from > to) return [];
    const start = from - this.snapshotIndex - 1;
    const end = Math.min(to - this.snapshotIndex, start + max);
    return this.entries.slice(start, end);
  }

  /** The first index holding `term`, searching back from `index` (fast backtracking). */
  firstIndexOfTerm(term: number, index: number): number {
    let i = index;
    while (i > this.snapshotIndex + 1 && this.term(i - 1) === term) i--;
    return i;
  }

  /** The last index whose term is `term`, or 0 if the log holds no such entry. */
  lastIndexOfTerm(term: number): number {
    for (let i = this.lastIndex; i > this.snapshotIndex; i--) {
      const t = this.term(i);
      if (t === term) return i;
      if (t < term) return 0;
    }
    return this.snapshotTerm === term ? this.snapshotIndex : 0;
  }

  append(entry: LogEntry): void {
    if (entry.index !== this.lastIndex + 1) throw new Error(`append at ${entry.index} after ${this.lastIndex}`);
    this.entries.push(entry);
    if (entry.index < this.unstableFrom) this.unstableFrom = entry.index;
  }

  /**
   * Adds a leader's entries that follow prevIndex, keeping what already matches and truncating from
   * the first conflict (Raft Figure 2, AppendEntries rule 3 and 4). Returns the index of the last
   * entry the leader sent, which is how far this log is now known to match the leader's.
   */
  appendFromLeader(prevIndex: number, entries: readonly LogEntry[]): number {
    let i = 0;
    // Skip entries already held, including any that compaction folded into the snapshot.
    while (i < entries.length) {
      const e = entries[i] as LogEntry;
      if (e.index <= this.snapshotIndex) {
        i++;
        continue;
      }
      if (e.index <= this.lastIndex && this.term(e.index) === e.term) {
        i++;
        continue;
      }
      break;
    }
    if (i < entries.length) {
      const firstNew = entries[i] as LogEntry;
      this.truncateFrom(firstNew.index);
      for (; i < entries.length; i++) this.append(entries[i] as LogEntry);
    }
    return prevIndex + entries.length;
  }

  /** Removes entries at index >= from. Only uncommitted entries may ever be removed. */
  truncateFrom(from: number): void {
    if (from > this.lastIndex) return;
    this.entries.length = from - this.snapshotIndex - 1;
    if (from < this.unstableFrom) this.unstableFrom = from;
  }

  /** Folds entries up to `index` into a snapshot (their data lives in the state machine image). */
  compactTo(index: number, term: number): void {
    const drop = index - this.snapshotIndex;
    if (drop <= 0) return;
    this.entries = drop >= this.entries.length ? [] : this.entries.slice(drop);
    this.snapshotIndex = index;
    this.snapshotTerm = term;
    if (this.unstableFrom <= index) this.unstableFrom = index + 1;
  }

  /** Replaces the whole log by a snapshot received from the leader. */
  restoreSnapshot(index: number, term: number): void {
    this.entries = [];
    this.snapshotIndex = index;
    this.snapshotTerm = term;
    // Everything after the snapshot must go from storage too, so mark the tail changed.
    this.unstableFrom = index + 1;
  }

  /** The log write the next Ready must persist, or null; clears the mark. */
  takeUnstable(): { from: number; entries: LogEntry[] } | null {
    if (this.unstableFrom === NOTHING_UNSTABLE) return null;
    const from = Math.max(this.unstableFrom, this.snapshotIndex + 1);
    this.unstableFrom = NOTHING_UNSTABLE;
    return { from, entries: this.slice(from, this.lastIndex) };
  }

  hasUnstable(): boolean {
    return this.unstableFrom !== NOTHING_UNSTABLE;
  }
}
