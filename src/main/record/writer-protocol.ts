// What the recorder posts to its writer thread, and the inserts the writer runs, table by table in
// this order: a life before its start, both before its inputs, message bodies before the inputs
// that refer to them.

export const SESSION_INSERTS = {
  lives: 'INSERT INTO lives (life, node, time, context) VALUES (?, ?, ?, ?)',
  started: 'UPDATE lives SET persisted = ? WHERE life = ?',
  bodies: 'INSERT INTO bodies (first, count, data) VALUES (?, ?, ?)',
  inputs: 'INSERT INTO inputs (life, time, end_time, count, batches) VALUES (?, ?, ?, ?, ?)',
  outputs: 'INSERT INTO outputs (life, time, end_time, count, readies) VALUES (?, ?, ?, ?, ?)',
  events: 'INSERT INTO events (time, kind, node, data, notable) VALUES (?, ?, ?, ?, ?)',
  snapshots: 'INSERT INTO snapshots (time, node, life, status) VALUES (?, ?, ?, ?)',
  history: 'INSERT INTO history (data) VALUES (?)',
} as const;

export type Table = keyof typeof SESSION_INSERTS;
export type Row = unknown[];

export type WriterMessage =
  /** `ack`: answer once these rows are in the file. */
  | { type: 'rows'; rows: Record<Table, Row[]>; ack?: number }
  | { type: 'close'; meta: Record<string, unknown> };

export type WriterAnswer = { type: 'ack'; ack: number } | { type: 'closed' } | { type: 'error'; message: string };
