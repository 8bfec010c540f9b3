// A data set from recorded sessions, for people who train models on how clusters behave:
//
//   transitions.jsonl  one line per node step: session, node, life, time, before, input, outputs, after
//   events.jsonl       the journal: session plus the event
//   history.jsonl      the clients' history in the checker's format, plus a session field
//   dataset.md         the data card: schema, settings, seeds, counts, how it was made
//
// Transitions come from re-executing each node (see reexecute.ts), so every line is a step the
// node really took, with its state on both sides.

import { createWriteStream, mkdirSync, writeFileSync, type WriteStream } from 'node:fs';
import { basename, join } from 'node:path';
import { transitions } from './reexecute.ts';
import { appVersion, openSessionFile, SESSION_SUFFIX, type SessionMeta } from './session-file.ts';

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

/** Writes lines through a stream, waiting when it is full, so a big session never sits in memory. */
class LineWriter {
  private readonly stream: WriteStream;
  constructor(path: string) {
    this.stream = createWriteStream(path);
  }
  async write(line: string): Promise<void> {
    if (!this.stream.write(line + '\n')) await new Promise<void>((resolve) => this.stream.once('drain', () => resolve()));
  }
  close(): Promise<void> {
    return new Promise((resolve, reject) => this.stream.end((error?: Error | null) => (error ? reject(error) : resolve())));
  }
}

function sessionName(file: string, taken: Set<string>): string {
  let name = basename(file).replace(SESSION_SUFFIX, '').replace(/\.sqlite$/, '');
  for (let n = 2; taken.has(name); n++) name = `${basename(file)}-${n}`;
  taken.add(name);
  return name;
}

export async function exportSessions(files: string[], dir: string, progress?: (line: string) => void): Promise<ExportResult> {
  // Every file is opened and checked before anything is written: a bad one stops the export whole.
  const opened = files.map((file) => ({ file, ...openSessionFile(file) }));
  mkdirSync(dir, { recursive: true });
  const out = {
    transitions: new LineWriter(join(dir, 'transitions.jsonl')),
    events: new LineWriter(join(dir, 'events.jsonl')),
    history: new LineWriter(join(dir, 'history.jsonl')),
  };
  const names = new Set<string>();
  const sessions: ExportedSession[] = [];
  try {
    for (const [index, { file, db, meta }] of opened.entries()) {
      const session = sessionName(file, names);
      const exported: ExportedSession = { file, session, meta, transitions: 0, events: 0, history: 0 };
      const prefix = `{"session":${JSON.stringify(session)},`;
      for (const row of db.prepare('SELECT data FROM events ORDER BY seq').iterate() as IterableIterator<{ data: string }>) {
        await out.events.write(prefix + row.data.slice(1));
        exported.events++;
      }
      for (const row of db.prepare('SELECT data FROM history ORDER BY seq').iterate() as IterableIterator<{ data: string }>) {
        await out.history.write(prefix + row.data.slice(1));
        exported.history++;
      }
      for (const step of transitions(db)) {
        await out.transitions.write(JSON.stringify({ session, ...step }));
        exported.transitions++;
      }
      db.close();
      sessions.push(exported);
      progress?.(`${index + 1}/${opened.length} ${session}: ${exported.transitions} transitions, ${exported.events} events, ${exported.history} history events`);
    }
  } finally {
    for (const { db } of opened) if (db.open) db.close();
    await Promise.all(Object.values(out).map((w) => w.close()));
  }
  writeFileSync(join(dir, 'dataset.md'), dataCard(sessions));
  return { dir, sessions };
}

function dataCard(sessions: ExportedSession[]): string {
  const total = (key: 'transitions' | 'events' | 'history'): number => sessions.reduce((sum, s) => sum + s[key], 0);
  const rows = sessions.map((s) => {
    const summary = s.meta.summary;
    const verdict = summary ? `${summary.linearizable}${summary.violations > 0 ? `, ${summary.violations} violations` : ''}` : 'not closed';
    const faults = summary && summary.faults.length > 0 ? summary.faults.join(', ') : 'none';
    return `| ${s.session} | ${s.meta.mode} | ${s.meta.algorithm} | ${s.meta.nodes} | ${s.meta.seed} | ${summary ? (summary.durationMs / 1000).toFixed(1) : '?'} | ${faults} | ${verdict} | ${s.transitions} | ${s.events} | ${s.history} |`;
  });
  return `# Consensus Playground data set

Made by Consensus Playground ${appVersion()} on ${new Date().toISOString()} from ${sessions.length} recorded session(s).
Each node of each session was re-executed from its recorded inputs to produce the transitions, so
every transition is a step the node really took (replay --verify checks the same thing).

## Files

| file | lines | one line is |
|---|---|---|
| transitions.jsonl | ${total('transitions')} | one step of one node |
| events.jsonl | ${total('events')} | one event of the cluster's journal |
| history.jsonl | ${total('history')} | one client operation event (invoke, ok, fail, info) |

## Schema

**transitions.jsonl**
- \`session\`: the session's name (see the table below)
- \`node\`: the node's id (n1, n2, ...); \`life\`: which start of the node (a restart begins a new life, from what the node had on disk)
- \`time\`: virtual milliseconds since the session started, when the node was given the input
- \`before\`, \`after\`: the node's state: \`role\`, \`term\`, \`leader\`, \`votedFor\`, \`commit\`, \`applied\`, \`lastIndex\`, \`snapshotIndex\`, \`voters\`, and for a leader \`progress\` (per follower: \`match\`, \`next\`, \`state\`)
- \`input\`: the inputs the node consumed in this step, in order (usually one; worker threads get a batch per turn): \`{kind: "tick"}\`, \`{kind: "message", envelope: {src, dest, body}}\`, \`{kind: "client", request}\` or \`{kind: "admin", request}\`
- \`outputs\`: what the step produced: \`messages\` (envelopes), \`replies\` (to clients and admin requests), \`persisted\` (what the node wrote to its storage: hard state, log entries, snapshot), \`applied\` (log indexes applied to the state machine)

**events.jsonl**: \`session\` plus one journal event: \`kind\` (send, deliver, drop, state, fault, node, client, violation, error), \`time\` (virtual ms) and the kind's fields.

**history.jsonl**: \`session\` plus the checker's format: \`process\`, \`type\` (invoke, ok, fail, info), \`f\` (read, write, cas, append, delete), \`key\`, \`value\`, \`time\` (ns). \`consensus-playground check --model kv history.jsonl\` checks each session's history on its own.

## Sessions

| session | mode | algorithm | nodes | seed | seconds | faults | linearizable | transitions | events | history |
|---|---|---|---|---|---|---|---|---|---|---|
${rows.join('\n')}

## Settings

${sessions.map((s) => `- ${s.session}: \`${JSON.stringify(s.meta.settings)}\``).join('\n')}

## How it was made

Sessions were recorded by \`consensus-playground run --record\`, \`generate\` or the desktop app, in
${[...new Set(sessions.map((s) => (s.meta.mode === 'sim' ? 'the deterministic simulator (virtual time)' : 'worker threads with one SQLite file per node (real time)')))].join(' and ')}.
Faults were injected on the network (partitions, cuts, drops, delays, duplicates) and on nodes
(kills, restarts, pauses); the seeds above reproduce the simulated ones exactly.
`;
}
