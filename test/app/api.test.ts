// The door into the app from the window: every payload checked, every failure an error value with
// a reason, and the cluster still running afterwards.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_SETTINGS, type AppState } from '../../src/shared/bridge.ts';
import { dispatch } from '../../src/main/app/api.ts';
import { PlaygroundService } from '../../src/main/app/service.ts';

describe('the app behind the window', () => {
  const dir = mkdtempSync(join(tmpdir(), 'api-'));
  const service = new PlaygroundService(dir);

  beforeAll(async () => {
    await service.newCluster({ ...DEFAULT_SETTINGS, nodes: 3, speed: 1, networkDelayMs: 1 });
  });
  afterAll(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers bad calls with a reason and keeps running', async () => {
    const bad: Array<[unknown, unknown, RegExp]> = [
      ['dropTables', [], /unknown operation/],
      ['newCluster', [{ ...DEFAULT_SETTINGS, nodes: 0 }], /nodes: at least 1 node/],
      ['newCluster', [{ ...DEFAULT_SETTINGS, nodes: 'five' }], /nodes/],
      ['newCluster', [{ ...DEFAULT_SETTINGS, snapshotEvery: -1 }], /snapshotEvery: at least 0 entries/],
      ['setLinkRule', [null, null, { delayMs: -5 }], /a delay cannot be negative/],
      ['nodeAction', ['n99', 'kill'], /there is no node "n99"/],
      ['nodeAction', ['n1', 'explode'], /invalid nodeAction/],
      ['setSpeed', [1000], /at most 100x/],
      ['clientOperation', ['leader', { f: 'write', key: '' }, 1000], /invalid clientOperation/],
      ['partition', [[['n1', 'n2'], ['n2', 'n3']]], /n2 is in two groups/],
      ['getState', 'not a list', /invalid getState/],
    ];
    for (const [method, args, why] of bad) {
      const result = await dispatch(service, method, args);
      expect(result.ok, `${String(method)} should fail`).toBe(false);
      if (!result.ok) expect(result.error).toMatch(why);
    }
    const state = await dispatch(service, 'getState', []);
    expect(state.ok).toBe(true);
    expect((state as { value: AppState }).value.nodes).toHaveLength(3);
  });

  it('sends operations to the leader, follows redirects, and checks the history', async () => {
    const deadline = Date.now() + 10_000;
    while (service.state().nodes.every((n) => n.status?.role !== 'leader') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const follower = service.state().nodes.find((n) => n.status?.role === 'follower')?.id as string;
    const write = await dispatch(service, 'clientOperation', ['leader', { f: 'write', key: 'x', value: 7 }, 3000]);
    expect(write).toMatchObject({ ok: true, value: { type: 'ok' } });
    const read = await dispatch(service, 'clientOperation', ['leader', { f: 'read', key: 'x' }, 3000]);
    expect(read).toMatchObject({ ok: true, value: { type: 'ok', value: 7 } });
    // A follower asked directly says who leads: a definite failure, nothing applied.
    const direct = await dispatch(service, 'clientOperation', [follower, { f: 'write', key: 'y', value: 1 }, 3000]);
    expect(direct).toMatchObject({ ok: true, value: { type: 'fail' } });
    const inspection = await dispatch(service, 'inspectNode', [follower, 0, 100]);
    expect(inspection.ok).toBe(true);
    await new Promise((r) => setTimeout(r, 1200));
    const health = service.state().health;
    expect(health.linearizable).toBe('true');
    // The failed write certainly did not happen: the checker leaves it out.
    expect(health.operations).toBe(2);
  });
});
