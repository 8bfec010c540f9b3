// The cluster's vital signs, second by second: commits, leader changes, messages sent by type,
// and the latency of the operations answered. One reducer for the live window (fed the journal
// as it happens) and for a replay (fed what the recording kept: a status snapshot every second,
// message counts, the client operations), so the charts mean the same in both.

import type { MetricsPoint } from '../../shared/bridge.ts';
import type { JournalEvent } from '../../shared/journal.ts';
import { percentile } from '../../shared/stats.ts';

export class MetricsReducer {
  private readonly points = new Map<number, MetricsPoint>();
  private readonly latencies = new Map<number, number[]>();
  private readonly leaderships = new Set<string>();
  /** When each process's open operation was invoked (history time, nanoseconds). */
  private readonly invoked = new Map<number, number>();
  /** The highest commit index seen; a replay that starts mid-session raises it first (baseline). */
  private highestCommit = 0;
  /** The first second `take` has not handed out yet. */
  private nextSecond = 0;

  private point(timeMs: number): MetricsPoint {
    const t = Math.floor(timeMs / 1000);
    let p = this.points.get(t);
    if (p === undefined) {
      p = { t, commits: 0, latencyP50: null, latencyP99: null, elections: 0, messages: {} };
      this.points.set(t, p);
    }
    return p;
  }

  /** A node's commit index at `timeMs`: what it adds to the highest seen counts as committed then. */
  commit(timeMs: number, index: number): void {
    // The second is there even when nothing committed in it: a quiet second is a figure too.
    const p = this.point(timeMs);
    if (index <= this.highestCommit) return;
    p.commits += index - this.highestCommit;
    this.highestCommit = index;
  }

  /** Where counting starts: a commit index already reached, counted in no second. */
  baseline(index: number): void {
    if (index > this.highestCommit) this.highestCommit = index;
  }

  /** A node leads at `timeMs` in `term`: a leadership not seen before is an election. */
  leader(timeMs: number, node: string, term: number): void {
    const key = `${node}/${term}`;
    if (this.leaderships.has(key)) return;
    this.leaderships.add(key);
    this.point(timeMs).elections++;
  }

  /** A leadership that was already there when counting started: not an election of this window. */
  knownLeader(node: string, term: number): void {
    this.leaderships.add(`${node}/${term}`);
  }

  sent(timeMs: number, type: string, count = 1): void {
    const messages = this.point(timeMs).messages;
    messages[type] = (messages[type] ?? 0) + count;
  }

  /** An operation answered `ok` at `timeMs` after `ms`. */
  latency(timeMs: number, ms: number): void {
    const t = Math.floor(timeMs / 1000);
    this.point(timeMs);
    const list = this.latencies.get(t);
    if (list === undefined) this.latencies.set(t, [ms]);
    else list.push(ms);
  }

  /** The live feed: every journal event as it happens. */
  journal(event: JournalEvent): void {
    switch (event.kind) {
      case 'send':
        this.sent(event.time, event.type);
        return;
      case 'state':
        this.commit(event.time, event.status.commit ?? 0);
        if (event.status.role === 'leader') this.leader(event.time, event.status.id, event.status.term ?? 0);
        return;
      case 'client': {
        const e = event.event;
        if (e.time === undefined) return;
        if (e.type === 'invoke') {
          this.invoked.set(e.process, e.time);
          return;
        }
        const since = this.invoked.get(e.process);
        this.invoked.delete(e.process);
        if (since !== undefined && e.type === 'ok') this.latency(event.time, (e.time - since) / 1e6);
        return;
      }
      default:
        return;
    }
  }

  /** Every second from `fromSecond` up to `toSecond`, in order (a replay's window onto the past). */
  between(fromSecond: number, toSecond: number): MetricsPoint[] {
    return [...this.points.values()].filter((p) => p.t >= fromSecond && p.t <= toSecond).sort((a, b) => a.t - b.t).map((p) => this.finish(p));
  }

  /**
   * The seconds before `beforeSecond` not taken yet, each one (a quiet second too), in order; the
   * live window takes them as they end.
   */
  take(beforeSecond: number): MetricsPoint[] {
    const out: MetricsPoint[] = [];
    for (let t = this.nextSecond; t < beforeSecond; t++) {
      out.push(this.finish(this.points.get(t) ?? { t, commits: 0, latencyP50: null, latencyP99: null, elections: 0, messages: {} }));
      this.points.delete(t);
      this.latencies.delete(t);
    }
    this.nextSecond = Math.max(this.nextSecond, beforeSecond);
    return out;
  }

  private finish(p: MetricsPoint): MetricsPoint {
    const values = this.latencies.get(p.t);
    if (values === undefined || values.length === 0) return p;
    values.sort((a, b) => a - b);
    return { ...p, latencyP50: percentile(values, 0.5), latencyP99: percentile(values, 0.99) };
  }
}
