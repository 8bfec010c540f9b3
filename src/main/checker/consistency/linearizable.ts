// Linearizability (Herlihy and Wing 1990) as a consistency check: the key-by-key Wing-Gong search
// of ../index.ts, its explanation turned into a witness.

import { checkOperations, type Explanation } from '../index.ts';
import { witnessOperation } from './witness.ts';
import type { Operation } from '../history.ts';
import type { ConsistencyBudget, ConsistencyCheck, ModelResult, Witness, WitnessOperation } from './contract.ts';

/** The operations no legal order can place next, and the last few of the longest order found before them. */
export function witnessOf(explanation: Explanation, operations: readonly Operation[]): Witness {
  const byId = new Map(operations.map((op) => [op.id, op]));
  const pick = (ids: readonly number[]): WitnessOperation[] => ids.flatMap((id) => (byId.has(id) ? [witnessOperation(byId.get(id) as Operation)] : []));
  const stuck = pick(explanation.cannotPlace);
  const before = pick(explanation.longestPrefix.slice(-3));
  const onlyRead = stuck.length === 1 && /^read/.test(stuck[0]?.description ?? '');
  return {
    anomaly: onlyRead ? 'stale read' : 'no linearization',
    operations: [...before, ...stuck],
    why: `after the longest order of key ${JSON.stringify(explanation.key)} that fits real time (${explanation.longestPrefix.length} operations, ending as shown) the key holds ${JSON.stringify(explanation.stateAfterPrefix)}, and none of the operations real time allows next can take effect in that state`,
  };
}

export const linearizableCheck: ConsistencyCheck = {
  name: 'linearizable',
  summary: 'every operation takes effect at one instant between its call and its return (Herlihy and Wing 1990)',
  check(history, budget: ConsistencyBudget): ModelResult {
    const figures = { operations: history.operations.length };
    const result = checkOperations(history.operations, { dataType: history.dataType, timeoutMs: Math.max(0, budget.deadline - budget.now()), now: budget.now, maxCacheBytes: Math.max(0, budget.memory.max - budget.memory.used) });
    if (result.linearizable === 'false' && result.explanation) return { model: 'linearizable', verdict: 'false', witness: witnessOf(result.explanation, history.operations), reason: null, figures: { ...figures, keys: result.keys } };
    if (result.linearizable === 'unknown') return { model: 'linearizable', verdict: 'unknown', witness: null, reason: `the search ran out of its budget on key(s) ${result.unknownKeys.map((k) => JSON.stringify(k)).join(', ')}`, figures: { ...figures, keys: result.keys } };
    return { model: 'linearizable', verdict: 'true', witness: null, reason: null, figures: { ...figures, keys: result.keys } };
  },
};
