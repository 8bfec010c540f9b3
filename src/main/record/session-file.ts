// The session file: one SQLite database per recorded session, readable by any SQLite tool.
//
//   meta       key/value: app and schema version, mode, algorithm, settings, seed, start, summary
//   events     the journal: sends, deliveries, drops, faults, node state changes, client operations,
//              in time order (seq follows time). Faults, node starts and crashes, violations,
//              errors and client operations have notable = 1 and an index; the flood of messages
//              and state changes has none, which keeps recording cheap: a moment is found by a
//              binary search over seq (see replay-view.ts).
//   lives      each start of a node: its context (seed, restarts, options) and the state it
//              recovered, the starting point for re-executing it
//   inputs     every batch of inputs a node life was given, in order, in chunks (see chunks.ts):
//              batches = [[time, [input, ...]], ...], a message as {kind: "message", envelope:
//              {src, dest, body}} with its body as the JSON the node received
//   bodies     a live session's message bodies, each distinct one once (a leader sends the same
//              append to every follower): data = [body, ...] for ids first, first + 1, ...; an
//              input refers to one as {kind: "message", envelope: {src, dest, ref: id}}
//   outputs    every Ready it produced, in chunks: readies = [[time, status, messages, replies],
//              ...]; the status whole (each chunk opens with one), or only its changed fields (an
//              object without id), or null when unchanged; the messages as [[dest, body id], ...]
//              in a live session and as a digest of them in a simulated one
//   snapshots  every node's status once a second, to seek without reading every event
//   traffic    with each round of snapshots, the messages sent since the last, by type: sent = {type: n}
//   history    the clients' history in the checker's format
//
// Readers check the file before trusting it: not SQLite, not a session, from a newer version, or
// damaged each get a message that names the problem. Older schemas open through `migrate`.

import { closeSync, existsSync, openSync, readSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import type { ModelVerdictView } from '../../shared/bridge.ts';
import type { ConsistencyName } from '../../shared/consistency.ts';
// Imported, not read from disk: a bundle (out/main) inlines it, where a path relative to this
// file would point outside the app.
import packageJson from '../../../package.json' with { type: 'json' };
import { DEFAULT_ALGORITHM } from '../../nodes/index.ts';
import { sessionMetaSchema, sessionSummarySchema } from '../../shared/schemas.ts';

export const SESSION_SCHEMA_VERSION = 2;
export const SESSION_SUFFIX = '.session.sqlite';
const APP_VERSION: string = packageJson.version;

export function appVersion(): string {
  return APP_VERSION;
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (seq INTEGER PRIMARY KEY, time REAL NOT NULL, kind TEXT NOT NULL, node TEXT, data TEXT NOT NULL, notable INTEGER);
CREATE TABLE IF NOT EXISTS lives (life INTEGER PRIMARY KEY, node TEXT NOT NULL, time REAL NOT NULL, context TEXT NOT NULL, persisted TEXT);
CREATE TABLE IF NOT EXISTS bodies (seq INTEGER PRIMARY KEY, first INTEGER NOT NULL, count INTEGER NOT NULL, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS bodies_by_first ON bodies (first);
CREATE TABLE IF NOT EXISTS inputs (seq INTEGER PRIMARY KEY, life INTEGER NOT NULL, time REAL NOT NULL, end_time REAL NOT NULL, count INTEGER NOT NULL, batches TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS outputs (seq INTEGER PRIMARY KEY, life INTEGER NOT NULL, time REAL NOT NULL, end_time REAL NOT NULL, count INTEGER NOT NULL, readies TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS snapshots (time REAL NOT NULL, node TEXT NOT NULL, life INTEGER, status TEXT);
CREATE TABLE IF NOT EXISTS history (seq INTEGER PRIMARY KEY, data TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS inputs_by_life ON inputs (life, time);
CREATE INDEX IF NOT EXISTS outputs_by_life ON outputs (life, time);
CREATE INDEX IF NOT EXISTS notable_events ON events (notable, kind, time) WHERE notable IS NOT NULL;
CREATE INDEX IF NOT EXISTS snapshots_by_time ON snapshots (time);
CREATE TABLE IF NOT EXISTS traffic (time REAL NOT NULL, sent TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS traffic_by_time ON traffic (time);
`;

export class SessionFileError extends Error {
  // The CLI tells these from bugs by name (see cli/file-errors.ts), without loading this module.
  override readonly name = 'SessionFileError';
}

/** Creates a new session file; refuses to overwrite anything already there. */
export function createSessionFile(path: string, meta: Record<string, unknown>): Database.Database {
  // Made empty and exclusively first: SQLite would open whatever is there, and follow a link, even
  // a dangling one, to create its target.
  try {
    closeSync(openSync(path, 'wx'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw new SessionFileError(`${path} already exists; a recording never overwrites a file`);
    throw error;
  }
  const db = new Database(path);
  // Set before anything is written. A simulation writes chunks of hundreds of kilobytes at a time:
  // with 64 KiB pages SQLite makes a sixteenth of the write calls it makes with 4 KiB ones, which
  // halved the writer's CPU. A live session writes a transaction every FLUSH_MS for as long as
  // the window stays open, mostly a little into each of its tables, and every page touched goes
  // to the WAL whole: with 64 KiB pages an idle five-node cluster wrote 2.2 MiB/s, 0.18 with 8 KiB
  // (and 4.5 against 1.3 MiB/s under 200 client operations a second).
  db.pragma(`page_size = ${meta.mode === 'sim' ? 65536 : 8192}`);
  // The journal mode and durability are the writer's (row-writer.ts); WAL stays with the file.
  if (meta.mode !== 'sim') db.pragma('journal_mode = WAL');
  db.exec(SCHEMA);
  const put = db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
  db.transaction(() => {
    put.run('schema_version', String(SESSION_SCHEMA_VERSION));
    put.run('app_version', APP_VERSION);
    for (const [key, value] of Object.entries(meta)) put.run(key, JSON.stringify(value));
  })();
  return db;
}

/**
 * Schema changes, oldest first: `MIGRATIONS[v]` takes a file from version v to v + 1. Version 0 is
 * the pre-release layout without a snapshots table; version 1 did not count messages (traffic),
 * and its sessions replay without them.
 */
const MIGRATIONS: Record<number, (db: Database.Database) => void> = {
  0: (db) => db.exec('CREATE TABLE IF NOT EXISTS snapshots (time REAL NOT NULL, node TEXT NOT NULL, life INTEGER, status TEXT); CREATE INDEX IF NOT EXISTS snapshots_by_time ON snapshots (time);'),
  1: (db) => db.exec('CREATE TABLE IF NOT EXISTS traffic (time REAL NOT NULL, sent TEXT NOT NULL); CREATE INDEX IF NOT EXISTS traffic_by_time ON traffic (time);'),
};

export interface SessionMeta {
  schemaVersion: number;
  appVersion: string;
  mode: 'live' | 'sim';
  algorithm: string;
  nodes: number;
  seed: number;
  settings: Record<string, unknown>;
  startedAt: string;
  /** Present once the recording was closed cleanly. */
  summary: SessionSummary | null;
  [key: string]: unknown;
}

export interface SessionSummary {
  durationMs: number;
  ops: { ok: number; fail: number; info: number };
  elections: number;
  violations: number;
  linearizable: 'true' | 'false' | 'unknown';
  faults: string[];
  /**
   * Every consistency model's verdict on the whole client history at close, and the model the
   * algorithm promises. Absent in sessions recorded before the app checked the models.
   */
  consistency?: SessionConsistency;
}

export interface SessionConsistency {
  promises: ConsistencyName | null;
  models: ModelVerdictView[];
  strongest: ConsistencyName[];
}

/** The first 16 bytes, where an SQLite file says what it is (reading the whole file took ~0.1 s a session). */
function fileHeader(path: string): string {
  const fd = openSync(path, 'r');
  try {
    const bytes = Buffer.alloc(16);
    const read = readSync(fd, bytes, 0, 16, 0);
    return bytes.subarray(0, read).toString('latin1');
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens a session for reading, checks it is one and brings an older schema up to date (in
 * place, inside a transaction, so a failed migration leaves the file as it was).
 */
export function openSessionFile(path: string, options: { migrate?: boolean; quick?: boolean } = {}): { db: Database.Database; meta: SessionMeta } {
  if (!existsSync(path)) throw new SessionFileError(`${path}: no such file`);
  const stat = statSync(path);
  if (stat.isDirectory()) throw new SessionFileError(`${path} is a folder, not a session file`);
  if (stat.size < 100) throw new SessionFileError(`${path} is not a session file: it is empty or truncated`);
  const header = fileHeader(path);
  if (header !== 'SQLite format 3\u0000') throw new SessionFileError(`${path} is not a session file: it is not an SQLite database`);
  let db: Database.Database;
  try {
    // Read-only unless a migration is due: reading a session never changes its file.
    db = new Database(path, { fileMustExist: true, readonly: true });
    const tables = new Set((db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as Array<{ name: string }>).map((r) => r.name));
    if (!tables.has('meta') || !tables.has('events') || !tables.has('lives')) {
      db.close();
      throw new SessionFileError(`${path} is an SQLite database but not a session file (no meta, events and lives tables)`);
    }
  } catch (error) {
    if (error instanceof SessionFileError) throw error;
    throw new SessionFileError(`${path} is damaged: ${(error as Error).message}`);
  }
  try {
    const raw = new Map((db.prepare('SELECT key, value FROM meta').all() as Array<{ key: string; value: string }>).map((r) => [r.key, r.value]));
    const version = Number(raw.get('schema_version') ?? NaN);
    if (!Number.isInteger(version)) throw new SessionFileError(`${path} has no schema version; it is not a session file`);
    if (version > SESSION_SCHEMA_VERSION) {
      throw new SessionFileError(`${path} was written by a newer Consensus Playground (session schema ${version}, this version reads up to ${SESSION_SCHEMA_VERSION}); update the app to open it`);
    }
    if (version < SESSION_SCHEMA_VERSION) {
      if (options.migrate === false) throw new SessionFileError(`${path} uses session schema ${version}; open it once to migrate it`);
      db.close();
      db = new Database(path, { fileMustExist: true });
      const writable = db;
      writable.transaction(() => {
        for (let v = version; v < SESSION_SCHEMA_VERSION; v++) MIGRATIONS[v]?.(writable);
        writable.prepare("UPDATE meta SET value = ? WHERE key = 'schema_version'").run(String(SESSION_SCHEMA_VERSION));
      })();
    }
    const parsed = (key: string): unknown => {
      const value = raw.get(key);
      return value === undefined ? undefined : JSON.parse(value);
    };
    // Checked, not cast: a meta table edited by hand or by another program says what is wrong with it.
    const fields = sessionMetaSchema.safeParse({
      mode: parsed('mode') ?? 'live',
      // Sessions older than the algorithm's name in their meta ran the only algorithm there was.
      algorithm: parsed('algorithm') ?? DEFAULT_ALGORITHM,
      nodes: parsed('nodes') ?? 0,
      seed: parsed('seed') ?? 0,
      settings: parsed('settings') ?? {},
      startedAt: parsed('started_at') ?? '',
    });
    if (!fields.success) {
      const issue = fields.error.issues[0];
      throw new SessionFileError(`${path} has a malformed meta table: ${issue?.path.join('.') || 'meta'}: ${issue?.message ?? 'invalid'}`);
    }
    // A summary that does not read is the summary of a session never closed cleanly: the
    // recording itself is still replayed and verified.
    const summary = sessionSummarySchema.safeParse(parsed('summary'));
    const meta: SessionMeta = {
      schemaVersion: SESSION_SCHEMA_VERSION,
      appVersion: raw.get('app_version') ?? 'unknown',
      ...fields.data,
      summary: summary.success ? (summary.data as unknown as SessionSummary) : null,
    };
    // `quick`: a list of sessions reads only the meta of each; opening one checks it whole.
    const integrity = options.quick ? 'ok' : db.pragma('quick_check', { simple: true });
    if (integrity !== 'ok') throw new SessionFileError(`${path} is damaged: ${String(integrity)}`);
    return { db, meta };
  } catch (error) {
    db.close();
    if (error instanceof SessionFileError) throw error;
    throw new SessionFileError(`${path} is damaged: ${(error as Error).message}`);
  }
}
