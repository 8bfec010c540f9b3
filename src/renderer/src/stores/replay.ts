// Watching a recorded session: which one, the moment on the scrubber, playing it at a speed,
// stepping event by event, the first violation, and forking a live cluster from any moment.
import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import type { ReplayFrame, RetentionView, SessionListItem } from '../../../shared/bridge.ts';
import { getBridge } from '../bridge.ts';
import { useClusterStore } from './cluster.ts';

/** How often a playing replay asks for the next moment. */
const PLAY_TICK_MS = 100;
export const REPLAY_SPEEDS = [0.1, 0.25, 0.5, 1, 2, 5, 10] as const;

export const useReplayStore = defineStore('replay', () => {
  const bridge = getBridge();
  const cluster = useClusterStore();
  const sessions = ref<SessionListItem[]>([]);
  const retention = ref<RetentionView | null>(null);
  const frame = ref<ReplayFrame | null>(null);
  const timeMs = ref(0);
  const playing = ref(false);
  const speed = ref<number>(1);
  let timer: ReturnType<typeof setInterval> | null = null;
  let fetching = false;
  let wanted: number | null = null;

  const active = computed(() => frame.value !== null);

  async function remove(names: string[]): Promise<void> {
    const list = await cluster.run(bridge.deleteSessions(names), () => (names.length === 1 ? `${(names[0] as string).replace('.session.sqlite', '')} deleted` : `${names.length} sessions deleted`));
    if (list) sessions.value = list;
  }

  async function refreshList(): Promise<void> {
    const list = await cluster.run(bridge.listSessions());
    if (list) sessions.value = list;
    const view = await cluster.run(bridge.getRetention());
    if (view) retention.value = view;
  }

  /** Saves the limit; the oldest sessions past it are deleted at once, so the list is read again. */
  async function setRetention(limitBytes: number): Promise<void> {
    const view = await cluster.run(bridge.setRetention(limitBytes), (v) => (v.lastPruned && v.lastPruned.at !== retention.value?.lastPruned?.at ? `limit saved; ${v.lastPruned.sessions.length} old session(s) deleted` : 'limit saved'));
    if (view === null) return;
    retention.value = view;
    const list = await cluster.run(bridge.listSessions());
    if (list) sessions.value = list;
  }

  /** Shows the moment `t`; while one answer is on its way, only the newest request waits. */
  async function seek(t: number): Promise<void> {
    const session = frame.value?.name;
    if (session === undefined) return;
    wanted = Math.max(0, Math.min(t, frame.value?.durationMs ?? t));
    timeMs.value = wanted;
    if (fetching) return;
    fetching = true;
    try {
      while (wanted !== null) {
        const at = wanted;
        wanted = null;
        const next = await cluster.run(bridge.replayMoment(session, at));
        if (next === null || frame.value?.name !== session) return;
        frame.value = next;
        cluster.showFrame(next, at);
      }
    } finally {
      fetching = false;
    }
  }

  async function open(name: string): Promise<boolean> {
    stop();
    const first = await cluster.run(bridge.replayMoment(name, 0));
    if (first === null) return false;
    frame.value = first;
    timeMs.value = 0;
    cluster.selectedNode = null;
    cluster.showFrame(first, 0);
    return true;
  }

  function stop(): void {
    playing.value = false;
    if (timer) clearInterval(timer);
    timer = null;
  }

  function play(): void {
    if (!frame.value) return;
    if (timeMs.value >= frame.value.durationMs) void seek(0);
    playing.value = true;
    timer = setInterval(() => {
      const end = frame.value?.durationMs ?? 0;
      const next = timeMs.value + PLAY_TICK_MS * speed.value;
      if (next >= end) stop();
      void seek(Math.min(next, end));
    }, PLAY_TICK_MS);
  }

  async function close(): Promise<void> {
    stop();
    frame.value = null;
    await cluster.showLive();
  }

  return {
    sessions,
    retention,
    setRetention,
    frame,
    timeMs,
    playing,
    speed,
    active,
    refreshList,
    remove,
    open,
    seek,
    play,
    pause: stop,
    close,
    stepForward: () => frame.value?.nextEventMs !== null && frame.value?.nextEventMs !== undefined && seek(frame.value.nextEventMs),
    stepBack: () => frame.value?.previousEventMs !== null && frame.value?.previousEventMs !== undefined && seek(frame.value.previousEventMs),
    firstViolation: () => frame.value?.firstViolationMs !== null && frame.value?.firstViolationMs !== undefined && seek(frame.value.firstViolationMs),
    async fork(): Promise<void> {
      const session = frame.value?.name;
      if (!session) return;
      stop();
      const at = timeMs.value;
      const state = await cluster.run(bridge.forkReplay(session, at), () => `a live cluster forked from ${session} at ${(at / 1000).toFixed(2)} s`);
      if (state === null) return;
      frame.value = null;
      await cluster.showLive();
    },
    async exportData(): Promise<void> {
      const session = frame.value?.name;
      if (!session) return;
      // Re-executing every node of a long session takes a while: say it started.
      cluster.toast(`exporting ${session}: re-executing every node…`, 'info');
      await cluster.run(bridge.exportSession(session), (dir) => `data set written to ${dir}`);
    },
  };
});
