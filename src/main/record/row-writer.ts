// Writes the recorder's rows into the session file: in a thread of its own for a live cluster
// (recorder-writer.ts), in the simulator's own thread for a simulated one, which has nothing to
// wait for and would only pile rows up in memory faster than another thread could write them.

import Database from 'better-sqlite3';
import { SESSION_INSERTS, type Row, type Table } from './writer-protocol.ts';

const EVENTS_PER_STATEMENT = 64;

export class RowWriter {
  private readonly db: Database.Database;
  private readonly statements: Record<Table, Database.Statement>;
  private readonly mode: 'live' | 'sim';
  private readonly manyEvents: Database.Statement;

  constructor(path: string, mode: 'live' | 'sim') {
    this.mode = mode;
    this.db = new Database(path);
    if (mode === 'sim') {
      // Many times faster than real time and made again from its seed: every page written once,
      // nothing waiting on the disk.
      this.db.pragma('journal_mode = MEMORY');
      this.db.pragma('synchronous = OFF');
    } else {
      // A crash of the app loses at most the batch being written, never the file.
      this.db.pragma('journal_mode = WAL');
      this.db.pragma('synchronous = NORMAL');
    }
    this.manyEvents = this.db.prepare(`INSERT INTO events (time, kind, node, data, notable) VALUES ${Array.from({ length: EVENTS_PER_STATEMENT }, () => '(?, ?, ?, ?, ?)').join(', ')}`);
    this.statements = Object.fromEntries(Object.entries(SESSION_INSERTS).map(([table, sql]) => [table, this.db.prepare(sql)])) as Record<Table, Database.Statement>;
  }

  write(rows: Record<Table, Row[]>): void {
    this.db.transaction(() => {
      for (const table of Object.keys(SESSION_INSERTS) as Table[]) {
        if (table === 'events') this.writeEvents(rows.events);
        else for (const row of rows[table]) this.statements[table].run(...row);
      }
    })();
  }

  /** Events come by the thousand: EVENTS_PER_STATEMENT rows per call into SQLite, not one. */
  private writeEvents(rows: Row[]): void {
    let i = 0;
    for (; i + EVENTS_PER_STATEMENT <= rows.length; i += EVENTS_PER_STATEMENT) this.manyEvents.run(...rows.slice(i, i + EVENTS_PER_STATEMENT).flat());
    for (; i < rows.length; i++) this.statements.events.run(...(rows[i] as Row));
  }

  close(meta: Record<string, unknown>): void {
    const put = this.db.prepare('INSERT OR REPLACE INTO meta (key, value) VALUES (?, ?)');
    this.db.transaction(() => {
      for (const [key, value] of Object.entries(meta)) put.run(key, JSON.stringify(value));
    })();
    if (this.mode === 'live') this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
  }
}
