// A node's SQLite file as the inspector shows it: its log page by page, its key-value store and
// every table, read through a read-only connection kept open per node (the node's own thread
// writes it meanwhile; WAL lets both go on).

import Database from 'better-sqlite3';
import type { NodeInspection, TableView } from '../../shared/bridge.ts';
import type { LogEntry, NodeId } from '../../shared/protocol.ts';

export class NodeFiles {
  private readonly readers = new Map<NodeId, Database.Database>();

  /** The file's part of an inspection, or null when the file cannot be opened (not written yet). Throws when it cannot be read. */
  read(id: NodeId, file: string, logFrom: number, logCount: number): Pick<NodeInspection, 'log' | 'kv' | 'tables'> | null {
    const db = this.reader(id, file);
    if (db === null) return null;
    const range = db.prepare('SELECT MIN(idx) AS first, MAX(idx) AS last FROM log').get() as { first: number | null; last: number | null };
    const rows = db.prepare('SELECT idx, term, data FROM log WHERE idx >= ? ORDER BY idx LIMIT ?').all(logFrom, logCount) as Array<{ idx: number; term: number; data: string }>;
    const log = { first: range.first ?? 0, last: range.last ?? 0, entries: rows.map((r): LogEntry => ({ index: r.idx, term: r.term, data: JSON.parse(r.data) })) };
    const kv = (db.prepare('SELECT key, value FROM kv ORDER BY key').all() as Array<{ key: string; value: string }>).map((r): [string, unknown] => [r.key, JSON.parse(r.value)]);
    const names = (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all() as Array<{ name: string }>).map((r) => r.name);
    const tables = names.map((name): TableView => {
      const quoted = `"${name.replaceAll('"', '""')}"`;
      const statement = db.prepare(`SELECT * FROM ${quoted} LIMIT 20`);
      const columns = statement.columns().map((c) => c.name);
      const total = (db.prepare(`SELECT COUNT(*) AS n FROM ${quoted}`).get() as { n: number }).n;
      return { name, columns, rows: statement.raw().all() as unknown[][], total };
    });
    return { log, kv, tables };
  }

  /** Closes every connection (the cluster they read is gone). */
  close(): void {
    for (const reader of this.readers.values()) reader.close();
    this.readers.clear();
  }

  private reader(id: NodeId, file: string): Database.Database | null {
    let reader = this.readers.get(id);
    if (reader === undefined) {
      try {
        reader = new Database(file, { readonly: true, fileMustExist: true });
      } catch {
        return null;
      }
      this.readers.set(id, reader);
    }
    return reader;
  }
}
