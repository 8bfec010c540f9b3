// One contract for every consistency check (linearizable, sequential, causal..., convergent): a
// history and a budget in; a verdict, a witness and figures out. The checks are registered by
// name (registry.ts), and the hierarchy between them is data (hierarchy.ts), so the CLI, the
// window and the recorder serve every model through the same few calls.

import type { DataTypeName, Operation } from '../history.ts';

export type { DataTypeName };

export { CONSISTENCY_NAMES, type ConsistencyName, type ConsistencyVerdict } from '../../../shared/consistency.ts';
import type { ConsistencyName, ConsistencyVerdict } from '../../../shared/consistency.ts';


/** One operation of a witness, as a person finds it in the history file. */
export interface WitnessOperation {
  /** Operation.id: what the window highlights. */
  id: number;
  process: number;
  /** e.g. `write x 3`, `read x -> 2`, `add s 7 (unknown outcome)`. */
  description: string;
  line: number;
}

/** Why a model does not hold: the anomaly's name, the operations that form it, one sentence. */
export interface Witness {
  /** e.g. `stale read`, `lost write`, `cyclic causal order`, `thin-air read`, `reads going back in time`. */
  anomaly: string;
  operations: WitnessOperation[];
  why: string;
}

export interface ModelResult {
  model: ConsistencyName;
  verdict: ConsistencyVerdict;
  /** Present exactly when verdict is 'false'. */
  witness: Witness | null;
  /** With 'unknown': why (out of time, out of memory, not defined for this data type...). */
  reason: string | null;
  /** Counts and measures a check found worth reporting (named in camelCase, e.g. lostWrites). */
  figures: Record<string, number>;
  /**
   * Set by the registry, not by a check: the verdict follows from this other model's through the
   * hierarchy (a stronger one holds, or a weaker one does not), so this check's own search was
   * not run.
   */
  impliedBy?: ConsistencyName;
}

/** What every check is given: the parsed history, as the linearizability checker has it. */
export interface CheckedHistory {
  dataType: DataTypeName;
  /**
   * Completed and indefinite operations (fails are left out: they certainly did not happen),
   * each with its process, real-time interval and file line. Reads of unknown outcome are left
   * out too (they tell nothing).
   */
  operations: readonly Operation[];
}

/** Shared by every check of one run: past the deadline or the memory, 'unknown', never a crash. */
export interface ConsistencyBudget {
  now: () => number;
  /** In now()'s units; Infinity for none. */
  deadline: number;
  /** Estimated bytes the checks may hold at once; each gives back its own when it ends. */
  memory: { used: number; max: number };
}

export interface ConsistencyCheck {
  name: ConsistencyName;
  /** One line for --help and the window's map. */
  summary: string;
  check(history: CheckedHistory, budget: ConsistencyBudget): ModelResult;
}
