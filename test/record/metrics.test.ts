// The vital signs both the live window and a replay draw, from one reducer.
import { describe, expect, it } from 'vitest';
import { MetricsReducer } from '../../src/main/runtime/metrics.ts';
import type { NodeStatus } from '../../src/shared/protocol.ts';

const status = (id: string, role: NodeStatus['role'], term: number, commit: number): NodeStatus => ({ id, role, term, leader: null, votedFor: null, commit, applied: commit, lastIndex: commit, snapshotIndex: 0, voters: [] });

describe('the metrics reducer', () => {
  it('counts commits, leader changes, messages and latencies by the second they happened in, and hands out every second that ended', () => {
    const m = new MetricsReducer();
    m.journal({ kind: 'state', time: 100, node: 'n1', status: status('n1', 'leader', 1, 0) });
    m.journal({ kind: 'send', time: 150, src: 'n1', dest: 'n2', type: 'append' });
    m.journal({ kind: 'send', time: 160, src: 'n1', dest: 'n3', type: 'append' });
    m.journal({ kind: 'client', time: 200, event: { process: 1, type: 'invoke', f: 'write', key: 'x', value: 1, time: 1_000_000 } });
    m.journal({ kind: 'state', time: 900, node: 'n1', status: status('n1', 'leader', 1, 3) });
    m.journal({ kind: 'state', time: 950, node: 'n2', status: status('n2', 'follower', 1, 2) });
    m.journal({ kind: 'client', time: 1200, event: { process: 1, type: 'ok', f: 'write', key: 'x', value: 1, time: 5_000_000 } });
    // The same leadership again is no new election; a new term is.
    m.journal({ kind: 'state', time: 2100, node: 'n1', status: status('n1', 'leader', 1, 4) });
    m.journal({ kind: 'state', time: 3500, node: 'n2', status: status('n2', 'leader', 2, 4) });
    const points = m.take(4);
    expect(points.map((p) => p.t)).toEqual([0, 1, 2, 3]);
    expect(points.map((p) => p.commits)).toEqual([3, 0, 1, 0]);
    expect(points.map((p) => p.elections)).toEqual([1, 0, 0, 1]);
    expect(points[0]?.messages).toEqual({ append: 2 });
    expect(points[1]?.latencyP50).toBe(4);
    expect(m.take(4)).toEqual([]);
  });

  it('starts counting where a replay window starts: the first commit and leaders are the baseline', () => {
    const m = new MetricsReducer();
    m.baseline(10);
    m.knownLeader('n1', 3);
    m.commit(5000, 10);
    m.commit(5000, 12);
    m.leader(5000, 'n1', 3);
    m.leader(6000, 'n2', 4);
    expect(m.between(5, 6).map((p) => [p.t, p.commits, p.elections])).toEqual([[5, 2, 0], [6, 0, 1]]);
  });
});
