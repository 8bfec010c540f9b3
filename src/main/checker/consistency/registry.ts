// Every consistency check by name, and the one call that runs the ones asked for. The hierarchy
// saves work both ways: a stronger model that holds settles every weaker one, and a weaker one
// that does not hold settles every stronger one. The cheap checks run first for that reason:
// linearizability (fast in practice), then the polynomial ones, and sequential consistency (whose
// search is NP-complete) only when nothing has settled it yet.

import { CONSISTENCY_NAMES, type CheckedHistory, type ConsistencyBudget, type ConsistencyCheck, type ConsistencyName, type ModelResult } from './contract.ts';
import { strongestHolding, weakerThan } from './hierarchy.ts';
import { linearizableCheck } from './linearizable.ts';
import { causal, causalConvergence, weakCausal } from './causal.ts';
import { pram } from './pram.ts';
import { monotonicReads, monotonicWrites, readYourWrites, writesFollowReads } from './session.ts';
import { sequentialCheck } from './sequential.ts';
import { convergentCheck } from './convergent.ts';

const CHECKS: Partial<Record<ConsistencyName, ConsistencyCheck>> = {
  linearizable: linearizableCheck,
  sequential: sequentialCheck,
  causal,
  'causal-convergence': causalConvergence,
  'weak-causal': weakCausal,
  pram,
  'read-your-writes': readYourWrites,
  'monotonic-reads': monotonicReads,
  'monotonic-writes': monotonicWrites,
  'writes-follow-reads': writesFollowReads,
  convergent: convergentCheck,
};

/** The models this build can check. */
export function availableModels(): ConsistencyName[] {
  return CONSISTENCY_NAMES.filter((name) => CHECKS[name] !== undefined);
}

export function consistencyCheck(name: ConsistencyName): ConsistencyCheck | undefined {
  return CHECKS[name];
}

/** Run first: linearizable, then the polynomial ones weakest first, then sequential. */
const ORDER: readonly ConsistencyName[] = ['linearizable', 'read-your-writes', 'monotonic-reads', 'monotonic-writes', 'writes-follow-reads', 'pram', 'weak-causal', 'causal-convergence', 'causal', 'convergent', 'sequential'];

export interface ConsistencyReport {
  /** In the order asked. */
  results: ModelResult[];
  /** Of the models asked, those that hold with no stronger one asked holding. */
  strongest: ConsistencyName[];
}

/**
 * `settled`: verdicts already known by other means (the window's incremental linearizability
 * check): taken as they are, with what they imply, and never searched again.
 */
export function checkConsistency(history: CheckedHistory, asked: readonly ConsistencyName[], budget: ConsistencyBudget, settled: readonly ModelResult[] = []): ConsistencyReport {
  const wanted = new Set(asked);
  const known = new Map<ConsistencyName, ModelResult>();
  const learn = (result: ModelResult): void => {
    known.set(result.model, result);
    // What a verdict implies replaces what is not known yet, an earlier check's 'unknown' included
    // (a weak model not defined for counters is still implied by a strong one that holds).
    const open = (name: ConsistencyName): boolean => known.get(name)?.verdict !== 'true' && known.get(name)?.verdict !== 'false';
    if (result.verdict === 'true') {
      for (const weaker of weakerThan(result.model)) if (open(weaker)) known.set(weaker, { model: weaker, verdict: 'true', witness: null, reason: null, figures: {}, impliedBy: result.model });
    } else if (result.verdict === 'false') {
      for (const stronger of CONSISTENCY_NAMES) {
        if (open(stronger) && weakerThan(stronger).has(result.model)) known.set(stronger, { model: stronger, verdict: 'false', witness: result.witness, reason: null, figures: {}, impliedBy: result.model });
      }
    }
  };
  for (const result of settled) if (result.verdict !== 'unknown') learn(result);
  // Models not asked for but worth running because they may settle one that is: the weaker ones
  // of a model asked for may refute it.
  // And linearizability, usually quick, which settles every model below it when it holds.
  const helpful = (name: ConsistencyName): boolean => wanted.has(name) || [...wanted].some((w) => weakerThan(w).has(name) || (name === 'linearizable' && weakerThan(name).has(w)));
  for (const name of ORDER) {
    if (known.has(name) || !helpful(name)) continue;
    const check = CHECKS[name];
    if (check === undefined) continue;
    learn(check.check(history, budget));
  }
  const results = asked.map((name) => known.get(name) ?? { model: name, verdict: 'unknown' as const, witness: null, reason: 'no check for this model in this build', figures: {} });
  return { results, strongest: strongestHolding(new Map(results.map((r) => [r.model, r.verdict]))) };
}
