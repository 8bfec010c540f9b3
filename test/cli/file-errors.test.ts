// Files the CLI is given that cannot be used: one line naming the file and the reason, exit 2, and
// nothing of the user's touched. Export writes into a folder of its own and never over anything;
// replay --verify says when it verified nothing; check warns on an empty history and cites the
// lines of the file it read.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/main/cli/cli.ts';
import { createSessionFile } from '../../src/main/record/session-file.ts';

const dir = mkdtempSync(join(tmpdir(), 'file-errors-'));
const session = join(dir, 'a.session.sqlite');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), stdin: process.stdin });
  return { code, out: out.join('\n'), err };
}

/** Exit 2 and one line `consensus-playground <command>: ...` matching `message`. */
async function refused(message: RegExp, ...argv: string[]): Promise<void> {
  const r = await cli(...argv);
  expect(r.code, r.out + r.err.join('\n')).toBe(2);
  expect(r.err).toHaveLength(1);
  expect(r.err[0]).toMatch(new RegExp(`^consensus-playground ${argv[0]}: `));
  expect(r.err[0]).toMatch(message);
}

beforeAll(async () => {
  const r = await cli('run', '--sim', '--nodes', '3', '--duration', '3s', '--seed', '5', '--record', session);
  expect(r.code, r.out + r.err.join('\n')).toBe(0);
});

describe('export writes only its own files, each created anew', () => {
  it('leaves a .parts folder already in the destination as it was, and no work folder behind', async () => {
    const out = join(dir, 'with-parts');
    mkdirSync(join(out, '.parts'), { recursive: true });
    writeFileSync(join(out, '.parts', 'mine.txt'), 'keep me');
    const r = await cli('export', session, '--out', out);
    expect(r.code, r.err.join('\n')).toBe(0);
    expect(readFileSync(join(out, '.parts', 'mine.txt'), 'utf8')).toBe('keep me');
    expect(readdirSync(out).sort()).toEqual(['.parts', 'dataset.md', 'events.jsonl', 'history.jsonl', 'labels.jsonl', 'transitions.jsonl']);
    // A simulated session keeps no verdicts of the models: its labels are there, empty.
    const labels = readFileSync(join(out, 'labels.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(labels).toEqual([expect.objectContaining({ session: 'a', promises: null, strongest: null, linearizable: null, convergent: null, witnesses: {} })]);
  });

  it('refuses a dangling link named history.jsonl, writing nothing through it', async () => {
    const out = join(dir, 'with-link');
    mkdirSync(out);
    const target = join(dir, 'link-target.jsonl');
    symlinkSync(target, join(out, 'history.jsonl'));
    await refused(/history\.jsonl already exists/, 'export', session, '--out', out);
    expect(existsSync(target)).toBe(false);
    expect(readdirSync(out)).toEqual(['history.jsonl']);
  });

  it('refuses a data set file that appears while it works, and takes back only what it put there', async () => {
    const out = join(dir, 'late-clash');
    mkdirSync(out);
    // Appears after the check at the start: the progress line comes once the share is written.
    const argv = ['export', session, '--out', out];
    const err: string[] = [];
    const code = await main(argv, { out: () => undefined, err: (l) => (err.push(l), l.startsWith('1/1') && writeFileSync(join(out, 'history.jsonl'), 'theirs')), stdin: process.stdin });
    expect(code).toBe(2);
    expect(err.at(-1)).toMatch(/^consensus-playground export: .*history\.jsonl already exists/);
    expect(readdirSync(out)).toEqual(['history.jsonl']);
    expect(readFileSync(join(out, 'history.jsonl'), 'utf8')).toBe('theirs');
  });
});

describe('a file that cannot be used is one line and exit 2', () => {
  it('export of a session with a chunk that is not JSON names the file and the row', async () => {
    const broken = join(dir, 'broken.session.sqlite');
    copyFileSync(session, broken);
    const db = new Database(broken);
    const seq = db.prepare('SELECT MIN(seq) FROM inputs').pluck().get() as number;
    db.prepare("UPDATE inputs SET batches = '[[1, {' WHERE seq = ?").run(seq);
    db.close();
    const out = join(dir, 'from-broken');
    await refused(new RegExp(`broken\\.session\\.sqlite is damaged: inputs row ${seq} is not valid JSON`), 'export', broken, '--out', out);
    // Nothing half-made is left: the destination holds no data set file.
    expect(readdirSync(out)).toEqual([]);
  });

  it('export --out naming a file', async () => {
    const file = join(dir, 'a-file');
    writeFileSync(file, 'x');
    await refused(/--out: .*a-file is not a folder/, 'export', session, '--out', file);
    expect(readFileSync(file, 'utf8')).toBe('x');
  });

  it('replay given a folder', async () => {
    await refused(new RegExp(`${dir} is a folder, not a session file`), 'replay', dir);
  });

  it('run --data-dir naming a file, or a folder under a file', async () => {
    const file = join(dir, 'not-a-dir');
    writeFileSync(file, 'x');
    await refused(/--data-dir: .*not-a-dir is not a folder/, 'run', '--nodes', '1', '--duration', '1s', '--data-dir', file);
    await refused(/not-a-dir\/sub.*: a part of the path is not a folder/, 'run', '--nodes', '1', '--duration', '1s', '--data-dir', join(file, 'sub'));
  });

  it('run --record or --history naming a dangling link, which they do not follow', async () => {
    for (const option of ['--record', '--history']) {
      const link = join(dir, `link${option}`);
      const target = join(dir, `target${option}`);
      symlinkSync(target, link);
      await refused(new RegExp(`${option}: .*link${option} already exists`), 'run', '--sim', '--duration', '1s', option, link);
      expect(existsSync(target)).toBe(false);
    }
  });

  it('replay --verify of a session with a chunk that is not JSON names the row', async () => {
    const broken = join(dir, 'broken-replay.session.sqlite');
    copyFileSync(session, broken);
    const db = new Database(broken);
    const seq = db.prepare('SELECT MAX(seq) FROM outputs').pluck().get() as number;
    db.prepare("UPDATE outputs SET readies = 'nope' WHERE seq = ?").run(seq);
    db.close();
    await refused(new RegExp(`broken-replay\\.session\\.sqlite is damaged: outputs row ${seq} is not valid JSON`), 'replay', broken, '--verify');
  });

  it('export of a session whose node life is not JSON names the row', async () => {
    const broken = join(dir, 'broken-life.session.sqlite');
    copyFileSync(session, broken);
    const db = new Database(broken);
    db.prepare("UPDATE lives SET context = '{' WHERE life = 1").run();
    db.close();
    await refused(/broken-life\.session\.sqlite is damaged: lives row 1 \(its context\) is not valid JSON/, 'export', broken, '--out', join(dir, 'from-broken-life'));
  });

  it('run --history naming a file that exists, which it leaves as it was', async () => {
    const history = join(dir, 'kept.jsonl');
    writeFileSync(history, 'mine\n');
    await refused(/--history: .*kept\.jsonl already exists/, 'run', '--sim', '--duration', '1s', '--history', history);
    expect(readFileSync(history, 'utf8')).toBe('mine\n');
  });
});

describe('replay --verify vouches only for what it verified', () => {
  it('a session copied without its -wal file early on: nothing verified, exit 1', async () => {
    // What such a copy holds: the file as created, without the lives and summary still in the WAL.
    const copy = join(dir, 'copy.session.sqlite');
    createSessionFile(copy, { mode: 'live', algorithm: 'raft', nodes: 1, seed: 1, settings: {} }).close();
    const r = await cli('replay', copy, '--verify');
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/nothing verified: the session holds no node lives, and the session was never closed/);
    expect(r.out).not.toMatch(/^verified/m);
  });
});

describe('check', () => {
  it('warns on an empty history and still answers', async () => {
    const empty = join(dir, 'empty.jsonl');
    writeFileSync(empty, '\n');
    const r = await cli('check', '--model', 'kv', empty);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/empty\.jsonl: linearizable: true, ops: 0/);
    expect(r.err).toEqual([`${empty}: warning: the history holds no operations`]);
  });

  it('cites the data set file\'s own line numbers for each session', async () => {
    const file = join(dir, 'sessions.jsonl');
    const e = (session: string, process: number, type: string, f: string, value: unknown) => JSON.stringify({ session, process, type, f, key: 'x', value });
    writeFileSync(
      file,
      [
        e('a', 1, 'invoke', 'write', 1), // 1
        e('b', 1, 'invoke', 'write', 1), // 2
        e('a', 1, 'ok', 'write', 1), // 3
        e('b', 1, 'ok', 'write', 1), // 4
        e('b', 2, 'invoke', 'read', null), // 5
        e('a', 2, 'invoke', 'read', null), // 6
        e('a', 2, 'ok', 'read', 1), // 7
        e('b', 2, 'ok', 'read', 2), // 8: b reads what nobody wrote
        e('a', 3, 'ok', 'write', 1), // 9: a completes what it never invoked
      ].join('\n') + '\n',
    );
    const r = await cli('check', '--model', 'kv', file);
    expect(r.out).toContain(`${file}#a: error: line 9: ok for process 3 with no open invoke`);
    expect(r.out).toMatch(new RegExp(`${file}#b: linearizable: false`));
    expect(r.out).toContain('process 2: read x -> 2 (line 5)');
  });
});

describe("a session's meta table is checked, not trusted", () => {
  it('names the malformed field, and a summary that does not read leaves the recording replayable', async () => {
    const broken = join(dir, 'broken-meta.session.sqlite');
    copyFileSync(session, broken);
    const db = new Database(broken);
    db.prepare("UPDATE meta SET value = ? WHERE key = 'nodes'").run(JSON.stringify('three'));
    db.close();
    await refused(/broken-meta\.session\.sqlite has a malformed meta table: nodes: /, 'replay', broken);

    const noSummary = join(dir, 'bad-summary.session.sqlite');
    copyFileSync(session, noSummary);
    const db2 = new Database(noSummary);
    db2.prepare("UPDATE meta SET value = ? WHERE key = 'summary'").run(JSON.stringify({ durationMs: 'long' }));
    db2.close();
    const r = await cli('replay', '--verify', noSummary);
    // Never closed cleanly as far as the file says: re-executed all the same, and said so (exit 1).
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/summary: none/);
    expect(r.out).toMatch(/re-executed and identical/);
  });
});
