// `consensus-playground prune`: the oldest sessions go until the rest fit, whole (file, -wal,
// -shm, node files), never one that looks like it is still being recorded.
import { existsSync, mkdirSync, mkdtempSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { main } from '../../src/main/cli/cli.ts';
import { MIB } from '../../src/main/record/retention.ts';
import { SessionRecorder } from '../../src/main/record/recorder.ts';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), stdin: process.stdin });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

/** A session's files, sparse (their size without the disk), written `mtimeS` seconds after 1970. */
function fakeSession(dir: string, name: string, mib: number, mtimeS: number): void {
  const file = join(dir, `${name}.session.sqlite`);
  writeFileSync(file, '');
  truncateSync(file, mib * MIB);
  writeFileSync(`${file}-wal`, 'wal');
  writeFileSync(`${file}-shm`, 'shm');
  mkdirSync(join(dir, name));
  writeFileSync(join(dir, name, 'n1.sqlite'), 'node');
  utimesSync(file, mtimeS, mtimeS);
}

const gone = (dir: string, name: string): boolean => ['', '-wal', '-shm'].every((s) => !existsSync(join(dir, `${name}.session.sqlite${s}`))) && !existsSync(join(dir, name));

describe('consensus-playground prune', () => {
  const root = mkdtempSync(join(tmpdir(), 'prune-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('deletes the oldest sessions beyond the size, after a dry run that deletes nothing', async () => {
    const dir = join(root, 'sizes');
    mkdirSync(dir);
    for (const [n, name] of ['c', 'a', 'b'].entries()) fakeSession(dir, name, 40, [3000, 1000, 2000][n] as number);
    const dry = await cli('prune', '--data-dir', dir, '--keep-size', '64MiB', '--dry-run');
    expect(dry.code, dry.err).toBe(0);
    expect(dry.out.split('\n').slice(0, 2)).toEqual(['would delete a.session.sqlite (40.0 MiB)', 'would delete b.session.sqlite (40.0 MiB)']);
    expect(dry.out).toMatch(/^would free 80\.0 MiB in 2 session\(s\); 1 session\(s\) keep 40\.0 MiB of 64\.0 MiB/m);
    expect(gone(dir, 'a')).toBe(false);
    const real = await cli('prune', '--data-dir', dir, '--keep-size', '64MiB');
    expect(real.code).toBe(0);
    expect(real.out).toContain('deleted a.session.sqlite (40.0 MiB)');
    expect(real.out).toMatch(/^freed 80\.0 MiB in 2 session\(s\)/m);
    expect(gone(dir, 'a') && gone(dir, 'b')).toBe(true);
    expect(existsSync(join(dir, 'c.session.sqlite'))).toBe(true);
  });

  it('keeps a session not closed and written in the last minute, and deletes a closed one', async () => {
    const dir = join(root, 'recording');
    mkdirSync(dir);
    const closed = new SessionRecorder(join(dir, 'closed.session.sqlite'), { mode: 'live', algorithm: 'raft', nodes: 3, seed: 1, settings: {} });
    await closed.close({ durationMs: 1000, ops: { ok: 0, fail: 0, info: 0 }, elections: 1, violations: 0, linearizable: 'true' });
    const open = new SessionRecorder(join(dir, 'open.session.sqlite'), { mode: 'live', algorithm: 'raft', nodes: 3, seed: 2, settings: {} });
    await open.synced();
    fakeSession(dir, 'stale', 1, 1000); // not a readable session, and old: nothing records into it
    try {
      const r = await cli('prune', '--data-dir', dir, '--keep-size', '0');
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(/^kept open\.session\.sqlite: not closed and written \d+ s ago/m);
      expect(existsSync(join(dir, 'open.session.sqlite'))).toBe(true);
      expect(gone(dir, 'closed') && gone(dir, 'stale')).toBe(true);
      expect(r.out).toContain('(the sessions still recording alone take more)');
    } finally {
      await open.close({ durationMs: 1000, ops: { ok: 0, fail: 0, info: 0 }, elections: 1, violations: 0, linearizable: 'true' });
    }
  });

  it("uses the app's folder and its saved limit by default", async () => {
    const config = join(root, 'config');
    const dir = join(config, 'consensus-playground', 'clusters');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'settings.json'), JSON.stringify({ retentionBytes: 64 * MIB }));
    fakeSession(dir, 'old', 40, 1000);
    fakeSession(dir, 'new', 40, 2000);
    const saved = process.env.XDG_CONFIG_HOME;
    process.env.XDG_CONFIG_HOME = config;
    try {
      const r = await cli('prune');
      expect(r.code, r.err).toBe(0);
      expect(r.out).toContain(`of 64.0 MiB in ${dir}`);
      expect(gone(dir, 'old')).toBe(true);
      expect(existsSync(join(dir, 'new.session.sqlite'))).toBe(true);
    } finally {
      if (saved === undefined) delete process.env.XDG_CONFIG_HOME;
      else process.env.XDG_CONFIG_HOME = saved;
    }
  });

  it('says what is wrong with bad options in one line, exit 2', async () => {
    for (const argv of [['--keep-size', 'lots'], ['--keep-size', '-1G'], ['--data-dir', join(root, 'nowhere')], ['--bogus'], ['extra']]) {
      const r = await cli('prune', ...argv);
      expect(r.code, argv.join(' ')).toBe(2);
      expect(r.err.split('\n')).toHaveLength(1);
      expect(r.err).toMatch(/^consensus-playground prune: /);
    }
  });
});
