// Every consistency model's verdict on a live cluster's history reaches the window in its update
// batches, checked on a thread of its own; a broken one comes with its witness, and a session
// keeps the verdicts when it closes.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type HealthView, type UpdateBatch } from '../../src/shared/bridge.ts';
import { DEFAULT_SETTINGS } from '../../src/main/app/cluster-settings.ts';
import { CONSISTENCY_NAMES, weakerThan } from '../../src/shared/consistency.ts';
import type { HistoryEvent } from '../../src/shared/history.ts';
import type { JournalEvent } from '../../src/shared/journal.ts';
import { PlaygroundService } from '../../src/main/app/service.ts';
import { openSessionFile } from '../../src/main/record/session-file.ts';
import { LiveConsistency } from '../../src/main/app/live-consistency.ts';
import type { ModelVerdicts } from '../../src/main/checker/consistency/verdict-views.ts';

const settings = { ...DEFAULT_SETTINGS, nodes: 3, speed: 1, networkDelayMs: 1 };

/** The first batch `until` accepts, within `ms`; every batch's events meanwhile go to `seen`. */
function batchWhere(service: PlaygroundService, until: (batch: UpdateBatch) => boolean, seen: JournalEvent[] = [], ms = 15_000): Promise<UpdateBatch> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      stop();
      reject(new Error(`no such batch in ${ms} ms; health now: ${JSON.stringify(service.state().health.models)}`));
    }, ms);
    const stop = service.onUpdate((batch) => {
      seen.push(...batch.events);
      if (!until(batch)) return;
      clearTimeout(timer);
      stop();
      resolve(batch);
    });
  });
}

const verdictOf = (health: HealthView, model: string) => health.models.find((m) => m.model === model);

describe('live consistency verdicts', () => {
  const dir = mkdtempSync(join(tmpdir(), 'consistency-'));
  const service = new PlaygroundService(dir);
  afterAll(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('arrive in the update batches for a running Raft cluster: linearizable, and every weaker model by implication', async () => {
    await service.newCluster(settings);
    expect(service.state().health).toMatchObject({ promises: 'linearizable', strongest: [] });
    expect(service.state().health.models.map((m) => [m.model, m.verdict])).toEqual(CONSISTENCY_NAMES.map((n) => [n, 'unknown']));
    await service.setWorkload({ rate: 50, clients: 3, keys: 3, mix: { read: 2, write: 2, cas: 1, append: 0, delete: 0 } });
    const batch = await batchWhere(service, (b) => b.state.health.operations > 0 && verdictOf(b.state.health, 'linearizable')?.verdict === 'true');
    const health = batch.state.health;
    expect(health.strongest).toContain('linearizable');
    for (const weaker of weakerThan('linearizable')) expect(verdictOf(health, weaker), weaker).toMatchObject({ verdict: 'true', impliedBy: 'linearizable', witness: null });
    expect(health.models.map((m) => m.model)).toEqual([...CONSISTENCY_NAMES]);
  }, 30_000);

  it('turn linearizable red with its witness when the history has a stale read, say so once in the event log, and keep it in the session', async () => {
    const cluster = (service as unknown as { cluster: { journal(event: JournalEvent): void; elapsedMs(): number } }).cluster;
    const client = (event: HistoryEvent): void => cluster.journal({ kind: 'client', time: cluster.elapsedMs(), event });
    // Process 1 writes 1 and is answered; process 2 then reads the key and sees it absent.
    const t = 1e15;
    const injectedAt = cluster.elapsedMs();
    client({ process: 900_001, type: 'invoke', f: 'write', key: 'stale', value: 1, time: t });
    client({ process: 900_001, type: 'ok', f: 'write', key: 'stale', value: 1, time: t + 10 });
    client({ process: 900_002, type: 'invoke', f: 'read', key: 'stale', value: null, time: t + 20 });
    client({ process: 900_002, type: 'ok', f: 'read', key: 'stale', value: null, time: t + 30 });
    const events: JournalEvent[] = [];
    const batch = await batchWhere(service, (b) => verdictOf(b.state.health, 'linearizable')?.verdict === 'false', events);
    const linearizable = verdictOf(batch.state.health, 'linearizable')!;
    expect(batch.state.health.linearizable).toBe('false');
    expect(linearizable.witness?.anomaly).toBe('stale read');
    const read = linearizable.witness?.operations.find((o) => o.process === 900_002);
    expect(read, JSON.stringify(linearizable.witness)).toMatchObject({ start: t + 20, end: t + 30, description: expect.stringMatching(/^read/) });
    expect(batch.state.health.strongest).not.toContain('linearizable');
    // Models stronger than the one broken break with it; Raft promises linearizable, so it is an alarm.
    await new Promise((r) => setTimeout(r, 2500));
    const alarms = events.filter((e) => e.kind === 'violation' && /linearizab/.test(e.property));
    expect(alarms, JSON.stringify(alarms)).toHaveLength(1);

    await service.newCluster(settings);
    const closed = service.listSessions().find((s) => !s.recording)!;
    const { db, meta } = openSessionFile(join(dir, closed.name), { quick: true });
    db.close();
    const kept = meta.summary?.consistency;
    expect(kept?.promises).toBe('linearizable');
    expect(kept?.models.find((m) => m.model === 'linearizable')).toMatchObject({ verdict: 'false', witness: { anomaly: 'stale read' } });
    expect(closed.verdict).toMatch(/NOT linearizable/);
    expect(closed.strongest).not.toContain('linearizable');

    // A replay shows the verdicts of the history up to each moment: before the stale read every
    // model held (by implication), at the end linearizability does not, with the same witness.
    const before = service.replayMoment(closed.name, injectedAt - 1).state.health;
    expect(verdictOf(before, 'linearizable')?.verdict).toBe('true');
    for (const weaker of weakerThan('linearizable')) expect(verdictOf(before, weaker), weaker).toMatchObject({ verdict: 'true', impliedBy: 'linearizable' });
    const end = service.replayMoment(closed.name, closed.durationMs!).state.health;
    expect(verdictOf(end, 'linearizable')).toMatchObject({ verdict: 'false', witness: { anomaly: 'stale read' } });
    expect(verdictOf(end, 'linearizable')?.witness?.operations.find((o) => o.process === 900_002)).toMatchObject({ start: t + 20, end: t + 30 });

    // Its export labels the session with every model's verdict, and its card has a table of them.
    const exported = await service.exportSession(closed.name);
    const labels = readFileSync(join(exported, 'labels.jsonl'), 'utf8').trim().split('\n').map((line) => JSON.parse(line) as Record<string, unknown>);
    expect(labels).toHaveLength(1);
    expect(labels[0]).toMatchObject({ session: closed.name.replace('.session.sqlite', ''), algorithm: 'raft', promises: 'linearizable', linearizable: 'false', witnesses: { linearizable: { anomaly: 'stale read' } } });
    for (const name of CONSISTENCY_NAMES) expect(['true', 'false', 'unknown'], name).toContain(labels[0]![name]);
    const card = readFileSync(join(exported, 'dataset.md'), 'utf8');
    expect(card).toContain('| labels.jsonl | 1 |');
    expect(card).toMatch(/\| linearizable \(promised\) \| false \| stale read: client 900001 write stale 1; client 900002 read stale -> null/);
  }, 40_000);
});

describe('a checking thread that fails', () => {
  const dir = mkdtempSync(join(tmpdir(), 'consistency-failing-'));
  const service = new PlaygroundService(dir);
  afterAll(async () => {
    await service.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is said once in the event log, and the map goes grey rather than keep stale verdicts', async () => {
    await service.newCluster(settings);
    await batchWhere(service, (b) => verdictOf(b.state.health, 'linearizable')?.verdict === 'true');
    (service as unknown as { consistency: { error: string | null } }).consistency.error = 'out of memory';
    const events: JournalEvent[] = [];
    const stop = service.onUpdate((b) => events.push(...b.events));
    const batch = await batchWhere(service, (b) => b.state.health.models.every((m) => m.verdict === 'unknown'));
    expect(batch.state.health.models[0]?.reason).toBe('the consistency checks stopped: out of memory');
    await new Promise((r) => setTimeout(r, 2500));
    stop();
    expect(events.filter((e) => e.kind === 'error' && /consistency checks stopped/.test(e.message))).toHaveLength(1);
  }, 30_000);
});

describe('the checking thread', () => {
  it('never starts a round while the last one searches, and answers on the whole history so far', async () => {
    const answers: ModelVerdicts[] = [];
    const live = new LiveConsistency((v) => answers.push(v), { roundMs: 0, budgetMs: 1000 });
    try {
      const none = { results: [], times: new Map() };
      live.add({ process: 1, type: 'invoke', f: 'write', key: 'x', value: 1, time: 10 });
      live.add({ process: 1, type: 'ok', f: 'write', key: 'x', value: 1, time: 20 });
      expect(live.maybeRound(() => none)).toBe(true);
      expect(live.maybeRound(() => none), 'a round is in flight').toBe(false);
      live.add({ process: 2, type: 'invoke', f: 'read', key: 'x', value: null, time: 30 });
      live.add({ process: 2, type: 'ok', f: 'read', key: 'x', value: 0, time: 40 });
      const last = await live.final(none);
      expect(answers).toHaveLength(2);
      expect(answers[0]!.operations).toBe(1);
      // The read of a value never written: the search, run on the thread, finds it.
      expect(last?.operations).toBe(2);
      expect(last?.models.find((m) => m.model === 'linearizable')).toMatchObject({ verdict: 'false', impliedBy: null, witness: { operations: expect.arrayContaining([expect.objectContaining({ process: 2, start: 30, end: 40 })]) } });
      expect(live.error).toBeNull();
    } finally {
      await live.close();
    }
  });
});
