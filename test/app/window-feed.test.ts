// What the window is sent under load: nothing a person must see is sampled away, messages are
// thinned to a budget with their deliveries kept, and progress-only state changes coalesce.
import { describe, expect, it } from 'vitest';
import { MESSAGES_PER_BATCH, WindowFeed } from '../../src/main/app/window-feed.ts';
import type { JournalEvent } from '../../src/shared/journal.ts';

const status = (node: string, commit: number, role: 'leader' | 'follower' = 'follower', term = 1) => ({ id: node, role, term, leader: 'n1', votedFor: 'n1', commit, applied: commit, lastIndex: commit, snapshotIndex: 0, voters: ['n1', 'n2', 'n3'] });
const send = (i: number): JournalEvent => ({ kind: 'send', time: i, src: 'n1', dest: `n${2 + (i % 2)}`, type: 'append_entries' });
const deliver = (i: number): JournalEvent => ({ kind: 'deliver', time: i + 1, src: 'n1', dest: `n${2 + (i % 2)}`, type: 'append_entries' });

describe('window feed', () => {
  it('passes everything through when the cluster is quiet', () => {
    const feed = new WindowFeed();
    for (let i = 0; i < 10; i++) {
      feed.add(send(i));
      feed.add(deliver(i));
    }
    expect(feed.take()).toMatchObject({ skipped: 0 });
  });

  it('thins a flood of messages to the budget, spread over the batch, and keeps each shown send’s delivery', () => {
    const feed = new WindowFeed();
    const flood = (): { events: JournalEvent[]; skipped: number } => {
      for (let i = 0; i < 2000; i++) feed.add(send(i));
      for (let i = 0; i < 2000; i++) feed.add(deliver(i));
      return feed.take();
    };
    flood(); // the feed learns the rate from one batch
    const { events, skipped } = flood();
    const sends = events.filter((e) => e.kind === 'send');
    const delivers = events.filter((e) => e.kind === 'deliver');
    expect(sends.length).toBeLessThanOrEqual(MESSAGES_PER_BATCH);
    expect(sends.length).toBeGreaterThan(MESSAGES_PER_BATCH / 2);
    expect(delivers.length).toBe(sends.length);
    expect(sends.at(-1)!.time - sends[0]!.time).toBeGreaterThan(1500); // not just the first few
    expect(skipped).toBe(4000 - events.length);
  });

  it('never samples away faults, crashes, client operations or role changes, and coalesces commit progress', () => {
    const feed = new WindowFeed();
    for (let i = 0; i < 3000; i++) feed.add(send(i));
    feed.take();
    feed.add({ kind: 'state', time: 0, node: 'n2', status: status('n2', 1) });
    for (let i = 0; i < 3000; i++) feed.add(send(i));
    feed.add({ kind: 'fault', time: 1, description: 'n1 ↔ n2 cut' });
    feed.add({ kind: 'node', time: 2, node: 'n3', event: 'crashed' });
    feed.add({ kind: 'client', time: 3, event: { process: 1, type: 'invoke', f: 'write', key: 'k', value: 1 } });
    for (let c = 2; c <= 9; c++) feed.add({ kind: 'state', time: 4, node: 'n2', status: status('n2', c) });
    feed.add({ kind: 'state', time: 5, node: 'n2', status: status('n2', 9, 'leader', 2) });
    const { events } = feed.take();
    const kinds = events.filter((e) => e.kind !== 'send').map((e) => (e.kind === 'state' ? `state ${e.status.role} ${e.status.commit}` : e.kind));
    expect(kinds).toEqual(['state follower 1', 'fault', 'node', 'client', 'state follower 9', 'state leader 9']);
  });
});
