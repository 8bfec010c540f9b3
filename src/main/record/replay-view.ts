// A recorded session seen at any moment: which nodes were up and in what state, the network's cut
// links, the messages in flight, the events around that moment, the client history so far and its
// health. A node's log, store and durable state at that moment come from re-executing it from the
// start of its life (see reexecute.ts); forking a live cluster starts from those durable states.

import type Database from 'better-sqlite3';
import { getAlgorithm } from '../../nodes/index.ts';
import { MemoryStorage } from '../../nodes/storage.ts';
import type { ConsensusNode, PersistedState } from '../../nodes/types.ts';
import type { HistoryEvent, WorkloadDataType } from '../../shared/history.ts';
import type { JournalEvent } from '../../shared/journal.ts';
import type { LogEntry, NodeId, NodeStatus } from '../../shared/protocol.ts';
import { createRng } from '../../shared/rng.ts';
import { DEFAULT_NETWORK_DELAY_MS, MAX_LINK_DELAY_MS, modelsNotChecked, startingLinkRule, type MetricsPoint } from '../../shared/bridge.ts';
import { defaultLinkRule, NetworkRules, type LinkRule } from '../sim/network-rules.ts';
import { readInputs, statusAt, type InputBatch } from './chunks.ts';
import { readLives, type LifeRecord } from './reexecute.ts';
import { openSessionFile, type SessionMeta } from './session-file.ts';
import { HistoryBuilder } from '../checker/history.ts';
import { inferDataType } from '../checker/measures.ts';
import { modelVerdicts, type ModelVerdicts } from '../checker/consistency/verdict-views.ts';
import { parseFault, type Fault } from '../../shared/fault.ts';
import { MetricsReducer } from '../runtime/metrics.ts';

export type ReplayNodeState = 'up' | 'down' | 'paused' | 'failed';

export interface ReplayNode {
  id: NodeId;
  state: ReplayNodeState;
  status: NodeStatus | null;
  life: number | null;
  /** Its clock, when a clock-skew fault had moved it by then. */
  clock?: { offsetMs: number; drift: number };
}

export interface ReplayMoment {
  timeMs: number;
  nodes: ReplayNode[];
  cuts: Array<[NodeId, NodeId]>;
  /** The rule every link had at the moment, and the links that had one of their own. */
  defaultRule: LinkRule;
  links: Array<{ from: NodeId; to: NodeId; rule: LinkRule }>;
  /** Sent before the moment and not yet delivered or dropped. */
  inFlight: Array<{ src: NodeId; dest: NodeId; type: string; sentAt: number }>;
  /** The events up to the moment, newest last, at most `EVENTS_AROUND`. */
  events: JournalEvent[];
  violations: Array<{ property: string; message: string; time: number }>;
  linearizable: 'true' | 'false' | 'unknown';
  operations: number;
  /** The newest client operation events up to the moment, newest last. */
  history: Array<{ time: number; event: HistoryEvent }>;
  /** Times of the events just before and after the moment, to step event by event. */
  previousEventMs: number | null;
  nextEventMs: number | null;
}

export interface ReplayNodeDetail {
  log: { first: number; last: number; entries: LogEntry[] };
  kv: Array<[string, unknown]>;
  persisted: PersistedState | null;
}

const EVENTS_AROUND = 400;
/** Client operation events read for a replay's latencies at most (the newest): a minute at 300 operations a second. */
const MAX_OPERATIONS_FOR_METRICS = 40_000;
const HISTORY_AROUND = 60;
/** What the models' checks may search for one moment: the replay shares the thread that routes a live cluster's messages. */
const MOMENT_CHECK_MS = 100;
/** Moments whose verdicts are remembered, by the client events up to them. */
const VERDICTS_KEPT = 32;
/** How far back to look for messages still in flight: longer than any delay a link can have here. */
const FLIGHT_WINDOW_MS = 5000;

interface ReExecuted {
  life: number;
  node: ConsensusNode;
  storage: MemoryStorage;
  /** Input batches consumed so far, by position in the life's list. */
  consumed: number;
  inputs: InputBatch[];
}

export class SessionReplay {
  readonly file: string;
  readonly meta: SessionMeta;
  readonly durationMs: number;
  readonly firstViolationMs: number | null;
  readonly nodeIds: NodeId[];
  /**
   * Every link's rule when the session started: as the file says, or (a file from before it said)
   * the rule the window starts a cluster of its settings with.
   */
  readonly startingLinkRule: LinkRule;
  /** When each node added to the cluster as it ran was added (the others were there from the start). */
  private readonly addedAt = new Map<NodeId, number>();
  private readonly db: Database.Database;
  private readonly lives: LifeRecord[];
  private readonly cache = new Map<NodeId, ReExecuted>();
  private readonly firstSeq: number;
  private readonly lastSeq: number;
  private readonly q: Record<'timeOf' | 'nodeEvents' | 'violations' | 'recent' | 'messages' | 'operations' | 'clientCount' | 'clientEvents' | 'history' | 'clientsBetween' | 'snapshotsBetween' | 'trafficBetween' | 'previous' | 'next', Database.Statement>;
  /** False for a session recorded before messages were counted (schema 1): its charts have none. */
  readonly countsMessages: boolean;

  /** The last event at or before `timeMs` (firstSeq - 1 if none): events are stored in time order. */
  private seqAt(timeMs: number): number {
    let low = this.firstSeq;
    let high = this.lastSeq;
    let found = this.firstSeq - 1;
    while (low <= high) {
      const mid = Math.floor((low + high) / 2);
      const row = this.q.timeOf.get(mid) as { time: number } | undefined;
      if (row !== undefined && row.time <= timeMs) {
        found = mid;
        low = mid + 1;
      } else high = mid - 1;
    }
    return found;
  }

  constructor(file: string) {
    const { db, meta } = openSessionFile(file);
    this.file = file;
    this.db = db;
    this.meta = meta;
    this.lives = readLives(db);
    const recordedRule = meta.settings.startingLinkRule;
    const delay = meta.settings.networkDelayMs;
    this.startingLinkRule =
      recordedRule === undefined
        ? startingLinkRule({ networkDelayMs: typeof delay === 'number' && delay >= 0 && delay <= MAX_LINK_DELAY_MS ? delay : DEFAULT_NETWORK_DELAY_MS })
        : { ...defaultLinkRule, ...ruleFrom(recordedRule) };
    const ids = new Set(this.lives.map((l) => l.node));
    this.nodeIds = [...ids].sort((a, b) => Number(a.slice(1)) - Number(b.slice(1)));
    for (const { time, data } of db.prepare("SELECT time, data FROM events WHERE notable = 1 AND kind = 'fault' ORDER BY seq").all() as Array<{ time: number; data: string }>) {
      const event = JSON.parse(data) as { description: string; fault?: Fault };
      const fault = event.fault ?? parseFault(event.description);
      if (fault?.kind === 'add-node' && !this.addedAt.has(fault.node)) this.addedAt.set(fault.node, time);
    }
    this.durationMs = (db.prepare('SELECT time AS t FROM events ORDER BY seq DESC LIMIT 1').get() as { t: number } | undefined)?.t ?? 0;
    this.firstViolationMs = (db.prepare("SELECT MIN(time) AS t FROM events WHERE notable = 1 AND kind = 'violation'").get() as { t: number | null }).t;
    const range = db.prepare('SELECT MIN(seq) AS first, MAX(seq) AS last FROM events').get() as { first: number | null; last: number | null };
    // Prepared once: a scrubbing user asks for a moment many times a second.
    this.q = {
      timeOf: db.prepare('SELECT time FROM events WHERE seq = ?'),
      nodeEvents: db.prepare("SELECT data FROM events WHERE notable = 1 AND kind IN ('node', 'fault') AND time <= ? ORDER BY seq"),
      violations: db.prepare("SELECT data FROM events WHERE notable = 1 AND kind = 'violation' AND time <= ? ORDER BY seq"),
      recent: db.prepare('SELECT data FROM events WHERE seq <= ? ORDER BY seq DESC LIMIT ?'),
      messages: db.prepare("SELECT data FROM events WHERE seq > ? AND seq <= ? AND kind IN ('send', 'deliver', 'drop') ORDER BY seq"),
      operations: db.prepare("SELECT COUNT(*) AS n FROM events WHERE notable = 1 AND kind = 'client' AND time <= ? AND data NOT LIKE '%\"type\":\"invoke\"%'"),
      clientCount: db.prepare("SELECT COUNT(*) AS n FROM events WHERE notable = 1 AND kind = 'client' AND time <= ?"),
      clientEvents: db.prepare("SELECT data FROM events WHERE notable = 1 AND kind = 'client' AND time <= ? ORDER BY seq"),
      history: db.prepare("SELECT time, data FROM events WHERE notable = 1 AND kind = 'client' AND time <= ? ORDER BY time DESC, seq DESC LIMIT ?"),
      clientsBetween: db.prepare("SELECT time, data ->> '$.event.type' AS type, data ->> '$.event.process' AS process FROM events WHERE notable = 1 AND kind = 'client' AND time > ? AND time <= ? ORDER BY seq DESC LIMIT ?"),
      snapshotsBetween: db.prepare('SELECT time, status FROM snapshots WHERE time > ? AND time <= ? ORDER BY time'),
      trafficBetween: db.prepare('SELECT time, sent FROM traffic WHERE time > ? AND time <= ? ORDER BY time'),
      previous: db.prepare('SELECT time AS t FROM events WHERE seq <= ? AND time < ? ORDER BY seq DESC LIMIT 1'),
      next: db.prepare('SELECT time AS t FROM events WHERE seq > ? ORDER BY seq LIMIT 1'),
    };
    this.firstSeq = range.first ?? 1;
    this.lastSeq = range.last ?? 0;
    this.countsMessages = db.prepare('SELECT 1 FROM traffic LIMIT 1').get() !== undefined;
  }

  close(): void {
    this.db.close();
  }

  private lifeAt(node: NodeId, timeMs: number): LifeRecord | null {
    let found: LifeRecord | null = null;
    for (const life of this.lives) if (life.node === node && life.time <= timeMs) found = life;
    return found;
  }

  /**
   * The cluster's vital signs second by second over the `seconds` before `timeMs`, as far as the
   * recording holds them: commits and elections from the status snapshots taken every second,
   * messages from the counts taken with them (counting a busy minute's send events at every moment
   * shown would hold up the thread that routes a live cluster), latencies from the client
   * operations (at most MAX_OPERATIONS_FOR_METRICS of them).
   */
  metricsBefore(timeMs: number, seconds = 60): MetricsPoint[] {
    const end = Math.max(0, Math.min(timeMs, this.durationMs));
    const start = end - seconds * 1000;
    // The first snapshot read is only where counting starts: what changed since is the next one's.
    const vitals = new MetricsReducer();
    let lastSnapshot: number | null = null;
    let firstSnapshot: number | null = null;
    for (const row of this.q.snapshotsBetween.all(start - 1000, end) as Array<{ time: number; status: string }>) {
      const status = JSON.parse(row.status) as NodeStatus;
      // Snapshots a second apart: each group's changes count at its time (leaders seen in the
      // first group are where counting starts, as its commit is).
      firstSnapshot ??= row.time;
      if (row.time === firstSnapshot) {
        vitals.baseline(status.commit ?? 0);
        if (status.role === 'leader') vitals.knownLeader(status.id, status.term ?? 0);
      } else {
        vitals.commit(row.time, status.commit ?? 0);
        if (status.role === 'leader') vitals.leader(row.time, status.id, status.term ?? 0);
      }
      lastSnapshot = row.time;
    }
    // Each count covers the messages sent since the snapshot before it: the seconds above, less the
    // first snapshot's, which only tells where counting starts.
    for (const row of this.q.trafficBetween.all(start - 1000, end) as Array<{ time: number; sent: string }>) {
      if (firstSnapshot === null || row.time <= firstSnapshot) continue;
      for (const [type, n] of Object.entries(JSON.parse(row.sent) as Record<string, number>)) vitals.sent(row.time, type, n);
    }
    // Latencies: each process's invocation to its answer, by the second it was answered in.
    const invoked = new Map<number, number>();
    // The newest events, oldest first; two fields of each picked out by SQLite (parsing each event
    // whole took 1.6 to 1.8 times as long over 29,000 of them).
    const rows = this.q.clientsBetween.all(start - 10_000, end, MAX_OPERATIONS_FOR_METRICS) as Array<{ time: number; type: HistoryEvent['type']; process: number }>;
    for (const row of rows.reverse()) {
      if (row.type === 'invoke') invoked.set(row.process, row.time);
      else {
        const since = invoked.get(row.process);
        invoked.delete(row.process);
        if (since === undefined || row.type !== 'ok' || row.time <= start) continue;
        vitals.latency(row.time, row.time - since);
      }
    }
    // A second after the last snapshot has its latencies but not yet its commits: it is left for later.
    const last = lastSnapshot === null ? Infinity : Math.floor(lastSnapshot / 1000);
    return vitals.between(Math.floor(start / 1000), last);
  }


  moment(timeMs: number): ReplayMoment {
    const t = Math.max(0, Math.min(timeMs, this.durationMs));
    const upTo = this.seqAt(t);
    const nodeEvents = this.q.nodeEvents.all(t) as Array<{ data: string }>;
    const state = new Map<NodeId, ReplayNodeState>();
    const clocks = new Map<NodeId, { offsetMs: number; drift: number }>();
    const network = new NetworkRules(this.startingLinkRule);
    const violations: ReplayMoment['violations'] = [];
    for (const { data } of nodeEvents) {
      const event = JSON.parse(data) as JournalEvent;
      if (event.kind === 'node') {
        state.set(event.node, event.event === 'crashed' ? 'down' : event.event === 'failed' ? 'failed' : event.event === 'paused' ? 'paused' : 'up');
      } else if (event.kind === 'fault') {
        applyFault(network, event, state, clocks);
      }
    }
    for (const row of this.q.violations.all(t) as Array<{ data: string }>) {
      const v = JSON.parse(row.data) as Extract<JournalEvent, { kind: 'violation' }>;
      violations.push({ property: v.property, message: v.message, time: v.time });
    }
    // The newest recorded status of the life at t (outputs whose status did not change store NULL).
    // A node added later is not there yet; one of the cluster's own not started yet is starting.
    const present = this.nodeIds.filter((id) => (this.addedAt.get(id) ?? -Infinity) <= t);
    const nodes: ReplayNode[] = present.map((id) => {
      const life = this.lifeAt(id, t);
      const status = life ? statusAt(this.db, life.life, t) : null;
      const nodeState = life === null ? 'up' : (state.get(id) ?? 'up');
      const clock = clocks.get(id);
      return { id, state: nodeState, status: nodeState === 'down' || nodeState === 'failed' || status === null ? null : (JSON.parse(status) as NodeStatus), life: life?.life ?? null, ...(clock === undefined ? {} : { clock }) };
    });
    const recent = (this.q.recent.all(upTo, EVENTS_AROUND) as Array<{ data: string }>).map((r) => JSON.parse(r.data) as JournalEvent).reverse();
    const messages = (this.q.messages.all(this.seqAt(t - FLIGHT_WINDOW_MS), upTo) as Array<{ data: string }>)
      .map((r) => JSON.parse(r.data) as JournalEvent)
      .filter((e): e is Extract<JournalEvent, { kind: 'send' | 'deliver' | 'drop' }> => e.kind === 'send' || e.kind === 'deliver' || e.kind === 'drop');
    const open = new Map<string, Array<{ src: NodeId; dest: NodeId; type: string; sentAt: number }>>();
    for (const m of messages) {
      const key = `${m.src}>${m.dest}>${m.type}`;
      if (m.kind === 'send') {
        const queue = open.get(key) ?? [];
        queue.push({ src: m.src, dest: m.dest, type: m.type, sentAt: m.time });
        open.set(key, queue);
      } else open.get(key)?.shift();
    }
    // Health at t, as the live checker saw it: it journals a violation when the history stops
    // being linearizable; a session closed without one was linearizable all along.
    const broken = violations.some((v) => v.property === 'linearizability');
    const verdict = this.meta.summary?.linearizable;
    const linearizable = broken ? 'false' : verdict === 'false' && t >= this.durationMs ? 'false' : verdict === 'unknown' ? 'unknown' : 'true';
    const operations = (this.q.operations.get(t) as { n: number }).n;
    const history = (this.q.history.all(t, HISTORY_AROUND) as Array<{ time: number; data: string }>)
      .map((r) => ({ time: r.time, event: (JSON.parse(r.data) as { event: HistoryEvent }).event }))
      .reverse();
    const previous = this.q.previous.get(upTo, t) as { t: number | null } | undefined;
    const next = this.q.next.get(upTo) as { t: number | null } | undefined;
    return {
      timeMs: t,
      nodes,
      cuts: network.cutLinks(),
      defaultRule: network.defaultLinkRule,
      links: network.linkRules(),
      inFlight: [...open.values()].flat(),
      events: recent,
      violations,
      linearizable,
      operations,
      history,
      previousEventMs: previous?.t ?? null,
      nextEventMs: next?.t ?? null,
    };
  }

  private readonly verdicts = new Map<string, ModelVerdicts>();

  /**
   * Every consistency model's verdict on the client history up to the moment, searched for on
   * demand within a small budget and remembered by the events it covers: scrubbing back and forth
   * over a stretch with no client operation searches once. `linearizable`: what the live checker
   * had found by then (moment's); when it held, it settles every model it implies with no search.
   */
  modelsAt(timeMs: number, linearizable: ReplayMoment['linearizable'], budgetMs = MOMENT_CHECK_MS): ModelVerdicts {
    const t = Math.max(0, Math.min(timeMs, this.durationMs));
    const count = (this.q.clientCount.get(t) as { n: number }).n;
    const key = `${count}:${linearizable}`;
    const known = this.verdicts.get(key);
    if (known !== undefined) return known;
    let history: HistoryBuilder;
    let dataType: WorkloadDataType = 'kv';
    let line = 0;
    try {
      const events = (this.q.clientEvents.all(t) as Array<{ data: string }>).map(({ data }) => (JSON.parse(data) as { event: HistoryEvent }).event);
      dataType = inferDataType(events);
      history = new HistoryBuilder(dataType);
      for (const event of events) history.add(event, ++line);
    } catch (error) {
      // A history no check can read must not take the rest of the moment with it.
      return { models: modelsNotChecked(`the recorded history cannot be checked: ${(error as Error).message}`), strongest: [], operations: 0 };
    }
    // An operation still open at the moment may already have taken effect, as the live checks count it.
    const operations = [...history.operations, ...history.openAsIndefinite()];
    const settled = linearizable === 'true' ? [{ model: 'linearizable' as const, verdict: 'true' as const, witness: null, reason: null, figures: {} }] : [];
    let verdicts = modelVerdicts(operations, budgetMs, { results: settled, times: new Map() }, undefined, dataType);
    if (linearizable === 'false') {
      // The live checker's violation is in the event log; this search may run out before it finds it again.
      verdicts = { ...verdicts, models: verdicts.models.map((m) => (m.model === 'linearizable' && m.verdict === 'unknown' ? { ...m, reason: 'the live check found it broken (see the event log); the replay ran out of time finding its witness again' } : m)) };
    }
    if (this.verdicts.size >= VERDICTS_KEPT) this.verdicts.delete(this.verdicts.keys().next().value as string);
    this.verdicts.set(key, verdicts);
    return verdicts;
  }

  /** A node re-executed up to the moment: its log, its store and what it had on disk. */
  nodeAt(id: NodeId, timeMs: number): ReplayNodeDetail {
    const life = this.lifeAt(id, timeMs);
    if (life === null || life.persisted === null) return { log: { first: 0, last: 0, entries: [] }, kv: [], persisted: null };
    let run = this.cache.get(id);
    // Scrubbing forward goes on from where the last look stopped; backward starts the life again.
    if (run === undefined || run.life !== life.life || (run.inputs[run.consumed - 1]?.time ?? -Infinity) > timeMs) {
      run = this.startLife(life);
      this.cache.set(id, run);
    }
    while (run.consumed < run.inputs.length && (run.inputs[run.consumed] as InputBatch).time <= timeMs) {
      for (const input of (run.inputs[run.consumed] as InputBatch).inputs) run.node.step(input);
      drainInto(run.node, run.storage);
      run.consumed++;
    }
    const persisted = run.storage.load();
    const node = run.node as ConsensusNode & { keyValues?(): Array<[string, unknown]> };
    const first = persisted.snapshot ? persisted.snapshot.index + 1 : 1;
    const last = persisted.entries.length > 0 ? (persisted.entries[persisted.entries.length - 1] as LogEntry).index : first - 1;
    return { log: { first, last, entries: persisted.entries }, kv: node.keyValues?.() ?? [], persisted };
  }

  private startLife(life: LifeRecord): ReExecuted {
    const algorithm = getAlgorithm(life.context.algorithm);
    if (algorithm === undefined) throw new Error(`the session uses algorithm ${life.context.algorithm}, which this version does not have`);
    const storage = new MemoryStorage();
    const persisted = life.persisted as PersistedState;
    if (persisted.snapshot) storage.write({ snapshot: persisted.snapshot });
    const base = persisted.snapshot ? persisted.snapshot.index : 0;
    storage.write({ hardState: persisted.hardState, log: { from: base + 1, entries: persisted.entries }, records: [...persisted.records] });
    const node = algorithm.create({ id: life.node, bootstrapVoters: life.context.bootstrapVoters, rng: createRng(life.context.seed).fork(`${life.node}/${life.context.restarts}`), options: life.context.options }, persisted);
    drainInto(node, storage);
    const inputs = readInputs(this.db, life.life);
    return { life: life.life, node, storage, consumed: 0, inputs };
  }
}

function drainInto(node: ConsensusNode, storage: MemoryStorage): void {
  while (node.hasReady()) {
    const ready = node.ready();
    if (ready.persist) storage.write(ready.persist);
  }
}

/**
 * One fault done again to the network and the nodes' states: the typed fault the journal keeps,
 * or, for a session recorded before faults were typed, the one its sentence describes. `state`
 * has every node started so far: a partition cuts those in no group off alone, as it did live.
 */
function applyFault(network: NetworkRules, event: { description: string; fault?: Fault }, state: Map<NodeId, ReplayNodeState>, clocks: Map<NodeId, { offsetMs: number; drift: number }>): void {
  const fault = event.fault ?? parseFault(event.description);
  if (fault === null) return;
  switch (fault.kind) {
    case 'cut':
      network.cut(fault.from, fault.to);
      return;
    case 'uncut':
      network.uncut(fault.from, fault.to);
      return;
    case 'heal':
      network.heal();
      return;
    case 'partition':
      network.partition(fault.groups, [...state.keys()]);
      return;
    case 'network':
      if (fault.rule === null) network.reset();
      else network.setDefault(ruleFrom(fault.rule));
      return;
    case 'link':
      network.setLink(fault.from, fault.to, fault.rule === null ? null : ruleFrom(fault.rule));
      return;
    case 'pause':
      state.set(fault.node, 'paused');
      return;
    case 'resume':
    case 'restart':
      state.set(fault.node, 'up');
      return;
    case 'clock-skew':
      if (fault.offsetMs === 0 && fault.drift === 0) clocks.delete(fault.node);
      else clocks.set(fault.node, { offsetMs: fault.offsetMs, drift: fault.drift });
      return;
    // A live cluster journals a crash only as the fault (the simulator also as a node event).
    case 'crash':
      state.set(fault.node, 'down');
      return;
    default:
      return;
  }
}

/** Each field of a link rule with the largest value the window lets it take. */
const RULE_FIELDS: ReadonlyArray<[keyof LinkRule, number]> = [
  ['drop', 1],
  ['delayMs', MAX_LINK_DELAY_MS],
  ['jitterMs', MAX_LINK_DELAY_MS],
  ['duplicate', 1],
  ['reorder', 1],
];

/**
 * The fields of a recorded link rule with a value the window could have set. A file from
 * elsewhere may say anything, and a fork sets what this returns on a live network.
 */
function ruleFrom(value: unknown): Partial<LinkRule> {
  const rule: Partial<LinkRule> = {};
  if (typeof value !== 'object' || value === null) return rule;
  for (const [field, max] of RULE_FIELDS) {
    const number = (value as Record<string, unknown>)[field];
    if (typeof number === 'number' && number >= 0 && number <= max) rule[field] = number;
  }
  return rule;
}
