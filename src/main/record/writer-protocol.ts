// What the recorder posts to its writer thread, and the inserts the writer runs, table by table in
// this order: a life before its start, both before its inputs, message bodies before the inputs
// that refer to them. Chunks (bodies, inputs, outputs) and the history come as UTF-8 bytes of JSON
// arrays (see chunks.ts), chunks stored as TEXT; events as the UTF-8 text of one INSERT.

export const SESSION_INSERTS = {
  lives: 'INSERT INTO lives (life, node, time, context) VALUES (?, ?, ?, ?)',
  started: 'UPDATE lives SET persisted = ? WHERE life = ?',
  bodies: 'INSERT INTO bodies (first, count, data) VALUES (?, ?, CAST(? AS TEXT))',
  inputs: 'INSERT INTO inputs (life, time, end_time, count, batches) VALUES (?, ?, ?, ?, CAST(? AS TEXT))',
  outputs: 'INSERT INTO outputs (life, time, end_time, count, readies) VALUES (?, ?, ?, ?, CAST(? AS TEXT))',
  // Events from a live recording come as the text of one statement, EVENTS_INSERT and a row of
  // literals each, run as it is (see the recorder's addEvent): SQLite takes 2,000 rows of literals
  // in a third of the time it took to split a JSON array of events and read their columns out of
  // each (json_each, ->>). A simulation, written in its own thread, gives each event's values
  // (see eventRowsInsert).
  events: null,
  snapshots: 'INSERT INTO snapshots (time, node, life, status) VALUES (?, ?, ?, ?)',
  traffic: 'INSERT INTO traffic (time, sent) VALUES (?, ?)',
  history: 'INSERT INTO history (data) SELECT value FROM json_each(CAST(? AS TEXT))',
} as const;

export type Table = keyof typeof SESSION_INSERTS;

export const EVENTS_INSERT = 'INSERT INTO events (time, kind, node, notable, data) VALUES ';
/** An INSERT of `rows` events given as values: time, kind, node, notable, data each. */
export function eventRowsInsert(rows: number): string {
  return EVENTS_INSERT + Array.from({ length: rows }, () => '(?, ?, ?, ?, ?)').join(', ');
}
export type Row = unknown[];

/** The writer thread's nice value, the lowest priority there is (see recorder-writer.ts). */
export const WRITER_NICE = 19;

export type WriterMessage =
  /** `ack`: answer once these rows are in the file. */
  | { type: 'rows'; rows: Record<Table, Row[]>; ack?: number }
  | { type: 'close'; meta: Record<string, unknown> };

export type WriterAnswer =
  | { type: 'ack'; ack: number }
  /** The chunk buffers of rows now in the file, handed back to be filled again (see BufferPool). */
  | { type: 'spent'; buffers: ArrayBuffer[] }
  | { type: 'closed' }
  | { type: 'error'; message: string };

/** The tables whose rows end in a chunk of UTF-8 bytes. */
export const CHUNK_TABLES = ['bodies', 'inputs', 'outputs', 'events', 'history'] as const;

/** Each chunk row's data, a view of a buffer of its own: what moves to the writer thread and back. */
export function chunkData(rows: Record<Table, Row[]>): Uint8Array[] {
  const data: Uint8Array[] = [];
  for (const table of CHUNK_TABLES) {
    // A table's rows are all chunks or all values (a simulation's events), and there are many of those.
    if (!(rows[table][0]?.at(-1) instanceof Uint8Array)) continue;
    for (const row of rows[table]) data.push(row.at(-1) as Uint8Array);
  }
  return data;
}

/** Each chunk's buffer (every one its own, see chunkData), to transfer. */
export function chunkBuffers(data: readonly Uint8Array[]): ArrayBuffer[] {
  return data.map((chunk) => chunk.buffer as ArrayBuffer);
}
