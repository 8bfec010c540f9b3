// Storage on one SQLite file per node (better-sqlite3), with the semantics written down in
// ../types.ts: every write is one transaction, durable when it returns (synchronous FULL; NORMAL
// trades the last transactions on a power loss for speed, never consistency). Besides what the
// node needs to recover, the file keeps the key-value store as applied, so that any SQLite tool
// (and the app's inspector) can read the data itself.

import Database from 'better-sqlite3';
import type { Database as DatabaseType, Statement } from 'better-sqlite3';
import type { KvScalar } from '../../shared/history.ts';
import type { ClientReplyResult, LogEntry, Snapshot } from '../../shared/protocol.ts';
import { KvStateMachine } from '../kv/state-machine.ts';
import { emptyHardState } from '../storage.ts';
import type { AppliedEntry, PersistBatch, PersistedState, Storage } from '../types.ts';

export const SCHEMA_VERSION = 1;
const APPLICATION = 'consensus-playground';
/** How long applied entries wait to ride into the kv table with a write (see writeReady); a host writes them alone soon after if none comes. */
export const MIRROR_MS = 50;

export type SyncMode = 'full' | 'normal';

export class StorageOpenError extends Error {}

/** Each migration takes the schema from version i to i + 1. */
const MIGRATIONS: string[] = [
  `CREATE TABLE hard_state (id INTEGER PRIMARY KEY CHECK (id = 0), term INTEGER NOT NULL, vote TEXT, commit_index INTEGER NOT NULL);
   CREATE TABLE log (idx INTEGER PRIMARY KEY, term INTEGER NOT NULL, data TEXT NOT NULL);
   CREATE TABLE snapshot (id INTEGER PRIMARY KEY CHECK (id = 0), idx INTEGER NOT NULL, term INTEGER NOT NULL, voters TEXT NOT NULL, data TEXT NOT NULL);
   CREATE TABLE records (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE kv (key TEXT PRIMARY KEY, value TEXT NOT NULL);
   CREATE TABLE applied (id INTEGER PRIMARY KEY CHECK (id = 0), idx INTEGER NOT NULL);
   CREATE TABLE sessions (client INTEGER PRIMARY KEY, seq INTEGER NOT NULL, result TEXT NOT NULL);`,
];

/**
 * Checks, through a read-only connection, that the file at `path` is this node's file (or new or
 * empty) before anything writes to it: opening it for writing switches it to WAL and creating the
 * meta table adds a table, so a foreign file refused after that was no longer as its owner left it.
 */
function identifyNodeFile(path: string, node: string): void {
  let db: DatabaseType;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
  } catch (error) {
    // No file yet (or none we may read, which the read-write open then reports): a new node.
    if ((error as { code?: string }).code === 'SQLITE_CANTOPEN') return;
    throw error;
  }
  try {
    const check = db.pragma('quick_check', { simple: true });
    if (check !== 'ok') throw new StorageOpenError(`${path} is corrupt (quick_check: ${String(check)})`);
    const tables = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name);
    const meta = tables.includes('meta') ? new Map((db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>).map((r) => [r.key, r.value])) : new Map<string, string>();
    const others = tables.filter((name) => name !== 'meta');
    if (meta.size === 0 && others.length > 0) throw new StorageOpenError(`${path} is a SQLite file of something else (tables: ${others.join(', ')})`);
    if (meta.size > 0 && meta.get('application') !== APPLICATION) throw new StorageOpenError(`${path} belongs to ${meta.get('application') ?? 'another application'}`);
    if (meta.has('node') && meta.get('node') !== node) throw new StorageOpenError(`${path} is the file of node ${meta.get('node')}, not ${node}`);
    const version = Number(meta.get('schema_version') ?? 0);
    if (version > SCHEMA_VERSION) throw new StorageOpenError(`${path} has schema version ${version}, newer than this app's ${SCHEMA_VERSION}: update the app`);
  } finally {
    db.close();
  }
}

export class SqliteStorage implements Storage {
  readonly path: string;
  private readonly db: DatabaseType;
  private readonly stmts: Record<string, Statement>;
  private readonly writeBatch: (batch: PersistBatch) => void;
  /** The store as applied, mirrored to the kv table. */
  private kv: KvStateMachine = new KvStateMachine();
  private appliedIndex = 0;

  constructor(path: string, options: { node: string; sync: SyncMode }) {
    this.path = path;
    let opened: DatabaseType | null = null;
    try {
      identifyNodeFile(path, options.node);
      opened = new Database(path);
      this.db = opened;
      opened.pragma('journal_mode = WAL');
      opened.pragma(`synchronous = ${options.sync === 'full' ? 'FULL' : 'NORMAL'}`);
      this.migrate(options.node);
    } catch (error) {
      try {
        opened?.close();
      } catch {
        // already unusable
      }
      if (error instanceof StorageOpenError) throw error;
      throw new StorageOpenError(`${path} cannot be opened as a node file: ${(error as Error).message}`);
    }
    const db = this.db;
    this.stmts = {
      setHardState: db.prepare('INSERT INTO hard_state (id, term, vote, commit_index) VALUES (0, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET term = excluded.term, vote = excluded.vote, commit_index = excluded.commit_index'),
      deleteLogFrom: db.prepare('DELETE FROM log WHERE idx >= ?'),
      deleteLogUpTo: db.prepare('DELETE FROM log WHERE idx <= ?'),
      deleteLogAll: db.prepare('DELETE FROM log'),
      minLog: db.prepare('SELECT MIN(idx) AS first, MAX(idx) AS last FROM log WHERE idx > ?'),
      insertLog: db.prepare('INSERT INTO log (idx, term, data) VALUES (?, ?, ?)'),
      setSnapshot: db.prepare('INSERT INTO snapshot (id, idx, term, voters, data) VALUES (0, ?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET idx = excluded.idx, term = excluded.term, voters = excluded.voters, data = excluded.data'),
      setRecord: db.prepare('INSERT INTO records (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      deleteRecord: db.prepare('DELETE FROM records WHERE key = ?'),
      setKv: db.prepare('INSERT INTO kv (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value'),
      deleteKv: db.prepare('DELETE FROM kv WHERE key = ?'),
      clearKv: db.prepare('DELETE FROM kv'),
      setSession: db.prepare('INSERT INTO sessions (client, seq, result) VALUES (?, ?, ?) ON CONFLICT(client) DO UPDATE SET seq = excluded.seq, result = excluded.result'),
      clearSessions: db.prepare('DELETE FROM sessions'),
      setApplied: db.prepare('INSERT INTO applied (id, idx) VALUES (0, ?) ON CONFLICT(id) DO UPDATE SET idx = excluded.idx'),
    };
    this.writeBatch = db.transaction((batch: PersistBatch) => this.applyBatch(batch));
    this.writeReadyTx = db.transaction((batch: PersistBatch | null, mirror: boolean) => {
      if (batch !== null) this.applyBatch(batch);
      if (mirror) this.mirrorApplied();
    });
    this.loadMirror();
  }

  private migrate(node: string): void {
    const db = this.db;
    db.exec('CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)');
    // identifyNodeFile has vouched for the file: it is new, or this node's of this version or older.
    const version = Number((db.prepare("SELECT value FROM meta WHERE key = 'schema_version'").pluck().get() as string | undefined) ?? 0);
    db.transaction(() => {
      for (let v = version; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] as string);
      const put = db.prepare('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value');
      put.run('application', APPLICATION);
      put.run('node', node);
      put.run('schema_version', String(SCHEMA_VERSION));
    })();
  }

  private loadMirror(): void {
    const snapshotRow = this.db.prepare('SELECT idx, data FROM snapshot').get() as { idx: number; data: string } | undefined;
    this.kv = KvStateMachine.fromSnapshot(null);
    const rows = this.db.prepare('SELECT key, value FROM kv').all() as Array<{ key: string; value: string }>;
    const applied = this.db.prepare('SELECT idx FROM applied').get() as { idx: number } | undefined;
    this.appliedIndex = applied?.idx ?? 0;
    if (rows.length === 0 && snapshotRow && snapshotRow.idx > this.appliedIndex) {
      this.kv = KvStateMachine.fromSnapshot(JSON.parse(snapshotRow.data));
      this.appliedIndex = snapshotRow.idx;
    } else {
      const sessions = (this.db.prepare('SELECT client, seq, result FROM sessions').all() as Array<{ client: number; seq: number; result: string }>).map(
        (r) => [r.client, r.seq, JSON.parse(r.result)] as [number, number, ClientReplyResult],
      );
      this.kv = KvStateMachine.fromSnapshot({ kv: rows.map((r) => [r.key, JSON.parse(r.value) as KvScalar]), sessions });
    }
  }

  load(): PersistedState {
    const hs = this.db.prepare('SELECT term, vote, commit_index FROM hard_state').get() as { term: number; vote: string | null; commit_index: number } | undefined;
    const snap = this.db.prepare('SELECT idx, term, voters, data FROM snapshot').get() as { idx: number; term: number; voters: string; data: string } | undefined;
    const snapshot: Snapshot | null = snap ? { index: snap.idx, term: snap.term, voters: JSON.parse(snap.voters), data: JSON.parse(snap.data) } : null;
    const rows = this.db.prepare('SELECT idx, term, data FROM log ORDER BY idx').all() as Array<{ idx: number; term: number; data: string }>;
    const entries: LogEntry[] = rows.map((r) => ({ index: r.idx, term: r.term, data: JSON.parse(r.data) }));
    const first = entries[0];
    const base = snapshot?.index ?? 0;
    if (first !== undefined && first.index !== base + 1) throw new StorageOpenError(`${this.path}: the log starts at ${first.index} but the snapshot ends at ${base}`);
    for (let i = 1; i < entries.length; i++) {
      if ((entries[i] as LogEntry).index !== (entries[i - 1] as LogEntry).index + 1) throw new StorageOpenError(`${this.path}: the log has a gap after ${(entries[i - 1] as LogEntry).index}`);
    }
    const records = new Map<string, unknown>((this.db.prepare('SELECT key, value FROM records').all() as Array<{ key: string; value: string }>).map((r) => [r.key, JSON.parse(r.value)]));
    return { hardState: hs ? { term: hs.term, vote: hs.vote, commit: hs.commit_index } : emptyHardState(), snapshot, entries, records };
  }

  write(batch: PersistBatch): void {
    this.writeBatch(batch);
  }

  private applyBatch(batch: PersistBatch): void {
    const s = this.stmts;
    if (batch.snapshot) {
      const snap = batch.snapshot;
      const range = s.minLog!.get(snap.index) as { first: number | null };
      s.deleteLogUpTo!.run(snap.index);
      if (range.first !== null && range.first !== snap.index + 1) s.deleteLogAll!.run();
      s.setSnapshot!.run(snap.index, snap.term, JSON.stringify(snap.voters), JSON.stringify(snap.data));
      if (snap.index > this.appliedIndex) {
        // A snapshot from the leader replaces the store wholesale.
        this.kv = KvStateMachine.fromSnapshot(snap.data);
        s.clearKv!.run();
        s.clearSessions!.run();
        for (const [key, value] of snap.data.kv) s.setKv!.run(key, JSON.stringify(value));
        for (const [client, seq, result] of snap.data.sessions) s.setSession!.run(client, seq, JSON.stringify(result));
        this.appliedIndex = snap.index;
        s.setApplied!.run(snap.index);
      }
    }
    if (batch.log) {
      s.deleteLogFrom!.run(batch.log.from);
      for (const e of batch.log.entries) s.insertLog!.run(e.index, e.term, JSON.stringify(e.data));
    }
    if (batch.hardState) s.setHardState!.run(batch.hardState.term, batch.hardState.vote, batch.hardState.commit);
    if (batch.records) {
      for (const [key, value] of batch.records) {
        if (value === null) s.deleteRecord!.run(key);
        else s.setRecord!.run(key, JSON.stringify(value));
      }
    }
  }

  /**
   * A Ready's persist in one transaction (one fsync at FULL), with the applied entries mirrored
   * into the kv and sessions tables when the last mirror is MIRROR_MS old. The mirror is for
   * people and tools reading the file, not for recovery: Raft recovers from its log and snapshot
   * and re-applies, and the mirror skips what it already holds (its `applied` row is written with
   * it). Mirroring every Ready cost a session-row upsert per client per round, ~15% of a
   * follower's time under load; mirroring at most MIRROR_MS apart writes each busy row once.
   */
  writeReady(batch: PersistBatch | null, applied: readonly AppliedEntry[]): void {
    for (const entry of applied) this.pendingApplied.push(entry);
    // Alone, the mirror waits for the host's flushMirror: no transaction of its own under load.
    if (batch === null) return;
    this.writeReadyTx(batch, this.mirrorDueInMs() === 0);
  }

  private writeReadyTx!: (batch: PersistBatch | null, mirror: boolean) => void;
  private pendingApplied: AppliedEntry[] = [];
  private lastMirror = performance.now();

  /**
   * Null when every applied entry is in the kv table; otherwise how long until the mirror is due.
   * The host calls flushMirror then (or earlier, when closing).
   */
  mirrorDueInMs(): number | null {
    if (this.pendingApplied.length === 0) return null;
    return Math.max(0, MIRROR_MS - (performance.now() - this.lastMirror));
  }

  flushMirror(): void {
    if (this.pendingApplied.length > 0) this.writeReadyTx(null, true);
  }

  private mirrorApplied(): void {
    const applied = this.pendingApplied;
    this.pendingApplied = [];
    this.lastMirror = performance.now();
    if (applied.length === 0) return;
    // Rounds of writes touch few keys and clients many times: each key and each client's session
    // row is written once, with its final value.
    const touchedKeys = new Set<string>();
    const sessions = new Map<number, [number, ClientReplyResult]>();
    for (const { entry } of applied) {
      if (entry.index <= this.appliedIndex) continue; // re-applied after a restart, or under a snapshot
      this.appliedIndex = entry.index;
      if (entry.data.type !== 'command') continue;
      const request = entry.data.request;
      const outcome = this.kv.apply(request);
      if (outcome.kind !== 'applied') continue;
      sessions.set(request.clientId, [request.seq, outcome.result]);
      if (request.op.f !== 'read') touchedKeys.add(request.op.key);
    }
    for (const [client, [seq, result]] of sessions) this.stmts.setSession!.run(client, seq, JSON.stringify(result));
    for (const key of touchedKeys) {
      const value = this.kv.read(key);
      if (value === null) this.stmts.deleteKv!.run(key);
      else this.stmts.setKv!.run(key, JSON.stringify(value));
    }
    this.stmts.setApplied!.run(this.appliedIndex);
  }

  integrityCheck(): string {
    return String(this.db.pragma('integrity_check', { simple: true }));
  }

  close(): void {
    this.flushMirror();
    this.db.close();
  }
}
