// The door into the app from the window: every payload checked, every failure an error value with
// a reason, and the cluster still running afterwards.
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AppState } from '../../src/shared/bridge.ts';
import { DEFAULT_SETTINGS } from '../../src/main/app/cluster-settings.ts';
import { dispatch } from '../../src/main/app/api.ts';
import { PlaygroundService } from '../../src/main/app/service.ts';
import { main } from '../../src/main/cli/cli.ts';
import { RECORDING_BEHIND_MESSAGE } from '../../src/main/record/recorder.ts';

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
      ['newCluster', [{ ...DEFAULT_SETTINGS, options: { snapshotInterval: -1 } }], /option snapshotInterval: a whole number from 0 to/],
      ['newCluster', [{ ...DEFAULT_SETTINGS, options: { warpDrive: true } }], /unknown option\(s\) warpDrive; known: /],
      ['newCluster', [{ ...DEFAULT_SETTINGS, options: { electionTicks: 5, heartbeatTicks: 5 } }], /Heartbeat must be shorter than the election timeout/],
      ['newCluster', [{ ...DEFAULT_SETTINGS, algorithm: 'zab' }], /algorithm/],
      ['newCluster', [{ ...DEFAULT_SETTINGS, options: { nested: { a: 1 } } }], /options/],
      ['nodeCommand', ['n1', 'self-destruct'], /has no action "self-destruct"; it has /],
      ['skewClock', ['n1', 0, -1], /a drift of at least -0.9/],
      ['skewClock', ['n1', 1e9, 0], /at most an hour ahead/],
      ['skewClock', ['n1', Number.NaN, 0], /invalid skewClock|expected number/],
      ['setLinkRule', [null, null, { delayMs: -5 }], /a delay cannot be negative/],
      ['nodeAction', ['n99', 'kill'], /there is no node "n99"/],
      ['nodeAction', ['n1', 'explode'], /invalid nodeAction/],
      ['setSpeed', [1000], /at most 100x/],
      ['clientOperation', ['leader', { f: 'write', key: '' }, 1000], /invalid clientOperation/],
      ['partition', [[['n1', 'n2'], ['n2', 'n3']]], /n2 is in two groups/],
      ['getState', 'not a list', /invalid getState/],
      ['describeChoice', ['zab', {}], /no algorithm "zab"/],
      ['describeChoice', ['raft', { warpDrive: true }], /unknown option\(s\) warpDrive/],
      ['describeChoice', ['raft', []], /invalid describeChoice/],
      ['clientOperation', ['leader', { f: 'incr', key: 'c', value: 1.5 }, 1000], /invalid clientOperation/],
    ];
    for (const [method, args, why] of bad) {
      const result = await dispatch(service, method, args);
      expect(result.ok, `${String(method)} should fail`).toBe(false);
      if (!result.ok) expect(result.error).toMatch(why);
    }
    expect(await dispatch(service, 'describeChoice', ['raft', { readMode: 'lease' }])).toMatchObject({ ok: true, value: { promises: 'linearizable', serves: { kv: expect.arrayContaining(['write', 'cas']), counter: ['read', 'incr'] } } });
    const state = await dispatch(service, 'getState', []);
    expect(state.ok).toBe(true);
    expect((state as { value: AppState }).value.nodes).toHaveLength(3);
    // A clock-skew fault shows on the node, and setting it right again clears it.
    expect(await dispatch(service, 'skewClock', ['n2', 250, 0.5])).toMatchObject({ ok: true, value: "n2's clock reads +250 ms and runs +50%" });
    expect(service.state().nodes.find((n) => n.id === 'n2')?.clock).toEqual({ offsetMs: 250, drift: 0.5 });
    expect(await dispatch(service, 'skewClock', ['n2', 0, 0])).toMatchObject({ ok: true });
    expect(service.state().nodes.find((n) => n.id === 'n2')?.clock).toBeUndefined();
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

  it('says in the event log when its recording falls behind and holds clients, once, not every second', async () => {
    const recorder = (service as unknown as { recorder: object }).recorder;
    // A machine too busy for the writer is hard to make on purpose; the recorder says it is behind.
    Object.defineProperty(recorder, 'behind', { configurable: true, get: () => true });
    const said: string[] = [];
    const stop = service.onUpdate((batch) => said.push(...batch.events.flatMap((e) => (e.kind === 'error' ? [e.message] : []))));
    try {
      await new Promise((r) => setTimeout(r, 2500));
    } finally {
      stop();
      delete (recorder as { behind?: boolean }).behind;
    }
    expect(said).toEqual([RECORDING_BEHIND_MESSAGE]);
  });

  it('records the session, lists it, replays any moment of it, forks a live cluster from it and exports it', async () => {
    for (let i = 1; i <= 5; i++) expect(await dispatch(service, 'clientOperation', ['leader', { f: 'write', key: 'r', value: i }, 3000])).toMatchObject({ ok: true, value: { type: 'ok' } });
    const listed = await dispatch(service, 'listSessions', []);
    const current = (listed as { value: Array<{ name: string; recording: boolean; verdict: string }> }).value[0]!;
    expect(current).toMatchObject({ recording: true, verdict: 'recording' });
    // A new cluster closes the recording of the old one with its summary.
    await service.newCluster({ ...DEFAULT_SETTINGS, nodes: 3, speed: 1, networkDelayMs: 1 });
    const again = (await dispatch(service, 'listSessions', [])) as { value: Array<{ name: string; recording: boolean; verdict: string; durationMs: number | null; nodes: number }> };
    const closed = again.value.find((s) => s.name === current.name)!;
    expect(closed).toMatchObject({ recording: false, verdict: 'linearizable, no violations', nodes: 3 });
    // Its size is what deleting it frees: the session file and its node files.
    const nodeFiles = join(dir, closed.name.replace('.session.sqlite', ''));
    const onDisk = statSync(join(dir, closed.name)).size + readdirSync(nodeFiles).reduce((sum, f) => sum + statSync(join(nodeFiles, f)).size, 0);
    expect((closed as unknown as { bytes: number }).bytes).toBe(onDisk);
    expect(closed.durationMs).toBeGreaterThan(500);

    const end = await dispatch(service, 'replayMoment', [closed.name, closed.durationMs]);
    expect(end.ok, JSON.stringify(end)).toBe(true);
    const frame = (end as { value: { state: AppState; events: unknown[]; durationMs: number; history: Array<{ event: { type: string; f: string; key: string; value: unknown } }> } }).value;
    expect(frame.history.filter((h) => h.event.type === 'ok' && h.event.key === 'r').map((h) => h.event.value)).toEqual([1, 2, 3, 4, 5]);
    const leader = frame.state.nodes.find((n) => n.status?.role === 'leader');
    expect(leader, JSON.stringify(frame.state.nodes)).toBeDefined();
    expect(frame.state.health).toMatchObject({ linearizable: 'true', violations: [] });
    expect(frame.events.length).toBeGreaterThan(10);
    const start = (await dispatch(service, 'replayMoment', [closed.name, 0])) as { value: { state: AppState; nextEventMs: number } };
    expect(start.value.state.nodes.every((n) => (n.status?.commit ?? 0) === 0)).toBe(true);
    expect(start.value.nextEventMs).toBeGreaterThanOrEqual(0);

    const inspected = (await dispatch(service, 'replayInspect', [closed.name, leader!.id, frame.durationMs, 0, 1000])) as { ok: boolean; value: { log: { entries: Array<{ data: { type: string; request?: { op: { key: string; value?: number } } } }> }; kv: Array<[string, unknown]> } };
    expect(inspected.ok).toBe(true);
    expect(inspected.value.log.entries.filter((e) => e.data.request?.op.key === 'r').map((e) => e.data.request?.op.value)).toEqual([1, 2, 3, 4, 5]);
    expect(inspected.value.kv).toContainEqual(['r', 5]);

    const fork = await dispatch(service, 'forkReplay', [closed.name, frame.durationMs]);
    expect(fork.ok, JSON.stringify(fork)).toBe(true);
    const deadline = Date.now() + 10_000;
    while (!service.state().nodes.some((n) => n.status?.role === 'leader') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const read = await dispatch(service, 'clientOperation', ['leader', { f: 'read', key: 'r' }, 3000]);
    expect(read).toMatchObject({ ok: true, value: { type: 'ok', value: 5 } });

    const exported = (await dispatch(service, 'exportSession', [closed.name])) as { ok: boolean; value: string };
    expect(exported.ok).toBe(true);
    expect(existsSync(join(exported.value, 'transitions.jsonl'))).toBe(true);

    expect(await dispatch(service, 'replayMoment', ['../../etc/passwd.session.sqlite', 0])).toMatchObject({ ok: false, error: expect.stringMatching(/session/) });
    expect(await dispatch(service, 'replayMoment', ['nope.session.sqlite', 0])).toMatchObject({ ok: false, error: expect.stringMatching(/there is no session nope/) });
    // A damaged file in the folder is listed with the reason and refused, and the app goes on.
    writeFileSync(join(dir, 'broken.session.sqlite'), 'not a database at all, '.repeat(20));
    const withBroken = (await dispatch(service, 'listSessions', [])) as { value: Array<{ name: string; verdict: string }> };
    expect(withBroken.value.find((s) => s.name === 'broken.session.sqlite')?.verdict).toMatch(/cannot be opened: .*not an SQLite database/);
    expect(await dispatch(service, 'replayMoment', ['broken.session.sqlite', 0])).toMatchObject({ ok: false, error: expect.stringMatching(/not an SQLite database/) });
    expect((await dispatch(service, 'getState', [])).ok).toBe(true);
    // Deleting: never the session being recorded; an old one goes with its node files.
    const listing = (await dispatch(service, 'listSessions', [])) as { value: Array<{ name: string; recording: boolean }> };
    const recordingNow = listing.value.find((s) => s.recording)!.name;
    expect(await dispatch(service, 'deleteSessions', [[recordingNow]])).toMatchObject({ ok: false, error: expect.stringMatching(/being recorded now/) });
    const afterDelete = (await dispatch(service, 'deleteSessions', [[closed.name]])) as { ok: boolean; value: Array<{ name: string }> };
    expect(afterDelete.ok).toBe(true);
    expect(afterDelete.value.map((s) => s.name)).not.toContain(closed.name);
    expect(existsSync(join(dir, closed.name))).toBe(false);
    expect(existsSync(join(dir, closed.name.replace('.session.sqlite', '')))).toBe(false);
  }, 60_000);

  it('replays a node added as the cluster ran only from when it was added, and the first moments as starting', async () => {
    await service.newCluster({ ...DEFAULT_SETTINGS, nodes: 3, speed: 1, networkDelayMs: 1 });
    const name = ((await dispatch(service, 'listSessions', [])) as { value: Array<{ name: string; recording: boolean }> }).value.find((s) => s.recording)!.name;
    const deadline = Date.now() + 10_000;
    while (!service.state().nodes.some((n) => n.status?.role === 'leader') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await dispatch(service, 'addNode', [])).toMatchObject({ ok: true, value: 'n4' });
    await new Promise((r) => setTimeout(r, 300));
    await service.newCluster({ ...DEFAULT_SETTINGS, nodes: 3, speed: 1, networkDelayMs: 1 });
    const db = new Database(join(dir, name), { readonly: true });
    const added = (db.prepare("SELECT time FROM events WHERE kind = 'fault' AND data LIKE '%add node n4%'").get() as { time: number }).time;
    db.close();
    const nodesAt = async (t: number) => ((await dispatch(service, 'replayMoment', [name, t])) as { value: { state: AppState } }).value.state.nodes;
    const first = await nodesAt(0);
    expect(first.map((n) => n.id)).toEqual(['n1', 'n2', 'n3']);
    expect(first.every((n) => n.state === 'up')).toBe(true);
    expect((await nodesAt(added - 1)).map((n) => n.id)).toEqual(['n1', 'n2', 'n3']);
    expect((await nodesAt(added + 250)).map((n) => n.id)).toEqual(['n1', 'n2', 'n3', 'n4']);
  });

  it('replays a session recorded from the command line with the network it ran on', async () => {
    const file = join(dir, 'from-cli.session.sqlite');
    const quiet = { out: () => undefined, err: () => undefined, stdin: process.stdin };
    expect(await main(['run', '--nodes', '3', '--duration', '1s', '--rate', '20', '--data-dir', dir, '--sync', 'normal', '--record', file], quiet)).toBe(0);
    const frame = (await dispatch(service, 'replayMoment', ['from-cli.session.sqlite', 500])) as { ok: boolean; value: { state: AppState } };
    expect(frame.ok).toBe(true);
    // Worker threads on one machine: no delay of their own (the window's clusters start with some).
    expect(frame.value.state.network.defaultRule).toEqual({ drop: 0, delayMs: 0, jitterMs: 0, duplicate: 0, reorder: 0 });
    expect(frame.value.state.settings.networkDelayMs).toBe(0);
    expect((await dispatch(service, 'forkReplay', ['from-cli.session.sqlite', 500])).ok).toBe(true);
    expect(service.state().network.defaultRule).toEqual({ drop: 0, delayMs: 0, jitterMs: 0, duplicate: 0, reorder: 0 });
  }, 30_000);

  it('lists every session however many, deletes many at once or none, and reads a changed file again', async () => {
    await service.newCluster({ ...DEFAULT_SETTINGS, nodes: 1, speed: 1, networkDelayMs: 1 });
    const first = ((await dispatch(service, 'listSessions', [])) as { value: Array<{ name: string; recording: boolean }> }).value.find((s) => s.recording)!.name;
    await service.newCluster({ ...DEFAULT_SETTINGS, nodes: 1, speed: 1, networkDelayMs: 1 });
    // Sixty more closed sessions, copies of that one, each with a node folder.
    const copies = Array.from({ length: 60 }, (_, i) => `copy-${String(i).padStart(2, '0')}.session.sqlite`);
    for (const name of copies) {
      copyFileSync(join(dir, first), join(dir, name));
      mkdirSync(join(dir, name.replace('.session.sqlite', '')));
      writeFileSync(join(dir, name.replace('.session.sqlite', ''), 'n1.sqlite'), 'x'.repeat(1000));
    }
    const list = async (): Promise<Array<{ name: string; verdict: string; recording: boolean; bytes: number }>> => ((await dispatch(service, 'listSessions', [])) as { value: Array<{ name: string; verdict: string; recording: boolean; bytes: number }> }).value;
    const listed = await list();
    expect(listed.length).toBeGreaterThanOrEqual(62);
    expect(listed.filter((s) => copies.includes(s.name)).every((s) => s.verdict === 'linearizable, no violations')).toBe(true);
    // A file changed since it was read is read again.
    writeFileSync(join(dir, copies[0]!), 'no longer a session');
    expect((await list()).find((s) => s.name === copies[0])?.verdict).toMatch(/cannot be opened/);

    // One name that cannot go (the session being recorded) and nothing goes.
    const recording = listed.find((s) => s.recording)!.name;
    expect(await dispatch(service, 'deleteSessions', [[copies[1], recording]])).toMatchObject({ ok: false, error: expect.stringMatching(/being recorded now/) });
    expect(existsSync(join(dir, copies[1]!))).toBe(true);
    expect(await dispatch(service, 'deleteSessions', [[]])).toMatchObject({ ok: false, error: expect.stringMatching(/at least one session/) });
    const left = (await dispatch(service, 'deleteSessions', [copies])) as { ok: boolean; value: Array<{ name: string }> };
    expect(left.ok).toBe(true);
    expect(left.value.some((s) => copies.includes(s.name))).toBe(false);
    for (const name of copies) {
      expect(existsSync(join(dir, name))).toBe(false);
      expect(existsSync(join(dir, name.replace('.session.sqlite', '')))).toBe(false);
    }
  });

  it('shows every link rule live, takes them back, and keeps them in a replay at any moment and in a fork', async () => {
    const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
    await service.newCluster({ ...DEFAULT_SETTINGS, nodes: 3, speed: 1, networkDelayMs: 2 });
    const starting = { drop: 0, delayMs: 2, jitterMs: 0.5, duplicate: 0, reorder: 0 };
    expect(service.state().network).toEqual({ cuts: [], defaultRule: starting, links: [] });
    const name = ((await dispatch(service, 'listSessions', [])) as { value: Array<{ name: string; recording: boolean }> }).value.find((s) => s.recording)!.name;

    expect((await dispatch(service, 'setLinkRule', [null, null, { drop: 0.1 }])).ok).toBe(true);
    await sleep(60);
    expect((await dispatch(service, 'setLinkRule', ['n1', 'n2', { delayMs: 50 }])).ok).toBe(true);
    expect((await dispatch(service, 'setLinkRule', ['n2', 'n3', { duplicate: 0.5 }])).ok).toBe(true);
    expect((await dispatch(service, 'partition', [[['n1'], ['n2', 'n3']]])).ok).toBe(true);
    const withRules = { defaultRule: { ...starting, drop: 0.1 }, links: [{ from: 'n1', to: 'n2', rule: { ...starting, drop: 0.1, delayMs: 50 } }, { from: 'n2', to: 'n3', rule: { ...starting, drop: 0.1, duplicate: 0.5 } }] };
    expect(service.state().network).toMatchObject(withRules);
    await sleep(60);
    // A null rule: one link back to the every-link rule, then every link back to how it started.
    expect((await dispatch(service, 'setLinkRule', ['n2', 'n3', null])).ok).toBe(true);
    expect(service.state().network.links.map((l) => `${l.from}>${l.to}`)).toEqual(['n1>n2']);
    await sleep(60);
    expect((await dispatch(service, 'setLinkRule', [null, null, null])).ok).toBe(true);
    expect(service.state().network).toMatchObject({ defaultRule: starting, links: [] });
    expect(service.state().network.cuts).toHaveLength(4);
    await sleep(60);
    expect((await dispatch(service, 'nodeAction', ['n3', 'pause'])).ok).toBe(true);
    await sleep(60);
    await service.newCluster({ ...DEFAULT_SETTINGS, nodes: 3, speed: 1, networkDelayMs: 1 });

    // Moments between the faults, from the times the recording gave them.
    const db = new Database(join(dir, name), { readonly: true });
    const faults = db.prepare("SELECT time FROM events WHERE kind = 'fault' ORDER BY seq").all() as Array<{ time: number }>;
    db.close();
    expect(faults).toHaveLength(7);
    const networkAt = async (timeMs: number): Promise<AppState['network']> => ((await dispatch(service, 'replayMoment', [name, timeMs])) as { value: { state: AppState } }).value.state.network;
    const between = (i: number): number => ((faults[i]!.time + faults[i + 1]!.time) / 2);
    expect(await networkAt(faults[0]!.time / 2)).toEqual({ cuts: [], defaultRule: starting, links: [] });
    expect(await networkAt(between(0))).toEqual({ cuts: [], defaultRule: { ...starting, drop: 0.1 }, links: [] });
    const ruled = await networkAt(between(3));
    expect(ruled).toMatchObject(withRules);
    expect(ruled.cuts.map(([a, b]) => `${a}>${b}`).sort()).toEqual(['n1>n2', 'n1>n3', 'n2>n1', 'n3>n1']);
    expect((await networkAt(between(4))).links.map((l) => `${l.from}>${l.to}`)).toEqual(['n1>n2']);
    expect(await networkAt(faults[5]!.time + 30)).toMatchObject({ defaultRule: starting, links: [] });

    // A fork goes on with the network as it was at that moment.
    expect((await dispatch(service, 'forkReplay', [name, between(3)])).ok).toBe(true);
    const forked = service.state().network;
    expect(forked).toMatchObject(withRules);
    expect(forked.cuts.map(([a, b]) => `${a}>${b}`).sort()).toEqual(['n1>n2', 'n1>n3', 'n2>n1', 'n3>n1']);
    expect(service.state().nodes.find((n) => n.id === 'n3')?.state).toBe('up');
    // Forked after the pause: that node stays paused.
    expect((await dispatch(service, 'forkReplay', [name, faults[6]!.time + 30])).ok).toBe(true);
    expect(service.state().nodes.map((n) => n.state)).toEqual(['up', 'up', 'paused']);
    expect(service.state().network).toMatchObject({ defaultRule: starting, links: [] });
  }, 30_000);
});
