// Node inputs and outputs are stored in chunks: one row holds a run of one node life's batches
// (inputs) or Readies (outputs), as a JSON array. A session has hundreds of thousands of them, and
// one row each made SQLite's inserts most of what recording cost. Any SQLite tool still reads them
// (`SELECT value FROM inputs, json_each(inputs.batches)`).

import type Database from 'better-sqlite3';
import type { Input } from '../../nodes/types.ts';
import { messagesDigest } from './digest.ts';
import { SessionFileError } from './session-file.ts';

/** Entries per chunk at most: a chunk is parsed whole when a replay needs any of it. */
const CHUNK_ENTRIES = 2000;
/**
 * Bytes per chunk, about (the entry that passes this is the last): a leader's chunks of 2,000
 * Readies or batches ran to megabytes, and their buffers, up to 4 MiB each and eight or more
 * filling while as many were being written, outgrew the pool. Each new one was fresh memory, and
 * its first write faulted in every page: 59 MiB of them in a five-second run cost the main
 * thread 90 ms, the largest part of what recording cost it. Chunks of at most this much keep every buffer
 * within CHUNK_CAPACITY, and the pool reuses them.
 */
const CHUNK_BYTES = 1024 * 1024;
/** A chunk's buffer: room for CHUNK_BYTES and the entry that passes it (a bigger one grows it). */
const CHUNK_CAPACITY = CHUNK_BYTES + 256 * 1024;

export interface InputBatch {
  time: number;
  /** Decoded: a message's body is the object the node parsed from its JSON text. */
  inputs: Input[];
}

export interface OutputRecord {
  time: number;
  /** The status after this Ready as JSON, or null when it did not change since the life's previous one. */
  status: string | null;
  /** messagesDigest of the Ready's messages (computed from their bodies where those were kept). */
  messages: string;
  /** The Ready's replies as JSON. */
  replies: string;
}

/** A chunk's JSON array as UTF-8 bytes, in an ArrayBuffer of its own that can be transferred. */
export type ChunkData = Uint8Array;

const COMMA = 0x2c;
const NO_BYTES = Buffer.alloc(0);

/**
 * Chunk buffers, used again once their rows are in the file (the writer thread hands them back).
 * A fresh buffer's pages are new memory the kernel must map on first touch, and freed they go back
 * to it: on a virtual machine that cost about as much per byte as everything else recording does.
 */
export class BufferPool {
  private readonly spare: ArrayBuffer[] = [];
  private spareBytes = 0;
  private readonly maxSpareBytes: number;

  /** Keeps at most `maxSpareBytes` of spare buffers. */
  constructor(maxSpareBytes = 32 * 1024 * 1024) {
    this.maxSpareBytes = maxSpareBytes;
  }

  /** A buffer of at least `bytes`: the smallest spare one that fits, or a new one. */
  take(bytes: number): Buffer {
    let best = -1;
    for (let i = 0; i < this.spare.length; i++) {
      const size = (this.spare[i] as ArrayBuffer).byteLength;
      if (size >= bytes && (best < 0 || size < (this.spare[best] as ArrayBuffer).byteLength)) best = i;
    }
    if (best < 0) return Buffer.allocUnsafeSlow(bytes);
    const buffer = this.spare[best] as ArrayBuffer;
    this.spare[best] = this.spare[this.spare.length - 1] as ArrayBuffer;
    this.spare.pop();
    this.spareBytes -= buffer.byteLength;
    return Buffer.from(buffer);
  }

  /** Takes back a buffer no one reads any more; beyond the pool's cap it is left to the collector. */
  give(buffer: ArrayBuffer): void {
    if (buffer.byteLength === 0 || this.spareBytes + buffer.byteLength > this.maxSpareBytes) return;
    this.spare.push(buffer);
    this.spareBytes += buffer.byteLength;
  }

  get spareCount(): number {
    return this.spare.length;
  }
}

/** For builders whose rows nobody hands back: keeps nothing. */
const NO_POOL = new BufferPool(0);

/**
 * Gathers entries into chunk rows: one life's inputs or Readies by time, or message bodies by id.
 * Entries go straight into UTF-8 bytes: kept as strings until the flush, they outlived the young
 * generation, were joined into one more string and then copied again to the writer thread; bytes
 * are written once and the buffer is handed over without a copy. The writer stores them as TEXT
 * (`CAST(? AS TEXT)`), so the file reads as before.
 */
export class ChunkBuilder {
  private length = 0;
  private count = 0;
  private first = 0;
  private last = 0;
  private capacity = 16 * 1024;
  // A buffer is taken only when an entry begins: a life that has ended holds none.
  private bytes: Buffer = NO_BYTES;
  private readonly open: string;
  private readonly close: string;
  private readonly pool: BufferPool;

  /**
   * Entries go between `open` and `close`, separated by commas: a JSON array unless told otherwise.
   * Buffers come from `pool`; whoever stores a taken row gives its buffer back there.
   */
  constructor(open = '[', close = ']', pool: BufferPool = NO_POOL) {
    this.open = open;
    this.close = close;
    this.pool = pool;
  }

  /** Starts an entry, written by `write` calls and closed by `end`. */
  begin(time: number): void {
    if (this.count === 0) {
      if (this.bytes === NO_BYTES) this.bytes = this.pool.take(this.capacity);
      this.first = time;
      this.length = 0;
      this.write(this.open);
    } else this.bytes[this.length++] = COMMA;
    this.last = time;
  }

  /** Appends JSON text to the open entry. Pieces are written one by one: joined, they would be copied once more. */
  write(text: string): void {
    // Room for the worst case (three bytes a UTF-16 unit) and the closing bracket.
    const needed = this.length + text.length * 3 + 2;
    if (needed > this.bytes.length) this.grow(needed);
    this.length += this.bytes.write(text, this.length);
  }

  /** Closes the entry; true when the chunk is full and should be taken. */
  end(): boolean {
    this.count++;
    return this.count >= CHUNK_ENTRIES || this.length >= CHUNK_BYTES;
  }

  add(time: number, json: string): boolean {
    this.begin(time);
    this.write(json);
    return this.end();
  }

  get size(): number {
    return this.count;
  }

  /** [time, end_time, count, the entries as UTF-8 bytes] for the row, and empties the builder. */
  take(): [number, number, number, ChunkData] {
    this.write(this.close);
    const row: [number, number, number, ChunkData] = [this.first, this.last, this.count, this.bytes.subarray(0, this.length)];
    // The next chunk starts as big as this one grew: a steady stream grows its buffer once, not
    // once a chunk (each growth copies everything written so far).
    // (Up to a cap: one huge body, a snapshot say, should not make every later chunk that big.)
    this.capacity = Math.min(CHUNK_CAPACITY, Math.max(this.capacity, this.bytes.length));
    this.bytes = NO_BYTES;
    this.length = 0;
    this.count = 0;
    return row;
  }

  private grow(needed: number): void {
    const bigger = this.pool.take(Math.max(needed, this.bytes.length * 2));
    this.bytes.copy(bigger, 0, 0, this.length);
    this.pool.give(this.bytes.buffer as ArrayBuffer);
    this.bytes = bigger;
  }
}

/**
 * A chunk's JSON. The file passed its integrity check, so a chunk that does not parse was changed
 * by something else: the reader is told which row, as for any other damage, rather than a bare
 * SyntaxError.
 */
export function parseChunk(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SessionFileError(`damaged: ${what} is not valid JSON (${(error as Error).message})`);
  }
}

/** Message bodies by id, a few chunks parsed at a time: inputs read in time order hit the same ones. */
export class BodyStore {
  private readonly cache = new Map<number, unknown[]>();
  private readonly find: Database.Statement;

  constructor(db: Database.Database) {
    this.find = db.prepare('SELECT first, data FROM bodies WHERE first <= ? ORDER BY first DESC LIMIT 1');
  }

  get(id: number): unknown {
    for (const [first, bodies] of this.cache) if (id >= first && id < first + bodies.length) return bodies[id - first];
    const row = this.find.get(id) as { first: number; data: string } | undefined;
    const bodies = row ? (parseChunk(row.data, `the bodies chunk from ${row.first}`) as unknown[]) : [];
    const body = row ? bodies[id - row.first] : undefined;
    if (body === undefined) throw new Error(`message body ${id} is missing from the session file`);
    if (this.cache.size >= 32) this.cache.delete(this.cache.keys().next().value as number);
    this.cache.set(row!.first, bodies);
    return body;
  }
}

const stores = new WeakMap<Database.Database, BodyStore>();

function bodyStore(db: Database.Database): BodyStore {
  let store = stores.get(db);
  if (store === undefined) {
    store = new BodyStore(db);
    stores.set(db, store);
  }
  return store;
}

export function readInputs(db: Database.Database, life: number, untilMs = Infinity): InputBatch[] {
  const out: InputBatch[] = [];
  for (const row of db.prepare('SELECT seq, batches FROM inputs WHERE life = ? AND time <= ? ORDER BY seq').all(life, untilMs) as Array<{ seq: number; batches: string }>) {
    for (const [time, inputs] of parseChunk(row.batches, `inputs row ${row.seq}`) as Array<[number, Input[]]>) {
      if (time > untilMs) break;
      for (const input of inputs) {
        if (input.kind !== 'message') continue;
        const envelope = input.envelope as { body?: unknown; ref?: number };
        if (envelope.ref !== undefined) {
          envelope.body = bodyStore(db).get(envelope.ref);
          delete envelope.ref;
        }
      }
      out.push({ time, inputs });
    }
  }
  return out;
}

/**
 * A recorded status as it was: a whole status (it has an id) replaces the one before; a change
 * (no id) is laid over it, field by field, in the order the whole one gave them.
 */
function applyStatus(current: Record<string, unknown> | null, recorded: Record<string, unknown>): Record<string, unknown> | null {
  if ('id' in recorded) return recorded;
  return current === null ? null : { ...current, ...recorded };
}

/** `node`: the life's node, the sender of its Readies' messages. */
export function readOutputs(db: Database.Database, life: number, node: string): OutputRecord[] {
  const out: OutputRecord[] = [];
  let current: Record<string, unknown> | null = null;
  for (const row of db.prepare('SELECT seq, readies FROM outputs WHERE life = ? ORDER BY seq').all(life) as Array<{ seq: number; readies: string }>) {
    for (const [time, status, messages, replies] of parseChunk(row.readies, `outputs row ${row.seq}`) as Array<[number, Record<string, unknown> | null, string | Array<[string, number]>, unknown]>) {
      // Messages kept by reference compare as the digest of the bodies they refer to.
      const digest = typeof messages === 'string' ? messages : messagesDigest(messages.map(([dest, id]) => ({ src: node, dest, body: JSON.stringify(bodyStore(db).get(id)) })));
      if (status !== null) current = applyStatus(current, status);
      out.push({ time, status: status === null ? null : JSON.stringify(current), messages: digest, replies: JSON.stringify(replies) });
    }
  }
  return out;
}

export function countOutputs(db: Database.Database, life: number): number {
  return (db.prepare('SELECT COALESCE(SUM(count), 0) AS n FROM outputs WHERE life = ?').get(life) as { n: number }).n;
}

/** The newest status a life recorded at or before `timeMs`, as JSON; null if none yet. */
export function statusAt(db: Database.Database, life: number, timeMs: number): string | null {
  // Newest chunk first; within one, forward from its whole status (every chunk opens with one;
  // files from before status changes have only whole ones or nulls).
  for (const row of db.prepare('SELECT seq, readies FROM outputs WHERE life = ? AND time <= ? ORDER BY time DESC, seq DESC').iterate(life, timeMs) as IterableIterator<{ seq: number; readies: string }>) {
    let current: Record<string, unknown> | null = null;
    for (const [time, status] of parseChunk(row.readies, `outputs row ${row.seq}`) as Array<[number, Record<string, unknown> | null]>) {
      if (time > timeMs) break;
      if (status !== null) current = applyStatus(current, status);
    }
    if (current !== null) return JSON.stringify(current);
  }
  return null;
}
