// The main thread's side of the consistency-checking thread (consistency-thread.ts): it gathers
// the client events as they complete and hands them over once a round, never starting a round
// while the last one is still searching, so the thread's work stays bounded however busy the
// cluster gets.

import { Worker } from 'node:worker_threads';
import type { HistoryEvent } from '../../shared/history.ts';
import type { Operation } from '../checker/history.ts';
import type { ModelResult } from '../checker/consistency/contract.ts';
import type { ConsistencyAnswer, ConsistencyRequest } from './consistency-protocol.ts';
import type { ModelVerdicts } from '../checker/consistency/verdict-views.ts';

const THREAD_URL = new URL('./consistency-thread.ts', import.meta.url);

/** How often a round starts (at most), and how long each may search. */
export const ROUND_MS = 2000;
export const ROUND_BUDGET_MS = 1000;

export interface Settled {
  results: ModelResult[];
  times: Map<number, Pick<Operation, 'start' | 'end'>>;
}

export class LiveConsistency {
  private readonly thread: Worker;
  private pending: HistoryEvent[] = [];
  private inFlight: Promise<ModelVerdicts | null> | null = null;
  private answer: ((verdicts: ModelVerdicts | null) => void) | null = null;
  private lastRoundAt = Number.NEGATIVE_INFINITY;
  private closed = false;
  /** Why the thread stopped answering, once it has. */
  error: string | null = null;

  private readonly onVerdicts: (verdicts: ModelVerdicts) => void;
  private readonly roundMs: number;
  private readonly budgetMs: number;

  /** `url`: the built thread script (see threads.ts); the source beside this file otherwise. */
  constructor(onVerdicts: (verdicts: ModelVerdicts) => void, options: { url?: URL; roundMs?: number; budgetMs?: number } = {}) {
    this.onVerdicts = onVerdicts;
    this.roundMs = options.roundMs ?? ROUND_MS;
    this.budgetMs = options.budgetMs ?? ROUND_BUDGET_MS;
    this.thread = new Worker(options.url ?? THREAD_URL);
    // The cluster's threads keep the app alive, not this one.
    this.thread.unref();
    this.thread.on('message', (message: ConsistencyAnswer) => {
      if (message.type === 'error') this.error ??= message.message;
      this.finishRound(message.type === 'verdicts' ? message.verdicts : null);
    });
    this.thread.on('error', (error) => {
      this.error ??= error.message;
      this.finishRound(null);
    });
  }

  add(event: HistoryEvent): void {
    if (!this.closed) this.pending.push(event);
  }

  /** Starts a round if the last one has answered and a round's time has passed; true if it did. */
  maybeRound(settled: () => Settled, now = performance.now()): boolean {
    if (this.closed || this.error !== null || this.inFlight !== null || now - this.lastRoundAt < this.roundMs) return false;
    this.lastRoundAt = now;
    void this.round(settled(), this.budgetMs);
    return true;
  }

  private round(settled: Settled, budgetMs: number): Promise<ModelVerdicts | null> {
    const events = this.pending;
    this.pending = [];
    this.inFlight = new Promise((resolve) => (this.answer = resolve));
    this.thread.postMessage({ type: 'round', events, settled: settled.results, times: [...settled.times], budgetMs } satisfies ConsistencyRequest);
    return this.inFlight;
  }

  private finishRound(verdicts: ModelVerdicts | null): void {
    const answer = this.answer;
    this.answer = null;
    this.inFlight = null;
    if (verdicts !== null && !this.closed) this.onVerdicts(verdicts);
    answer?.(verdicts);
  }

  /**
   * The verdicts on every event added, after the round in flight: what a recorded session keeps.
   * Null when the thread has failed.
   */
  async final(settled: Settled, budgetMs = this.budgetMs): Promise<ModelVerdicts | null> {
    if (this.inFlight !== null) await this.inFlight;
    if (this.closed || this.error !== null) return null;
    return this.round(settled, budgetMs);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.finishRound(null);
    await this.thread.terminate();
  }
}
