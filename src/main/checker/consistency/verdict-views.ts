// Every consistency model's verdict on a client history, as the window shows it: the registry's
// report over CONSISTENCY_NAMES, each witness's operations given the times of their events so the
// window can find them among the client events it lists. Pure: the checking thread runs it live,
// the replay at a moment, the recorder's summary at close.

import type { ModelVerdictView, WitnessOperationView } from '../../../shared/bridge.ts';
import { CONSISTENCY_NAMES, type ConsistencyName } from '../../../shared/consistency.ts';
import type { DataTypeName, Operation } from '../history.ts';
import type { ModelResult, Witness } from './contract.ts';
import { checkConsistency } from './registry.ts';

/** What the checks of one history may hold at once; past it a check answers 'unknown'. */
const MEMORY_BYTES = 256 * 2 ** 20;

export interface ModelVerdicts {
  models: ModelVerdictView[];
  strongest: ConsistencyName[];
  /** Operations checked (completed, and still open or of unknown outcome). */
  operations: number;
}

function finite(t: number): number | null {
  return Number.isFinite(t) ? t : null;
}

/** `operations`: where each witness operation's times come from, by id. */
export function witnessView(witness: Witness, operations: ReadonlyMap<number, Pick<Operation, 'start' | 'end'>>): NonNullable<ModelVerdictView['witness']> {
  const ops = witness.operations.map((w): WitnessOperationView => {
    const op = operations.get(w.id);
    return { id: w.id, process: w.process, description: w.description, start: op ? finite(op.start) : null, end: op ? finite(op.end) : null };
  });
  return { anomaly: witness.anomaly, why: witness.why, operations: ops };
}

export function modelView(result: ModelResult, operations: ReadonlyMap<number, Pick<Operation, 'start' | 'end'>>): ModelVerdictView {
  return { model: result.model, verdict: result.verdict, impliedBy: result.impliedBy ?? null, reason: result.reason, witness: result.witness === null ? null : witnessView(result.witness, operations) };
}

type Times = ReadonlyMap<number, Pick<Operation, 'start' | 'end'>>;

/**
 * Every model's verdict on `operations` (a key-value history), searching for at most `budgetMs`
 * in all. `settled`: verdicts known already (the live incremental linearizability check), with
 * the times of their witnesses' operations (an operation still open had an id there that may
 * name another one here); what they imply through the hierarchy is not searched for.
 */
export function modelVerdicts(operations: readonly Operation[], budgetMs: number, settled: { results: readonly ModelResult[]; times: Times } = { results: [], times: new Map() }, now: () => number = () => performance.now(), dataType: DataTypeName = 'kv'): ModelVerdicts {
  const report = checkConsistency({ dataType, operations }, CONSISTENCY_NAMES, { now, deadline: now() + budgetMs, memory: { used: 0, max: MEMORY_BYTES } }, settled.results);
  const byId = new Map(operations.map((op) => [op.id, op]));
  const given = new Set(settled.results.map((r) => r.model));
  const fromSettled = (r: ModelResult): boolean => given.has(r.model) || (r.impliedBy !== undefined && given.has(r.impliedBy));
  return { models: report.results.map((r) => modelView(r, fromSettled(r) ? settled.times : byId)), strongest: report.strongest, operations: operations.length };
}
