import type { HardState, PersistBatch, PersistedState, Storage } from './types.ts';
import type { LogEntry, Snapshot } from '../shared/protocol.ts';

export function emptyHardState(): HardState {
  return { term: 0, vote: null, commit: 0 };
}

export function emptyPersistedState(): PersistedState {
  return { hardState: emptyHardState(), snapshot: null, entries: [], records: new Map() };
}

/**
 * Storage in memory, for the simulator and tests. It survives a simulated crash because the
 * simulator keeps it while it discards the node. Values are stored as given: writers must not
 * mutate what they handed over (nodes never do; they build fresh objects for every entry).
 */
export class MemoryStorage implements Storage {
  private hardState: HardState = emptyHardState();
  private snapshot: Snapshot | null = null;
  private entries: LogEntry[] = [];
  private records = new Map<string, unknown>();
  /** Number of batches written, for tests that check what was persisted when. */
  writes = 0;

  load(): PersistedState {
    return {
      hardState: { ...this.hardState },
      snapshot: this.snapshot,
      entries: this.entries.slice(),
      records: new Map(this.records),
    };
  }

  write(batch: PersistBatch): void {
    this.writes++;
    if (batch.snapshot) {
      const snap = batch.snapshot;
      const keep = this.entries.filter((e) => e.index > snap.index);
      // A snapshot that does not match the log's entry at its index replaces the whole log.
      const first = keep[0];
      const prefixOk = first === undefined || first.index === snap.index + 1;
      this.entries = prefixOk ? keep : [];
      this.snapshot = snap;
    }
    if (batch.log) {
      const { from, entries } = batch.log;
      const base = this.snapshot ? this.snapshot.index : 0;
      const cut = from - base - 1;
      if (cut < 0) throw new Error(`log write from ${from} reaches into the snapshot at ${base}`);
      if (cut > this.entries.length) throw new Error(`log write from ${from} leaves a gap after ${base + this.entries.length}`);
      this.entries.length = cut;
      for (const entry of entries) this.entries.push(entry);
    }
    if (batch.hardState) this.hardState = batch.hardState;
    if (batch.records) {
      for (const [key, value] of batch.records) {
        if (value === null) this.records.delete(key);
        else this.records.set(key, value);
      }
    }
  }
}
