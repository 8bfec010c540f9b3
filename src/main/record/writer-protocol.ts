// What the recorder posts to its writer thread, and the inserts the writer runs, table by table in
// this order: a life before its start, both before its inputs, message bodies before the inputs
// that refer to them. Chunks (bodies, inputs, outputs) and lists of events and history come as
// UTF-8 bytes of JSON arrays (see chunks.ts); chunks are stored as TEXT.

export const SESSION_INSERTS = {
  lives: 'INSERT INTO lives (life, node, time, context) VALUES (?, ?, ?, ?)',
  started: 'UPDATE lives SET persisted = ? WHERE life = ?',
  bodies: 'INSERT INTO bodies (first, count, data) VALUES (?, ?, CAST(? AS TEXT))',
  inputs: 'INSERT INTO inputs (life, time, end_time, count, batches) VALUES (?, ?, ?, ?, CAST(? AS TEXT))',
  outputs: 'INSERT INTO outputs (life, time, end_time, count, readies) VALUES (?, ?, ?, ?, CAST(? AS TEXT))',
  // Events come as one JSON array of them: SQLite splits it, in order, where one insert a row from
  // JavaScript cost more than writing the rest of the session. The columns besides data are read
  // from each event; notable ones (not the flood of messages and state changes) are indexed.
  events: `INSERT INTO events (time, kind, node, data, notable)
    SELECT value->>'time', value->>'kind', COALESCE(value->>'node', value->>'src'), value,
      CASE WHEN value->>'kind' IN ('send', 'deliver', 'drop', 'state') THEN NULL ELSE 1 END
    FROM json_each(CAST(? AS TEXT))`,
  snapshots: 'INSERT INTO snapshots (time, node, life, status) VALUES (?, ?, ?, ?)',
  history: 'INSERT INTO history (data) SELECT value FROM json_each(CAST(? AS TEXT))',
} as const;

export type Table = keyof typeof SESSION_INSERTS;
export type Row = unknown[];

export type WriterMessage =
  /** `ack`: answer once these rows are in the file. */
  | { type: 'rows'; rows: Record<Table, Row[]>; ack?: number }
  | { type: 'close'; meta: Record<string, unknown> };

export type WriterAnswer = { type: 'ack'; ack: number } | { type: 'closed' } | { type: 'error'; message: string };
