// @vitest-environment happy-dom
// The Challenges dialog and panel against a fake bridge: what a person reads (goal, budget left,
// the verdict with its witness, best scores) and what each click asks of the app.
import { flushPromises, mount } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { ChallengeList, ChallengeView, PlaygroundBridge } from '../../src/shared/bridge.ts';
import { setBridge } from '../../src/renderer/src/bridge.ts';
import { useChallengeStore } from '../../src/renderer/src/stores/challenge.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import ChallengePanel from '../../src/renderer/src/components/ChallengePanel.vue';
import ChallengeDialog from '../../src/renderer/src/components/ChallengeDialog.vue';

const list: ChallengeList = {
  problem: 'the best scores in challenges.json could not be read (it is not JSON); they start over',
  challenges: [
    {
      id: 'lose-acknowledged-write',
      title: 'Lose an acknowledged write',
      summary: 'Crash things.',
      goal: 'Lose an acknowledged write.',
      budget: { faults: 3, timeMs: 120_000 },
      configurations: [
        { name: 'Asynchronous acks', summary: null, algorithm: 'a', best: { faults: 2, timeMs: 4200, at: '2026-01-01T00:00:00Z' } },
        { name: 'Synchronous acks', summary: null, algorithm: 'b', best: null },
      ],
    },
  ],
};

const playing: ChallengeView = {
  id: 'lose-acknowledged-write',
  title: 'Lose an acknowledged write',
  summary: 'Crash things.',
  goal: 'Lose an acknowledged write.',
  configuration: 1,
  configurationName: 'Synchronous acks',
  budget: { faults: 3, timeMs: 120_000 },
  faults: ['partition (n1) (n2,n3)'],
  elapsedMs: 30_000,
  status: 'playing',
  verdict: null,
  best: null,
  notice: null,
};

const judged: ChallengeView = {
  ...playing,
  status: 'not won',
  verdict: { won: false, text: 'every acknowledged write is still there', witness: null, score: { faults: 1, timeMs: 31_000 }, newBest: false, correct: true },
};

describe('challenges in the window', () => {
  let bridge: PlaygroundBridge;
  beforeEach(() => {
    const ok = <T>(value: T) => vi.fn(async () => ({ ok: true as const, value }));
    bridge = {
      listChallenges: ok(list),
      startChallenge: ok(playing),
      challengeState: ok(playing),
      judgeChallenge: ok(judged),
      leaveChallenge: ok(null),
      getState: vi.fn(async () => ({ ok: false as const, error: 'not in this test' })),
    } as unknown as PlaygroundBridge;
    setBridge(bridge);
    setActivePinia(createPinia());
  });

  it('lists the challenges with each configuration\'s best score, says why the scores started over, and starts one', async () => {
    const challenges = useChallengeStore();
    await challenges.open();
    const dialog = mount(ChallengeDialog);
    expect(dialog.text()).toContain('Budget: 3 faults, 120 s');
    expect(dialog.text()).toContain('best: 2 faults, 4.2 s');
    expect(dialog.text()).toContain('not won yet');
    expect(dialog.find('[role="alert"]').text()).toMatch(/they start over/);
    await dialog.find('button[aria-label="Start Lose an acknowledged write: Synchronous acks"]').trigger('click');
    await flushPromises();
    expect(bridge.startChallenge).toHaveBeenCalledWith('lose-acknowledged-write', 1);
    expect(challenges.choosing).toBe(false);
    expect(challenges.view?.status).toBe('playing');
  });

  it('shows the goal and the budget left, judges on "I\'m done", and says a correct configuration cannot be won', async () => {
    const challenges = useChallengeStore();
    challenges.view = playing;
    const panel = mount(ChallengePanel);
    expect(panel.text()).toContain('Goal. Lose an acknowledged write.');
    expect(panel.find('[aria-label="Faults used of the budget"]').text()).toBe('1 of 3');
    expect(panel.find('[aria-label="Time left"]').text()).toBe('90 s left');
    expect(panel.find('[aria-label="Faults counted"]').text()).toContain('partition (n1) (n2,n3)');
    await panel.findAll('button').find((b) => b.text() === "I'm done")!.trigger('click');
    await flushPromises();
    expect(bridge.judgeChallenge).toHaveBeenCalled();
    challenges.view = judged;
    await flushPromises();
    expect(panel.find('[aria-label="Verdict"]').text()).toMatch(/Not won.*every acknowledged write is still there.*This configuration is correct/s);
    expect(panel.findAll('button').map((b) => b.text())).toContain('Try again');
  });

  it('shows a win with the checker\'s witness, and leaves with the cluster running', async () => {
    const challenges = useChallengeStore();
    challenges.view = {
      ...playing,
      status: 'won',
      verdict: { won: true, text: '1 acknowledged write lost (1 of key "x")', witness: { anomaly: 'lost write', why: 'the final reads agree on null', operations: ['client 3: write x 1', 'client 9: read x -> null (final)'] }, score: { faults: 2, timeMs: 4200 }, newBest: true, correct: false },
      best: { faults: 2, timeMs: 4200, at: '2026-01-01T00:00:00Z' },
    };
    const panel = mount(ChallengePanel);
    const verdict = panel.find('[aria-label="Verdict"]').text();
    expect(verdict).toContain('Won!');
    expect(verdict).toContain('lost write');
    expect(verdict).toContain('client 3: write x 1');
    expect(verdict).toContain('Score: 2 faults, 4.2 s: a new best');
    await panel.findAll('button').find((b) => b.text() === 'Leave')!.trigger('click');
    await flushPromises();
    expect(bridge.leaveChallenge).toHaveBeenCalled();
    expect(challenges.view).toBeNull();
    expect(useClusterStore().toasts.map((t) => t.text)).toContain('challenge left: the cluster keeps running');
  });
});
