// The log table the bench's bare writers and its consensus-free nodes append to: one file, one
// schema and one durability setting for both, so that the two measure the same disk work.

import Database from 'better-sqlite3';

export function openLogTable(path: string, sync: 'full' | 'normal'): { db: Database.Database; insert: Database.Statement<[number, number, string]> } {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma(`synchronous = ${sync === 'full' ? 'FULL' : 'NORMAL'}`);
  db.exec('CREATE TABLE IF NOT EXISTS log (idx INTEGER PRIMARY KEY, term INTEGER NOT NULL, data TEXT NOT NULL)');
  return { db, insert: db.prepare<[number, number, string]>('INSERT INTO log (idx, term, data) VALUES (?, ?, ?)') };
}
