// Records a session into its file. Nothing is written on the hot path: rows gather in memory and
// go to SQLite in one transaction every FLUSH_MS, so a crash of the app loses at most that much.

import { Worker } from 'node:worker_threads';
import type { PersistedState } from '../../nodes/types.ts';
import type { WireEnvelope, WireInput } from '../../nodes/host/protocol.ts';
import type { HistoryEvent } from '../../shared/history.ts';
import type { JournalEvent } from '../../shared/journal.ts';
import type { NodeId, NodeStatus } from '../../shared/protocol.ts';
import { BufferPool, ChunkBuilder } from './chunks.ts';
import { messagesDigest } from './digest.ts';
import { encodeInputBatch, encodeInputBatchWithRefs } from '../../nodes/host/wire.ts';
import { RowWriter } from './row-writer.ts';
import { createSessionFile, type SessionSummary } from './session-file.ts';
import { chunkBuffers, chunkData, EVENTS_INSERT, type Row, type Table, type WriterAnswer, type WriterMessage } from './writer-protocol.ts';
import type { JournalTap, LifeContext, RecordingSink } from '../runtime/sink.ts';

/** Half the second a crash may lose: each transaction rewrites the pages it touches whole. */
export const FLUSH_MS = 500;
/** Rows a simulation's recording gathers before it writes them (it never waits for FLUSH_MS). */
const INLINE_FLUSH_ROWS = 20_000;
const SNAPSHOT_EVERY_MS = 1000;
/**
 * Chunk bytes a live recording may have handed its writer thread and not yet seen written before
 * the cluster holds new client requests back (see behind): over two flushes at full load. The
 * writer runs at the lowest priority and keeps up whenever the machine has any idle time.
 */
export const MAX_UNWRITTEN_BYTES = 16 * 1024 * 1024;
/** What the window's event log and the CLI say while a recording holds clients back (see behind). */
export const RECORDING_BEHIND_MESSAGE = 'the session recording is behind (this machine has no idle time left for its writer): new client operations wait until it catches up';
/** Message bodies remembered for matching (see bodyId). */
const RECENT_BODIES = 128;

export interface RecordingMeta {
  mode: 'live' | 'sim';
  algorithm: string;
  nodes: number;
  seed: number;
  settings: Record<string, unknown>;
}

/** PersistedState as JSON: its records map becomes a list of pairs. */
export function persistedToJson(persisted: PersistedState): string {
  return JSON.stringify({ ...persisted, records: [...persisted.records] });
}

export function persistedFromJson(text: string): PersistedState {
  const raw = JSON.parse(text) as Omit<PersistedState, 'records'> & { records: Array<[string, unknown]> };
  return { ...raw, records: new Map(raw.records) };
}

function emptyRows(): Record<Table, Row[]> {
  return { lives: [], started: [], bodies: [], inputs: [], outputs: [], events: [], snapshots: [], traffic: [], history: [] };
}

function emptyCounts(): Record<Table, number> {
  return { lives: 0, started: 0, bodies: 0, inputs: 0, outputs: 0, events: 0, snapshots: 0, traffic: 0, history: 0 };
}

/**
 * The fields of `status` that differ from `previous` as a JSON object (without the id, which tells
 * it from a whole status), 'null' when none do, or the whole status when the two have different
 * fields. A status is ~200 bytes and most Readies change two or three numbers of it.
 */
export function statusChange(previous: NodeStatus, status: NodeStatus): string {
  const before = previous as unknown as Record<string, unknown>;
  const after = status as unknown as Record<string, unknown>;
  let changed = '';
  let fields = 0;
  for (const key in after) {
    fields++;
    const was = before[key];
    const now = after[key];
    if (was === now || (Array.isArray(was) && Array.isArray(now) && sameItems(was, now))) continue;
    if (key === 'id' || !(key in before)) return JSON.stringify(status);
    changed += `${changed === '' ? '{' : ','}${JSON.stringify(key)}:${JSON.stringify(now)}`;
  }
  if (fields !== Object.keys(before).length) return JSON.stringify(status);
  return changed === '' ? 'null' : `${changed}}`;
}

/** Text for inside an SQLite string literal: its quotes doubled, which is all a literal needs. */
function inSqlQuotes(text: string): string {
  return text.includes("'") ? text.replaceAll("'", "''") : text;
}

function sameItems(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Length and 32 characters spread over the text: equal texts share it, most unequal ones do not. */
export function fingerprint(text: string): number {
  const n = text.length;
  let h = n;
  const step = Math.max(1, Math.floor(n / 32));
  for (let i = n - 1; i >= 0 && i >= n - step * 32; i -= step) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  return h >>> 0;
}

const WRITER_URL = new URL('./recorder-writer.ts', import.meta.url);

/**
 * Chunk buffers of every simulation recorded in this thread. A simulation writes its rows itself,
 * so each buffer is back before the next session starts; `generate` records one after another,
 * and new buffers for each session are new memory, a page fault every 4 KiB first written.
 */
const SIMULATION_POOL = new BufferPool(64 * 1024 * 1024);

export class SessionRecorder implements RecordingSink {
  readonly path: string;
  /** A live cluster's rows go to a writer thread; a simulation writes its own (see row-writer.ts). */
  private readonly writer: Worker | null;
  private readonly inline: RowWriter | null;
  private writerError: string | null = null;
  private writerGone = false;
  private nextAck = 1;
  private readonly acks = new Map<number, () => void>();
  private closing: Promise<void> | null = null;
  private pending: Record<Table, Row[]> = emptyRows();
  private readonly lifeOf = new Map<NodeId, number>();
  private nextLife = 1;
  private readonly latest = new Map<NodeId, NodeStatus>();
  /** Each life's last recorded status: the next output stores only what changed from it. */
  private readonly lastStatus = new Map<number, NodeStatus>();
  /** Every chunk's buffer comes from here and returns here once its row is in the file. */
  private readonly pool: BufferPool;
  private readonly inputChunks = new Map<number, ChunkBuilder>();
  /** A live recording's events go as one INSERT statement; history as a JSON array the writer splits (json_each). */
  private readonly eventChunk: ChunkBuilder;
  private readonly historyChunk: ChunkBuilder;
  /** Rows (entries, for chunks) gathered since the last flush, by table. */
  private taken: Record<Table, number> = emptyCounts();
  private readonly outputChunks = new Map<number, ChunkBuilder>();
  /** Live sessions keep each distinct message body once; simulations inline them (see below). */
  /** Bodies gathered for one row of the bodies table, keyed by id: ids first, first + 1, ... */
  private readonly bodies: ChunkBuilder | null;
  /** The latest bodies stored, a ring: their fingerprints, texts and ids. */
  private readonly recentKeys = new Uint32Array(RECENT_BODIES);
  private readonly recentTexts: string[] = new Array<string>(RECENT_BODIES).fill('');
  private readonly recentIds = new Float64Array(RECENT_BODIES);
  private recentNext = 0;
  private nextBodyId = 1;
  private nextSnapshotAt = 0;
  /** Messages sent since the last snapshot, by type. */
  private sent: Record<string, number> = {};
  private readonly faults = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  private returnedBuffers = 0;
  /** Chunk bytes of each flush the writer has not answered yet, oldest first, and their sum. */
  private readonly unwrittenFlushes: number[] = [];
  private unwrittenBytes = 0;
  private readonly maxUnwrittenBytes: number;
  private catchUpWaiters: Array<() => void> = [];
  /** Rows written so far, by table. */
  readonly counts: Record<Table, number> = emptyCounts();
  private readonly tap: JournalTap | null;

  constructor(path: string, meta: RecordingMeta, options: { writerUrl?: URL; tap?: JournalTap; maxUnwrittenBytes?: number } = {}) {
    this.path = path;
    this.maxUnwrittenBytes = options.maxUnwrittenBytes ?? MAX_UNWRITTEN_BYTES;
    this.tap = options.tap ?? null;
    // The file, its tables and meta exist before the constructor returns; rows follow from the writer.
    createSessionFile(path, { ...meta, started_at: new Date().toISOString() }).close();
    this.pool = meta.mode === 'sim' ? SIMULATION_POOL : new BufferPool();
    this.eventChunk = new ChunkBuilder(EVENTS_INSERT, '', this.pool);
    this.historyChunk = new ChunkBuilder('[', ']', this.pool);
    if (meta.mode === 'sim') {
      // A simulation's followers get one message object each time; and reading bodies back by
      // reference would slow generate's exports more than the smaller file saves.
      this.inline = new RowWriter(path, 'sim');
      this.writer = null;
      this.bodies = null;
    } else {
      this.bodies = new ChunkBuilder('[', ']', this.pool);
      this.inline = null;
      const writer = new Worker(options.writerUrl ?? WRITER_URL, { workerData: { path, mode: meta.mode } });
      writer.on('message', (answer: WriterAnswer) => {
        if (answer.type === 'spent') {
          for (const buffer of answer.buffers) this.pool.give(buffer);
          this.returnedBuffers += answer.buffers.length;
          this.unwrittenBytes -= this.unwrittenFlushes.shift() ?? 0;
          if (!this.behind) this.releaseCatchUpWaiters();
        } else if (answer.type === 'ack') {
          this.acks.get(answer.ack)?.();
          this.acks.delete(answer.ack);
        } else if (answer.type === 'error') {
          this.writerError = answer.message;
          this.releaseCatchUpWaiters();
        }
      });
      writer.on('error', (error) => {
        this.writerError = error.message;
        this.releaseCatchUpWaiters();
      });
      // A writer that died (its file could not even be opened) answers no one: release the waiters.
      writer.once('exit', () => {
        this.writerGone = true;
        if (!this.closed) this.writerError ??= 'the recording writer stopped';
        for (const release of this.acks.values()) release();
        this.acks.clear();
        this.releaseCatchUpWaiters();
      });
      this.writer = writer;
    }
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  life(node: NodeId, context: LifeContext, timeMs: number): void {
    const life = this.nextLife++;
    this.lifeOf.set(node, life);
    this.pushRow('lives', [life, node, timeMs, JSON.stringify(context)]);
  }

  started(node: NodeId, persisted: PersistedState): void {
    const life = this.lifeOf.get(node);
    if (life !== undefined) this.pushRow('started', [persistedToJson(persisted), life]);
  }

  /**
   * Records a batch and returns its text for the worker (encodeInputBatch's): one pass makes both,
   * sharing each input's JSON; the recorded one has message bodies by reference where a live
   * session keeps them once each.
   */
  encodeInputs(node: NodeId, inputs: readonly WireInput[], timeMs: number): string {
    const life = this.lifeOf.get(node);
    if (life === undefined || this.bodies === null) {
      const wire = encodeInputBatch(inputs);
      if (life !== undefined) this.addInput(life, timeMs, wire);
      return wire;
    }
    const [wire, referenced] = encodeInputBatchWithRefs(inputs, this.bodyIdOf);
    this.addInput(life, timeMs, referenced);
    return wire;
  }

  private readonly bodyIdOf = (body: string): number => this.bodyId(body);

  /** An inputs entry: `[time, batch]`. */
  private addInput(life: number, timeMs: number, batch: string): void {
    const chunk = this.chunkFor(this.inputChunks, life);
    chunk.begin(timeMs);
    chunk.write(`[${timeMs},`);
    chunk.write(batch);
    chunk.write(']');
    if (chunk.end()) this.takeChunk('inputs', chunk, life);
  }

  /**
   * The id of a message body in the bodies table, stored the first time it is seen. Bodies are
   * matched against the latest RECENT_BODIES stored: a leader's append reaches its followers within
   * moments, and one delayed longer is merely stored again. Holding every body until the flush
   * kept kilobytes of appends alive through young-generation collections, which then copied them.
   * Compared by a sampled fingerprint first, then whole: hashing every character cost more.
   */
  private bodyId(body: string): number {
    const key = fingerprint(body);
    for (let i = 0; i < RECENT_BODIES; i++) if (this.recentKeys[i] === key && this.recentTexts[i] === body) return this.recentIds[i] as number;
    const id = this.nextBodyId++;
    const slot = this.recentNext;
    this.recentNext = (slot + 1) % RECENT_BODIES;
    this.recentKeys[slot] = key;
    this.recentTexts[slot] = body;
    this.recentIds[slot] = id;
    if ((this.bodies as ChunkBuilder).add(id, body)) this.takeBodies();
    return id;
  }

  private takeBodies(): void {
    const [first, , count, data] = (this.bodies as ChunkBuilder).take();
    this.pushRow('bodies', [first, count, data], count);
  }

  private pushRow(table: Table, row: Row, entries = 1): void {
    this.pending[table].push(row);
    this.taken[table] += entries;
  }

  /** A life's chunk of inputs or outputs as a row: life, time, end_time, count, data. */
  private takeChunk(table: 'inputs' | 'outputs', chunk: ChunkBuilder, life: number): void {
    const row = chunk.take();
    this.pushRow(table, [life, ...row], row[2]);
  }

  /** Events (one INSERT) or history (one JSON array) as a single row the writer splits. */
  private takeList(table: 'events' | 'history', chunk: ChunkBuilder): void {
    const [, , count, data] = chunk.take();
    this.pushRow(table, [data], count);
  }

  private chunkFor(chunks: Map<number, ChunkBuilder>, life: number): ChunkBuilder {
    let chunk = chunks.get(life);
    if (chunk === undefined) {
      chunk = new ChunkBuilder('[', ']', this.pool);
      chunks.set(life, chunk);
    }
    return chunk;
  }

  output(node: NodeId, messages: readonly WireEnvelope[], repliesJson: string, status: NodeStatus, timeMs: number): void {
    const life = this.lifeOf.get(node);
    if (life === undefined) return;
    // A chunk opens with the whole status, so that it reads on its own; after that, what changed.
    const chunk = this.chunkFor(this.outputChunks, life);
    const previous = this.lastStatus.get(life);
    const statusText = previous === undefined || chunk.size === 0 ? JSON.stringify(status) : statusChange(previous, status);
    this.lastStatus.set(life, status);
    // A live session keeps the messages themselves, by reference: their bodies are stored once
    // anyway, for the inputs that receive them, and a reference costs less than hashing a body.
    let sent: string;
    if (this.bodies === null) sent = `"${messagesDigest(messages)}"`;
    else {
      sent = '[';
      for (let i = 0; i < messages.length; i++) {
        const m = messages[i] as WireEnvelope;
        sent += `${i > 0 ? ',' : ''}[${JSON.stringify(m.dest)},${this.bodyId(m.body)}]`;
      }
      sent += ']';
    }
    // An outputs entry: `[time, status, messages, replies]`, the status whole, or its changed fields
    // (no id), or null when unchanged; the messages as [dest, body id] pairs or, where bodies are not
    // kept, a digest of them (messagesDigest).
    chunk.begin(timeMs);
    chunk.write(`[${timeMs},`);
    chunk.write(statusText);
    chunk.write(`,${sent},`);
    chunk.write(repliesJson);
    chunk.write(']');
    if (chunk.end()) this.takeChunk('outputs', chunk, life);
    this.latest.set(node, status);
  }

  journal(events: readonly JournalEvent[]): void {
    for (const event of events) {
      if (this.addEvent(event)) this.takeList('events', this.eventChunk);
      if (event.kind === 'send') this.sent[event.type] = (this.sent[event.type] ?? 0) + 1;
      else if (event.kind === 'fault') this.faults.add(event.fault?.kind ?? (event.description.split(' ')[0] as string));
      else if (event.kind === 'node' && (event.event === 'crashed' || event.event === 'failed')) this.latest.delete(event.node);
      else if (event.kind === 'client') this.history(event.event);
      if (event.time >= this.nextSnapshotAt) this.snapshot(event.time);
    }
    // A simulation runs without yielding to timers: it flushes by size, so memory stays bounded.
    if (this.inline !== null && this.taken.events + this.taken.inputs + this.taken.outputs >= INLINE_FLUSH_ROWS) this.flush();
  }

  /**
   * An event as a row: its time, kind, node (or sender), whether it is notable (not one of the
   * flood of messages and state changes, which are left out of the index), and its JSON. For a live
   * recording's writer thread the row is SQL literals, every text inside quotes with its quotes
   * doubled (inSqlQuotes); a simulation's is the values themselves. True when the chunk is full.
   */
  private addEvent(event: JournalEvent): boolean {
    const node = 'node' in event ? event.node : 'src' in event ? event.src : null;
    const notable = event.kind === 'send' || event.kind === 'deliver' || event.kind === 'drop' || event.kind === 'state' ? null : 1;
    const json = JSON.stringify(event);
    this.tap?.event(json);
    const time = Number.isFinite(event.time) ? event.time : 0;
    if (this.inline !== null) {
      // Written in this thread: the row's values as they are, for a prepared insert. Turned into
      // SQL text, bytes, a string again and parsed back, they cost half as much again.
      this.pushRow('events', [time, event.kind, node, notable, json]);
      return false;
    }
    const chunk = this.eventChunk;
    chunk.begin(event.time);
    chunk.write(`(${time},'${inSqlQuotes(event.kind)}',${node === null ? 'NULL' : `'${inSqlQuotes(node)}'`},${notable === null ? 'NULL' : '1'},'`);
    // The JSON is written on its own: wrapped in quotes first, it would be copied once more.
    chunk.write(inSqlQuotes(json));
    chunk.write("')");
    return chunk.end();
  }

  history(event: HistoryEvent): void {
    const json = JSON.stringify(event);
    this.tap?.history(json);
    if (this.historyChunk.add(0, json)) this.takeList('history', this.historyChunk);
  }

  /** Every node's status now: where a replay seeks to without reading every event before it. */
  private snapshot(timeMs: number): void {
    this.nextSnapshotAt = timeMs + SNAPSHOT_EVERY_MS;
    for (const [node, status] of this.latest) this.pushRow('snapshots', [timeMs, node, this.lifeOf.get(node) ?? null, JSON.stringify(status)]);
    this.pushRow('traffic', [timeMs, JSON.stringify(this.sent)]);
    this.sent = {};
  }

  /** Hands everything gathered so far to the writer thread, which writes it in one transaction. */
  flush(ack?: number): void {
    if (this.closed) return;
    // Every life's open chunks go out with the flush: a crash loses no more than FLUSH_MS.
    for (const [life, chunk] of this.inputChunks) if (chunk.size > 0) this.takeChunk('inputs', chunk, life);
    for (const [life, chunk] of this.outputChunks) if (chunk.size > 0) this.takeChunk('outputs', chunk, life);
    if (this.bodies !== null && this.bodies.size > 0) this.takeBodies();
    if (this.eventChunk.size > 0) this.takeList('events', this.eventChunk);
    if (this.historyChunk.size > 0) this.takeList('history', this.historyChunk);
    const rows = this.pending;
    this.pending = emptyRows();
    for (const table of Object.keys(rows) as Table[]) this.counts[table] += this.taken[table];
    this.taken = emptyCounts();
    const data = chunkData(rows);
    const buffers = chunkBuffers(data);
    if (this.inline) {
      this.inline.write(rows);
      for (const buffer of buffers) this.pool.give(buffer);
      if (ack !== undefined) this.acks.get(ack)?.();
      this.acks.delete(ack ?? -1);
    } else {
      // The chunks' buffers move to the writer instead of being copied, and come back once written.
      // What the writer holds is the chunks' data (their buffers' spare room was never touched).
      let bytes = 0;
      for (const chunk of data) bytes += chunk.byteLength;
      this.unwrittenFlushes.push(bytes);
      this.unwrittenBytes += bytes;
      this.writer?.postMessage({ type: 'rows', rows, ack } satisfies WriterMessage, buffers);
    }
  }

  /**
   * True while the writer thread is more than maxUnwrittenBytes behind: the cluster then holds new
   * client requests until it caught up (caughtUp). Only a machine with no idle time left for the
   * writer (see recorder-writer.ts) gets here; a failed or stopped writer never holds anything.
   */
  get behind(): boolean {
    return this.unwrittenBytes > this.maxUnwrittenBytes && this.writerError === null && !this.writerGone && !this.closed;
  }

  /** Resolves once the writer is no longer behind (at once if it is not). */
  caughtUp(): Promise<void> {
    if (!this.behind) return Promise.resolve();
    return new Promise((resolve) => this.catchUpWaiters.push(resolve));
  }

  private releaseCatchUpWaiters(): void {
    const waiters = this.catchUpWaiters;
    this.catchUpWaiters = [];
    for (const release of waiters) release();
  }

  /** Chunk buffers the writer thread has handed back so far, to be filled again. */
  get buffersReturned(): number {
    return this.returnedBuffers;
  }

  /** Resolves once everything recorded so far is in the file (before reading it, say to export). */
  synced(): Promise<void> {
    if (this.closed || this.writerGone) return Promise.resolve();
    const ack = this.nextAck++;
    const done = new Promise<void>((resolve) => this.acks.set(ack, resolve));
    this.flush(ack);
    return done;
  }

  /** The writer's failure, if any: a full disk, say. Recording stops; the cluster does not. */
  get error(): string | null {
    return this.writerError;
  }

  /** Flushes, writes the summary and closes the file; resolves once the writer is done. */
  close(summary: Omit<SessionSummary, 'faults'> & { faults?: string[] }): Promise<void> {
    if (this.closing) return this.closing;
    this.flush();
    clearInterval(this.timer);
    this.closed = true;
    this.releaseCatchUpWaiters();
    const full: SessionSummary = { ...summary, faults: summary.faults ?? [...this.faults].sort() };
    const meta = { summary: full, ended_at: new Date().toISOString() };
    const writer = this.writer;
    if (writer === null || this.writerGone) {
      this.inline?.close(meta);
      this.closing = Promise.resolve();
      return this.closing;
    }
    this.closing = new Promise<void>((resolve) => {
      const done = (): void => {
        void writer.terminate();
        resolve();
      };
      writer.on('message', (answer: WriterAnswer) => answer.type === 'closed' && done());
      writer.once('exit', done);
      writer.postMessage({ type: 'close', meta } satisfies WriterMessage);
    });
    return this.closing;
  }
}
