// Writes the recorder's rows into the session file: in a thread of its own for a live cluster
// (recorder-writer.ts), in the simulator's own thread for a simulated one, which has nothing to
// wait for and would only pile rows up in memory faster than another thread could write them.

import Database from 'better-sqlite3';
import { eventRowsInsert, SESSION_INSERTS, type Row, type Table } from './writer-protocol.ts';

/** Events given as values go this many to a statement: one call for fifty rows costs 0.6 of fifty calls. */
const EVENTS_PER_INSERT = 50;

/**
 * How often a live session's WAL is copied into the file. SQLite does it by itself only once the
 * WAL holds 1,000 pages (8 MiB here), so a short session, or a window left open, kept everything
 * in the -wal file, and a copy of the session file alone held nothing. A PASSIVE checkpoint waits
 * for no reader and, with synchronous OFF, syncs nothing: it only writes the pages written since
 * the last one into the file, most of them once. It moves the copying from close to the time of
 * recording rather than adding to it: 10 s of 400 events and 150 inputs every 500 ms wrote 2.85 MB
 * while recording, against 1.83 MB and then 1.06 MB at close without it, and the WAL stayed under
 * 0.5 MB instead of growing to 1.8.
 */
export const CHECKPOINT_MS = 2000;

export class RowWriter {
  private readonly db: Database.Database;
  private readonly statements: Partial<Record<Table, Database.Statement>>;
  private readonly mode: 'live' | 'sim';
  private readonly eventRow: Database.Statement;
  private readonly eventRows: Database.Statement;
  private lastCheckpoint = Date.now();

  constructor(path: string, mode: 'live' | 'sim') {
    this.mode = mode;
    this.db = new Database(path);
    if (mode === 'sim') {
      // Many times faster than real time and made again from its seed: every page written once,
      // nothing waiting on the disk.
      this.db.pragma('journal_mode = MEMORY');
      this.db.pragma('synchronous = OFF');
    } else {
      // A crash of the app loses at most the batch being written, never the file: every committed
      // transaction is in the operating system's hands, whatever the synchronous setting. OFF only
      // leaves out the fsyncs at each checkpoint, which stalled the cluster's own disk writes
      // (48 interleaved pairs of recorded runs, OFF against NORMAL: +3%, 33 won). A power cut or a
      // crash of the system while recording may cost that session's file; close syncs it.
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = OFF');
    }
    this.eventRow = this.db.prepare(eventRowsInsert(1));
    this.eventRows = this.db.prepare(eventRowsInsert(EVENTS_PER_INSERT));
    this.statements = Object.fromEntries(Object.entries(SESSION_INSERTS).flatMap(([table, sql]) => (sql === null ? [] : [[table, this.db.prepare(sql)]])));
  }

  write(rows: Record<Table, Row[]>): void {
    this.db.transaction(() => {
      for (const table of Object.keys(SESSION_INSERTS) as Table[]) {
        const statement = this.statements[table];
        const first = rows[table][0];
        if (statement === undefined && first !== undefined && first.length > 1) {
          this.insertEventValues(rows[table]);
          continue;
        }
        for (const row of rows[table]) {
          if (statement) statement.run(...row);
          else {
            // Events from another thread: an INSERT statement's text as UTF-8 bytes (see writer-protocol.ts).
            const sql = row[0] as Uint8Array;
            this.db.exec(Buffer.from(sql.buffer, sql.byteOffset, sql.byteLength).toString('utf8'));
          }
        }
      }
    })();
    if (this.mode === 'live' && Date.now() - this.lastCheckpoint >= CHECKPOINT_MS) {
      this.db.pragma('wal_checkpoint(PASSIVE)');
      this.lastCheckpoint = Date.now();
    }
  }

  /** A simulation's events, each its row's values. */
  private insertEventValues(rows: Row[]): void {
    let i = 0;
    for (; i + EVENTS_PER_INSERT <= rows.length; i += EVENTS_PER_INSERT) this.eventRows.run(...rows.slice(i, i + EVENTS_PER_INSERT).flat());
    for (; i < rows.length; i++) this.eventRow.run(...(rows[i] as Row));
  }

  close(meta: Record<string, unknown>): void {
    const put = this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(meta)) put.run(key, JSON.stringify(value));
    })();
    if (this.mode === 'live') {
      // A closed session is on the disk for good: this checkpoint syncs the log and the file.
      this.db.pragma('synchronous = NORMAL');
      this.db.pragma('wal_checkpoint(TRUNCATE)');
    }
    this.db.close();
  }
}
