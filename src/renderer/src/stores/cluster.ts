// The window's picture of the cluster, fed by the app's update batches, and every action the window
// takes, each answered with a toast when it fails.
import { defineStore } from 'pinia';
import { computed, markRaw, ref, shallowRef } from 'vue';
import type { AppState, ClientOutcome, ClientTarget, ClusterSettings, LinkRuleView, MetricsPoint, NodeAction, NodeInspection, ReplayFrame, Result, UpdateBatch, WitnessOperationView, WorkloadSettings } from '../../../shared/bridge.ts';
import type { ConsistencyName } from '../../../shared/consistency.ts';
import type { JournalEvent } from '../../../shared/journal.ts';
import type { KvOp, NodeId } from '../../../shared/protocol.ts';
import { getBridge } from '../bridge.ts';
import { witnessEventKeys } from '../witness.ts';
import { trackFlight, type Flight } from '../flights.ts';

export type { Flight };

export interface LoggedEvent {
  seq: number;
  event: JournalEvent;
}

export interface Toast {
  id: number;
  text: string;
  kind: 'error' | 'info';
}

const EVENT_LIMIT = 3000;
const METRICS_LIMIT = 180;
const SKIPPED_WINDOW_MS = 5000;

export const useClusterStore = defineStore('cluster', () => {
  const bridge = getBridge();
  const state = shallowRef<AppState | null>(null);
  const events = shallowRef<LoggedEvent[]>([]);
  /** Events the app left out of the recent batches (it samples messages under load): [when, how many]. */
  const skippedRecently = shallowRef<Array<[number, number]>>([]);
  /** How many events a second the window has not been shown lately: a running total meant nothing after an hour. */
  const skippedPerSecond = computed(() => Math.round(skippedRecently.value.reduce((sum, [, n]) => sum + n, 0) / (SKIPPED_WINDOW_MS / 1000)));
  const metrics = shallowRef<MetricsPoint[]>([]);
  const toasts = ref<Toast[]>([]);
  const selectedNode = ref<NodeId | null>(null);
  const selectedEvent = ref<number | null>(null);
  const partitionPick = ref<NodeId[]>([]);
  const clientResults = ref<Array<{ id: number; text: string; outcome: ClientOutcome }>>([]);
  /** The witness picked on the consistency map: its operations stand out wherever client events are listed. */
  const witness = shallowRef<{ model: ConsistencyName; operations: WitnessOperationView[] } | null>(null);
  /** The running (or replayed) algorithm's descriptor, as the app sent it. */
  const algorithm = computed(() => state.value?.algorithms.find((a) => a.name === state.value?.settings.algorithm) ?? null);
  const witnessKeys = computed(() => witnessEventKeys(witness.value?.operations ?? []));
  const connected = ref(false);
  /** Why the window could not get the app's state when it opened (browser mode without its token, say). */
  const connectionError = ref<string | null>(null);
  /** performance.now() when the last batch came: the clock is interpolated from there. */
  const receivedAt = ref(0);
  /** Messages in flight, keyed by nothing but order: a deliver or drop ends the oldest match. */
  const flights = markRaw(new Map<number, Flight>());
  /** When each node last heard from a leader (performance.now()), for the election timer arc. */
  const heardAt = markRaw(new Map<NodeId, number>());
  let seq = 0;
  let toastId = 0;

  function toast(text: string, kind: Toast['kind'] = 'error'): void {
    const id = ++toastId;
    toasts.value.push({ id, text, kind });
    setTimeout(() => (toasts.value = toasts.value.filter((t) => t.id !== id)), kind === 'error' ? 8000 : 3000);
  }

  async function run<T>(call: Promise<Result<T>>, success?: (value: T) => string | null): Promise<T | null> {
    let result: Result<T>;
    try {
      result = await call;
    } catch (error) {
      result = { ok: false, error: (error as Error).message };
    }
    if (!result.ok) {
      toast(result.error);
      return null;
    }
    const message = success?.(result.value);
    if (message) toast(message, 'info');
    return result.value;
  }

  /** Set while the window shows a recorded session instead of the live cluster. */
  const replayAt = ref<{ session: string; timeMs: number } | null>(null);
  /** False while a recording is shown: its nodes and links cannot be acted on. */
  const actionable = computed(() => replayAt.value === null);
  /** Whether the recorded session shown counted its messages (older ones did not). */
  const replayCountsMessages = ref(true);

  /** Shows one moment of a recorded session; live batches wait until the window goes back. */
  function showFrame(frame: ReplayFrame, timeMs: number): void {
    replayAt.value = { session: frame.name, timeMs };
    const now = performance.now();
    receivedAt.value = now;
    state.value = frame.state;
    events.value = frame.events.map((event) => ({ seq: ++seq, event }));
    flights.clear();
    // A message sent (t - sentAt) virtual ms ago sits that far along its link; the clock is stopped.
    for (const m of frame.inFlight) flights.set(++seq, { seq, src: m.src, dest: m.dest, type: m.type, seenAt: now - (timeMs - m.sentAt) });
    heardAt.clear();
    metrics.value = frame.metrics;
    replayCountsMessages.value = frame.countsMessages;
    skippedRecently.value = [];
  }

  function apply(batch: UpdateBatch): void {
    connected.value = true;
    connectionError.value = null;
    if (replayAt.value !== null) return;
    const now = performance.now();
    receivedAt.value = now;
    state.value = batch.state;
    if (batch.skipped > 0 || skippedRecently.value.length > 0) {
      const kept = skippedRecently.value.filter(([at]) => now - at < SKIPPED_WINDOW_MS);
      if (batch.skipped > 0) kept.push([now, batch.skipped]);
      skippedRecently.value = kept;
    }
    if (batch.events.length > 0) {
      const next = events.value.length + batch.events.length > EVENT_LIMIT ? events.value.slice(-(EVENT_LIMIT - batch.events.length)) : events.value.slice();
      const leaderOf = new Map(batch.state.nodes.map((n) => [n.id, n.status?.leader ?? null]));
      for (const event of batch.events) {
        next.push({ seq: ++seq, event });
        trackFlight(flights, heardAt, event, seq, leaderOf, now);
        // The app's own failures (a recording that cannot write, say) must not hide in the log.
        if (event.kind === 'error') toast(event.message);
      }
      events.value = next;
    }
    if (batch.metrics.length > 0) metrics.value = [...metrics.value, ...batch.metrics].slice(-METRICS_LIMIT);
  }

  async function connect(): Promise<void> {
    bridge.onUpdate(apply);
    let initial: Result<AppState>;
    try {
      initial = await bridge.getState();
    } catch (error) {
      initial = { ok: false, error: (error as Error).message };
    }
    // Shown where the window says it is connecting, for as long as nothing else arrives: a toast
    // would be gone before the person has read how to get in.
    if (initial.ok) state.value = initial.value;
    else connectionError.value = initial.error;
  }

  const leader = computed(() => {
    const nodes = state.value?.nodes ?? [];
    let best: { id: NodeId; term: number } | null = null;
    for (const n of nodes) if (n.state === 'up' && n.status?.role === 'leader' && (best === null || (n.status.term ?? 0) > best.term)) best = { id: n.id, term: n.status.term ?? 0 };
    return best?.id ?? null;
  });

  /** Virtual milliseconds now, moving between batches at the clock's speed. */
  function virtualNow(at = performance.now()): number {
    const clock = state.value?.clock;
    if (!clock) return 0;
    return clock.paused ? clock.virtualMs : clock.virtualMs + (at - receivedAt.value) * clock.speed;
  }

  function isCut(from: NodeId, to: NodeId): boolean {
    return state.value?.network.cuts.some(([a, b]) => a === from && b === to) ?? false;
  }

  /** A new cluster (from New cluster, a lesson, a challenge): what the window showed of the last one is not this one's. */
  function showNewCluster(next: AppState): void {
    state.value = next;
    events.value = [];
    metrics.value = [];
    flights.clear();
    selectedNode.value = null;
    witness.value = null;
    clientResults.value = [];
  }

  return {
    state,
    events,
    skippedPerSecond,
    metrics,
    toasts,
    selectedNode,
    selectedEvent,
    partitionPick,
    clientResults,
    witness,
    witnessKeys,
    connected,
    connectionError,
    receivedAt,
    flights,
    heardAt,
    leader,
    toast,
    connect,
    apply,
    virtualNow,
    isCut,
    newCluster: (settings: ClusterSettings) =>
      run(bridge.newCluster(settings), () => `a new ${settings.nodes}-node cluster started`).then((s) => {
        if (s) showNewCluster(s);
        return s;
      }),
    showNewCluster,
    nodeAction: (node: NodeId, action: NodeAction) => run(bridge.nodeAction(node, action), (text) => text),
    nodeCommand: (node: NodeId, action: string) => run(bridge.nodeCommand(node, action), (text) => text),
    skewClock: (node: NodeId, offsetMs: number, drift: number) => run(bridge.skewClock(node, offsetMs, drift), (text) => text),
    /** The colour the algorithm gives a message type, or null for one it does not list. */
    messageColour: (type: string): string | null => algorithm.value?.messages[type]?.colour ?? null,
    algorithm,
    addNode: () => run(bridge.addNode(), (id) => `${id} added`),
    toggleLink: (from: NodeId, to: NodeId) => (isCut(from, to) || isCut(to, from) ? run(bridge.healLink(from, to, true)) : run(bridge.cutLink(from, to, true))),
    cutLink: (from: NodeId, to: NodeId, bothWays: boolean) => run(bridge.cutLink(from, to, bothWays), () => (bothWays ? `${from} ↔ ${to} cut` : `${from} → ${to} cut; ${to} → ${from} still delivers`)),
    healLink: (from: NodeId, to: NodeId, bothWays: boolean) => run(bridge.healLink(from, to, bothWays), () => (bothWays ? `${from} ↔ ${to} healed` : `${from} → ${to} healed`)),
    partition: (groups: NodeId[][]) => run(bridge.partition(groups), () => `partitioned: ${groups.map((g) => g.join(' ')).join(' | ')}`),
    heal: () => run(bridge.heal(), () => 'every link healed'),
    setLinkRule: (from: NodeId | null, to: NodeId | null, rule: Partial<LinkRuleView> | null) =>
      run(bridge.setLinkRule(from, to, rule), () => {
        if (rule === null) return from ? `${from} → ${to} back to the rule every link has` : 'every link back to how the cluster started';
        return from ? `rule set on ${from} → ${to}` : 'rule set on every link';
      }),
    clock: (action: 'play' | 'pause' | 'step') => run(bridge.clock(action)),
    setSpeed: (speed: number) => run(bridge.setSpeed(speed)),
    clientOperation: async (target: ClientTarget, op: KvOp) => {
      const outcome = await run(bridge.clientOperation(target, op, 3000));
      if (outcome) clientResults.value = [{ id: ++toastId, text: `${op.f} ${op.key}${'value' in op ? ` ${JSON.stringify(op.value)}` : ''} → ${target}`, outcome }, ...clientResults.value].slice(0, 50);
      return outcome;
    },
    setWorkload: (workload: WorkloadSettings | null) => run(bridge.setWorkload(workload), (w) => (w ? `workload: ${w.rate} ops/s from ${w.clients} clients` : 'workload stopped')),
    inspect: (node: NodeId, from: number, count: number): Promise<NodeInspection | null> => {
      const at = replayAt.value;
      return run(at ? bridge.replayInspect(at.session, node, at.timeMs, from, count) : bridge.inspectNode(node, from, count));
    },
    replayAt,
    actionable,
    replayCountsMessages,
    showFrame,
    run,
    /** Back from a recording to the live cluster. */
    async showLive(): Promise<void> {
      replayAt.value = null;
      flights.clear();
      events.value = [];
      const current = await run(bridge.getState());
      if (current) state.value = current;
    },
  };
});
