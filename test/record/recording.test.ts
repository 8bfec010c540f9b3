// Recorded sessions: record (simulator and worker threads), re-execute and verify, export and
// re-import into the checker, bad files, an older schema, a recording cut short by SIGKILL.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/main/cli/cli.ts';
import { exportSessionPart, exportSessionShare, shareBuffers } from '../../src/main/record/export.ts';
import { checkOperations, parseHistory } from '../../src/main/checker/index.ts';
import { createSessionFile, openSessionFile, SESSION_SCHEMA_VERSION } from '../../src/main/record/session-file.ts';
import { fingerprint, SessionRecorder } from '../../src/main/record/recorder.ts';
import { SESSION_INSERTS, WRITER_NICE, type Row, type Table } from '../../src/main/record/writer-protocol.ts';
import { CHECKPOINT_MS, RowWriter } from '../../src/main/record/row-writer.ts';
import { SessionReplay } from '../../src/main/record/replay-view.ts';
import { BufferPool, ChunkBuilder, readInputs, readOutputs, statusAt } from '../../src/main/record/chunks.ts';
import type { NodeStatus } from '../../src/shared/protocol.ts';
import type { LogNodeStatus } from '../../src/nodes/types.ts';
import type { JournalEvent } from '../../src/shared/journal.ts';
import type { WireInput } from '../../src/nodes/host/protocol.ts';
import { encodeInputBatch, encodeInputBatchWithRefs } from '../../src/nodes/host/wire.ts';

const bin = join(import.meta.dirname, '..', '..', 'src', 'main', 'cli', 'consensus-playground.mjs');
const dir = mkdtempSync(join(tmpdir(), 'recording-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), stdin: process.stdin });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A live recorder writing into the test folder, with one life of `node` begun at time 0. */
function liveRecorder(name: string, node: string): { file: string; recorder: SessionRecorder } {
  const file = join(dir, name);
  const recorder = new SessionRecorder(file, { mode: 'live', algorithm: 'raft', nodes: 3, seed: 1, settings: {} });
  recorder.life(node, { algorithm: 'raft', options: {}, bootstrapVoters: ['n1', 'n2', 'n3'], seed: 1, restarts: 0 }, 0);
  return { file, recorder };
}

const simFile = join(dir, 'sim.session.sqlite');
const liveFile = join(dir, 'live.session.sqlite');

describe('recording a session', () => {
  it('records a simulated run with faults, and every node re-executes to the same outputs', async () => {
    const run = await cli('run', '--sim', '--nodes', '5', '--faults', 'partition,kill,pause,drop', '--fault-interval', '1s', '--duration', '8s', '--seed', '11', '--record', simFile);
    expect(run.code, run.out + run.err).toBe(0);
    expect(run.err).toContain(`recorded to ${simFile}`);
    const { db, meta } = openSessionFile(simFile);
    expect(meta).toMatchObject({ mode: 'sim', algorithm: 'raft', nodes: 5, seed: 11 });
    expect(meta.summary).toMatchObject({ violations: 0, linearizable: 'true' });
    expect(meta.summary?.faults).toEqual(expect.arrayContaining(['crash', 'restart']));
    const count = (table: string) => (db.prepare(`SELECT COUNT(*) AS n FROM ${table}`).get() as { n: number }).n;
    const batches = (db.prepare('SELECT SUM(count) AS n FROM inputs').get() as { n: number }).n;
    expect(count('lives')).toBeGreaterThan(5); // the kills made restarts
    expect(batches).toBeGreaterThan(1000);
    expect(count('snapshots')).toBeGreaterThan(5 * 5);
    db.close();
    const replay = await cli('replay', simFile, '--verify');
    expect(replay.code, replay.out + replay.err).toBe(0);
    expect(replay.out).toMatch(/verified: \d+ node lives, \d+ input batches, \d+ outputs re-executed and identical/);
  });

  it('records worker threads with SQLite files, kills included, and re-executes them exactly', async () => {
    const run = await cli('run', '--nodes', '3', '--faults', 'kill,partition', '--fault-interval', '700ms', '--duration', '4s', '--rate', '80', '--data-dir', dir, '--sync', 'normal', '--record', liveFile);
    expect(run.code, run.out + run.err).toBe(0);
    const replay = await cli('replay', liveFile, '--verify');
    expect(replay.code, replay.out + replay.err).toBe(0);
    const outputs = Number(/(\d+) outputs re-executed/.exec(replay.out)?.[1]);
    expect(outputs).toBeGreaterThan(500);
  }, 60_000);

  it('writes a live session in pages small enough that a quiet half second costs little disk', async () => {
    // A window left open records a transaction every FLUSH_MS, a little into each table, and every
    // page touched goes to the WAL whole: with 64 KiB pages that was ~600 KB a flush.
    const { file, recorder } = liveRecorder('quiet.session.sqlite', 'n1');
    await recorder.synced();
    const wal = (): number => statSync(`${file}-wal`).size;
    const before = wal();
    for (let i = 1; i <= 10; i++) {
      recorder.journal([
        { kind: 'send', time: i * 500, src: 'n1', dest: 'n2', type: 'heartbeat' },
        { kind: 'deliver', time: i * 500 + 20, src: 'n1', dest: 'n2', type: 'heartbeat' },
      ]);
      recorder.encodeInputs('n1', [{ kind: 'tick' }], i * 500);
      await recorder.synced();
    }
    expect((wal() - before) / 10).toBeLessThan(120_000);
    await recorder.close({ durationMs: 5000, ops: { ok: 0, fail: 0, info: 0 }, elections: 0, violations: 0, linearizable: 'true' });
    // A simulation writes big chunks at once, in big pages.
    const sim = new Database(simFile, { readonly: true });
    expect(sim.pragma('page_size', { simple: true })).toBe(65536);
    sim.close();
  });

  it('checkpoints a live session now and then, so that a copy of the file alone, taken while it records, holds it', async () => {
    // SQLite checkpoints by itself only at 1,000 pages (8 MiB); before that a copy made without the
    // -wal file (a backup, a sync tool) held an empty session.
    const { file, recorder } = liveRecorder('copied.session.sqlite', 'n1');
    const started = Date.now();
    for (let i = 1; Date.now() - started < CHECKPOINT_MS + 1000; i++) {
      recorder.journal([{ kind: 'fault', time: i * 100, description: `cut n1->n${i}` }]);
      recorder.encodeInputs('n1', [{ kind: 'tick' }], i * 100);
      await recorder.synced();
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const copy = join(dir, 'copy-of-open.session.sqlite');
    copyFileSync(file, copy);
    const { db } = openSessionFile(copy);
    expect(db.prepare('SELECT node FROM lives').pluck().all()).toEqual(['n1']);
    expect((db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number }).n).toBeGreaterThan(5);
    db.close();
    await recorder.close({ durationMs: 3000, ops: { ok: 0, fail: 0, info: 0 }, elections: 0, violations: 0, linearizable: 'true' });
  });

  it('rebuilds the network at any moment from the faults recorded, keeping only rules the window could set', async () => {
    const { file, recorder } = liveRecorder('faults.session.sqlite', 'n1');
    const fault = (time: number, description: string): JournalEvent => ({ kind: 'fault', time, description });
    const started = (node: string): JournalEvent => ({ kind: 'node', time: 0, node, event: 'started' });
    recorder.journal([started('n1'), started('n2'), started('n3'), fault(10, 'cut n1->n2'), fault(20, 'partition (n1) (n2)'), fault(30, 'network {"drop":5,"delayMs":-1,"jitterMs":3,"reorder":"x"}'), fault(40, 'link n2->n3 {"duplicate":0.5}'), fault(42, 'link n1>n3 {"drop":0.25}'), fault(50, 'link n2->n3 default'), fault(52, 'link n1>n3 null'), fault(60, 'heal'), fault(70, 'network reset')]);
    await recorder.close({ durationMs: 80, ops: { ok: 0, fail: 0, info: 0 }, elections: 0, violations: 0, linearizable: 'true' });
    const replay = new SessionReplay(file);
    const start = { drop: 0, delayMs: 20, jitterMs: 5, duplicate: 0, reorder: 0 };
    // A file that does not say how its links started: as the window starts a cluster of its settings.
    expect(replay.startingLinkRule).toEqual(start);
    const at = (t: number) => replay.moment(t);
    const cuts = (t: number) => at(t).cuts.map(([a, b]) => `${a}>${b}`).sort();
    expect(cuts(15)).toEqual(['n1>n2']);
    // A partition adds to the cuts; a node in no group (n3) is cut off alone.
    expect(cuts(25)).toEqual(['n1>n2', 'n1>n3', 'n2>n1', 'n2>n3', 'n3>n1', 'n3>n2']);
    expect(at(35).defaultRule).toEqual({ ...start, jitterMs: 3 });
    // The simulator wrote its link rules as `a>b` and a removed one as null, in files from before.
    expect(at(45).links).toEqual([
      { from: 'n2', to: 'n3', rule: { ...start, jitterMs: 3, duplicate: 0.5 } },
      { from: 'n1', to: 'n3', rule: { ...start, jitterMs: 3, drop: 0.25 } },
    ]);
    expect(at(55).links).toEqual([]);
    expect(cuts(65)).toEqual([]);
    expect(at(75).defaultRule).toEqual(start);
    replay.close();
  });

  it('gives a replay the minute before any moment second by second: commits, elections, messages, latencies', async () => {
    const { file, recorder } = liveRecorder('metrics.session.sqlite', 'n1');
    const status = (commit: number, term: number): NodeStatus => ({ id: 'n1', role: 'leader', term, leader: 'n1', votedFor: 'n1', commit, applied: commit, lastIndex: commit, snapshotIndex: 0, voters: ['n1'] });
    const client = (time: number, type: 'invoke' | 'ok', process: number): JournalEvent => ({ kind: 'client', time, event: { process, type, f: 'write', key: 'k', value: 1 } });
    const send = (time: number, type: string): JournalEvent => ({ kind: 'send', time, src: 'n1', dest: 'n2', type });
    // A status snapshot about every second (at the first event a second after the last): commit 1,
    // 11, 31 (a new term), 31.
    for (const [time, commit, term] of [[300, 1, 1], [1300, 11, 1], [2300, 31, 2], [3300, 31, 2]] as const) {
      recorder.output('n1', [], '[]', status(commit, term), time);
      recorder.journal([{ kind: 'state', time, node: 'n1', status: status(commit, term) }]);
      if (time === 1300) recorder.journal([client(1400, 'invoke', 1), client(1450, 'ok', 1), client(1500, 'invoke', 2), client(1530, 'ok', 2)]);
      // Sent between the snapshots of seconds 1 and 2: counted with second 2's.
      if (time === 1300) recorder.journal([send(1600, 'append_entries'), send(1700, 'append_entries'), send(1800, 'request_vote')]);
      if (time === 2300) recorder.journal([client(2400, 'invoke', 1), client(2600, 'ok', 1), client(3100, 'invoke', 2), client(3150, 'ok', 2)]);
    }
    await recorder.close({ durationMs: 3300, ops: { ok: 4, fail: 0, info: 0 }, elections: 2, violations: 0, linearizable: 'true' });
    const replay = new SessionReplay(file);
    const seconds = replay.metricsBefore(3300);
    expect(seconds.map((p) => [p.t, p.commits, p.elections])).toEqual([[1, 10, 0], [2, 20, 1], [3, 0, 0]]);
    expect(seconds.map((p) => [p.latencyP50, p.latencyP99])).toEqual([[50, 50], [200, 200], [50, 50]]);
    expect(replay.countsMessages).toBe(true);
    expect(seconds.map((p) => p.messages)).toEqual([{}, { append_entries: 2, request_vote: 1 }, {}]);
    // Before the snapshot of second 3 its commits are not known yet: it is not shown.
    expect(replay.metricsBefore(3200).map((p) => p.t)).toEqual([1, 2]);
    // A window of two seconds ends at the moment asked for.
    expect(replay.metricsBefore(2500, 2).map((p) => p.t)).toEqual([1, 2]);
    replay.close();
  });

  it('keeps the rule every link started with, for a replay to build the network on', () => {
    const sim = new SessionReplay(simFile);
    expect(sim.startingLinkRule).toEqual({ drop: 0, delayMs: 1, jitterMs: 0.5, duplicate: 0, reorder: 0 });
    sim.close();
    const live = new SessionReplay(liveFile);
    expect(live.startingLinkRule).toEqual({ drop: 0, delayMs: 0, jitterMs: 0, duplicate: 0, reorder: 0 });
    expect(live.moment(0).defaultRule).toEqual({ drop: 0, delayMs: 0, jitterMs: 0, duplicate: 0, reorder: 0 });
    live.close();
  });

  it('finds and names a divergence between the recording and the re-execution', async () => {
    const tampered = join(dir, 'tampered.session.sqlite');
    copyFileSync(simFile, tampered);
    const db = new Database(tampered);
    // The first Ready that says "leader" now says "follower".
    const row = db.prepare("SELECT seq, readies FROM outputs WHERE readies LIKE '%\"role\":\"leader\"%' ORDER BY seq LIMIT 1").get() as { seq: number; readies: string };
    db.prepare('UPDATE outputs SET readies = ? WHERE seq = ?').run(row.readies.replace('"role":"leader"', '"role":"follower"'), row.seq);
    db.close();
    const replay = await cli('replay', tampered, '--verify');
    expect(replay.code).toBe(1);
    expect(replay.out).toMatch(/DIVERGENCE at n\d+ \(life \d+\), output \d+ at t=[\d.]+ ms: status differs/);
    expect(replay.out).toContain('"role":"follower"');
  });

  it('keeps a live session\'s sent messages by reference to their bodies, and catches one that differs', async () => {
    const tampered = join(dir, 'tampered-live.session.sqlite');
    copyFileSync(liveFile, tampered);
    const db = new Database(tampered);
    // A Ready whose messages are [dest, body id] pairs: point its first message at another body.
    const row = db.prepare("SELECT seq, readies FROM outputs WHERE readies LIKE '%[[\"n%' ORDER BY seq LIMIT 1").get() as { seq: number; readies: string };
    const ref = /\[\["(n\d+)",(\d+)\]/.exec(row.readies) as RegExpExecArray;
    const bodies = (db.prepare('SELECT MAX(first + count - 1) AS last FROM bodies').get() as { last: number }).last;
    const other = Number(ref[2]) === bodies ? 1 : bodies;
    db.prepare('UPDATE outputs SET readies = ? WHERE seq = ?').run(row.readies.replace(ref[0], `[["${ref[1]}",${other}]`), row.seq);
    db.close();
    const replay = await cli('replay', tampered, '--verify');
    expect(replay.code, replay.out).toBe(1);
    expect(replay.out).toMatch(/DIVERGENCE at n\d+ \(life \d+\), output \d+ at t=[\d.]+ ms: messages differ/);
  });

  it('exports a data set whose history the checker reads back, and whose transitions chain', async () => {
    const out = join(dir, 'dataset');
    const exported = await cli('export', simFile, liveFile, '--out', out);
    expect(exported.code, exported.out + exported.err).toBe(0);
    for (const f of ['transitions.jsonl', 'events.jsonl', 'history.jsonl', 'dataset.md']) expect(existsSync(join(out, f)), f).toBe(true);
    const transitions = readFileSync(join(out, 'transitions.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
    expect(transitions[0]).toMatchObject({ session: 'sim', node: expect.stringMatching(/^n\d$/), time: expect.any(Number), before: { role: expect.any(String) }, input: expect.any(Array), outputs: { messages: expect.any(Array) }, after: { term: expect.any(Number) } });
    // Within a life, each step starts where the previous one ended.
    for (let i = 1; i < transitions.length; i++) {
      const [a, b] = [transitions[i - 1], transitions[i]];
      if (a.session === b.session && a.life === b.life) expect(b.before.term).toBe(a.after.term);
    }
    expect(new Set(transitions.map((t) => t.session))).toEqual(new Set(['sim', 'live']));
    const card = readFileSync(join(out, 'dataset.md'), 'utf8');
    expect(card).toMatch(/\| sim \| sim \| raft \| 5 \| 11 \|/);
    // The round trip: the exported history, back into the checker, per session.
    const history = readFileSync(join(out, 'history.jsonl'), 'utf8');
    const simLines = history.split('\n').filter((l) => l.includes('"session":"sim"')).join('\n');
    expect(checkOperations(parseHistory(simLines, 'kv').operations, { timeoutMs: 30_000 }).linearizable).toBe('true');
    const check = await cli('check', '--model', 'kv', join(out, 'history.jsonl'));
    expect(check.code, check.out).toBe(0);
    expect(check.out).toContain('history.jsonl#sim: linearizable: true');
    expect(check.out).toContain('history.jsonl#live: linearizable: true');
    // Never over an earlier export.
    expect((await cli('export', simFile, '--out', out)).code).toBe(2);
  }, 60_000);

  it('gives generate the same lines in memory, in pieces whose buffers are used again', async () => {
    const partDir = join(dir, 'sim-part');
    await exportSessionPart(simFile, 'sim', partDir);
    const pool = new BufferPool(1 << 30);
    const bytesOf = (pieces: Uint8Array[]): Buffer => Buffer.concat(pieces);
    const first = await exportSessionShare(simFile, 'sim', pool);
    expect(first.data['transitions.jsonl'].length).toBeGreaterThan(1); // more than a megabyte: several pieces
    for (const name of ['transitions.jsonl', 'events.jsonl', 'history.jsonl'] as const) expect(bytesOf(first.data[name]).equals(readFileSync(join(partDir, name))), name).toBe(true);
    const kept = bytesOf(first.data['transitions.jsonl']);
    const buffers = shareBuffers(first.data);
    for (const buffer of buffers) pool.give(buffer);
    const second = await exportSessionShare(simFile, 'sim', pool);
    expect(shareBuffers(second.data).filter((b) => buffers.includes(b)).length).toBeGreaterThan(1);
    expect(bytesOf(second.data['transitions.jsonl']).equals(kept)).toBe(true);
  }, 60_000);
});

describe('bad session files', () => {
  const unchanged = async (file: string, message: RegExp) => {
    const before = readFileSync(file);
    const replay = await cli('replay', file, '--verify');
    expect(replay.code).toBe(2);
    expect(replay.err).toMatch(message);
    expect(readFileSync(file).equals(before)).toBe(true);
  };

  it('names a truncated, foreign, newer or corrupt file, and changes none of them', async () => {
    const truncated = join(dir, 'truncated.session.sqlite');
    writeFileSync(truncated, readFileSync(simFile).subarray(0, 60));
    await unchanged(truncated, /not a session file: it is empty or truncated/);

    const text = join(dir, 'notes.session.sqlite');
    writeFileSync(text, 'these are my notes, not a database '.repeat(10));
    await unchanged(text, /not a session file: it is not an SQLite database/);

    const foreign = join(dir, 'foreign.session.sqlite');
    const other = new Database(foreign);
    other.exec('CREATE TABLE photos (id INTEGER PRIMARY KEY, name TEXT); INSERT INTO photos (name) VALUES (\'cat\')');
    other.close();
    await unchanged(foreign, /an SQLite database but not a session file/);

    const newer = join(dir, 'newer.session.sqlite');
    copyFileSync(simFile, newer);
    const db = new Database(newer);
    db.prepare("UPDATE meta SET value = '99' WHERE key = 'schema_version'").run();
    db.close();
    await unchanged(newer, new RegExp(`written by a newer Consensus Playground \\(session schema 99, this version reads up to ${SESSION_SCHEMA_VERSION}\\)`));

    const corrupt = join(dir, 'corrupt.session.sqlite');
    const bytes = readFileSync(simFile);
    for (let i = 8192; i < bytes.length - 4096; i += 4096) bytes.fill(0x5a, i + 100, i + 400);
    writeFileSync(corrupt, bytes);
    await unchanged(corrupt, /is damaged/);

    expect((await cli('replay', join(dir, 'missing.session.sqlite'))).err).toMatch(/no such file/);
  });

  it('opens a session of the older schema through its migration', async () => {
    const old = join(dir, 'old.session.sqlite');
    copyFileSync(simFile, old);
    const db = new Database(old);
    db.exec("DROP TABLE snapshots; DROP TABLE traffic; UPDATE meta SET value = '0' WHERE key = 'schema_version'");
    db.close();
    const replay = await cli('replay', old, '--verify');
    expect(replay.code, replay.out + replay.err).toBe(0);
    const { db: migrated, meta } = openSessionFile(old);
    expect(meta.schemaVersion).toBe(SESSION_SCHEMA_VERSION);
    for (const table of ['snapshots', 'traffic']) expect(migrated.prepare('SELECT name FROM sqlite_master WHERE name = ?').get(table), table).toBeDefined();
    migrated.close();
    // Its messages were not counted: a replay says so rather than drawing none sent.
    const view = new SessionReplay(old);
    expect(view.countsMessages).toBe(false);
    expect(view.metricsBefore(view.durationMs).every((p) => Object.keys(p.messages).length === 0)).toBe(true);
    view.close();
  });
});

describe('input batches as a worker is posted them', () => {
  it('are JSON that parses back to the inputs, message bodies spliced in, or referenced as recorded', () => {
    const plain: WireInput[] = [{ kind: 'client', request: { clientId: 1, seq: 2, op: { f: 'write', key: 'k"1', value: 'é' } } }, { kind: 'tick' }];
    expect(JSON.parse(encodeInputBatch(plain))).toEqual(plain);
    expect(encodeInputBatchWithRefs(plain, () => 7)).toEqual([encodeInputBatch(plain), encodeInputBatch(plain)]);
    const body = { type: 'append_entries', term: 1 };
    const mixed: WireInput[] = [...plain, { kind: 'wire', envelope: { src: 'n1', dest: 'n2', type: 'append_entries', body: JSON.stringify(body) } }];
    expect(JSON.parse(encodeInputBatch(mixed))).toEqual([...plain, { kind: 'message', envelope: { src: 'n1', dest: 'n2', body } }]);
    const [wire, referenced] = encodeInputBatchWithRefs(mixed, () => 7);
    expect(wire).toBe(encodeInputBatch(mixed));
    expect(JSON.parse(referenced)).toEqual([...plain, { kind: 'message', envelope: { src: 'n1', dest: 'n2', ref: 7 } }]);
  });
});

describe('message bodies kept once', () => {
  it('tells apart bodies that share a fingerprint, and stores the same body once', async () => {
    const { file, recorder } = liveRecorder('bodies.session.sqlite', 'n2');
    // 32 sampled characters of 4,000: these two differ only where no sample falls.
    const filler = 'x'.repeat(4000);
    const a = JSON.stringify({ type: 'note', text: `${filler.slice(0, 1000)}A${filler.slice(1001)}` });
    const b = JSON.stringify({ type: 'note', text: `${filler.slice(0, 1000)}B${filler.slice(1001)}` });
    expect(fingerprint(a)).toBe(fingerprint(b));
    const wire = (body: string) => ({ kind: 'wire' as const, envelope: { src: 'n1', dest: 'n2', type: 'note', body } });
    const text = recorder.encodeInputs('n2', [wire(a), wire(b), wire(`${a}`)], 5);
    expect(JSON.parse(text)).toEqual([a, b, a].map((body) => ({ kind: 'message', envelope: { src: 'n1', dest: 'n2', body: JSON.parse(body) } })));
    await recorder.close({ durationMs: 5, ops: { ok: 0, fail: 0, info: 0 }, elections: 0, violations: 0, linearizable: 'unknown' });
    const { db } = openSessionFile(file);
    expect((db.prepare('SELECT SUM(count) AS n FROM bodies').get() as { n: number }).n).toBe(2);
    const [batch] = readInputs(db, 1);
    expect(batch?.inputs.map((i) => (i.kind === 'message' ? (i.envelope.body as unknown as { text: string }).text[1000] : null))).toEqual(['A', 'B', 'A']);
    db.close();
  });
});

describe('chunks and lists as bytes', () => {
  it('keeps every entry exact across growth, multi-byte text and takes', () => {
    const chunk = new ChunkBuilder();
    const entries = [{ text: 'plain' }, { text: 'é ✓ 😀 \u2028', n: -0.5 }, { text: 'y'.repeat(50_000) }];
    for (const [i, entry] of entries.entries()) chunk.add(i, JSON.stringify(entry));
    const [first, last, count, data] = chunk.take();
    expect([first, last, count]).toEqual([0, 2, 3]);
    expect(JSON.parse(Buffer.from(data).toString('utf8'))).toEqual(entries);
    chunk.begin(7);
    chunk.write('[1,');
    chunk.write('"two"');
    chunk.write(']');
    expect(chunk.end()).toBe(false);
    const [, , again, next] = chunk.take();
    expect(again).toBe(1);
    expect(Buffer.from(next).toString('utf8')).toBe('[[1,"two"]]');
  });

  it('ends a chunk once it holds about a mebibyte, before its 2,000th entry, and reads back whole', async () => {
    const { file, recorder } = liveRecorder('big-chunks.session.sqlite', 'n1');
    const status: NodeStatus = { id: 'n1', role: 'leader', term: 2, leader: 'n1', votedFor: 'n1', commit: 0, applied: 0, lastIndex: 0, snapshotIndex: 0, voters: ['n1', 'n2', 'n3'] };
    // 1,000 Readies of 4 KiB of replies each, as a leader answers 64 clients: 4 MB in one flush.
    const replies = Array.from({ length: 1000 }, (_, n) => JSON.stringify(Array.from({ length: 64 }, (_, c) => ({ kind: 'client', clientId: c, seq: n, ok: true, value: null }))));
    for (const [n, reply] of replies.entries()) recorder.output('n1', [], reply, status, n);
    await recorder.close({ durationMs: 1000, ops: { ok: 0, fail: 0, info: 0 }, elections: 0, violations: 0, linearizable: 'unknown' });
    const { db } = openSessionFile(file);
    const rows = db.prepare('SELECT count, LENGTH(readies) AS bytes FROM outputs ORDER BY seq').all() as Array<{ count: number; bytes: number }>;
    expect(rows.length).toBeGreaterThanOrEqual(4);
    for (const row of rows) expect(row.bytes).toBeLessThan(1024 * 1024 + 64 * 1024);
    expect(rows.reduce((sum, row) => sum + row.count, 0)).toBe(1000);
    expect(readOutputs(db, 1, 'n1').map((o) => o.replies)).toEqual(replies);
    db.close();
  });

  it.each(['live', 'sim'] as const)('stores each event as its own row with the text it was given, quotes and all, and history alike (%s)', async (mode) => {
    const file = join(dir, `events-${mode}.session.sqlite`);
    const recorder = new SessionRecorder(file, { mode, algorithm: 'raft', nodes: 3, seed: 1, settings: {} });
    const events: JournalEvent[] = [
      { kind: 'send', time: 0.30000000000000004, src: 'n1', dest: 'n2', type: 'append_entries' },
      { kind: 'state', time: 1, node: 'n2', status: { id: 'n2', role: 'follower', term: 1, leader: null, votedFor: null, commit: 0, applied: 0, lastIndex: 0, snapshotIndex: 0, voters: ['n1', 'n2', 'n3'] } },
      { kind: 'fault', time: 2, description: `partition {n1} | {n2, n3} "é" it's '); DROP TABLE events; --` },
      { kind: 'client', time: 3, event: { type: 'invoke', process: 1, f: 'write', key: 'ключ', value: '😀', time: 3 } as never },
    ];
    recorder.journal(events);
    await recorder.close({ durationMs: 3, ops: { ok: 0, fail: 0, info: 0 }, elections: 0, violations: 0, linearizable: 'unknown' });
    const { db } = openSessionFile(file);
    expect(db.prepare('SELECT time, kind, node, data, notable FROM events ORDER BY seq').all()).toEqual(
      events.map((e) => ({ time: e.time, kind: e.kind, node: 'node' in e ? e.node : 'src' in e ? e.src : null, data: JSON.stringify(e), notable: ['send', 'state'].includes(e.kind) ? null : 1 })),
    );
    expect(db.prepare('SELECT data FROM history ORDER BY seq').all()).toEqual([{ data: JSON.stringify((events[3] as { event: unknown }).event) }]);
    db.close();
  });
});

describe('chunk buffers used again', () => {
  it('hands out the smallest spare buffer that fits, and keeps no more than its cap', () => {
    const pool = new BufferPool();
    const [small, large] = [new ArrayBuffer(1024), new ArrayBuffer(64 * 1024)];
    pool.give(large);
    pool.give(small);
    expect(pool.take(512).buffer).toBe(small);
    expect(pool.take(2048).buffer).toBe(large);
    expect(pool.take(16).buffer).not.toBe(small); // none left: a new one
    for (let i = 0; i < 10; i++) pool.give(new ArrayBuffer(8 * 1024 * 1024));
    expect(pool.spareCount).toBe(4);
  });

  it('gets each buffer back from the writer thread once written, and the file reads exactly across reuses', async () => {
    const { file, recorder } = liveRecorder('reuse.session.sqlite', 'n1');
    const status: NodeStatus = { id: 'n1', role: 'leader', term: 2, leader: 'n1', votedFor: 'n1', commit: 0, applied: 0, lastIndex: 0, snapshotIndex: 0, voters: ['n1', 'n2', 'n3'] };
    const replies: string[] = [];
    for (let round = 0; round < 4; round++) {
      // Over a chunk's worth each round, so that every flush hands back full chunks and partial ones.
      for (let i = 0; i < 2500; i++) {
        const n = round * 2500 + i;
        const reply = JSON.stringify([{ kind: 'client', clientId: n % 7, seq: n, ok: true, value: `v${n}`.repeat(1 + (n % 5)) }]);
        recorder.output('n1', [], reply, status, n);
        replies.push(reply);
      }
      await recorder.synced();
      // Each round wrote a full chunk and a partial one; the writer answers 'spent' before the ack.
      expect(recorder.buffersReturned, `after round ${round + 1}`).toBeGreaterThanOrEqual(2 * (round + 1));
    }
    await recorder.close({ durationMs: 10_000, ops: { ok: 0, fail: 0, info: 0 }, elections: 0, violations: 0, linearizable: 'unknown' });
    const { db } = openSessionFile(file);
    expect(readOutputs(db, 1, 'n1').map((o) => o.replies)).toEqual(replies);
    db.close();
  });
});

describe('the writer thread', () => {
  /** Each of this process's threads' nice value, read from /proc (field 19 of stat, after the name). */
  function niceValues(): number[] {
    return readdirSync('/proc/self/task').flatMap((tid) => {
      try {
        const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8');
        return [Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16])];
      } catch {
        return []; // the thread ended meanwhile
      }
    });
  }

  it.skipIf(process.platform !== 'linux')('writes at a lower priority than the cluster, and only its own thread does', async () => {
    // A writer thread of an earlier test may still be on its way out: wait for it to end.
    const deadline = performance.now() + 10_000;
    while (niceValues().some((nice) => nice !== 0) && performance.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 50));
    expect(niceValues().every((nice) => nice === 0)).toBe(true);
    const { recorder } = liveRecorder('priority.session.sqlite', 'n1');
    await recorder.synced(); // the writer has started and answered
    const during = niceValues();
    expect(during.filter((nice) => nice === WRITER_NICE)).toHaveLength(1);
    expect(during.filter((nice) => nice !== WRITER_NICE).every((nice) => nice === 0)).toBe(true);
    await recorder.close({ durationMs: 0, ops: { ok: 0, fail: 0, info: 0 }, elections: 0, violations: 0, linearizable: 'unknown' });
  });

  it('counts what it handed the writer until written: behind past the limit, caught up once written', async () => {
    const { file, recorder } = liveRecorder('backlog.session.sqlite', 'n1');
    const limited = new SessionRecorder(`${file}.limited.session.sqlite`, { mode: 'live', algorithm: 'raft', nodes: 3, seed: 1, settings: {} }, { maxUnwrittenBytes: 1 });
    limited.life('n1', { algorithm: 'raft', options: {}, bootstrapVoters: ['n1'], seed: 1, restarts: 0 }, 0);
    for (const r of [recorder, limited]) {
      r.encodeInputs('n1', [{ kind: 'tick' }], 1);
      r.flush();
    }
    // One tick is bytes in flight: past a limit of one byte, far below the default.
    expect(recorder.behind).toBe(false);
    expect(limited.behind).toBe(true);
    let caughtUp = false;
    const waiting = limited.caughtUp().then(() => (caughtUp = true));
    expect(caughtUp).toBe(false);
    await waiting;
    expect(limited.behind).toBe(false);
    await limited.synced();
    const { db } = openSessionFile(`${file}.limited.session.sqlite`);
    expect(readInputs(db, 1).map((batch) => batch.inputs)).toEqual([[{ kind: 'tick' }]]);
    db.close();
    for (const r of [recorder, limited]) await r.close({ durationMs: 0, ops: { ok: 0, fail: 0, info: 0 }, elections: 0, violations: 0, linearizable: 'unknown' });
  });

  it('leaves the syncs of a live recording to its close, which checkpoints the log into the file', () => {
    const file = join(dir, 'syncs.session.sqlite');
    createSessionFile(file, { mode: 'live', algorithm: 'raft', nodes: 3, seed: 1, settings: {}, started_at: new Date().toISOString() }).close();
    const writer = new RowWriter(file, 'live');
    const db = (writer as unknown as { db: Database.Database }).db;
    // 0 is OFF: a transaction is written, not synced (a crash of the app still loses nothing written).
    expect(db.pragma('synchronous', { simple: true })).toBe(0);
    const rows = Object.fromEntries(Object.keys(SESSION_INSERTS).map((table) => [table, []])) as unknown as Record<Table, Row[]>;
    rows.lives.push([1, 'n1', 0, '{}']);
    writer.write(rows);
    const pragmas: string[] = [];
    const pragma = db.pragma.bind(db);
    db.pragma = ((source: string, options?: Database.PragmaOptions) => (pragmas.push(source), pragma(source, options))) as typeof db.pragma;
    writer.close({ ended_at: 'now' });
    expect(pragmas).toEqual(['synchronous = NORMAL', 'wal_checkpoint(TRUNCATE)']);
    expect(statSync(`${file}-wal`, { throwIfNoEntry: false })?.size ?? 0).toBe(0);
    const { db: reader } = openSessionFile(file);
    expect(reader.prepare('SELECT node FROM lives').pluck().all()).toEqual(['n1']);
    reader.close();
  });
});

describe('a simulation\'s events', () => {
  it('keeps every event in order, whether it went in a statement of fifty or on its own', async () => {
    const file = join(dir, 'sim-events.session.sqlite');
    const recorder = new SessionRecorder(file, { mode: 'sim', algorithm: 'raft', nodes: 3, seed: 1, settings: {} });
    const events: JournalEvent[] = Array.from({ length: 123 }, (_, i) => (i % 2 === 0 ? { kind: 'send', time: i, src: `n${(i % 3) + 1}`, dest: 'n2', type: 'append_entries' } : { kind: 'fault', time: i, description: `cut n1->n${i}` }));
    recorder.journal(events);
    await recorder.close({ durationMs: 123, ops: { ok: 0, fail: 0, info: 0 }, elections: 0, violations: 0, linearizable: 'unknown' });
    const { db } = openSessionFile(file);
    expect(db.prepare('SELECT time, kind, node, notable, data FROM events ORDER BY seq').all()).toEqual(
      events.map((e) => ({ time: e.time, kind: e.kind, node: 'src' in e ? e.src : null, notable: e.kind === 'send' ? null : 1, data: JSON.stringify(e) })),
    );
    db.close();
  });
});

describe('statuses kept as changes', () => {
  it('reads back every status exactly, at any moment, across chunks, from whole statuses and changes', async () => {
    const { file, recorder } = liveRecorder('statuses.session.sqlite', 'n1');
    let status: LogNodeStatus = { id: 'n1', role: 'follower', term: 1, leader: null, votedFor: null, commit: 0, applied: 0, lastIndex: 0, snapshotIndex: 0, voters: ['n1', 'n2', 'n3'] };
    const recorded: string[] = [];
    // 4,500 Readies: three chunks; commits move, and now and then the role, the leader or the voters change, or nothing does.
    for (let i = 1; i <= 4500; i++) {
      if (i % 7 === 0) status = { ...status, commit: status.commit + 3, applied: status.applied + 3, lastIndex: status.lastIndex + 3 };
      if (i % 500 === 0) status = { ...status, role: status.role === 'leader' ? 'follower' : 'leader', term: status.term + 1, leader: status.role === 'leader' ? null : 'n1' };
      if (i === 3000) status = { ...status, voters: ['n1', 'n2'] };
      recorder.output('n1', [], '[]', { ...status, voters: [...status.voters] }, i);
      recorded.push(JSON.stringify(status));
    }
    await recorder.close({ durationMs: 4500, ops: { ok: 0, fail: 0, info: 0 }, elections: 0, violations: 0, linearizable: 'unknown' });
    const { db } = openSessionFile(file);
    expect((db.prepare('SELECT COUNT(*) AS n FROM outputs').get() as { n: number }).n).toBe(3);
    const outputs = readOutputs(db, 1, 'n1');
    let last: string | null = null;
    outputs.forEach((o, i) => {
      if (o.status !== null) last = o.status;
      expect(last, `Ready ${i + 1}`).toBe(recorded[i]);
    });
    for (const t of [1, 6, 7, 499, 500, 1999, 2000, 2001, 2999, 3000, 4001, 4500]) expect(statusAt(db, 1, t), `at ${t}`).toBe(recorded[t - 1]);
    expect(statusAt(db, 1, 0.5)).toBeNull();
    // Most entries are changes, not whole statuses.
    const readies = (db.prepare('SELECT readies FROM outputs').all() as Array<{ readies: string }>).flatMap((r) => JSON.parse(r.readies) as Array<[number, Record<string, unknown> | null]>);
    expect(readies.filter(([, s]) => s !== null && 'id' in s).length).toBeLessThan(20);
    db.close();
  });
});

describe('a recording that cannot write', () => {
  it('says why, and the recorder goes on taking events without throwing', async () => {
    const file = join(dir, 'unwritable.session.sqlite');
    const recorder = new SessionRecorder(file, { mode: 'live', algorithm: 'raft', nodes: 1, seed: 1, settings: {} });
    const other = new Database(file);
    other.exec('DROP TABLE events');
    other.close();
    recorder.journal([{ kind: 'fault', time: 1, description: 'cut n1->n2' }]);
    await recorder.synced().catch(() => undefined);
    const deadline = Date.now() + 5000;
    while (recorder.error === null && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    expect(recorder.error).toMatch(/no such table: events/);
    expect(() => recorder.journal([{ kind: 'fault', time: 2, description: 'heal' }])).not.toThrow();
    await recorder.close({ durationMs: 2, ops: { ok: 0, fail: 0, info: 0 }, elections: 0, violations: 0, linearizable: 'unknown' });
  });
});

describe('a recording cut short', () => {
  it('survives SIGKILL of a headless run: the file opens, replays up to the crash and verifies', async () => {
    const file = join(dir, 'killed.session.sqlite');
    const child = spawn(process.execPath, [bin, 'run', '--nodes', '3', '--faults', 'kill', '--fault-interval', '500ms', '--duration', '60s', '--rate', '100', '--data-dir', dir, '--sync', 'normal', '--record', file], { stdio: 'ignore' });
    const deadline = Date.now() + 30_000;
    // Wait for a few seconds of recording, then pull the plug.
    while (!(existsSync(file) && statSync(file).size + (existsSync(`${file}-wal`) ? statSync(`${file}-wal`).size : 0) > 300_000)) {
      if (Date.now() > deadline) throw new Error('the run did not record anything');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    await new Promise((resolve) => setTimeout(resolve, 1500));
    child.kill('SIGKILL');
    await new Promise((resolve) => child.once('exit', resolve));
    const replay = await cli('replay', file, '--verify');
    // What was recorded verifies, but a session never closed is not vouched for whole: exit 1.
    expect(replay.code, replay.out + replay.err).toBe(1);
    expect(replay.out).toContain('summary: none (the recording was not closed');
    expect(replay.out).toMatch(/^verified: .*\nnot verified whole: the session was never closed/m);
    expect(Number(/(\d+) outputs re-executed/.exec(replay.out)?.[1])).toBeGreaterThan(100);
    const events = JSON.parse(spawnSync(process.execPath, ['-e', `const D=require(${JSON.stringify(join(import.meta.dirname, '..', '..', 'node_modules', 'better-sqlite3'))});const d=new D(${JSON.stringify(file)},{readonly:true});console.log(JSON.stringify(d.prepare('SELECT MAX(time) AS t, COUNT(*) AS n FROM events').get()))`], { encoding: 'utf8' }).stdout);
    expect(events.n).toBeGreaterThan(100);
    expect(events.t).toBeGreaterThan(1000);
  }, 60_000);
});

describe('consensus-playground generate', () => {
  it('records and exports several simulated sessions with distinct seeds and a progress bar', async () => {
    const out = join(dir, 'generated');
    // A fault a second: these seeds crash, restart and pause nodes, which the transitions made as
    // the simulation runs must cut and order as re-executing the files does.
    const generated = await cli('generate', '--runs', '3', '--sim', '--duration', '5s', '--fault-interval', '1s', '--seed', '40', '--out', out);
    expect(generated.code, generated.out + generated.err).toBe(0);
    expect(generated.err).toMatch(/\[#{30}\] 3\/3 sessions, [\d.]+s each, 0\.0s left/);
    expect(generated.out).toMatch(/generated 3 session\(s\) in [\d.]+ s/);
    for (const seed of [40, 41, 42]) expect(existsSync(join(out, 'sessions', `run-${seed - 39}-seed${seed}.session.sqlite`))).toBe(true);
    const card = readFileSync(join(out, 'dataset.md'), 'utf8');
    for (const seed of [40, 41, 42]) expect(card).toContain(`| sim | raft | 5 | ${seed} |`);
    expect(card).toMatch(/crash, .*restart/);
    expect(card).toMatch(/pause, resume/);
    // Made on several threads as the simulations ran, joined in order: the same bytes as exporting
    // (re-executing) the sessions afterwards.
    const again = join(dir, 'exported-again');
    const sessions = [1, 2, 3].map((n) => join(out, 'sessions', `run-${n}-seed${39 + n}.session.sqlite`));
    expect((await cli('export', ...sessions, '--out', again)).code).toBe(0);
    for (const f of ['transitions.jsonl', 'events.jsonl', 'history.jsonl']) expect(readFileSync(join(out, f)).equals(readFileSync(join(again, f))), f).toBe(true);
    expect((await cli('generate', '--runs', '0', '--out', out)).code).toBe(2);
  }, 60_000);
});
