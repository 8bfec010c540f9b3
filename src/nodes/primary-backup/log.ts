// The replicated log in memory: every entry from index 1 (primary-backup keeps no snapshot, so a
// replica can always rebuild its data by replaying the log, which is how it rolls back), and the
// lowest index changed since the last Ready, so that a node writes only what changed.

import type { LogEntry, NodeId } from '../../shared/protocol.ts';

const NOTHING_UNSTABLE = Number.POSITIVE_INFINITY;

/** How up to date a replica is: the epoch of its last entry, then its length. */
export interface LogPosition {
  lastEpoch: number;
  lastIndex: number;
}

/** Node ids in their natural order (n2 before n10). */
export function compareIds(a: NodeId, b: NodeId): number {
  if (a.length !== b.length) return a.length - b.length;
  return a < b ? -1 : a > b ? 1 : 0;
}

export function comparePositions(a: LogPosition, b: LogPosition): number {
  if (a.lastEpoch !== b.lastEpoch) return a.lastEpoch - b.lastEpoch;
  return a.lastIndex - b.lastIndex;
}

/**
 * Whether replica `mine` (id `me`) is ahead of candidate `theirs` (id `them`): more up to date,
 * or as up to date with a lower id. Ties go by id so that among equals one is preferred, and the
 * others step aside for it instead of splitting the votes.
 */
export function isAhead(mine: LogPosition, me: NodeId, theirs: LogPosition, them: NodeId): boolean {
  const c = comparePositions(mine, theirs);
  return c > 0 || (c === 0 && compareIds(me, them) < 0);
}

export class ReplicatedLog {
  private entries: LogEntry[] = [];
  private unstableFrom = NOTHING_UNSTABLE;

  static restore(entries: readonly LogEntry[]): ReplicatedLog {
    const log = new ReplicatedLog();
    entries.forEach((entry, i) => {
      if (entry.index !== i + 1) throw new Error(`stored log holds index ${entry.index} at position ${i + 1}`);
    });
    log.entries = entries.slice();
    return log;
  }

  get lastIndex(): number {
    return this.entries.length;
  }

  get lastEpoch(): number {
    return this.entries[this.entries.length - 1]?.term ?? 0;
  }

  get position(): LogPosition {
    return { lastEpoch: this.lastEpoch, lastIndex: this.lastIndex };
  }

  /** The epoch of the entry at `index` (0 for index 0), or -1 beyond the end. */
  epochAt(index: number): number {
    if (index === 0) return 0;
    return this.entries[index - 1]?.term ?? -1;
  }

  entry(index: number): LogEntry | undefined {
    return index >= 1 ? this.entries[index - 1] : undefined;
  }

  /** Entries in [from, to], at most `max` of them. */
  slice(from: number, to: number, max = Number.POSITIVE_INFINITY): LogEntry[] {
    if (from > to) return [];
    return this.entries.slice(from - 1, Math.min(to, from - 1 + max));
  }

  all(): LogEntry[] {
    return this.entries.slice();
  }

  append(entry: LogEntry): void {
    if (entry.index !== this.lastIndex + 1) throw new Error(`append at ${entry.index} after ${this.lastIndex}`);
    this.entries.push(entry);
    if (entry.index < this.unstableFrom) this.unstableFrom = entry.index;
  }

  /**
   * Where a backup whose log does not hold (prevIndex, prevEpoch) asks the primary to retry from
   * (the answer's hint + 1): its log end if it is shorter, else before the whole run of the
   * conflicting epoch, so that a long divergent tail costs one round trip per epoch.
   */
  retryHint(prevIndex: number): number {
    if (prevIndex > this.lastIndex) return this.lastIndex;
    const epoch = this.epochAt(prevIndex);
    let i = prevIndex;
    while (i > 1 && this.epochAt(i - 1) === epoch) i--;
    return i - 1;
  }

  /**
   * Takes the primary's entries after prevIndex, keeping what already matches and cutting the log
   * at the first entry that differs. A late, shorter append cuts nothing: entries after it may
   * match the primary too. Returns the lowest index cut away (Infinity if none).
   */
  appendFromPrimary(entries: readonly LogEntry[]): number {
    let i = 0;
    while (i < entries.length) {
      const e = entries[i] as LogEntry;
      if (e.index <= this.lastIndex && this.epochAt(e.index) === e.term) {
        i++;
        continue;
      }
      break;
    }
    if (i === entries.length) return Number.POSITIVE_INFINITY;
    const first = entries[i] as LogEntry;
    const cut = first.index <= this.lastIndex ? first.index : Number.POSITIVE_INFINITY;
    this.truncateFrom(first.index);
    for (; i < entries.length; i++) this.append(entries[i] as LogEntry);
    return cut;
  }

  truncateFrom(from: number): void {
    if (from > this.lastIndex) return;
    this.entries.length = from - 1;
    if (from < this.unstableFrom) this.unstableFrom = from;
  }

  hasUnstable(): boolean {
    return this.unstableFrom !== NOTHING_UNSTABLE;
  }

  /** The write that makes the storage's log equal this one, or null when nothing changed. */
  takeUnstable(): { from: number; entries: LogEntry[] } | null {
    if (this.unstableFrom === NOTHING_UNSTABLE) return null;
    const from = this.unstableFrom;
    this.unstableFrom = NOTHING_UNSTABLE;
    return { from, entries: this.entries.slice(from - 1) };
  }
}
