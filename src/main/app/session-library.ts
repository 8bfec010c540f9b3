// The recorded sessions in the data folder: listing them, replaying any moment of one, deleting
// and exporting them, and holding their disk use to the user's limit. The running cluster's
// session is the service's; this part only asks which one that is (it is never deleted).

import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { promiseRelation, type AppState, type ClusterSettings, type NodeInspection, type ReplayFrame, type RetentionView, type SessionListItem } from '../../shared/bridge.ts';
import { TICK_MS, type NodeId } from '../../shared/protocol.ts';
import { algorithmInfo, algorithms, getAlgorithm, promisesOf } from '../../nodes/index.ts';
import type { ConsistencyName } from '../../shared/consistency.ts';
import { SessionReplay } from '../record/replay-view.ts';
import { exportSessions } from '../record/export.ts';
import { openSessionFile, SESSION_SUFFIX, SessionFileError } from '../record/session-file.ts';
import { MAX_RETENTION_BYTES, MIN_RETENTION_BYTES, formatBytes, planRetention } from '../record/retention.ts';
import { removeSessionFromDisk, sessionDiskBytes, sessionsOnDisk } from '../record/session-disk.ts';
import { DEFAULT_APP_SETTINGS, loadAppSettings, saveAppSettings, type AppSettings } from './app-settings.ts';
import { recordedSettings, servedBy } from './cluster-settings.ts';
import { UserError } from './user-error.ts';

/** What the window is told about every algorithm (it never changes while the app runs). */
export const ALGORITHMS = Object.values(algorithms).map(algorithmInfo);

/** How often the sessions' disk use is held to the limit while the app runs (about 2 MB recorded meanwhile). */
const RETENTION_MS = 60_000;

/** The session files the service is using now: never deleted, by hand or by the limit. */
export interface BusySessions {
  /** The session being recorded. */
  recording: string | null;
  /** The session whose node files the running cluster runs on. */
  running: string | null;
}

export class SessionLibrary {
  readonly dataDir: string;
  private readonly busy: () => BusySessions;
  /** Runs work in turn with the service's other lifecycle steps (starting, stopping, deleting). */
  private readonly inTurn: <T>(work: () => T | Promise<T>) => Promise<T>;

  constructor(dataDir: string, busy: () => BusySessions, inTurn: <T>(work: () => T | Promise<T>) => Promise<T>) {
    this.dataDir = dataDir;
    this.busy = busy;
    this.inTurn = inTurn;
    this.startRetention();
  }

  /** Closes the replays held open and stops the retention timer. */
  close(): void {
    for (const replay of this.replays.values()) replay.close();
    this.replays.clear();
    if (this.retentionTimer) clearInterval(this.retentionTimer);
  }

  private readonly replays = new Map<string, SessionReplay>();
  /** Each listed session file as last read, with the time and size it had then. */
  private readonly sessionSummaries = new Map<string, { stamp: string; item: Omit<SessionListItem, 'recording' | 'bytes'> }>();

  sessionFile(name: string): string {
    const file = join(this.dataDir, name);
    if (!existsSync(file)) throw new UserError(`there is no session ${name} in ${this.dataDir}`);
    return file;
  }

  /** What deleting a session frees. */
  private sessionBytes(name: string): number {
    return sessionDiskBytes(this.dataDir, name);
  }

  /**
   * Every session in the data folder, newest first: each one is on disk until deleted, however
   * many there are. A file is read once while it stays as it was (its time and size), so listing
   * hundreds costs a stat each.
   */
  listSessions(): SessionListItem[] {
    const recordingNow = this.busy().recording;
    const files = readdirSync(this.dataDir)
      .filter((n) => n.endsWith(SESSION_SUFFIX))
      .map((name) => ({ name, stat: statSync(join(this.dataDir, name)) }))
      .sort((a, b) => b.stat.mtimeMs - a.stat.mtimeMs);
    const listed = new Set(files.map((f) => f.name));
    for (const name of this.sessionSummaries.keys()) if (!listed.has(name)) this.sessionSummaries.delete(name);
    return files.map(({ name, stat }) => {
      const recording = name === recordingNow;
      const stamp = `${stat.mtimeMs}:${stat.size}`;
      let read = this.sessionSummaries.get(name);
      if (read === undefined || read.stamp !== stamp) {
        read = { stamp, item: this.readSessionSummary(name) };
        this.sessionSummaries.set(name, read);
      }
      const item = read.item;
      return { ...item, recording, verdict: recording && !item.verdict.startsWith('cannot') ? 'recording' : item.verdict, bytes: this.sessionBytes(name) };
    });
  }

  /** What the list shows of a session file, but for what changes while it is recorded. */
  private readSessionSummary(name: string): Omit<SessionListItem, 'recording' | 'bytes'> {
    try {
      const { db, meta } = openSessionFile(join(this.dataDir, name), { quick: true });
      db.close();
      const s = meta.summary;
      let verdict = s === null ? 'not closed (the app stopped abruptly)' : `${s.linearizable === 'true' ? 'linearizable' : s.linearizable === 'false' ? 'NOT linearizable' : 'linearizability unknown'}, ${s.violations === 0 ? 'no violations' : `${s.violations} violation(s)`}`;
      // A broken promise is said like a violation; models stronger than the promise may break by design.
      const kept = s?.consistency;
      const broken = (kept?.models ?? []).filter((m) => m.verdict === 'false' && promiseRelation(m.model, kept?.promises ?? null) !== 'not promised' && !verdict.includes(`NOT ${m.model}`));
      if (broken.length > 0) verdict += `, NOT ${broken.map((m) => m.model).join(', ')}`;
      return { name, mode: meta.mode, algorithm: meta.algorithm, nodes: meta.nodes, seed: meta.seed, startedAt: meta.startedAt, durationMs: s?.durationMs ?? null, faults: s?.faults ?? [], verdict, strongest: kept?.strongest ?? null };
    } catch (error) {
      return { name, mode: 'live', algorithm: '?', nodes: 0, seed: 0, startedAt: '', durationMs: null, faults: [], verdict: `cannot be opened: ${(error as Error).message}`, strongest: null };
    }
  }

  replay(name: string): SessionReplay {
    let replay = this.replays.get(name);
    if (replay === undefined) {
      try {
        replay = new SessionReplay(this.sessionFile(name));
      } catch (error) {
        if (error instanceof SessionFileError) throw new UserError(error.message);
        throw error;
      }
      // A few open at a time is plenty; the oldest closes.
      if (this.replays.size >= 3) {
        const [oldest, open] = this.replays.entries().next().value as [string, SessionReplay];
        open.close();
        this.replays.delete(oldest);
      }
      this.replays.set(name, replay);
    }
    return replay;
  }

  replaySettings(replay: SessionReplay): ClusterSettings {
    const recorded = recordedSettings(replay.meta.settings, replay.meta.algorithm, TICK_MS);
    // A session from the command line has no delay setting; its links' own delay is what the window shows moving.
    const delay = typeof replay.meta.settings.networkDelayMs === 'number' ? recorded.networkDelayMs : replay.startingLinkRule.delayMs;
    return { ...recorded, networkDelayMs: delay, nodes: replay.nodeIds.length || replay.meta.nodes, seed: replay.meta.seed };
  }

  replayMoment(name: string, timeMs: number): ReplayFrame {
    const replay = this.replay(name);
    const settings = this.replaySettings(replay);
    const m = replay.moment(timeMs);
    const verdicts = replay.modelsAt(m.timeMs, m.linearizable);
    const state: AppState = {
      settings,
      algorithms: ALGORITHMS,
      tickMs: TICK_MS,
      nodes: m.nodes.map((n) => ({ id: n.id, state: n.state, status: n.status, failure: null, file: `${name} (recorded)`, ...(n.clock === undefined ? {} : { clock: n.clock }) })),
      network: { cuts: m.cuts, defaultRule: m.defaultRule, links: m.links },
      clock: { virtualMs: m.timeMs, speed: 1, paused: true },
      health: { violations: m.violations, linearizable: m.linearizable, operations: m.operations, explanation: null, promises: recordedPromise(replay.meta.algorithm, settings.options), models: verdicts.models, strongest: verdicts.strongest },
      workload: null,
      serves: servedBy(settings),
      dataDir: this.dataDir,
    };
    const metrics = replay.metricsBefore(m.timeMs);
    return { name, durationMs: replay.durationMs, firstViolationMs: replay.firstViolationMs, state, events: m.events, inFlight: m.inFlight, history: m.history, metrics, countsMessages: replay.countsMessages, previousEventMs: m.previousEventMs, nextEventMs: m.nextEventMs };
  }

  replayInspect(name: string, node: NodeId, timeMs: number, logFrom: number, logCount: number): NodeInspection {
    const replay = this.replay(name);
    if (!replay.nodeIds.includes(node)) throw new UserError(`${node} is not in this session`);
    const view = replay.moment(timeMs).nodes.find((n) => n.id === node);
    const detail = replay.nodeAt(node, timeMs);
    const entries = detail.log.entries.filter((e) => e.index >= logFrom).slice(0, logCount);
    return {
      node: { id: node, state: view?.state ?? 'down', status: view?.status ?? null, failure: null, file: `${name} (recorded)` },
      progress: [],
      kv: detail.kv,
      log: { first: detail.log.first, last: detail.log.last, entries },
      tables: [],
    };
  }

  /**
   * Removes recorded sessions: each one's file and the folder of node files it ran on. Every name
   * is checked before anything goes: one that cannot be deleted leaves them all in place.
   */
  deleteSessions(names: string[]): Promise<SessionListItem[]> {
    return this.inTurn(() => this.deleteSessionsNow(names));
  }

  private deleteSessionsNow(names: string[]): SessionListItem[] {
    const { recording, running } = this.busy();
    for (const name of names) {
      this.sessionFile(name); // refuses a name with no session behind it
      if (name === recording) throw new UserError(`${name} is being recorded now: start a new cluster first`);
      if (name === running) throw new UserError(`${name} has a cluster running on its node files: start a new cluster first`);
    }
    for (const name of names) {
      this.replays.get(name)?.close();
      this.replays.delete(name);
      removeSessionFromDisk(this.dataDir, name);
    }
    return this.listSessions();
  }

  async exportSession(name: string): Promise<string> {
    const file = this.sessionFile(name);
    const dir = join(this.dataDir, 'exports', `${name.replace(SESSION_SUFFIX, '')}-${new Date().toISOString().replace(/[:.]/g, '-')}`);
    try {
      await exportSessions([file], dir);
    } catch (error) {
      if (error instanceof SessionFileError) throw new UserError(error.message);
      throw error;
    }
    return dir;
  }

  // Disk retention: the sessions together keep at most a limit; the oldest go first.

  private appSettings: AppSettings = DEFAULT_APP_SETTINGS;
  private settingsMessage: string | null = null;
  private retentionTimer: NodeJS.Timeout | null = null;
  private lastPruned: RetentionView['lastPruned'] = null;

  private startRetention(): void {
    const loaded = loadAppSettings(this.dataDir);
    this.appSettings = loaded.settings;
    this.settingsMessage = loaded.message;
    if (loaded.message) console.warn(loaded.message);
    // In turn with starting and stopping: a session being closed is no longer the running one, but
    // its recording is still being written.
    this.retentionTimer = setInterval(() => void this.inTurn(() => this.enforceRetention()), RETENTION_MS);
    // An idle app should not stay alive for this timer alone.
    this.retentionTimer.unref();
  }

  /**
   * Deletes the oldest sessions past the limit. The one being recorded is never deleted, nor one
   * open for replay (the window may be showing it); both count towards the total all the same.
   * A failure to delete is said and left for the next round: it must never stop a cluster.
   */
  enforceRetention(): void {
    try {
      const { recording: recordingNow, running } = this.busy();
      const candidates = sessionsOnDisk(this.dataDir).map((s) => ({ ...s, protected: s.name === recordingNow || s.name === running || this.replays.has(s.name) }));
      const plan = planRetention(candidates, this.appSettings.retentionBytes);
      if (plan.delete.length === 0) return;
      for (const name of plan.delete) removeSessionFromDisk(this.dataDir, name);
      this.lastPruned = { at: new Date().toISOString(), sessions: plan.delete, freedBytes: plan.freedBytes };
      console.warn(`deleted ${plan.delete.length} old session(s), ${formatBytes(plan.freedBytes)}, to keep the sessions under ${formatBytes(this.appSettings.retentionBytes)}`);
    } catch (error) {
      console.error('keeping the sessions under their limit failed:', error);
    }
  }

  getRetention(): RetentionView {
    const usedBytes = sessionsOnDisk(this.dataDir).reduce((sum, s) => sum + s.bytes, 0);
    return { limitBytes: this.appSettings.retentionBytes, usedBytes, minBytes: MIN_RETENTION_BYTES, maxBytes: MAX_RETENTION_BYTES, lastPruned: this.lastPruned, message: this.settingsMessage };
  }

  setRetention(limitBytes: number): Promise<RetentionView> {
    return this.inTurn(() => this.setRetentionNow(limitBytes));
  }

  private setRetentionNow(limitBytes: number): RetentionView {
    if (!Number.isInteger(limitBytes) || limitBytes < MIN_RETENTION_BYTES || limitBytes > MAX_RETENTION_BYTES) throw new UserError(`the limit must be a whole number of bytes from ${formatBytes(MIN_RETENTION_BYTES)} to ${formatBytes(MAX_RETENTION_BYTES)}`);
    try {
      saveAppSettings(this.dataDir, { ...this.appSettings, retentionBytes: limitBytes });
    } catch (error) {
      throw new UserError(`the setting cannot be saved: ${(error as Error).message}`);
    }
    this.appSettings = { ...this.appSettings, retentionBytes: limitBytes };
    this.settingsMessage = null;
    this.enforceRetention();
    return this.getRetention();
  }
}

/** What the recorded cluster's algorithm promises with its recorded options (null: unknown algorithm). */
function recordedPromise(name: string, options: Record<string, unknown>): ConsistencyName | null {
  const algorithm = getAlgorithm(name);
  return algorithm === undefined ? null : promisesOf(algorithm, options);
}
