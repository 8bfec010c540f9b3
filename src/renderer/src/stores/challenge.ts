// A challenge in the window: the list to choose from (with best scores), the one being played,
// asked again twice a second while it is, and the few things a person does with it.
import { defineStore } from 'pinia';
import { ref, shallowRef } from 'vue';
import type { ChallengeList, ChallengeView } from '../../../shared/bridge.ts';
import { getBridge } from '../bridge.ts';
import { useClusterStore } from './cluster.ts';

const POLL_MS = 500;

export const useChallengeStore = defineStore('challenge', () => {
  const bridge = getBridge();
  const cluster = useClusterStore();
  const list = shallowRef<ChallengeList | null>(null);
  const view = shallowRef<ChallengeView | null>(null);
  /** The Challenges dialog is open. */
  const choosing = ref(false);
  let timer: ReturnType<typeof setInterval> | null = null;

  function watchPlay(): void {
    if (timer !== null) return;
    timer = setInterval(() => void refresh(), POLL_MS);
  }

  function stopWatching(): void {
    if (timer !== null) clearInterval(timer);
    timer = null;
  }

  async function refresh(): Promise<void> {
    const result = await bridge.challengeState().catch((error: unknown) => ({ ok: false as const, error: (error as Error).message }));
    if (!result.ok) return;
    view.value = result.value;
    // Judged (or gone): nothing changes any more until the person does something.
    if (result.value === null || result.value.status === 'won' || result.value.status === 'not won') stopWatching();
    else watchPlay();
  }

  async function open(): Promise<void> {
    const loaded = await cluster.run(bridge.listChallenges());
    if (loaded === null) return;
    list.value = loaded;
    choosing.value = true;
  }

  async function start(id: string, configuration: number): Promise<void> {
    const started = await cluster.run(bridge.startChallenge(id, configuration), (v) => `${v.title}: ${v.configurationName}`);
    if (started === null) return;
    choosing.value = false;
    view.value = started;
    // A new cluster: what the window showed of the last one is not this one's.
    const state = await cluster.run(bridge.getState());
    if (state !== null) cluster.showNewCluster(state);
    watchPlay();
  }

  async function judge(): Promise<void> {
    if (view.value !== null) view.value = { ...view.value, status: 'judging' };
    const judged = await cluster.run(bridge.judgeChallenge());
    if (judged !== null) view.value = judged;
    await refresh();
  }

  async function leave(): Promise<void> {
    const left = await bridge.leaveChallenge().catch((error: unknown) => ({ ok: false as const, error: (error as Error).message }));
    if (!left.ok) {
      cluster.toast(left.error);
      return;
    }
    cluster.toast('challenge left: the cluster keeps running', 'info');
    stopWatching();
    view.value = null;
  }

  return { list, view, choosing, refresh, open, start, judge, leave };
});
