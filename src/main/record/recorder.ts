// Records a session into its file. Nothing is written on the hot path: rows gather in memory and
// go to SQLite in one transaction every FLUSH_MS, so a crash of the app loses at most that much.

import type Database from 'better-sqlite3';
import type { PersistedState } from '../../nodes/types.ts';
import type { WireEnvelope, WireInput } from '../../nodes/host/protocol.ts';
import type { HistoryEvent } from '../../shared/history.ts';
import type { JournalEvent } from '../../shared/journal.ts';
import type { NodeId, NodeStatus, Reply } from '../../shared/protocol.ts';
import { ChunkBuilder, inputEntry, outputEntry } from './chunks.ts';
import { createSessionFile, type SessionSummary } from './session-file.ts';
import type { LifeContext, RecordingSink } from './sink.ts';

export const FLUSH_MS = 250;
const SNAPSHOT_EVERY_MS = 1000;

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

/**
 * A Ready's messages are kept as a digest: every one of them is also recorded whole where it
 * matters, as an input of the node it reached (or a send in the journal if it never arrived), and
 * a re-execution that produces other messages changes the digest. This halves a session's size.
 */
export function messagesDigest(messages: readonly { src: string; dest: string; body: string }[]): string {
  // FNV-1a in two lanes: fast, and 64 bits leave no room for a chance collision to hide a divergence.
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (const m of messages) {
    for (const text of [m.src, m.dest, m.body]) {
      for (let i = 0; i < text.length; i++) {
        const c = text.charCodeAt(i);
        h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
        h2 = Math.imul(h2 ^ c, 0x85ebca6b) >>> 0;
      }
      h1 = Math.imul(h1 ^ 0xff, 0x01000193) >>> 0;
    }
  }
  return `${messages.length}:${h1.toString(16).padStart(8, '0')}${h2.toString(16).padStart(8, '0')}`;
}

type Row = unknown[];
/** Tables in the order a flush writes them: a life before its start, both before its inputs. */
const TABLES = ['lives', 'started', 'inputs', 'outputs', 'events', 'snapshots', 'history'] as const;
type Table = (typeof TABLES)[number];

function emptyRows(): Record<Table, Row[]> {
  return { lives: [], started: [], inputs: [], outputs: [], events: [], snapshots: [], history: [] };
}

export class SessionRecorder implements RecordingSink {
  readonly path: string;
  private readonly db: Database.Database;
  private readonly insert: Record<Table, Database.Statement>;
  private pending: Record<Table, Row[]> = emptyRows();
  private readonly lifeOf = new Map<NodeId, number>();
  private nextLife = 1;
  private readonly latest = new Map<NodeId, NodeStatus>();
  /** Each life's last recorded status text: an output with the same status stores NULL. */
  private readonly lastStatusText = new Map<number, string>();
  private readonly inputChunks = new Map<number, ChunkBuilder>();
  private readonly outputChunks = new Map<number, ChunkBuilder>();
  private nextSnapshotAt = 0;
  private readonly faults = new Set<string>();
  private readonly timer: NodeJS.Timeout;
  private closed = false;
  /** Rows written so far, by table. */
  readonly counts: Record<Table, number> = { lives: 0, started: 0, inputs: 0, outputs: 0, events: 0, snapshots: 0, history: 0 };

  constructor(path: string, meta: RecordingMeta) {
    this.path = path;
    this.db = createSessionFile(path, { ...meta, started_at: new Date().toISOString() });
    this.insert = {
      events: this.db.prepare('INSERT INTO events (time, kind, node, data, notable) VALUES (?, ?, ?, ?, ?)'),
      lives: this.db.prepare('INSERT INTO lives (life, node, time, context) VALUES (?, ?, ?, ?)'),
      started: this.db.prepare('UPDATE lives SET persisted = ? WHERE life = ?'),
      inputs: this.db.prepare('INSERT INTO inputs (life, time, end_time, count, batches) VALUES (?, ?, ?, ?, ?)'),
      outputs: this.db.prepare('INSERT INTO outputs (life, time, end_time, count, readies) VALUES (?, ?, ?, ?, ?)'),
      snapshots: this.db.prepare('INSERT INTO snapshots (time, node, life, status) VALUES (?, ?, ?, ?)'),
      history: this.db.prepare('INSERT INTO history (data) VALUES (?)'),
    };
    this.timer = setInterval(() => this.flush(), FLUSH_MS);
    this.timer.unref();
  }

  life(node: NodeId, context: LifeContext, timeMs: number): void {
    const life = this.nextLife++;
    this.lifeOf.set(node, life);
    this.pending.lives.push([life, node, timeMs, JSON.stringify(context)]);
  }

  started(node: NodeId, persisted: PersistedState): void {
    const life = this.lifeOf.get(node);
    if (life !== undefined) this.pending.started.push([persistedToJson(persisted), life]);
  }

  inputs(node: NodeId, inputs: readonly WireInput[], timeMs: number): void {
    const life = this.lifeOf.get(node);
    if (life === undefined) return;
    const chunk = this.chunkFor(this.inputChunks, life);
    if (chunk.add(timeMs, inputEntry(timeMs, inputs))) this.pending.inputs.push([life, ...chunk.take()]);
  }

  private chunkFor(chunks: Map<number, ChunkBuilder>, life: number): ChunkBuilder {
    let chunk = chunks.get(life);
    if (chunk === undefined) {
      chunk = new ChunkBuilder();
      chunks.set(life, chunk);
    }
    return chunk;
  }

  output(node: NodeId, messages: readonly WireEnvelope[], replies: readonly Reply[], status: NodeStatus, timeMs: number): void {
    const life = this.lifeOf.get(node);
    if (life === undefined) return;
    const statusText = JSON.stringify(status);
    const unchanged = this.lastStatusText.get(life) === statusText;
    this.lastStatusText.set(life, statusText);
    const chunk = this.chunkFor(this.outputChunks, life);
    if (chunk.add(timeMs, outputEntry(timeMs, unchanged ? null : statusText, messagesDigest(messages), JSON.stringify(replies)))) this.pending.outputs.push([life, ...chunk.take()]);
    this.latest.set(node, status);
  }

  journal(events: readonly JournalEvent[]): void {
    for (const event of events) {
      const node = 'node' in event ? event.node : 'src' in event ? event.src : null;
      const notable = event.kind === 'send' || event.kind === 'deliver' || event.kind === 'drop' || event.kind === 'state' ? null : 1;
      this.pending.events.push([event.time, event.kind, node, JSON.stringify(event), notable]);
      if (event.kind === 'fault') this.faults.add(event.description.split(' ')[0] as string);
      else if (event.kind === 'node' && (event.event === 'crashed' || event.event === 'failed')) this.latest.delete(event.node);
      else if (event.kind === 'client') this.history(event.event);
      if (event.time >= this.nextSnapshotAt) this.snapshot(event.time);
    }
  }

  history(event: HistoryEvent): void {
    this.pending.history.push([JSON.stringify(event)]);
  }

  /** Every node's status now: where a replay seeks to without reading every event before it. */
  private snapshot(timeMs: number): void {
    this.nextSnapshotAt = timeMs + SNAPSHOT_EVERY_MS;
    for (const [node, status] of this.latest) this.pending.snapshots.push([timeMs, node, this.lifeOf.get(node) ?? null, JSON.stringify(status)]);
  }

  /** Writes everything gathered so far in one transaction. */
  flush(): void {
    if (this.closed) return;
    // Every life's open chunks go out with the flush: a crash loses no more than FLUSH_MS.
    for (const [life, chunk] of this.inputChunks) if (chunk.size > 0) this.pending.inputs.push([life, ...chunk.take()]);
    for (const [life, chunk] of this.outputChunks) if (chunk.size > 0) this.pending.outputs.push([life, ...chunk.take()]);
    const batch = this.pending;
    this.pending = emptyRows();
    this.db.transaction(() => {
      for (const table of TABLES) {
        const statement = this.insert[table];
        for (const row of batch[table]) statement.run(...row);
        this.counts[table] += table === 'inputs' || table === 'outputs' ? batch[table].reduce((sum, row) => sum + (row[3] as number), 0) : batch[table].length;
      }
    })();
  }

  /** Flushes, writes the summary and closes the file. */
  close(summary: Omit<SessionSummary, 'faults'> & { faults?: string[] }): void {
    if (this.closed) return;
    this.flush();
    clearInterval(this.timer);
    const full: SessionSummary = { ...summary, faults: summary.faults ?? [...this.faults].sort() };
    this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('summary', ?)").run(JSON.stringify(full));
    this.db.prepare("INSERT OR REPLACE INTO meta (key, value) VALUES ('ended_at', ?)").run(JSON.stringify(new Date().toISOString()));
    this.db.pragma('wal_checkpoint(TRUNCATE)');
    this.db.close();
    this.closed = true;
  }
}
