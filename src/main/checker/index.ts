// Linearizability of client histories, key by key (P-compositionality: a kv history is
// linearizable iff each key's sub-history is), with an explanation of every violation that the
// window can draw and the CLI can print.

import type { KvScalar, OpFunction } from '../../shared/history.ts';
import { HistoryBuilder, type ModelName, type Operation } from './history.ts';
import { searchRegister, type SearchBudget } from './wgl.ts';

export { HistoryError, parseHistory, HistoryBuilder, type ModelName, type Operation, type ParsedHistory } from './history.ts';

export type Verdict = 'true' | 'false' | 'unknown';

/** One operation as the explanation draws it: a bar from start to end on its process's row. */
export interface ExplainedOperation {
  id: number;
  process: number;
  f: OpFunction;
  description: string;
  start: number;
  /** null: the outcome is unknown (`info`); the bar runs to the end of the history. */
  end: number | null;
  line: number;
}

/** Why a key's history is not linearizable, as data (Porcupine's visualisation draws the same). */
export interface Explanation {
  key: string;
  processes: Array<{ process: number; operations: ExplainedOperation[] }>;
  /** The longest legal order found, operation ids in order. */
  longestPrefix: number[];
  /** The register's value after that prefix. */
  stateAfterPrefix: KvScalar;
  /** Operations real time allows next, none of which can take effect in that state. */
  cannotPlace: number[];
}

export interface CheckResult {
  linearizable: Verdict;
  operations: number;
  keys: number;
  /** Present when linearizable is 'false': the first failing key (in key order). */
  explanation?: Explanation;
  /** Keys whose search ran out of time. */
  unknownKeys: string[];
}

export function describeOperation(op: Operation): string {
  const key = op.key === '' ? '' : ` ${op.key}`;
  const v = (x: unknown): string => JSON.stringify(x);
  const outcome = op.indefinite ? ' (unknown outcome)' : '';
  switch (op.f) {
    case 'read':
      return `read${key} -> ${v(op.output)}`;
    case 'write':
      return `write${key} ${v(op.input)}${outcome}`;
    case 'cas': {
      const [expected, next] = op.input as [KvScalar, KvScalar];
      return `cas${key} ${v(expected)} -> ${v(next)}${outcome}`;
    }
    case 'append':
      return `append${key} ${v(op.input)}${outcome}`;
    case 'delete':
      return `delete${key}${outcome}`;
  }
}

function explain(key: string, ops: Operation[], prefix: number[], state: KvScalar, stuck: number[]): Explanation {
  const byProcess = new Map<number, ExplainedOperation[]>();
  for (const op of ops) {
    const list = byProcess.get(op.process) ?? [];
    list.push({ id: op.id, process: op.process, f: op.f, description: describeOperation(op), start: op.start, end: op.indefinite ? null : op.end, line: op.line });
    byProcess.set(op.process, list);
  }
  return {
    key,
    processes: [...byProcess.entries()].sort(([a], [b]) => a - b).map(([process, operations]) => ({ process, operations })),
    longestPrefix: prefix.map((i) => (ops[i] as Operation).id),
    stateAfterPrefix: state,
    cannotPlace: stuck.map((i) => (ops[i] as Operation).id),
  };
}

export interface CheckOptions {
  /** Milliseconds for the whole check; past it the verdict is 'unknown', never a guess. */
  timeoutMs?: number;
  now?: () => number;
}

export function partitionByKey(operations: readonly Operation[]): Map<string, Operation[]> {
  const byKey = new Map<string, Operation[]>();
  for (const op of operations) {
    const list = byKey.get(op.key);
    if (list === undefined) byKey.set(op.key, [op]);
    else list.push(op);
  }
  return byKey;
}

export function checkOperations(operations: readonly Operation[], options: CheckOptions = {}): CheckResult {
  const now = options.now ?? (() => performance.now());
  const budget: SearchBudget | null = options.timeoutMs === undefined ? null : { now, deadline: now() + options.timeoutMs };
  const byKey = partitionByKey(operations);
  const keys = [...byKey.keys()].sort();
  const unknownKeys: string[] = [];
  for (const key of keys) {
    const ops = byKey.get(key) as Operation[];
    const result = searchRegister(ops, budget);
    if (result.verdict === 'not_linearizable') {
      return {
        linearizable: 'false',
        operations: operations.length,
        keys: keys.length,
        explanation: explain(key, ops, result.longestPrefix, result.stateAfterPrefix, result.stuck),
        unknownKeys,
      };
    }
    if (result.verdict === 'unknown') unknownKeys.push(key);
  }
  return { linearizable: unknownKeys.length > 0 ? 'unknown' : 'true', operations: operations.length, keys: keys.length, unknownKeys };
}

export function renderExplanation(explanation: Explanation, operations: readonly Operation[]): string {
  const byId = new Map(operations.map((op) => [op.id, op]));
  const name = (id: number): string => {
    const op = byId.get(id) as Operation;
    return `process ${op.process}: ${describeOperation(op)} (line ${op.line})`;
  };
  const lines = [`  key ${JSON.stringify(explanation.key)}: no order of its operations is consistent with real time and with a register.`];
  lines.push(`  The longest legal order found (${explanation.longestPrefix.length} of ${explanation.processes.reduce((n, p) => n + p.operations.length, 0)} operations):`);
  const shown = explanation.longestPrefix.slice(-8);
  if (shown.length < explanation.longestPrefix.length) lines.push(`    ... ${explanation.longestPrefix.length - shown.length} earlier operations`);
  for (const id of shown) lines.push(`    ${name(id)}`);
  lines.push(`  leaves the value ${JSON.stringify(explanation.stateAfterPrefix)}, and none of these can come next:`);
  for (const id of explanation.cannotPlace) lines.push(`    ${name(id)}`);
  return lines.join('\n');
}

/**
 * For the live cluster: feed history events as they happen and ask for a verdict as often as the
 * UI wants one. Only keys that changed since the last check are searched again, and a key stays
 * failed once it failed (a violation cannot be undone by later operations). The cost of a check is
 * the search over the changed keys' whole histories, about linear in their length (see wgl.ts); a
 * session of hours would want histories cut at quiescent points. checkAtMost bounds what it takes
 * of a busy thread meanwhile.
 */
export class IncrementalChecker {
  private readonly builder: HistoryBuilder;
  private readonly dirty = new Set<string>();
  private lines = 0;
  private violation: CheckResult | null = null;
  private last: CheckResult | null = null;
  private nextDue = 0;

  constructor(model: ModelName) {
    this.builder = new HistoryBuilder(model);
  }

  add(event: unknown): void {
    const op = this.builder.add(event, ++this.lines);
    if (op !== null) this.dirty.add(op.key);
  }

  /** Checks the keys that changed. Operations still open are treated as `info` for now. */
  check(options: CheckOptions = {}): CheckResult {
    if (this.violation !== null) return this.violation;
    const completed = this.builder.operations;
    // An operation still open may already have taken effect (a read may have seen it): it counts
    // as `info` until it completes.
    const changed = [...completed, ...this.builder.openAsIndefinite()].filter((op) => this.dirty.has(op.key));
    const result = checkOperations(changed, options);
    if (result.linearizable === 'true') this.dirty.clear();
    const total = new Set(completed.map((op) => op.key)).size;
    const full = { ...result, operations: completed.length, keys: total };
    if (result.linearizable === 'false') this.violation = full;
    return full;
  }

  /**
   * `check`, for a caller on a thread with other work (the one that routes every message): a check
   * that took t ms is not repeated for t / share ms, and the last result stands in between. The
   * search then takes at most `share` of the thread's time however long the history grows.
   */
  checkAtMost(share: number, options: CheckOptions = {}): CheckResult {
    const now = options.now ?? (() => performance.now());
    const started = now();
    if (this.last !== null && started < this.nextDue) return this.last;
    this.last = this.check(options);
    this.nextDue = started + (now() - started) / share;
    return this.last;
  }

  get operations(): readonly Operation[] {
    return this.builder.operations;
  }
}
