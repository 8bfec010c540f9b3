// Two clusters side by side through the API the window uses: payloads checked, one workload sent
// to both, each fault done to both at the same node position, both measured, and a clean stop.
import { existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { ClusterSettings, ComparisonView, Result, WorkloadSettings } from '../../src/shared/bridge.ts';
import type { HistoryEvent } from '../../src/shared/history.ts';
import { DEFAULT_SETTINGS } from '../../src/main/app/cluster-settings.ts';
import { dispatch } from '../../src/main/app/api.ts';
import { PlaygroundService } from '../../src/main/app/service.ts';
import { COMPARISONS_FOLDER } from '../../src/main/app/comparison.ts';
import type { Cluster } from '../../src/main/cluster/cluster.ts';
import type { ClientPool } from '../../src/main/cluster/clients.ts';

const harness = { ...DEFAULT_SETTINGS, nodes: 3, speed: 1, networkDelayMs: 1, seed: 11 };
const a: ClusterSettings = { ...harness, algorithm: 'raft', options: {} };
const b: ClusterSettings = { ...harness, algorithm: 'multipaxos', options: {} };
const workload: WorkloadSettings = { rate: 40, clients: 3, keys: 3, mix: { read: 2, write: 2, cas: 1, append: 0, delete: 0 } };

async function until<T>(what: string, probe: () => T | null | undefined | false, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function value<T>(result: Result<unknown>): T {
  expect(result.ok, result.ok ? '' : result.error).toBe(true);
  return (result as { value: T }).value;
}

/** The comparison's own sides, to look at what the window cannot see: the pools' histories. */
function internals(service: PlaygroundService): Array<{ cluster: Cluster; pool: ClientPool }> {
  return (service.comparison as unknown as { sides: Array<{ cluster: Cluster; pool: ClientPool }> | null }).sides ?? [];
}

describe('a comparison of two clusters', () => {
  const dir = mkdtempSync(join(tmpdir(), 'comparison-'));
  const service = new PlaygroundService(dir);
  afterAll(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses bad payloads with a reason, before anything starts', async () => {
    const bad: Array<[string, unknown[], RegExp]> = [
      ['startComparison', [a, { ...b, nodes: 5 }, workload], /same harness: nodes is 3 on A and 5 on B/],
      ['startComparison', [a, { ...b, seed: 12 }, workload], /seed is 11 on A and 12 on B/],
      ['startComparison', [a, { ...b, algorithm: 'zab' }, workload], /invalid startComparison: 1\.algorithm/],
      ['startComparison', [a, { ...b, options: { warpDrive: true } }, workload], /side B: unknown option\(s\) warpDrive/],
      ['startComparison', [{ ...a, options: { electionTicks: 5, heartbeatTicks: 5 } }, b, workload], /side A: Heartbeat must be shorter/],
      ['startComparison', [a, b, { ...workload, rate: 0 }], /a rate above 0/],
      ['startComparison', [a, b, { ...workload, mix: { read: 0, write: 0, cas: 0, append: 0, delete: 0 } }], /at least one kind of kv operation \(read, write, cas, append, delete\)/],
      // A counter mix on register keys would leave each pool to its own side's default mix.
      ['startComparison', [a, b, { ...workload, mix: { incr: 1 } }], /at least one kind of kv operation/],
      ['startComparison', [a, b], /invalid startComparison/],
      ['comparisonFault', [{ kind: 'crash', node: 'n2' }], /no comparison is running/],
      ['comparisonFault', [{ kind: 'explode', node: 'n2' }], /invalid comparisonFault/],
      ['comparisonFault', [{ kind: 'crash', node: 'x' }], /a node is named n1, n2/],
      ['comparisonFault', [{ kind: 'clock-skew', node: 'n1', offsetMs: 0, drift: 50 }], /a drift of at most 9/],
      ['comparisonFault', [{ kind: 'partition', groups: [] }], /a partition needs groups/],
      ['stopComparison', [1], /invalid stopComparison/],
    ];
    for (const [method, args, why] of bad) {
      const result = await dispatch(service, method, args);
      expect(result.ok, `${method} ${JSON.stringify(args).slice(0, 80)} should fail`).toBe(false);
      if (!result.ok) expect(result.error).toMatch(why);
    }
    expect(value(await dispatch(service, 'comparisonState', []))).toBeNull();
    expect(existsSync(join(dir, COMPARISONS_FOLDER))).toBe(false);
  });

  it('runs both sides on one workload: the same operations to each, both measured', async () => {
    const view = value<ComparisonView>(await dispatch(service, 'startComparison', [a, b, workload]));
    expect(view.running).toBe(true);
    expect(view.sides.map((s) => s.settings.algorithm)).toEqual(['raft', 'multipaxos']);
    expect(view.sides.map((s) => s.nodes.map((n) => n.id))).toEqual([['n1', 'n2', 'n3'], ['n1', 'n2', 'n3']]);
    // Each side in a folder of its own under the data folder.
    expect(view.sides[0].dataDir).not.toBe(view.sides[1].dataDir);
    expect(view.sides.every((s) => s.dataDir.startsWith(join(dir, COMPARISONS_FOLDER)))).toBe(true);
    // Both elect, both answer clients, both are measured.
    const measured = await until('both sides measured with answers', () => {
      const state = service.comparison.state();
      return state?.sides.every((s) => (s.measures?.ok ?? 0) >= 10 && s.measures?.models.find((m) => m.model === 'linearizable')?.verdict === 'true') && state;
    }, 30_000);
    for (const side of measured.sides) {
      const m = side.measures!;
      expect(m.ops).toBeGreaterThanOrEqual(m.ok + m.fail + m.info);
      expect(m.p50Ms).not.toBeNull();
      expect(m.p99Ms!).toBeGreaterThanOrEqual(m.p50Ms!);
      expect(m.availability).toBeGreaterThan(0);
      expect(m.series.reduce((sum, bucket) => sum + bucket.ok, 0)).toBe(m.ok);
      expect(m.strongest).toContain('linearizable');
      expect(side.promises).toBe('linearizable');
      expect(m.kept).toBe(true);
    }
    // Client c's k-th operation is the same on both sides, however differently they answered.
    const [left, right] = internals(service).map(({ pool }) => pool.history);
    const ops = (history: HistoryEvent[], process: number): string[] => history.filter((e) => e.process === process && e.type === 'invoke').map((e) => `${e.f} ${e.key} ${JSON.stringify(e.value)}`);
    // On a loaded machine a client may have sent only a couple yet: wait until each has a few on both sides.
    await until('a few operations from every client on both sides', () => [1, 2, 3].every((p) => Math.min(ops(left!, p).length, ops(right!, p).length) > 2), 30_000);
    for (const process of [1, 2, 3]) {
      const l = ops(left!, process);
      const r = ops(right!, process);
      const common = Math.min(l.length, r.length);
      expect(common, `client ${process} sent operations on both sides`).toBeGreaterThan(2);
      expect(l.slice(0, common)).toEqual(r.slice(0, common));
    }
  }, 60_000);

  it('does each fault to both sides at the same node positions', async () => {
    expect(value<string>(await dispatch(service, 'comparisonFault', [{ kind: 'crash', node: 'n2' }]))).toBe('crash n2 on A and B');
    let state = service.comparison.state()!;
    expect(state.sides.map((s) => s.nodes.find((n) => n.id === 'n2')?.state)).toEqual(['down', 'down']);
    // Nothing left to do on either side: said, not done.
    expect(await dispatch(service, 'comparisonFault', [{ kind: 'crash', node: 'n2' }])).toMatchObject({ ok: false, error: 'crash n2: n2 is already down on both sides' });
    expect(await dispatch(service, 'comparisonFault', [{ kind: 'crash', node: 'n9' }])).toMatchObject({ ok: false, error: expect.stringMatching(/there is no node "n9"/) });
    value(await dispatch(service, 'comparisonFault', [{ kind: 'restart', node: 'n2' }]));
    value(await dispatch(service, 'comparisonFault', [{ kind: 'partition', groups: [['n1'], ['n2', 'n3']] }]));
    value(await dispatch(service, 'comparisonFault', [{ kind: 'clock-skew', node: 'n3', offsetMs: 200, drift: 0.5 }]));
    state = service.comparison.state()!;
    for (const side of state.sides) {
      expect(side.nodes.map((n) => n.state)).toEqual(['up', 'up', 'up']);
      const cuts = side.network.cuts.map(([from, to]) => `${from}>${to}`).sort();
      expect(cuts).toEqual(['n1>n2', 'n1>n3', 'n2>n1', 'n3>n1']);
      expect(side.nodes.find((n) => n.id === 'n3')?.clock).toEqual({ offsetMs: 200, drift: 0.5 });
    }
    expect(await dispatch(service, 'comparisonFault', [{ kind: 'partition', groups: [['n1', 'n1']] }])).toMatchObject({ ok: false, error: 'n1 is in two groups' });
    value(await dispatch(service, 'comparisonFault', [{ kind: 'heal' }]));
    state = service.comparison.state()!;
    expect(state.sides.map((s) => s.network.cuts)).toEqual([[], []]);
    expect(state.faults.map((f) => f.text)).toEqual(['crash n2', 'restart n2', 'partition (n1) (n2,n3)', 'clock n3 offset 200ms drift 0.5', 'heal']);
    expect(state.faults.every((f, i) => i === 0 || f.timeMs >= state.faults[i - 1]!.timeMs)).toBe(true);
    // The update batches carry both sides, with their rings' events.
    const batch = service.comparison.take()!;
    expect(batch.view.sides).toHaveLength(2);
    expect(batch.events[0].concat(batch.events[1]).some((e) => e.kind === 'send')).toBe(true);
  }, 60_000);

  it('stops both sides cleanly after final reads, keeps their final measures, and a new comparison replaces the old files', async () => {
    const clusters = internals(service).map((s) => s.cluster);
    value(await dispatch(service, 'comparisonFault', [{ kind: 'partition', groups: [['n1'], ['n2', 'n3']] }]));
    expect(service.comparison.state()!.sides[0].measures!.lostWrites).toBeNull();
    const folder = readdirSync(join(dir, COMPARISONS_FOLDER));
    const stopped = value<ComparisonView>(await dispatch(service, 'stopComparison', []));
    expect(stopped.running).toBe(false);
    expect(clusters.every((c) => c.nodeIds.every((id) => !c.isUp(id)))).toBe(true);
    expect(internals(service)).toEqual([]);
    // The network healed for the final reads, which say no acknowledged write was lost; the final
    // round measured every operation the pools ended with.
    expect(stopped.faults.at(-1)?.text).toBe('heal (for the final reads)');
    expect(stopped.sides.map((s) => s.network.cuts)).toEqual([[], []]);
    for (const side of stopped.sides) {
      expect(side.measures!.ok).toBeGreaterThan(10);
      expect(side.measures!.lostWrites).toBe(0);
      expect(side.measures!.models.find((m) => m.model === 'convergent')?.verdict).toBe('true');
    }
    expect(value<ComparisonView>(await dispatch(service, 'comparisonState', []))).toEqual(stopped);
    expect(await dispatch(service, 'comparisonFault', [{ kind: 'heal' }])).toMatchObject({ ok: false, error: expect.stringMatching(/no comparison is running/) });
    // The window hears of the stop once.
    expect(service.comparison.take()?.view.running).toBe(false);
    expect(service.comparison.take()).toBeUndefined();
    // Stopping again is harmless.
    expect(value<ComparisonView>(await dispatch(service, 'stopComparison', []))).toEqual(stopped);

    value(await dispatch(service, 'startComparison', [a, { ...a, options: { readMode: 'lease' } }, workload]));
    const now = readdirSync(join(dir, COMPARISONS_FOLDER));
    expect(now).toHaveLength(1);
    expect(now).not.toEqual(folder);
    value(await dispatch(service, 'stopComparison', []));
  }, 60_000);
});
