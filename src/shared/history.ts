// The client history, in Jepsen's model: one line of JSON per operation event.
// The simulator, the live cluster and the `check` CLI all speak this format, so a history
// written by any of them can be checked, exported and re-imported unchanged.

export type OpFunction = 'read' | 'write' | 'cas' | 'append' | 'delete';

/**
 * invoke: the client sent the operation.
 * ok:     it took effect (a read's ok carries the value read).
 * fail:   it certainly did not take effect.
 * info:   unknown: it may or may not take effect, at any moment after its invoke.
 */
export type HistoryEventType = 'invoke' | 'ok' | 'fail' | 'info';

/** Values are JSON scalars; a cas carries `[expected, new]`. `null` means "absent". */
export type KvScalar = string | number | boolean | null;
export type OpValue = KvScalar | [KvScalar, KvScalar];

export interface HistoryEvent {
  process: number;
  type: HistoryEventType;
  f: OpFunction;
  /** Absent in the single-register model. */
  key?: string;
  value: OpValue;
  /** Integer nanoseconds. When absent, file order is real-time order. */
  time?: number;
}

export const OP_FUNCTIONS: readonly OpFunction[] = ['read', 'write', 'cas', 'append', 'delete'];

/**
 * What a history handed to the checker may hold: the cluster's operations, and the counter's and
 * the set's `add` and `remove`. Kept apart from OpFunction so that the simulator's and the
 * cluster's exhaustive switches over what they serve stay exhaustive.
 */
export type CheckedFunction = OpFunction | 'add' | 'remove';
export const CHECKED_FUNCTIONS: readonly CheckedFunction[] = [...OP_FUNCTIONS, 'add', 'remove'];

/** An event as the checker reads it: a set's read completes with its elements; any read may be final. */
export interface CheckedEvent {
  process: number;
  type: HistoryEventType;
  f: CheckedFunction;
  key?: string;
  value: OpValue | KvScalar[];
  time?: number;
  /** A read issued after the faults healed and a quiet period: what `convergent` judges. */
  final?: boolean;
}
export const HISTORY_EVENT_TYPES: readonly HistoryEventType[] = ['invoke', 'ok', 'fail', 'info'];
