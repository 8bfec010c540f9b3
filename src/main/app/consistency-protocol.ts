// What the service posts to its consistency-checking thread and what the thread answers.

import type { HistoryEvent } from '../../shared/history.ts';
import type { Operation } from '../checker/history.ts';
import type { ModelResult } from '../checker/consistency/contract.ts';
import type { ModelVerdicts } from '../checker/consistency/verdict-views.ts';

export type ConsistencyRequest = {
  type: 'round';
  /** The client events since the last round, in the order they happened. */
  events: HistoryEvent[];
  /** Verdicts the service knows already, and the times of their witnesses' operations by id. */
  settled: ModelResult[];
  times: Array<[id: number, times: Pick<Operation, 'start' | 'end'>]>;
  budgetMs: number;
};

export type ConsistencyAnswer = { type: 'verdicts'; verdicts: ModelVerdicts } | { type: 'error'; message: string };
