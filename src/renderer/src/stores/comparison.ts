// The window's picture of a comparison (two clusters side by side, src/main/app/comparison.ts),
// fed by the comparison each update batch carries, and the faults it does to both sides. Each side
// is a RingSource, so the ring and its cards draw it as they draw the window's own cluster; a click
// on either side's card or link does the fault to both.
import { defineStore } from 'pinia';
import { computed, markRaw, reactive, ref, shallowRef } from 'vue';
import type { ClusterSettings, ComparisonFault, ComparisonView, NodeAction, Result, UpdateBatch, WorkloadSettings } from '../../../shared/bridge.ts';
import type { JournalEvent } from '../../../shared/journal.ts';
import type { NodeId } from '../../../shared/protocol.ts';
import { getBridge } from '../bridge.ts';
import { trackFlight, type Flight } from '../flights.ts';
import type { RingSource, RingState } from '../ring-source.ts';
import { useClusterStore } from './cluster.ts';

/** With no batch for this long (no cluster of the window's own to carry them), the view asks. */
const POLL_MS = 1000;

/** One side: what its ring draws, and how the store feeds it. */
export interface ComparisonSide extends RingSource {
  /** This side's journal events of one batch: messages in flight, leaders heard. */
  apply(events: JournalEvent[], now: number): void;
  /** Forgets the last comparison's messages and selection. */
  reset(): void;
}

const FAULT_FOR: Partial<Record<NodeAction, 'crash' | 'restart' | 'pause' | 'resume'>> = { kill: 'crash', restart: 'restart', pause: 'pause', resume: 'resume' };

export const useComparisonStore = defineStore('comparison', () => {
  const bridge = getBridge();
  const cluster = useClusterStore();
  const view = shallowRef<ComparisonView | null>(null);
  /** Nodes picked for a partition: the same positions on both sides. */
  const partitionPick = ref<NodeId[]>([]);
  const busy = ref(false);
  let lastHeard = 0;
  let seq = 0;

  function side(index: 0 | 1): ComparisonSide {
    const flights = markRaw(new Map<number, Flight>());
    const heardAt = markRaw(new Map<NodeId, number>());
    const receivedAt = ref(0);
    const selectedNode = ref<NodeId | null>(null);
    const info = computed(() => view.value?.sides[index] ?? null);
    // A side's own commands (campaign, transfer) and membership changes mean nothing to the other
    // side: only faults, done to both, are offered on its cards.
    const algorithm = computed(() => {
      const found = cluster.state?.algorithms.find((a) => a.name === info.value?.settings.algorithm);
      return found === undefined ? null : { ...found, actions: [], membership: false };
    });
    const state = computed<RingState | null>(() => {
      const s = info.value;
      const v = view.value;
      return s === null || v === null ? null : { settings: s.settings, tickMs: v.tickMs, nodes: s.nodes, network: s.network, clock: s.clock };
    });
    const isCut = (from: NodeId, to: NodeId): boolean => info.value?.network.cuts.some(([a, b]) => a === from && b === to) ?? false;
    return reactive({
      state,
      algorithm,
      flights,
      heardAt,
      receivedAt,
      actionable: computed(() => view.value?.running === true),
      selectedNode,
      partitionPick,
      isCut,
      messageColour: (type: string): string | null => algorithm.value?.messages[type]?.colour ?? null,
      toggleLink: async (a: NodeId, b: NodeId) => {
        const kind = isCut(a, b) || isCut(b, a) ? 'uncut' : 'cut';
        if ((await fault({ kind, from: a, to: b }, false)) !== null) await fault({ kind, from: b, to: a });
      },
      nodeAction: (node: NodeId, action: NodeAction) => {
        const kind = FAULT_FOR[action];
        if (kind === undefined) cluster.toast(`${action} is not a fault a comparison does to both sides`);
        else return fault({ kind, node });
      },
      nodeCommand: () => cluster.toast("a side's own commands are not offered in a comparison: faults only, done to both"),
      skewClock: (node: NodeId, offsetMs: number, drift: number) => fault({ kind: 'clock-skew', node, offsetMs, drift }),
      apply(events: JournalEvent[], now: number) {
        receivedAt.value = now;
        const leaderOf = new Map((info.value?.nodes ?? []).map((n) => [n.id, n.status?.leader ?? null]));
        for (const event of events) trackFlight(flights, heardAt, event, ++seq, leaderOf, now);
      },
      reset() {
        flights.clear();
        heardAt.clear();
        selectedNode.value = null;
      },
    });
  }

  const sides = [side(0), side(1)] as const;

  function apply(batch: UpdateBatch): void {
    const comparison = batch.comparison;
    if (comparison === undefined) return;
    lastHeard = performance.now();
    view.value = comparison.view;
    sides[0].apply(comparison.events[0], lastHeard);
    sides[1].apply(comparison.events[1], lastHeard);
  }

  async function call<T>(result: Promise<Result<T>>, success?: (value: T) => string | null): Promise<T | null> {
    return cluster.run(result, success);
  }

  /** `say`: whether success is toasted (the first half of a link, both ways, says nothing). */
  function fault(f: ComparisonFault, say = true): Promise<string | null> {
    return call(bridge.comparisonFault(f), (text) => (say ? text : null));
  }

  let unsubscribe: (() => void) | null = null;
  let poller: ReturnType<typeof setInterval> | null = null;

  /** While the comparison view is shown: listen to the batches, and ask when none come. */
  async function watch(): Promise<void> {
    unsubscribe ??= bridge.onUpdate(apply);
    poller ??= setInterval(() => {
      if (performance.now() - lastHeard > POLL_MS && view.value?.running === true) void refresh();
    }, POLL_MS);
    await refresh();
  }

  function unwatch(): void {
    unsubscribe?.();
    unsubscribe = null;
    if (poller !== null) clearInterval(poller);
    poller = null;
  }

  async function refresh(): Promise<void> {
    const current = await call(bridge.comparisonState());
    if (current !== null || view.value?.running === true) view.value = current;
  }

  return {
    view,
    sides,
    partitionPick,
    busy,
    watch,
    unwatch,
    apply,
    async start(a: ClusterSettings, b: ClusterSettings, workload: WorkloadSettings): Promise<boolean> {
      busy.value = true;
      try {
        const started = await call(bridge.startComparison(a, b, workload), () => `comparing ${a.algorithm} with ${b.algorithm}`);
        if (started === null) return false;
        for (const s of sides) s.reset();
        partitionPick.value = [];
        view.value = started;
        return true;
      } finally {
        busy.value = false;
      }
    },
    async stop(): Promise<void> {
      busy.value = true;
      try {
        const stopped = await call(bridge.stopComparison(), () => 'both sides stopped');
        if (stopped !== null) view.value = stopped;
      } finally {
        busy.value = false;
      }
    },
    fault,
    partition: (groups: NodeId[][]) => fault({ kind: 'partition', groups }),
    heal: () => fault({ kind: 'heal' }),
  };
});
