import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { MIRROR_MS, SqliteStorage } from '../../src/nodes/host/sqlite-storage.ts';
import type { AppliedEntry } from '../../src/nodes/types.ts';
import type { LogEntry } from '../../src/shared/protocol.ts';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'storage-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

function appendEntry(index: number, value: string): LogEntry {
  return { index, term: 1, data: { type: 'command', request: { clientId: 1, seq: index, op: { f: 'append', key: 'a', value } } } };
}

function applied(entries: LogEntry[]): AppliedEntry[] {
  return entries.map((entry) => ({ entry }));
}

function kvTable(path: string): Record<string, unknown> {
  const db = new Database(path, { readonly: true });
  try {
    const rows = db.prepare('SELECT key, value FROM kv').all() as Array<{ key: string; value: string }>;
    const applied = db.prepare('SELECT idx FROM applied').get() as { idx: number } | undefined;
    return { ...Object.fromEntries(rows.map((r) => [r.key, JSON.parse(r.value)])), applied: applied?.idx ?? 0 };
  } finally {
    db.close();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

describe('SqliteStorage: the kv table mirrors applied entries at most MIRROR_MS late', () => {
  it('mirrors with a write once the last mirror is MIRROR_MS old, and on flushMirror', async () => {
    const path = join(dir, 'n1.sqlite');
    const storage = new SqliteStorage(path, { node: 'n1', sync: 'normal' });
    const first = [appendEntry(1, 'x'), appendEntry(2, 'y')];
    storage.writeReady({ log: { from: 1, entries: first } }, applied(first));
    expect(storage.mirrorDueInMs()).not.toBeNull();
    expect(kvTable(path)).toEqual({ applied: 0 });
    await sleep(MIRROR_MS + 5);
    expect(storage.mirrorDueInMs()).toBe(0);
    const next = [appendEntry(3, 'z')];
    storage.writeReady({ log: { from: 3, entries: next } }, []);
    expect(kvTable(path)).toEqual({ a: 'xy', applied: 2 });
    expect(storage.mirrorDueInMs()).toBeNull();
    storage.writeReady(null, applied(next));
    storage.flushMirror();
    expect(kvTable(path)).toEqual({ a: 'xyz', applied: 3 });
    storage.close();
  });

  it('after a crash before the mirror landed, re-applying the log brings it up to date with nothing applied twice', async () => {
    const path = join(dir, 'n1.sqlite');
    const crashed = new SqliteStorage(path, { node: 'n1', sync: 'full' });
    const entries = [1, 2, 3, 4].map((i) => appendEntry(i, String(i)));
    crashed.writeReady({ log: { from: 1, entries: entries.slice(0, 2) } }, []);
    await sleep(MIRROR_MS + 5);
    crashed.writeReady({ log: { from: 3, entries: entries.slice(2) } }, applied(entries.slice(0, 2)));
    crashed.writeReady(null, applied(entries.slice(2)));
    expect(kvTable(path)).toEqual({ a: '12', applied: 2 });
    // No close: the thread ends here as a killed one does, entries 3 and 4 never mirrored.
    const restarted = new SqliteStorage(path, { node: 'n1', sync: 'full' });
    expect(restarted.load().entries.map((e) => e.index)).toEqual([1, 2, 3, 4]);
    // Raft re-applies its whole log after a restart; the mirror skips what it already holds.
    restarted.writeReady(null, applied(entries));
    restarted.flushMirror();
    expect(kvTable(path)).toEqual({ a: '1234', applied: 4 });
    restarted.close();
  });

  it('a snapshot written while entries wait for the mirror replaces the store, and later entries apply on top', () => {
    const path = join(dir, 'n1.sqlite');
    const storage = new SqliteStorage(path, { node: 'n1', sync: 'normal' });
    const entries = [1, 2, 3].map((i) => appendEntry(i, String(i)));
    storage.writeReady({ log: { from: 1, entries } }, applied(entries));
    storage.writeReady({ snapshot: { index: 2, term: 1, voters: ['n1'], data: { kv: [['a', '12']], sessions: [[1, 2, { ok: true, value: null }]] } } }, []);
    storage.flushMirror();
    expect(kvTable(path)).toEqual({ a: '123', applied: 3 });
    storage.close();
  });

  it('close mirrors what is pending', () => {
    const path = join(dir, 'n1.sqlite');
    const storage = new SqliteStorage(path, { node: 'n1', sync: 'normal' });
    const entries = [appendEntry(1, 'q')];
    storage.writeReady({ log: { from: 1, entries } }, applied(entries));
    storage.close();
    expect(kvTable(path)).toEqual({ a: 'q', applied: 1 });
  });
});

describe('SqliteStorage: a file that is not this node\'s is refused as it was found', () => {
  const sha256 = (path: string): string => createHash('sha256').update(readFileSync(path)).digest('hex');

  it('refuses a foreign SQLite file with the reason, without a byte changed or a -wal made', () => {
    const path = join(dir, 'n1.sqlite');
    const other = new Database(path);
    other.exec("CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO photos (name) VALUES ('cat')");
    other.close();
    const before = sha256(path);
    expect(() => new SqliteStorage(path, { node: 'n1', sync: 'full' })).toThrow(/is a SQLite file of something else \(tables: photos\)/);
    expect(sha256(path)).toBe(before);
    expect(existsSync(`${path}-wal`)).toBe(false);
  });

  it('refuses another node\'s file unchanged, and still makes a new file and reopens its own', () => {
    const own = join(dir, 'n2.sqlite');
    new SqliteStorage(own, { node: 'n2', sync: 'full' }).close();
    const before = sha256(own);
    expect(() => new SqliteStorage(own, { node: 'n3', sync: 'full' })).toThrow(/is the file of node n2, not n3/);
    expect(sha256(own)).toBe(before);
    const empty = join(dir, 'n4.sqlite');
    writeFileSync(empty, '');
    new SqliteStorage(empty, { node: 'n4', sync: 'full' }).close();
    new SqliteStorage(own, { node: 'n2', sync: 'full' }).close();
  });
});
