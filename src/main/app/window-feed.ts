// What of the journal the window gets. Under load the cluster journals thousands of events a
// second; the window can draw a few hundred messages and reads state from each batch anyway. So:
// everything a person must not miss (faults, node starts and crashes, violations, errors, client
// operations, role and term changes) goes through; messages are sampled evenly to a budget, with
// each shown send's delivery or drop shown too; a node's commit-only state changes are coalesced to
// the newest per batch. The recorder and the checker get the full journal, not this.

import type { JournalEvent } from '../../shared/journal.ts';
import { MAX_EVENTS_PER_BATCH } from '../../shared/bridge.ts';
import type { NodeId } from '../../shared/protocol.ts';

/** Sends shown per batch: at 20 batches a second, about a thousand messages a second on screen. */
export const MESSAGES_PER_BATCH = 50;

/** The conventions every algorithm may report: who leads, in which term, and each node's role. */
export const DEFAULT_SIGNIFICANT: readonly string[] = ['role', 'term', 'leader'];

export class WindowFeed {
  private events: Array<JournalEvent | null> = [];
  private skipped = 0;
  private sendsThisBatch = 0;
  private sendsLastBatch = 0;
  private shownSends = 0;
  private admit = 0;
  /** Shown sends per link and type still waiting for their delivery or drop. */
  private readonly awaited = new Map<string, number>();
  private readonly roles = new Map<NodeId, string>();
  /** Where in `events` each node's latest commit-only state change sits, to be replaced. */
  private readonly progressAt = new Map<NodeId, number>();
  private important = 0;
  /** The status fields whose change is always shown (the algorithm's; role, term and leader by default). */
  private readonly significant: readonly string[];

  constructor(significant: readonly string[] = DEFAULT_SIGNIFICANT) {
    this.significant = significant;
  }

  add(event: JournalEvent): void {
    switch (event.kind) {
      case 'send': {
        this.sendsThisBatch++;
        // Spread the budget over the batch by the rate seen in the last one, not first come.
        this.admit = Math.min(1, this.admit + Math.min(1, MESSAGES_PER_BATCH / Math.max(1, this.sendsLastBatch)));
        if (this.admit < 1 || this.shownSends >= MESSAGES_PER_BATCH) return this.skip();
        this.admit -= 1;
        this.shownSends++;
        const key = `${event.src}>${event.dest}>${event.type}`;
        this.awaited.set(key, (this.awaited.get(key) ?? 0) + 1);
        return this.push(event);
      }
      case 'deliver':
      case 'drop': {
        const key = `${event.src}>${event.dest}>${event.type}`;
        const waiting = this.awaited.get(key) ?? 0;
        if (waiting > 0) {
          this.awaited.set(key, waiting - 1);
          return this.push(event);
        }
        // A drop whose send was not shown still says something about the network.
        if (event.kind === 'drop' && this.shownSends < MESSAGES_PER_BATCH) {
          this.shownSends++;
          return this.push(event);
        }
        return this.skip();
      }
      case 'state': {
        const status = event.status as unknown as Record<string, unknown>;
        const role = this.significant.map((key) => JSON.stringify(status[key] ?? null)).join('/');
        if (this.roles.get(event.node) !== role) {
          this.roles.set(event.node, role);
          this.progressAt.delete(event.node);
          return this.pushImportant(event);
        }
        const at = this.progressAt.get(event.node);
        if (at !== undefined) {
          this.events[at] = null;
          this.skipped++;
        }
        this.progressAt.set(event.node, this.events.length);
        return this.push(event);
      }
      default:
        return this.pushImportant(event);
    }
  }

  /** The events for the next batch, and how many were left out since the last. */
  take(): { events: JournalEvent[]; skipped: number } {
    const events = this.events.filter((e): e is JournalEvent => e !== null);
    const skipped = this.skipped;
    this.events = [];
    this.skipped = 0;
    this.sendsLastBatch = this.sendsThisBatch;
    this.sendsThisBatch = 0;
    this.shownSends = 0;
    this.important = 0;
    this.progressAt.clear();
    return { events, skipped };
  }

  private push(event: JournalEvent): void {
    this.events.push(event);
  }

  /** Never sampled, but bounded: ten thousand client operations a second would still drown the window. */
  private pushImportant(event: JournalEvent): void {
    if (this.important >= MAX_EVENTS_PER_BATCH) return this.skip();
    this.important++;
    this.events.push(event);
  }

  private skip(): void {
    this.skipped++;
  }
}
