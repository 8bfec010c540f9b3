// The client history, in Jepsen's model: one line of JSON per operation event.
// The simulator, the live cluster and the `check` CLI all speak this format, so a history
// written by any of them can be checked, exported and re-imported unchanged.

/**
 * What a client asks of a key: a register's read, write, cas, append and delete; a counter's and a
 * set's `add` (a counter adds a whole number, a set an element) and a set's `remove`. The data
 * type of the run says which `add` it is (the checker's --model).
 */
export type OpFunction = 'read' | 'write' | 'cas' | 'append' | 'delete' | 'add' | 'remove';

/**
 * invoke: the client sent the operation.
 * ok:     it took effect (a read's ok carries the value read).
 * fail:   it certainly did not take effect.
 * info:   unknown: it may or may not take effect, at any moment after its invoke.
 */
export type HistoryEventType = 'invoke' | 'ok' | 'fail' | 'info';

/** Values are JSON scalars; a cas carries `[expected, new]`. `null` means "absent". */
export type KvScalar = string | number | boolean | null;
/**
 * What a key holds, and what a read returns: a scalar, or a list: a set's elements (sorted), or
 * the concurrent values of a register that keeps them all (siblings, sorted).
 */
export type KvValue = KvScalar | KvScalar[];
export type OpValue = KvScalar | [KvScalar, KvScalar] | KvScalar[];

export interface HistoryEvent {
  process: number;
  type: HistoryEventType;
  f: OpFunction;
  /** Absent in the single-register model. */
  key?: string;
  value: OpValue;
  /** Integer nanoseconds. When absent, file order is real-time order. */
  time?: number;
  /** A read issued after the faults healed and a quiet period: what `convergent` judges. */
  final?: boolean;
}

/**
 * What a workload's keys hold: registers (a key-value store), counters or sets, each with its own
 * operations (a client's request: protocol.ts's KvOp `f`). The checker's --model of the history.
 */
export type WorkloadDataType = 'kv' | 'counter' | 'set';
export const WORKLOAD_DATA_TYPES: readonly WorkloadDataType[] = ['kv', 'counter', 'set'];
export type RequestFunction = 'read' | 'write' | 'cas' | 'append' | 'delete' | 'incr' | 'add' | 'remove';
export const DATA_TYPE_REQUESTS: Readonly<Record<WorkloadDataType, readonly RequestFunction[]>> = {
  kv: ['read', 'write', 'cas', 'append', 'delete'],
  counter: ['read', 'incr'],
  set: ['read', 'add', 'remove'],
};

export const OP_FUNCTIONS: readonly OpFunction[] = ['read', 'write', 'cas', 'append', 'delete', 'add', 'remove'];

/** What a history handed to the checker may hold: every operation clients send. */
export type CheckedFunction = OpFunction;
export const CHECKED_FUNCTIONS: readonly CheckedFunction[] = OP_FUNCTIONS;

/** An event as the checker reads it: a set's read completes with its elements; any read may be final. */
export interface CheckedEvent {
  process: number;
  type: HistoryEventType;
  f: CheckedFunction;
  key?: string;
  value: OpValue;
  time?: number;
  /** A read issued after the faults healed and a quiet period: what `convergent` judges. */
  final?: boolean;
}
export const HISTORY_EVENT_TYPES: readonly HistoryEventType[] = ['invoke', 'ok', 'fail', 'info'];
