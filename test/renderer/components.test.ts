// @vitest-environment happy-dom
// The window's components against a fake bridge: what a person reads and what each click asks of
// the app.
import { mount, flushPromises } from '@vue/test-utils';
import { createPinia, setActivePinia } from 'pinia';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { modelsNotChecked, type AppState, type PlaygroundBridge } from '../../src/shared/bridge.ts';
import { DEFAULT_SETTINGS } from '../../src/main/app/cluster-settings.ts';
import { algorithmInfo, algorithms, getAlgorithm } from '../../src/nodes/index.ts';
import { setBridge } from '../../src/renderer/src/bridge.ts';
import { useClusterStore } from '../../src/renderer/src/stores/cluster.ts';
import NodeCard from '../../src/renderer/src/components/NodeCard.vue';
import ClusterRing from '../../src/renderer/src/components/ClusterRing.vue';
import NodeInspector from '../../src/renderer/src/components/NodeInspector.vue';
import NetworkPanel from '../../src/renderer/src/components/NetworkPanel.vue';
import NewClusterDialog from '../../src/renderer/src/components/NewClusterDialog.vue';
import ReplayBar from '../../src/renderer/src/components/ReplayBar.vue';
import HealthPanel from '../../src/renderer/src/components/HealthPanel.vue';
import SessionsDialog from '../../src/renderer/src/components/SessionsDialog.vue';
import { useReplayStore } from '../../src/renderer/src/stores/replay.ts';
import TimelinePanel from '../../src/renderer/src/components/TimelinePanel.vue';
import { CONSISTENCY_NAMES, weakerThan, type ConsistencyName } from '../../src/shared/consistency.ts';
import type { ComparisonSideView, ComparisonView, HealthView, ModelVerdictView } from '../../src/shared/bridge.ts';
import CompareView from '../../src/renderer/src/components/CompareView.vue';
import { useComparisonStore } from '../../src/renderer/src/stores/comparison.ts';

const status = (id: string, role: 'leader' | 'follower', term = 2) => ({ id, role, term, leader: 'n1', votedFor: 'n1', commit: 7, applied: 7, lastIndex: 7, snapshotIndex: 0, voters: ['n1', 'n2', 'n3'] });

const state: AppState = {
  settings: { ...DEFAULT_SETTINGS, options: { ...(getAlgorithm(DEFAULT_SETTINGS.algorithm)?.defaultOptions as Record<string, unknown>) } },
  algorithms: Object.values(algorithms).map(algorithmInfo),
  tickMs: 10,
  nodes: [
    { id: 'n1', state: 'up', status: status('n1', 'leader'), failure: null, file: '/d/n1.sqlite' },
    { id: 'n2', state: 'down', status: null, failure: null, file: '/d/n2.sqlite' },
    { id: 'n3', state: 'failed', status: null, failure: '/d/n3.sqlite is corrupt', file: '/d/n3.sqlite' },
  ],
  network: { cuts: [], defaultRule: { drop: 0, delayMs: 20, jitterMs: 5, duplicate: 0, reorder: 0 }, links: [] },
  clock: { virtualMs: 1000, speed: 0.25, paused: false },
  health: { violations: [], linearizable: 'true', operations: 0, explanation: null, promises: 'linearizable', models: modelsNotChecked(), strongest: [] },
  workload: null,
  serves: { kv: ['read', 'write', 'cas', 'append', 'delete'], counter: ['read', 'incr'], set: ['read', 'add', 'remove'] },
  dataDir: '/d',
};

function fakeBridge(): PlaygroundBridge {
  const ok = <T>(value: T) => vi.fn(async () => ({ ok: true as const, value }));
  return {
    mode: 'browser',
    version: 'test',
    onUpdate: () => () => undefined,
    getState: ok(state),
    newCluster: ok(state),
    nodeAction: vi.fn(async () => ({ ok: false as const, error: 'n1 is already down' })),
    nodeCommand: ok('sent'),
    skewClock: ok('skewed'),
    addNode: ok('n4'),
    cutLink: ok(state.network),
    healLink: ok(state.network),
    partition: ok(state.network),
    heal: ok(state.network),
    setLinkRule: ok(state.network),
    clock: ok(state.clock),
    setSpeed: ok(state.clock),
    clientOperation: ok({ type: 'ok' as const, value: 1, node: 'n1', error: null, ms: 3 }),
    setWorkload: ok(null),
    inspectNode: ok(null as never),
    listSessions: ok([]),
    replayMoment: ok(null as never),
    replayInspect: ok(null as never),
    forkReplay: ok(state),
    exportSession: ok('/d/exports/x'),
    deleteSessions: ok([]),
    getRetention: ok(retention),
    setRetention: ok(retention),
    startComparison: ok(comparisonView),
    comparisonFault: ok('crash n2 on A and B'),
    stopComparison: ok({ ...comparisonView, running: false }),
    comparisonState: ok(null),
    describeChoice: ok({ promises: 'linearizable', serves: { kv: ['read', 'write'] } }),
    listChallenges: ok({ challenges: [], problem: null }),
    startChallenge: vi.fn(async () => ({ ok: false as const, error: 'no challenges here' })),
    challengeState: ok(null),
    judgeChallenge: vi.fn(async () => ({ ok: false as const, error: 'no challenge is being played' })),
    leaveChallenge: ok(null),
    listLessons: ok({ lessons: [], message: null }),
    startLesson: ok(null as never),
    lessonState: ok(null),
    lessonAction: ok(null),
  };
}

const comparisonSide = (label: 'A' | 'B', algorithm: string): ComparisonSideView => ({
  label,
  settings: { ...DEFAULT_SETTINGS, nodes: 3, algorithm, options: { ...(getAlgorithm(algorithm)?.defaultOptions as Record<string, unknown>) } },
  title: getAlgorithm(algorithm)?.title ?? algorithm,
  promises: 'linearizable',
  nodes: state.nodes.map((n) => ({ ...n, state: 'up' as const, failure: null, status: status(n.id, n.id === 'n1' ? 'leader' : 'follower') })),
  network: { ...state.network, cuts: [['n1', 'n2'], ['n2', 'n1']] },
  clock: state.clock,
  violations: [],
  measures: {
    ops: 12,
    ok: 9,
    fail: 1,
    info: 2,
    lostWrites: label === 'A' ? 0 : 3,
    models: modelsNotChecked().map((m) => ({ ...m, verdict: label === 'A' || m.model !== 'linearizable' ? ('true' as const) : ('false' as const), reason: null })),
    strongest: label === 'A' ? ['linearizable'] : ['sequential'],
    kept: label === 'A',
    p50Ms: 4.2,
    p99Ms: 40,
    availability: 0.75,
    series: [{ startMs: 0, ok: 3, tried: 4 }, { startMs: 1000, ok: 6, tried: 8 }],
    atMs: 2000,
  },
  dataDir: `/d/comparisons/x/${label.toLowerCase()}`,
});
const comparisonView: ComparisonView = {
  running: true,
  elapsedMs: 2000,
  workload: { rate: 10, clients: 3, keys: 3, mix: { read: 1, write: 1, cas: 0, append: 0, delete: 0 } },
  faults: [{ timeMs: 1200, text: 'partition (n1) (n2,n3)' }],
  sides: [comparisonSide('A', 'raft'), comparisonSide('B', 'multipaxos')],
  bucketMs: 1000,
  tickMs: 10,
  error: null,
};

const retention = { limitBytes: 2 * 2 ** 30, usedBytes: 3 * 2 ** 30, minBytes: 64 * 2 ** 20, maxBytes: 2 ** 50, lastPruned: null, message: null };

describe('window components', () => {
  let bridge: PlaygroundBridge;
  beforeEach(() => {
    bridge = fakeBridge();
    setBridge(bridge);
    setActivePinia(createPinia());
    useClusterStore().state = state;
  });

  it('names each node card and says its role, with the actions that fit its state', () => {
    const leader = mount(NodeCard, { props: { node: state.nodes[0]! } });
    expect(leader.attributes('role')).toBe('group');
    expect(leader.attributes('aria-label')).toBe('Node n1');
    expect(leader.find('.role').text()).toBe('leader');
    expect(leader.findAll('button').map((b) => b.text())).toEqual(expect.arrayContaining(['Kill', 'Pause', 'Remove']));
    // Campaigning is for a running node that does not lead.
    expect(leader.findAll('button').map((b) => b.text())).not.toContain('Transfer leadership here');
    const follower = mount(NodeCard, { props: { node: { ...state.nodes[0]!, id: 'n2', status: status('n2', 'follower') } } });
    // The algorithm's own actions come from its descriptor.
    expect(follower.findAll('button').map((b) => b.text())).toEqual(expect.arrayContaining(['Timeout now', 'Transfer leadership here']));
    const down = mount(NodeCard, { props: { node: state.nodes[1]! } });
    expect(down.find('.role').text()).toBe('down');
    expect(down.findAll('button').map((b) => b.text())).toContain('Restart');
    expect(down.findAll('button').map((b) => b.text())).not.toContain('Timeout now');
    const failed = mount(NodeCard, { props: { node: state.nodes[2]! } });
    expect(failed.text()).toContain('corrupt');
  });

  it('lays out up to fifteen nodes on the ring without cards overlapping: crowded rings get compact cards', () => {
    const store = useClusterStore();
    const centres = (ring: ReturnType<typeof mount>) =>
      ring.findAll('[role="group"]').map((card) => ({ x: parseFloat(card.attributes('style')?.match(/left: ([\d.]+)px/)?.[1] ?? 'NaN'), y: parseFloat(card.attributes('style')?.match(/top: ([\d.]+)px/)?.[1] ?? 'NaN'), compact: card.classes('compact'), card }));
    for (const [count, compact, width] of [[5, false, 150], [7, false, 150], [8, true, 64], [15, true, 64]] as const) {
      store.state = { ...state, nodes: Array.from({ length: count }, (_, i) => ({ id: `n${i + 1}`, state: 'up' as const, status: status(`n${i + 1}`, i === 0 ? 'leader' : 'follower'), failure: null, file: `/d/n${i + 1}.sqlite` })) };
      const ring = mount(ClusterRing);
      const cards = centres(ring);
      expect(cards).toHaveLength(count);
      expect(cards.every((c) => c.compact === compact)).toBe(true);
      // Neighbours on the ring are at least a card's width apart.
      for (let i = 0; i < count; i++) {
        const a = cards[i]!;
        const b = cards[(i + 1) % count]!;
        expect(Math.hypot(a.x - b.x, a.y - b.y), `${count} nodes: n${i + 1} and its neighbour`).toBeGreaterThanOrEqual(width);
      }
      if (compact) {
        // The commit index stays on the ring; the role and the buttons are still there to open.
        expect(cards[0]!.card.find('.brief').text()).toBe('c7');
        expect(cards[0]!.card.find('.role').text()).toBe('leader');
        expect(cards[0]!.card.findAll('button').map((b) => b.text())).toContain('Kill');
      } else expect(cards[0]!.card.find('.brief').exists()).toBe(false);
      ring.unmount();
    }
  });

  it("skews a node's clock from its menu, checked as typed, and says on the card when a clock is off", async () => {
    const card = mount(NodeCard, { props: { node: { ...state.nodes[0]!, id: 'n2', status: status('n2', 'follower') } } });
    await card.find('input[aria-label="Clock rate %"]').setValue('1000');
    expect(card.text()).toContain('rate: from -90% to +900%');
    expect(card.findAll('button').find((b) => b.text() === 'Skew clock')!.attributes('disabled')).toBeDefined();
    await card.find('input[aria-label="Clock rate %"]').setValue('10');
    await card.find('input[aria-label="Clock offset ms"]').setValue('-250');
    await card.find('form.skew').trigger('submit');
    await flushPromises();
    expect(bridge.skewClock).toHaveBeenCalledWith('n2', -250, 0.1);
    const skewed = mount(NodeCard, { props: { node: { ...state.nodes[0]!, clock: { offsetMs: -250, drift: 0.1 } } } });
    expect(skewed.find('.skewed').text()).toBe('clock +10% · -250 ms');
    expect(mount(NodeCard, { props: { node: state.nodes[0]! } }).find('.skewed').exists()).toBe(false);
  });

  it("sends the algorithm's own actions by their id", async () => {
    const follower = mount(NodeCard, { props: { node: { ...state.nodes[0]!, id: 'n2', status: status('n2', 'follower') } } });
    await follower.findAll('button').find((b) => b.text() === 'Transfer leadership here')!.trigger('click');
    await flushPromises();
    expect(bridge.nodeCommand).toHaveBeenCalledWith('n2', 'transfer');
  });

  it('asks the app to kill a node, and shows its refusal as a toast', async () => {
    const card = mount(NodeCard, { props: { node: state.nodes[0]! } });
    await card.findAll('button').find((b) => b.text() === 'Kill')!.trigger('click');
    await flushPromises();
    expect(bridge.nodeAction).toHaveBeenCalledWith('n1', 'kill');
    expect(useClusterStore().toasts.map((t) => t.text)).toContain('n1 is already down');
  });

  it('checks the new-cluster form next to each field and sends only valid settings', async () => {
    const dialog = mount(NewClusterDialog);
    const nodes = dialog.find('input[aria-label="Nodes"]');
    await nodes.setValue('0');
    expect(dialog.text()).toContain('at least 1');
    await nodes.setValue('two');
    expect(dialog.text()).toContain('a number, please');
    await dialog.find('input[aria-label="Heartbeat (ms)"]').setValue('500');
    expect(dialog.text()).toContain('must be shorter than the election timeout');
    expect(dialog.find('button[type="submit"]').attributes('disabled')).toBeDefined();
    await nodes.setValue('3');
    await dialog.find('input[aria-label="Heartbeat (ms)"]').setValue('40');
    await dialog.find('form').trigger('submit');
    await flushPromises();
    // Times are shown in milliseconds and sent in the algorithm's ticks (10 ms each here).
    expect(bridge.newCluster).toHaveBeenCalledWith(expect.objectContaining({ algorithm: DEFAULT_SETTINGS.algorithm, nodes: 3, options: expect.objectContaining({ heartbeatTicks: 4, electionTicks: 15 }) }));
  });

  it('starts a comparison from its form: two algorithms, each with its own options, one harness and workload', async () => {
    const view = mount(CompareView);
    await flushPromises();
    const sideA = view.findAll('fieldset').find((f) => f.find('legend').text() === 'Side A')!;
    const sideB = view.findAll('fieldset').find((f) => f.find('legend').text() === 'Side B')!;
    // Side B starts on another algorithm than A, each with its own generated options.
    expect((sideA.find('select[aria-label="Algorithm"]').element as HTMLSelectElement).value).toBe('raft');
    expect((sideB.find('select[aria-label="Algorithm"]').element as HTMLSelectElement).value).toBe('multipaxos');
    expect(sideB.text()).toContain('Multi-Paxos options');
    await sideA.find('select[aria-label="Reads"]').setValue('lease');
    await sideA.find('input[aria-label="Heartbeat (ms)"]').setValue('500');
    expect(sideA.text()).toContain('must be shorter than the election timeout');
    expect(view.find('form[aria-label="New comparison"] button[type="submit"]').attributes('disabled')).toBeDefined();
    await sideA.find('input[aria-label="Heartbeat (ms)"]').setValue('40');
    await view.find('input[aria-label="Mix cas"]').setValue('1');
    await view.find('form[aria-label="New comparison"]').trigger('submit');
    await flushPromises();
    expect(bridge.startComparison).toHaveBeenCalledWith(
      expect.objectContaining({ algorithm: 'raft', nodes: 3, options: expect.objectContaining({ readMode: 'lease', heartbeatTicks: 4 }) }),
      expect.objectContaining({ algorithm: 'multipaxos', nodes: 3, options: expect.objectContaining({ stableLeader: true }) }),
      expect.objectContaining({ rate: 10, clients: 3, keys: 3, dataType: 'kv', mix: { read: 1, write: 1, cas: 1, append: 0, delete: 0 } }),
    );
    // Both sides drawn: two rings, two maps, the comparison table, the fault on both charts.
    expect(view.find('form[aria-label="New comparison"]').exists()).toBe(false);
    expect(view.findAll('section[aria-label^="Side "]').map((s) => s.attributes('aria-label'))).toEqual(['Side A', 'Side B']);
    expect(view.findAll('[role="group"][aria-label="Node n2"]')).toHaveLength(2);
    expect(view.findAll('.link.cut-both')).toHaveLength(2);
    expect(view.find('[aria-label="Side A"] button[aria-label="linearizable: true"]').exists()).toBe(true);
    expect(view.find('[aria-label="Side B"] button[aria-label="linearizable: false"]').exists()).toBe(true);
    const table = view.find('section[aria-label="Comparison"]').text();
    expect(table).toContain('9 / 1 / 2');
    expect(table).toContain('75%');
    expect(table).toContain('4.2 ms / 40 ms');
    expect(view.findAll('line.fault')).toHaveLength(2);
    // A card's Kill is a fault done to both sides at that position; the side's own commands are not offered.
    const card = view.find('[aria-label="Side B"] [role="group"][aria-label="Node n2"]');
    expect(card.findAll('button').map((b) => b.text())).not.toContain('Transfer leadership here');
    await card.findAll('button').find((b) => b.text() === 'Kill')!.trigger('click');
    await flushPromises();
    expect(bridge.comparisonFault).toHaveBeenCalledWith({ kind: 'crash', node: 'n2' });
    // So is a partition of the nodes picked, the rest on the other side.
    await view.find('input[aria-label="Pick n1"]').setValue(true);
    await view.findAll('button').find((b) => b.text() === 'Partition')!.trigger('click');
    await flushPromises();
    expect(bridge.comparisonFault).toHaveBeenCalledWith({ kind: 'partition', groups: [['n1'], ['n2', 'n3']] });
    // Batches update both sides.
    useComparisonStore().apply({ state, events: [], skipped: 0, metrics: [], comparison: { view: { ...comparisonView, running: false }, events: [[], []] } });
    await flushPromises();
    expect(view.text()).toContain('stopped');
    view.unmount();
  });

  it('cuts one link one way, and offers to heal it once the state says it is cut', async () => {
    const store = useClusterStore();
    const panel = mount(NetworkPanel);
    await panel.find('input[value="link"]').setValue(true);
    await panel.find('select[aria-label="To"]').setValue('n3');
    const cutOneWay = panel.findAll('button').find((b) => b.text() === 'Cut one way');
    expect(cutOneWay).toBeDefined();
    await cutOneWay!.trigger('click');
    await flushPromises();
    expect(bridge.cutLink).toHaveBeenCalledWith('n1', 'n3', false);
    store.state = { ...state, network: { ...state.network, cuts: [['n1', 'n3']] } };
    await flushPromises();
    expect(panel.text()).toContain('n1 → n3: cut, n3 → n1: open');
    const buttons = panel.findAll('button').map((b) => b.text());
    expect(buttons).toContain('Heal one way');
    expect(buttons).not.toContain('Cut one way');
    await panel.find('select[aria-label="To"]').setValue('n1');
    expect(panel.text()).toContain('pick two different nodes');
  });

  it('shows the rule of what the form would change, what every link does now, and ways back', async () => {
    const store = useClusterStore();
    const panel = mount(NetworkPanel);
    const placeholders = () => ['Drop %', 'Delay ms', 'Jitter ms', 'Duplicate %'].map((label) => panel.find(`input[aria-label="${label}"]`).attributes('placeholder'));
    expect(placeholders()).toEqual(['0', '20', '5', '0']);
    const rules = () => panel.findAll('[aria-label="Link rules now"] li').map((li) => li.text().replace(/\s+/g, ' '));
    expect(rules()).toEqual(['every link: 20 ± 5 ms']);
    // Nothing typed: nothing to apply. As the cluster started: nothing to reset.
    const button = (text: string) => panel.findAll('button').find((b) => b.text() === text);
    expect(button('Apply')!.attributes('disabled')).toBeDefined();
    expect(button('Reset links')).toBeUndefined();

    await panel.find('input[aria-label="Drop %"]').setValue('12.5');
    await button('Apply')!.trigger('click');
    await flushPromises();
    expect(bridge.setLinkRule).toHaveBeenCalledWith(null, null, { drop: 0.125 });
    expect((panel.find('input[aria-label="Drop %"]').element as HTMLInputElement).value).toBe('');

    const n1n3 = { ...state.network.defaultRule, drop: 0.125, delayMs: 300, jitterMs: 0 };
    store.state = { ...state, network: { ...state.network, defaultRule: { ...state.network.defaultRule, drop: 0.125 }, links: [{ from: 'n1', to: 'n3', rule: n1n3 }] } };
    await flushPromises();
    expect(rules()).toEqual(['every link: 20 ± 5 ms, drop 12.5%', 'n1 → n3: 300 ms, drop 12.5% Clear']);
    expect(placeholders()).toEqual(['12.5', '20', '5', '0']);
    await panel.find('input[value="link"]').setValue(true);
    await panel.find('select[aria-label="From"]').setValue('n1');
    await panel.find('select[aria-label="To"]').setValue('n3');
    expect(placeholders()).toEqual(['12.5', '300', '0', '0']);
    await button('Clear')!.trigger('click');
    expect(bridge.setLinkRule).toHaveBeenLastCalledWith('n1', 'n3', null);
    await button('Reset links')!.trigger('click');
    expect(bridge.setLinkRule).toHaveBeenLastCalledWith(null, null, null);
    panel.unmount();

    // The ring draws a link with a rule of its own apart, its rule in its tooltip.
    const ring = mount(ClusterRing);
    const ruled = ring.findAll('g.link.ruled');
    expect(ruled).toHaveLength(1);
    expect(ruled[0]!.find('title').text()).toContain('n1 → n3: 300 ms, drop 12.5%');
    ring.unmount();
  });

  it('moves the replay scrubber by a hundredth of the session per arrow key, a tenth with Shift', async () => {
    const replay = useReplayStore();
    const frame = { name: 's.session.sqlite', durationMs: 200_000, firstViolationMs: null, state, events: [], inFlight: [], history: [], metrics: [], countsMessages: true, previousEventMs: null, nextEventMs: 10 };
    (bridge.replayMoment as unknown as { mockImplementation: (f: () => unknown) => void }).mockImplementation(async () => ({ ok: true, value: frame }));
    replay.frame = frame;
    const bar = mount(ReplayBar);
    const scrubber = bar.find('input[aria-label="Replay time"]');
    await scrubber.trigger('keydown', { key: 'ArrowRight' });
    await flushPromises();
    expect(replay.timeMs).toBe(2000);
    await scrubber.trigger('keydown', { key: 'ArrowRight', shiftKey: true });
    await flushPromises();
    expect(replay.timeMs).toBe(22_000);
    await scrubber.trigger('keydown', { key: 'PageDown' });
    await scrubber.trigger('keydown', { key: 'ArrowLeft' });
    await flushPromises();
    expect(replay.timeMs).toBe(0);
    expect(bridge.replayMoment).toHaveBeenCalledWith('s.session.sqlite', 22_000);
    bar.unmount();
  });

  it('draws per-second charts, in a replay those the recording holds', async () => {
    const store = useClusterStore();
    store.metrics = [{ t: 1, commits: 40, latencyP50: 2, latencyP99: 9, elections: 0, messages: { append_entries: 80 } }];
    const panel = mount(HealthPanel);
    expect(panel.text()).toContain('commits/s 40');
    expect(panel.text()).toContain('messages/s 80');
    expect(panel.text()).toContain('append_entries 80');
    store.replayAt = { session: 's.session.sqlite', timeMs: 1000 };
    store.metrics = [{ t: 1, commits: 12, latencyP50: 3, latencyP99: 7, elections: 1, messages: { request_vote: 4, append_entries: 30 } }];
    await flushPromises();
    expect(panel.text()).toContain('commits/s 12');
    expect(panel.text()).toContain('elections/s 1');
    expect(panel.text()).toContain('messages/s 34');
    expect(panel.text()).toContain('request_vote 4');
    expect(panel.text()).toContain('from the recording.');
    // A session recorded before messages were counted says so instead of drawing zeros.
    store.replayCountsMessages = false;
    store.metrics = [{ t: 1, commits: 12, latencyP50: 3, latencyP99: 7, elections: 1, messages: {} }];
    await flushPromises();
    expect(panel.text()).not.toContain('messages/s');
    expect(panel.text()).toContain('did not count messages');
    panel.unmount();
  });

  it('lists sessions with what each keeps on disk, and deletes the picked ones together', async () => {
    const item = (name: string, recording: boolean, bytes: number) => ({ name, mode: 'live' as const, algorithm: 'raft', nodes: 3, seed: 1, startedAt: '2026-11-30T03:00:00Z', durationMs: recording ? null : 5000, faults: [], verdict: recording ? 'recording' : 'linearizable, no violations', strongest: recording ? null : ['linearizable' as const], recording, bytes });
    const sessions = [item('now.session.sqlite', true, 2 ** 20), item('a.session.sqlite', false, 3 * 2 ** 20), item('b.session.sqlite', false, 2 ** 20)];
    (bridge.listSessions as unknown as { mockImplementation: (f: () => unknown) => void }).mockImplementation(async () => ({ ok: true, value: sessions }));
    (bridge.deleteSessions as unknown as { mockImplementation: (f: () => unknown) => void }).mockImplementation(async () => ({ ok: true, value: sessions.slice(0, 1) }));
    vi.stubGlobal('confirm', () => true);
    const dialog = mount(SessionsDialog);
    await flushPromises();
    expect(dialog.text()).toContain('3 session(s), 5.0 MiB on disk together');
    expect(dialog.find('input[aria-label="Pick now.session.sqlite"]').attributes('disabled')).toBeDefined();
    // A closed session says the strongest model its history kept; the one being recorded has none yet.
    expect(dialog.findAll('.strongest').map((el) => el.text())).toEqual(['strongest: linearizable', 'strongest: linearizable']);
    await dialog.find('input[aria-label="Pick every session"]').trigger('change');
    const deletePicked = dialog.findAll('button').find((b) => b.text().startsWith('Delete 2 picked'));
    expect(deletePicked?.text()).toBe('Delete 2 picked (4.0 MiB)');
    await deletePicked!.trigger('click');
    await flushPromises();
    expect(bridge.deleteSessions).toHaveBeenCalledWith(['a.session.sqlite', 'b.session.sqlite']);
    expect(dialog.findAll('button').some((b) => b.text().includes('picked'))).toBe(false);
    vi.unstubAllGlobals();
    dialog.unmount();
  });

  it('shows the space the sessions use against the limit, and changes the limit', async () => {
    const pruned = { ...retention, limitBytes: 2 ** 30, usedBytes: 0.9 * 2 ** 30, lastPruned: { at: '2026-11-30T04:00:00Z', sessions: ['a.session.sqlite', 'b.session.sqlite'], freedBytes: 2.1 * 2 ** 30 } };
    (bridge.setRetention as unknown as { mockImplementation: (f: () => unknown) => void }).mockImplementation(async () => ({ ok: true, value: pruned }));
    const asked: string[] = [];
    vi.stubGlobal('confirm', (text: string) => asked.push(text) > 0);
    const dialog = mount(SessionsDialog);
    await flushPromises();
    expect(dialog.text()).toContain('Sessions use 3.00 GiB of 2.00 GiB');
    const input = dialog.find('input[aria-label="Disk limit in GiB"]');
    expect((input.element as HTMLInputElement).value).toBe('2');
    const apply = (): ReturnType<typeof dialog.find> => dialog.find('form[aria-label="Disk limit"] button[type="submit"]');
    // Unchanged, nothing to apply; too small, refused in the window before the app is asked.
    expect(apply().attributes('disabled')).toBeDefined();
    await input.setValue('0.01');
    expect(dialog.text()).toContain('at least 64.0 MiB');
    expect(apply().attributes('disabled')).toBeDefined();
    await input.setValue('1');
    expect(apply().attributes('disabled')).toBeUndefined();
    await dialog.find('form[aria-label="Disk limit"]').trigger('submit');
    await flushPromises();
    // Below what the sessions use: the oldest go at once, so the person is asked first.
    expect(asked).toHaveLength(1);
    expect(asked[0]).toContain('the oldest will be deleted now');
    expect(bridge.setRetention).toHaveBeenCalledWith(2 ** 30);
    expect(dialog.text()).toContain('Sessions use 921.6 MiB of 1.00 GiB');
    expect(dialog.text()).toContain('Last deleted to stay under the limit: 2 session(s), 2.10 GiB');
    vi.unstubAllGlobals();
    dialog.unmount();
  });

  it('says how many events a second the window was not sent lately, not a running total', () => {
    const store = useClusterStore();
    let now = 1000;
    const clock = vi.spyOn(performance, 'now').mockImplementation(() => now);
    for (let i = 0; i < 20; i++) {
      store.apply({ state, events: [], skipped: 100, metrics: [] });
      now += 50;
    }
    // 2,000 left out within the last five seconds.
    expect(store.skippedPerSecond).toBe(400);
    now += 6000;
    store.apply({ state, events: [], skipped: 0, metrics: [] });
    expect(store.skippedPerSecond).toBe(0);
    clock.mockRestore();
  });

  it('shows each log entry on its own row from the first answer on', async () => {
    const entry = (index: number, value: number) => ({ index, term: 2, data: { type: 'command' as const, request: { clientId: 1, seq: index, op: { f: 'write' as const, key: 'k', value } } } });
    (bridge.inspectNode as unknown as { mockImplementation: (f: () => unknown) => void }).mockImplementation(async () => ({
      ok: true,
      value: { node: state.nodes[0], progress: [], kv: [['k', 30]], log: { first: 1, last: 3, entries: [entry(1, 10), entry(2, 20), entry(3, 30)] }, tables: [] },
    }));
    useClusterStore().selectedNode = 'n1';
    const inspector = mount(NodeInspector);
    await flushPromises();
    const rows = inspector.findAll('[role="row"]').map((r) => r.text().replace(/\s+/g, ' '));
    expect(rows).toHaveLength(3);
    expect(rows[0]).toMatch(/^1T2.*write k 10/);
    expect(rows[2]).toMatch(/^3T2.*write k 30/);
    inspector.unmount();
  });

  describe('the consistency map', () => {
    const staleRead = { anomaly: 'stale read', why: 'after write x 1 the key holds 1, and the read cannot take effect', operations: [
      { id: 4, process: 1, description: 'write x 1', start: 100, end: 200 },
      { id: 7, process: 2, description: 'read x -> null', start: 300, end: 400 },
    ] };
    /** Every model true by default; `overrides` change some. */
    const healthWith = (promises: ConsistencyName, overrides: Partial<Record<ConsistencyName, Partial<ModelVerdictView>>>): HealthView => ({
      ...state.health,
      promises,
      models: CONSISTENCY_NAMES.map((model) => ({ model, verdict: 'true' as const, impliedBy: null, reason: null, witness: null, ...overrides[model] })),
    });
    const mapOf = (health: HealthView) => {
      useClusterStore().state = { ...state, health };
      return mount(HealthPanel);
    };
    const button = (panel: ReturnType<typeof mount>, label: string) => {
      const found = panel.find(`button[aria-label="${label}"]`);
      expect(found.exists(), `a button named ${label}`).toBe(true);
      return found;
    };

    it('draws every model as a button named by its verdict, coloured by it, strongest at the top, the promise starred', () => {
      const panel = mapOf(healthWith('linearizable', { convergent: { verdict: 'unknown', reason: 'no check for this model in this build' } }));
      for (const name of CONSISTENCY_NAMES) button(panel, `${name}: ${name === 'convergent' ? 'unknown' : 'true'}`);
      const linearizable = button(panel, 'linearizable: true');
      expect(linearizable.classes()).toEqual(expect.arrayContaining(['holds', 'promised']));
      expect(linearizable.text()).toContain('★');
      expect(button(panel, 'sequential: true').classes()).not.toContain('promised');
      expect(button(panel, 'convergent: unknown').classes()).toContain('unknown');
      expect(button(panel, 'convergent: unknown').attributes('title')).toMatch(/no check for this model/);
      // Every model sits below each model that implies it.
      const top = (name: string) => parseFloat(panel.find(`button[aria-label^="${name}:"]`).attributes('style')!.match(/top: ([\d.]+)px/)![1]!);
      for (const name of CONSISTENCY_NAMES) for (const weaker of weakerThan(name)) expect(top(weaker), `${weaker} below ${name}`).toBeGreaterThan(top(name));
      expect(panel.find('p.promise-broken').exists()).toBe(false);
      panel.unmount();
    });

    it('shows a stronger model than the promise breaking as given up, and the promise or a weaker one breaking as an alarm', () => {
      const givenUp = mapOf(healthWith('causal', { linearizable: { verdict: 'false', witness: staleRead }, sequential: { verdict: 'false', impliedBy: 'linearizable', witness: staleRead } }));
      const linearizable = button(givenUp, 'linearizable: false');
      expect(linearizable.classes()).toContain('given-up');
      expect(linearizable.classes()).not.toContain('alarm');
      expect(linearizable.attributes('title')).toMatch(/not promised by Raft/);
      expect(button(givenUp, 'causal: true').classes()).toEqual(expect.arrayContaining(['holds', 'promised']));
      expect(givenUp.find('p.promise-broken').exists()).toBe(false);
      givenUp.unmount();

      const broken = mapOf(healthWith('causal', { linearizable: { verdict: 'false', witness: staleRead }, sequential: { verdict: 'false', witness: staleRead }, causal: { verdict: 'false', impliedBy: 'pram', witness: staleRead }, pram: { verdict: 'false', witness: staleRead } }));
      expect(button(broken, 'causal: false').classes()).toEqual(expect.arrayContaining(['alarm', 'promised']));
      expect(button(broken, 'pram: false').classes()).toContain('alarm');
      expect(button(broken, 'sequential: false').classes()).toContain('given-up');
      expect(broken.find('p.promise-broken').text()).toBe('Raft promises causal, and the history is not causal, pram.');
      broken.unmount();
    });

    it('opens a red model’s witness on a click and highlights its operations in the event log', async () => {
      const store = useClusterStore();
      const panel = mapOf(healthWith('linearizable', { linearizable: { verdict: 'false', witness: staleRead } }));
      const client = (process: number, type: 'invoke' | 'ok', f: 'write' | 'read', value: number | null, time: number) => ({ kind: 'client' as const, time: time / 100, event: { process, type, f, key: 'x', value, time } });
      store.apply({ state: store.state!, events: [client(1, 'invoke', 'write', 1, 100), client(1, 'ok', 'write', 1, 200), client(3, 'invoke', 'read', null, 250), client(2, 'invoke', 'read', null, 300), client(3, 'ok', 'read', 1, 350), client(2, 'ok', 'read', null, 400)], skipped: 0, metrics: [] });
      const log = mount(TimelinePanel);
      expect(log.findAll('li.witness')).toHaveLength(0);
      await button(panel, 'linearizable: false').trigger('click');
      expect(button(panel, 'linearizable: false').attributes('aria-pressed')).toBe('true');
      const detail = panel.find('[role="region"]');
      expect(detail.text()).toContain('stale read');
      expect(detail.findAll('li').map((li) => li.text())).toEqual(['client 1: write x 1', 'client 2: read x -> null']);
      // Both events of each witness operation, and not client 3's read between them.
      const marked = log.findAll('li.witness').map((li) => li.text());
      expect(marked).toHaveLength(4);
      expect(marked.every((text) => /client [12] /.test(text))).toBe(true);
      // A second click closes it and takes the highlight away.
      await button(panel, 'linearizable: false').trigger('click');
      expect(panel.find('[role="region"]').exists()).toBe(false);
      expect(log.findAll('li.witness')).toHaveLength(0);
      log.unmount();
      panel.unmount();
    });
  });
});
