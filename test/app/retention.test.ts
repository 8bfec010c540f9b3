// The app keeps its recorded sessions under a size: the setting through the window's door, saved
// beside the sessions, and the oldest sessions deleted past it, never the one being recorded.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, truncateSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type RetentionView } from '../../src/shared/bridge.ts';
import { DEFAULT_SETTINGS } from '../../src/main/app/cluster-settings.ts';
import { dispatch } from '../../src/main/app/api.ts';
import { PlaygroundService } from '../../src/main/app/service.ts';
import { DEFAULT_RETENTION_BYTES, MIB } from '../../src/main/record/retention.ts';

/** A session's files as the data folder holds them, sparse: its size without the disk it names. */
function fakeSession(dir: string, name: string, mib: number, mtimeS: number): string {
  const file = join(dir, `${name}.session.sqlite`);
  writeFileSync(file, '');
  truncateSync(file, mib * MIB);
  mkdirSync(join(dir, name), { recursive: true });
  writeFileSync(join(dir, name, 'n1.sqlite'), 'x');
  utimesSync(file, mtimeS, mtimeS);
  return file;
}

describe('disk retention in the app', () => {
  const dirs: string[] = [];
  const folder = (): string => {
    const dir = mkdtempSync(join(tmpdir(), 'retention-'));
    dirs.push(dir);
    return dir;
  };
  afterAll(() => {
    for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the setting across restarts and refuses absurd limits', async () => {
    const dir = folder();
    const first = new PlaygroundService(dir);
    expect(await dispatch(first, 'getRetention', [])).toMatchObject({ ok: true, value: { limitBytes: DEFAULT_RETENTION_BYTES, usedBytes: 0, message: null } });
    for (const bad of [-1, 0, 10 * MIB, 100 * MIB + 0.5, 2 ** 60, 'lots', null]) {
      const result = await dispatch(first, 'setRetention', [bad]);
      expect(result.ok, String(bad)).toBe(false);
      if (!result.ok) expect(result.error).toMatch(/invalid setRetention/);
    }
    expect(await dispatch(first, 'setRetention', [100 * MIB])).toMatchObject({ ok: true, value: { limitBytes: 100 * MIB } });
    await first.close();
    const second = new PlaygroundService(dir);
    expect(second.getRetention().limitBytes).toBe(100 * MIB);
    expect(JSON.parse(readFileSync(join(dir, 'settings.json'), 'utf8'))).toEqual({ retentionBytes: 100 * MIB });
    await second.close();
  });

  it('starts with the default and says why when the settings file is broken', async () => {
    const dir = folder();
    for (const broken of ['{not json', JSON.stringify({ retentionBytes: -5 })]) {
      writeFileSync(join(dir, 'settings.json'), broken);
      const service = new PlaygroundService(dir);
      const view = service.getRetention();
      expect(view.limitBytes).toBe(DEFAULT_RETENTION_BYTES);
      expect(view.message).toMatch(/settings\.json/);
      // Saving a good value mends the file, and the message goes.
      expect((await service.setRetention(200 * MIB)).message).toBeNull();
      expect(new PlaygroundService(dir).getRetention()).toMatchObject({ limitBytes: 200 * MIB, message: null });
      await service.close();
    }
  });

  it('deletes the oldest sessions past the limit, never the one being recorded', async () => {
    const dir = folder();
    const service = new PlaygroundService(dir);
    try {
      await service.newCluster({ ...DEFAULT_SETTINGS, nodes: 3, speed: 1, networkDelayMs: 1 });
      const running = service.listSessions().find((s) => s.recording)!.name;
      for (const [n, name] of ['old-1', 'old-2', 'old-3'].entries()) fakeSession(dir, name, 40, 1_000_000 + n * 1000);
      // The running session looks the oldest of all: only its protection keeps it.
      utimesSync(join(dir, running), 1000, 1000);
      const view = (await dispatch(service, 'setRetention', [64 * MIB])) as { ok: true; value: RetentionView };
      expect(view.ok).toBe(true);
      expect(view.value.lastPruned?.sessions).toEqual(['old-1.session.sqlite', 'old-2.session.sqlite']);
      expect(view.value.usedBytes).toBeLessThanOrEqual(64 * MIB);
      expect(existsSync(join(dir, running))).toBe(true);
      expect(existsSync(join(dir, 'old-1.session.sqlite')) || existsSync(join(dir, 'old-1'))).toBe(false);
      expect(existsSync(join(dir, 'old-3.session.sqlite'))).toBe(true);

      // A new cluster holds the sessions to the limit as it starts: the oldest goes (the one just
      // stopped was written last, so it is the newest of the old ones).
      fakeSession(dir, 'old-4', 40, 2_000_000);
      await service.newCluster({ ...DEFAULT_SETTINGS, nodes: 3, speed: 1, networkDelayMs: 1 });
      const names = service.listSessions().map((s) => s.name);
      expect(names).not.toContain('old-3.session.sqlite');
      expect(names).toContain(running);
      expect(names).toContain('old-4.session.sqlite');
      expect(service.listSessions().filter((s) => s.recording)).toHaveLength(1);

      // A session open for replay stays too, however old it looks.
      expect((await dispatch(service, 'replayMoment', [running, 0])).ok).toBe(true);
      utimesSync(join(dir, running), 1000, 1000);
      fakeSession(dir, 'old-5', 40, 2_000_500);
      expect((await service.setRetention(64 * MIB)).lastPruned?.sessions).toEqual(['old-4.session.sqlite']);
      expect(existsSync(join(dir, running))).toBe(true);
    } finally {
      await service.close();
    }
  }, 30_000);
});
