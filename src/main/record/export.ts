// A data set from recorded sessions, for people who train models on how clusters behave:
//
//   transitions.jsonl  one line per node step: session, node, life, time, before, input, outputs, after
//   events.jsonl       the journal: session plus the event
//   history.jsonl      the clients' history in the checker's format, plus a session field
//   dataset.md         the data card: schema, settings, seeds, counts, how it was made
//   labels.jsonl       (export only) one line per session: each consistency model's verdict at its close
//
// Transitions come from re-executing each node (see reexecute.ts), so every line is a step the
// node really took, with its state on both sides. `generate --sim` writes the same lines as its
// simulations take the steps (share-capture.ts) instead of re-executing what it just recorded.

import { closeSync, constants, copyFileSync, createWriteStream, linkSync, lstatSync, mkdirSync, mkdtempSync, openSync, readFileSync, rmSync, unlinkSync, writeFileSync, writeSync, type WriteStream } from 'node:fs';
import { basename, join } from 'node:path';
import type { BufferPool } from './chunks.ts';
import { transitions, type NodeState, type StepOutputs } from './reexecute.ts';
import type { NodeId } from '../../shared/protocol.ts';
import { appVersion, openSessionFile, SESSION_SUFFIX, SessionFileError, type SessionMeta } from './session-file.ts';
import { CONSISTENCY_NAMES } from '../../shared/consistency.ts';

export interface ExportedSession {
  file: string;
  session: string;
  meta: SessionMeta;
  transitions: number;
  events: number;
  history: number;
}

export interface ExportResult {
  dir: string;
  sessions: ExportedSession[];
}

/** Where a share of the data set goes, line by line. */
interface LineSink {
  write(line: string): Promise<void>;
  close(): Promise<void>;
}

/**
 * Into a file, in pieces of about a megabyte (a million small writes cost more than the data),
 * waiting when the stream is full, so a big session never sits in memory.
 */
class FileLines implements LineSink {
  private lines: string[] = [];
  private size = 0;
  private readonly stream: WriteStream;
  constructor(path: string) {
    // Exclusive: a file (or a link, even a dangling one) already there is an error, never written through.
    this.stream = createWriteStream(path, { flags: 'wx' });
  }
  async write(line: string): Promise<void> {
    this.lines.push(line);
    this.size += line.length + 1;
    if (this.size >= 1 << 20) await this.flush();
  }
  private async flush(): Promise<void> {
    if (this.lines.length === 0) return;
    const text = this.lines.join('\n') + '\n';
    this.lines = [];
    this.size = 0;
    if (!this.stream.write(text)) await new Promise<void>((resolve) => this.stream.once('drain', () => resolve()));
  }
  async close(): Promise<void> {
    await this.flush();
    await new Promise<void>((resolve, reject) => this.stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}

const PIECE_BYTES = 1 << 20;
const NEWLINE = 0x0a;

/**
 * Into memory, in pieces that can be handed to another thread without a copy (generate). Lines go
 * straight into UTF-8 bytes, in buffers from `pool` that the caller gives back once written: joined
 * into a string first and then copied, a session's hundred megabytes of lines took two fresh
 * allocations a megabyte, and first touching new memory is what cost most on a virtual machine.
 */
export class MemoryLines implements LineSink {
  readonly pieces: Uint8Array[] = [];
  private piece: Buffer | null = null;
  private length = 0;
  private readonly pool: BufferPool;
  constructor(pool: BufferPool) {
    this.pool = pool;
  }
  async write(line: string): Promise<void> {
    this.add(line);
  }
  add(line: string): void {
    // Room for the worst case (three bytes a UTF-16 unit) and the newline.
    const needed = line.length * 3 + 1;
    if (this.piece === null || this.length + needed > this.piece.length) this.nextPiece(needed);
    const piece = this.piece as Buffer;
    this.length += piece.write(line, this.length);
    piece[this.length++] = NEWLINE;
  }
  private nextPiece(needed: number): void {
    this.keepPiece();
    this.piece = this.pool.take(Math.max(PIECE_BYTES, needed));
  }
  private keepPiece(): void {
    if (this.piece !== null && this.length > 0) this.pieces.push(this.piece.subarray(0, this.length));
    this.piece = null;
    this.length = 0;
  }
  async close(): Promise<void> {
    this.finish();
  }
  /** Keeps the last piece: every line is in `pieces` now. */
  finish(): void {
    this.keepPiece();
  }
}

export const DATASET_LINE_FILES = ['transitions.jsonl', 'events.jsonl', 'history.jsonl'] as const;
type LineFile = (typeof DATASET_LINE_FILES)[number];
export const DATASET_FILES = [...DATASET_LINE_FILES, 'dataset.md'] as const;
/**
 * What `export` writes: the data set and the sessions' labels. generate's sessions come from the
 * simulator, which checks no models, so its data sets (and merges of them) have no labels.
 */
const EXPORT_FILES = [...DATASET_FILES, 'labels.jsonl'] as const;

/** A refusal the CLI prints as one line (see cli/file-errors.ts): an error with a code and a sentence. */
function fileError(code: string, path: string, message: string): Error {
  return Object.assign(new Error(message), { code, path });
}

/** Whether anything, a dangling link included, has that name (existsSync follows links). */
export function pathTaken(path: string): boolean {
  return lstatSync(path, { throwIfNoEntry: false }) !== undefined;
}

/** Refuses a destination that already holds a data set file: a data set never overwrites one. */
export function refuseDatasetClash(dir: string, verb = 'export', files: readonly string[] = DATASET_FILES): void {
  const clash = files.find((name) => pathTaken(join(dir, name)));
  if (clash !== undefined) throw fileError('EEXIST', join(dir, clash), `${join(dir, clash)} already exists; ${verb} into an empty or new folder`);
}

export function eachLineFile<T>(make: (name: LineFile) => T): Record<LineFile, T> {
  return { 'transitions.jsonl': make('transitions.jsonl'), 'events.jsonl': make('events.jsonl'), 'history.jsonl': make('history.jsonl') };
}

function sessionName(file: string, taken: Set<string>): string {
  let name = basename(file).replace(SESSION_SUFFIX, '').replace(/\.sqlite$/, '');
  for (let n = 2; taken.has(name); n++) name = `${basename(file)}-${n}`;
  taken.add(name);
  return name;
}

export interface PartCounts {
  transitions: number;
  events: number;
  history: number;
}

/**
 * An events or history line: the session, then the recorded event's own fields (its JSON without
 * the opening brace).
 */
export function sessionLine(prefix: string, eventJson: string): string {
  return prefix + eventJson.slice(1);
}

/** What `sessionLine` puts before an event's fields. */
export function sessionLinePrefix(session: string): string {
  return `{"session":${JSON.stringify(session)},`;
}

/** Writes one session's lines: its events, its history and the transitions re-executed from it. */
async function writeShare(file: string, session: string, sinks: Record<LineFile, LineSink>): Promise<PartCounts> {
  // Whoever asks for a share has checked the file already (exportSessions) or just wrote it (generate).
  const { db } = openSessionFile(file, { quick: true });
  try {
    return await writeShareOf(db, session, sinks);
  } catch (error) {
    // A chunk that does not parse (chunks.ts) names its row; the reader needs the file too.
    if (error instanceof SessionFileError && error.message.startsWith('damaged: ')) throw new SessionFileError(`${file} is ${error.message}`);
    throw error;
  } finally {
    db.close();
    await Promise.all(Object.values(sinks).map((sink) => sink.close()));
  }
}

async function writeShareOf(db: ReturnType<typeof openSessionFile>['db'], session: string, sinks: Record<LineFile, LineSink>): Promise<PartCounts> {
  const counts: PartCounts = { transitions: 0, events: 0, history: 0 };
  const prefix = sessionLinePrefix(session);
  {
    for (const row of db.prepare('SELECT data FROM events ORDER BY seq').iterate() as IterableIterator<{ data: string }>) {
      await sinks['events.jsonl'].write(sessionLine(prefix, row.data));
      counts.events++;
    }
    for (const row of db.prepare('SELECT data FROM history ORDER BY seq').iterate() as IterableIterator<{ data: string }>) {
      await sinks['history.jsonl'].write(sessionLine(prefix, row.data));
      counts.history++;
    }
    const lines = new TransitionLines(session);
    for (const step of transitions(db)) {
      await sinks['transitions.jsonl'].write(lines.line(step.node, step.life, step.time, step.before, JSON.stringify(step.input), step.outputs, step.after));
      counts.transitions++;
    }
  }
  return counts;
}

/** One session's share of the data set, into its own folder; `exportSessions` joins the shares. */
export async function exportSessionPart(file: string, session: string, dir: string): Promise<PartCounts> {
  mkdirSync(dir, { recursive: true });
  return writeShare(file, session, eachLineFile((name) => new FileLines(join(dir, name))));
}

/** One session's share of the data set in memory, in pieces per file taken from `pool`. */
export async function exportSessionShare(file: string, session: string, pool: BufferPool): Promise<SessionShare> {
  const sinks = eachLineFile(() => new MemoryLines(pool));
  const counts = await writeShare(file, session, sinks);
  return { counts, data: eachLineFile((name) => sinks[name].pieces) };
}

/** A session's lines for each data set file, in memory, and how many of each. */
export interface SessionShare {
  counts: PartCounts;
  data: Record<LineFile, Uint8Array[]>;
}

/**
 * Transition lines, put together by hand: one step's before is the last one's after, already
 * written out, and a step that changed nothing has the same state object on both sides (stateOf).
 */
export class TransitionLines {
  private readonly sessionJson: string;
  private lastAfter: NodeState | null = null;
  private lastAfterJson = '';
  constructor(session: string) {
    this.sessionJson = JSON.stringify(session);
  }
  line(node: NodeId, life: number, time: number, before: NodeState, inputJson: string, outputs: StepOutputs, after: NodeState): string {
    const beforeJson = before === this.lastAfter ? this.lastAfterJson : JSON.stringify(before);
    this.lastAfter = after;
    this.lastAfterJson = after === before ? beforeJson : JSON.stringify(after);
    return `{"session":${this.sessionJson},"node":${JSON.stringify(node)},"life":${life},"time":${time},"before":${beforeJson},"input":${inputJson},"outputs":${JSON.stringify(outputs)},"after":${this.lastAfterJson}}`;
  }
}

/** A share's memory: each piece is a buffer of its own, handed between threads rather than copied. */
export function shareBuffers(data: Record<LineFile, Uint8Array[]>): ArrayBuffer[] {
  return [...new Set(Object.values(data).flatMap((pieces) => pieces.map((bytes) => bytes.buffer as ArrayBuffer)))];
}

/** Appends one session's share to each of the data set's open files. */
export function appendShare(files: Record<LineFile, number>, data: Record<LineFile, Uint8Array[]>): void {
  for (const name of DATASET_LINE_FILES) {
    for (const bytes of data[name]) for (let written = 0; written < bytes.length; ) written += writeSync(files[name], bytes, written);
  }
}

export function writeDataCard(sessions: ExportedSession[], dir: string, options: { labels?: boolean } = {}): void {
  writeFileSync(join(dir, 'dataset.md'), dataCard(sessions, options.labels ?? false), { flag: 'wx' });
}

/**
 * One line per session, a data set's labels: every consistency model as a field of its own
 * ('true', 'false', 'unknown'; null for a session recorded before the app checked the models),
 * the model the algorithm promises, the strongest that held, and the witness of each that did not.
 */
export function labelLine(s: Pick<ExportedSession, 'session' | 'meta'>): string {
  const kept = s.meta.summary?.consistency;
  const verdicts = Object.fromEntries(CONSISTENCY_NAMES.map((name) => [name, kept?.models.find((m) => m.model === name)?.verdict ?? null]));
  const witnesses = Object.fromEntries((kept?.models ?? []).filter((m) => m.witness !== null).map((m) => [m.model, m.witness]));
  return JSON.stringify({ session: s.session, algorithm: s.meta.algorithm, promises: kept?.promises ?? null, strongest: kept?.strongest ?? null, ...verdicts, witnesses });
}

export interface ExportOptions {
  progress?: (line: string) => void;
  /** Runs one session's share (generate hands it to worker threads); in this thread by default. */
  exportPart?: (file: string, session: string, dir: string) => Promise<PartCounts>;
}

export async function exportSessions(files: string[], dir: string, options: ExportOptions = {}): Promise<ExportResult> {
  // Every file is opened and checked before anything is written: a bad one stops the export whole.
  const metas = files.map((file) => {
    const { db, meta } = openSessionFile(file);
    db.close();
    return { file, meta };
  });
  mkdirSync(dir, { recursive: true });
  refuseDatasetClash(dir, 'export', EXPORT_FILES);
  // Everything is written into a folder of our own, made fresh, and only finished files are put
  // into place, none over anything: what the destination held before stays as it was (a fixed
  // `.parts` folder here was once emptied whoever owned it).
  const work = mkdtempSync(join(dir, '.export-'));
  const parts = join(work, 'parts');
  const names = new Set<string>();
  const named = metas.map((m) => ({ ...m, session: sessionName(m.file, names) }));
  const exportPart = options.exportPart ?? exportSessionPart;
  let done = 0;
  try {
    const counts = await Promise.all(
      named.map(async ({ file, session }, index) => {
        const result = await exportPart(file, session, join(parts, String(index)));
        done++;
        options.progress?.(`${done}/${named.length} ${session}: ${result.transitions} transitions, ${result.events} events, ${result.history} history events`);
        return result;
      }),
    );
    const result = assembleDataset(
      named.map((n, i) => ({ ...n, counts: counts[i] as PartCounts, dir: join(parts, String(i)) })),
      work,
      { labels: true },
    );
    writeFileSync(join(work, 'labels.jsonl'), result.sessions.map((s) => `${labelLine(s)}\n`).join(''), { flag: 'wx' });
    putIntoPlace(work, dir, EXPORT_FILES);
    return { ...result, dir };
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Moves the finished data set files from `work` into `dir`. A hard link is a rename that refuses
 * to replace what is there (rename replaces silently); where links are not allowed, an exclusive
 * copy does the same. On a clash the files put in place so far, ours, are taken back.
 */
function putIntoPlace(work: string, dir: string, names: readonly string[]): void {
  const placed: string[] = [];
  try {
    for (const name of names) {
      const from = join(work, name);
      const to = join(dir, name);
      try {
        linkSync(from, to);
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code === 'EEXIST') throw fileError('EEXIST', to, `${to} already exists; export into an empty or new folder`);
        copyFileSync(from, to, constants.COPYFILE_EXCL);
      }
      placed.push(to);
    }
  } catch (error) {
    for (const path of placed) unlinkSync(path);
    throw error;
  }
}

/** Joins the sessions' shares, in the order given, into the data set's files and writes its card. */
export function assembleDataset(shares: Array<{ file: string; session: string; meta: SessionMeta; counts: PartCounts; dir: string }>, dir: string, card: { labels?: boolean } = {}): ExportResult {
  mkdirSync(dir, { recursive: true });
  const files = eachLineFile((name) => openSync(join(dir, name), 'wx'));
  try {
    for (const share of shares) appendShare(files, eachLineFile((name) => [readFileSync(join(share.dir, name))]));
  } finally {
    for (const fd of Object.values(files)) closeSync(fd);
  }
  const sessions: ExportedSession[] = shares.map((share) => ({ file: share.file, session: share.session, meta: share.meta, ...share.counts }));
  writeDataCard(sessions, dir, card);
  return { dir, sessions };
}

/**
 * The card's date, only where SOURCE_DATE_EPOCH (seconds, the reproducible-builds convention)
 * gives one: the same sessions make the same card byte for byte wherever and whenever they are
 * exported, generated or merged, and the files' own times say when that was.
 */
function madeOn(): string {
  const fixed = process.env.SOURCE_DATE_EPOCH;
  return fixed !== undefined && /^\d+$/.test(fixed) ? ` on ${new Date(Number(fixed) * 1000).toISOString()}` : '';
}

/** Each session's models and verdicts at its close, a table each; none for sessions recorded without them. */
function consistencyTables(sessions: ExportedSession[]): string {
  const checked = sessions.filter((s) => s.meta.summary?.consistency !== undefined);
  if (checked.length === 0) return '';
  const tables = checked.map((s) => {
    const kept = s.meta.summary?.consistency as NonNullable<NonNullable<SessionMeta['summary']>['consistency']>;
    const rows = kept.models.map((m) => `| ${m.model}${m.model === kept.promises ? ' (promised)' : ''} | ${m.verdict}${m.impliedBy ? ` (from ${m.impliedBy})` : ''} | ${m.witness ? `${m.witness.anomaly}: ${m.witness.operations.map((o) => `client ${o.process} ${o.description}`).join('; ')}` : ''} |`);
    return `**${s.session}** (${s.meta.algorithm} promises ${kept.promises ?? 'nothing known'}; strongest holding: ${kept.strongest.join(', ') || 'none'})\n\n| model | verdict | witness |\n|---|---|---|\n${rows.join('\n')}`;
  });
  return `\n## Consistency\n\nEvery consistency model's verdict on each session's whole client history when it closed (\`from\` a model: implied through the hierarchy, with no search of its own).\n\n${tables.join('\n\n')}\n`;
}

function dataCard(sessions: ExportedSession[], labels: boolean): string {
  const total = (key: 'transitions' | 'events' | 'history'): number => sessions.reduce((sum, s) => sum + s[key], 0);
  const rows = sessions.map((s) => {
    const summary = s.meta.summary;
    const verdict = summary ? `${summary.linearizable}${summary.violations > 0 ? `, ${summary.violations} violations` : ''}` : 'not closed';
    const faults = summary && summary.faults.length > 0 ? summary.faults.join(', ') : 'none';
    return `| ${s.session} | ${s.meta.mode} | ${s.meta.algorithm} | ${s.meta.nodes} | ${s.meta.seed} | ${summary ? (summary.durationMs / 1000).toFixed(1) : '?'} | ${faults} | ${verdict} | ${s.transitions} | ${s.events} | ${s.history} |`;
  });
  return `# Consensus Playground data set

Made by Consensus Playground ${appVersion()}${madeOn()} from ${sessions.length} recorded session(s).
Every transition is a step a node really took, with its state on both sides: \`export\` re-executes
each node from its recorded inputs, \`generate --sim\` writes the steps as its simulations take them,
and both give the same lines (\`replay --verify\` checks that a recording re-executes exactly).

## Files

| file | lines | one line is |
|---|---|---|
| transitions.jsonl | ${total('transitions')} | one step of one node |
| events.jsonl | ${total('events')} | one event of the cluster's journal |
| history.jsonl | ${total('history')} | one client operation event (invoke, ok, fail, info) |
${labels ? `| labels.jsonl | ${sessions.length} | one session's consistency labels |\n` : ''}
## Schema

**transitions.jsonl**
- \`session\`: the session's name (see the table below)
- \`node\`: the node's id (n1, n2, ...); \`life\`: which start of the node (a restart begins a new life, from what the node had on disk)
- \`time\`: virtual milliseconds since the session started, when the node was given the input
- \`before\`, \`after\`: the node's state: \`role\`, \`term\`, \`leader\`, \`votedFor\`, \`commit\`, \`applied\`, \`lastIndex\`, \`snapshotIndex\`, \`voters\`, and for a leader \`progress\` (per follower: \`match\`, \`next\`, \`state\`)
- \`input\`: the inputs the node consumed in this step, in order (usually one; worker threads get a batch per turn): \`{kind: "tick"}\`, \`{kind: "message", envelope: {src, dest, body}}\`, \`{kind: "client", request}\` or \`{kind: "admin", request}\`
- \`outputs\`: what the step produced: \`messages\` (envelopes), \`replies\` (to clients and admin requests), \`persisted\` (what the node wrote to its storage: the hard state, \`log: {from, count}\` for the entries written from index \`from\` (their contents are in the input or the messages), a snapshot's \`index\` and \`term\`), \`applied\` (log indexes applied to the state machine)

**events.jsonl**: \`session\` plus one journal event: \`kind\` (send, deliver, drop, state, fault, node, client, violation, error), \`time\` (virtual ms) and the kind's fields.

**history.jsonl**: \`session\` plus the checker's format: \`process\`, \`type\` (invoke, ok, fail, info), \`f\` (read, write, cas, append, delete), \`key\`, \`value\`, \`time\` (ns). \`consensus-playground check --model kv history.jsonl\` checks each session's history on its own.
${labels ? `\n**labels.jsonl**: \`session\`, \`algorithm\`, \`promises\` (the model the algorithm promises), \`strongest\` (the models that held with no stronger one holding), one field per model (${CONSISTENCY_NAMES.map((n) => `\`${n}\``).join(', ')}): \`"true"\`, \`"false"\`, \`"unknown"\` (out of budget, or no check for it), or null for a session recorded before the app checked them; \`witnesses\`: for each model that did not hold, \`anomaly\`, \`why\` and its \`operations\` (\`process\`, \`description\`, \`start\` and \`end\` the \`time\` of their events in history.jsonl).\n` : ''}
## Sessions

| session | mode | algorithm | nodes | seed | seconds | faults | linearizable | transitions | events | history |
|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

## Settings

${sessions.map((s) => `- ${s.session}: \`${JSON.stringify(s.meta.settings)}\``).join('\n')}
${consistencyTables(sessions)}
## How it was made

Sessions were recorded by \`consensus-playground run --record\`, \`generate\` or the desktop app, in
${[...new Set(sessions.map((s) => (s.meta.mode === 'sim' ? 'the deterministic simulator (virtual time)' : 'worker threads with one SQLite file per node (real time)')))].join(' and ')}.
Faults were injected on the network (partitions, cuts, drops, delays, duplicates) and on nodes
(kills, restarts, pauses); the seeds above reproduce the simulated ones exactly.
`;
}
