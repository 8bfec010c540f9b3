// Starting, forking, stopping and deleting, asked for at once (two windows, or one impatient
// person): one at a time, in order, and no cluster left running that nothing can stop.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { MAX_CALL_BYTES, type AppState } from '../../src/shared/bridge.ts';
import { DEFAULT_SETTINGS } from '../../src/main/app/cluster-settings.ts';
import { dispatch, MAX_SESSIONS_PER_CALL, validateCall } from '../../src/main/app/api.ts';
import { PlaygroundService } from '../../src/main/app/service.ts';

const settings = { ...DEFAULT_SETTINGS, nodes: 3, speed: 1, networkDelayMs: 1 };

describe('lifecycle calls', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lifecycle-'));
  const service = new PlaygroundService(dir);
  afterAll(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs concurrent newCluster calls one at a time: every session but the last is closed', async () => {
    const answers = await Promise.all(Array.from({ length: 4 }, () => dispatch(service, 'newCluster', [settings])));
    expect(answers.every((a) => a.ok)).toBe(true);
    const dirs = new Set(answers.map((a) => (a as { value: AppState }).value.dataDir));
    expect(dirs.size, 'each call started a cluster of its own').toBe(4);
    const sessions = service.listSessions();
    expect(sessions).toHaveLength(4);
    expect(sessions.filter((s) => s.recording)).toHaveLength(1);
    for (const s of sessions.filter((s) => !s.recording)) expect(s.verdict, s.name).not.toMatch(/not closed|recording/);
    // The one running is the last one asked for.
    expect(service.state().dataDir).toBe((answers[3] as { value: AppState }).value.dataDir);
  }, 60_000);

  it('refuses to delete the session whose cluster runs, and deletes after a new cluster started, in the order asked', async () => {
    const running = service.listSessions().find((s) => s.recording)!.name;
    expect(await dispatch(service, 'deleteSessions', [[running]])).toMatchObject({ ok: false, error: expect.stringMatching(/being recorded now/) });
    const [started, deleted] = await Promise.all([dispatch(service, 'newCluster', [settings]), dispatch(service, 'deleteSessions', [[running]])]);
    expect(started.ok).toBe(true);
    expect(deleted).toMatchObject({ ok: true });
    expect(service.listSessions().map((s) => s.name)).not.toContain(running);
  }, 60_000);

  it('starts nothing once closing has begun', async () => {
    const other = new PlaygroundService(join(dir, 'other'));
    await other.newCluster(settings);
    const closing = other.close();
    const late = await dispatch(other, 'newCluster', [settings]);
    await closing;
    expect(late).toMatchObject({ ok: false, error: expect.stringMatching(/closing/) });
    expect(other.listSessions().every((s) => !s.recording && !/not closed/.test(s.verdict))).toBe(true);
  }, 60_000);
});

describe('call sizes', () => {
  const json = (method: string, args: unknown[]): number => Buffer.byteLength(JSON.stringify({ id: Number.MAX_SAFE_INTEGER, method, args }));
  const longest = (n: number): string => `${'x'.repeat(n - '.session.sqlite'.length)}.session.sqlite`;

  it('fits every call the schemas accept into one frame of browser mode', () => {
    const names = Array.from({ length: MAX_SESSIONS_PER_CALL }, () => longest(215));
    expect(validateCall('deleteSessions', [names]).ok).toBe(true);
    expect(json('deleteSessions', [names])).toBeLessThanOrEqual(MAX_CALL_BYTES);
    expect(validateCall('deleteSessions', [[...names, longest(215)]])).toMatchObject({ ok: false, error: expect.stringMatching(/at most/) });
    expect(validateCall('deleteSessions', [[longest(216)]]).ok).toBe(false);
    // The largest value strings, every character escaped in JSON.
    const value = '\u0001'.repeat(10_000);
    const key = '\u0001'.repeat(200);
    const cas = ['leader', { f: 'cas', key, expected: value, value }, 60_000];
    expect(validateCall('clientOperation', cas).ok).toBe(true);
    expect(json('clientOperation', cas)).toBeLessThanOrEqual(MAX_CALL_BYTES);
    const groups = Array.from({ length: 15 }, () => Array.from({ length: 15 }, () => 'n15'));
    expect(json('partition', [groups])).toBeLessThanOrEqual(MAX_CALL_BYTES);
  });
});
