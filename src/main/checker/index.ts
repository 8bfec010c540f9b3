// Linearizability of client histories, key by key (P-compositionality: a kv history is
// linearizable iff each key's sub-history is), with an explanation of every violation that the
// window can draw and the CLI can print.

import type { CheckedFunction, KvScalar } from '../../shared/history.ts';
import type { DataTypeName } from './consistency/contract.ts';
import { HistoryBuilder, type Operation } from './history.ts';
import { describeOperation, modelOf, partitionByKey } from './models/index.ts';
import { withInfoSettled } from './unobserved.ts';
import { modelSearch, type ModelSearchResult } from './wgl-model.ts';
import { searchRegister, startRegisterSearch, STEPS_PER_CHECK, type RegisterSearch, type SearchBudget, type SearchResult } from './wgl.ts';

export { describeOperation, partitionByKey } from './models/index.ts';

export { HistoryError, parseHistory, HistoryBuilder, type ModelName, type Operation, type ParsedHistory } from './history.ts';

export type Verdict = 'true' | 'false' | 'unknown';

/** One operation as the explanation draws it: a bar from start to end on its process's row. */
export interface ExplainedOperation {
  id: number;
  process: number;
  f: CheckedFunction;
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
  /** The register's value (a counter's sum, a set's elements) after that prefix. */
  stateAfterPrefix: KvScalar | KvScalar[];
  /** Present for the data types other than the register (a kv key is one): what "legal" was judged by. */
  dataType?: 'counter' | 'set';
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

function explain(key: string, ops: Operation[], prefix: number[], state: KvScalar | KvScalar[], stuck: number[]): Explanation {
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
  /** Bytes the searches may keep in their caches together (estimated); past it, 'unknown'. */
  maxCacheBytes?: number;
  now?: () => number;
  /** What the operations act on; register and kv (the default) take the register's own fast search. */
  dataType?: DataTypeName;
}

/**
 * What a key's search keeps at most, by default: a history that keeps no bound in sight (many
 * operations of unknown outcome, none of which a read pins down) ends as 'unknown', not as a heap
 * out of memory that takes the process (and, live, the cluster) with it.
 */
export const DEFAULT_MAX_CACHE_BYTES = 1024 * 2 ** 20;
/** The steps a key's search takes in its turn before the next key's. */
const STEPS_PER_TURN = 1 << 14;

/** A counter's or a set's search, taking turns as a register's does (its generator pauses every STEPS_PER_CHECK steps). */
function modelTurns(ops: readonly Operation[], dataType: DataTypeName, budget: SearchBudget): RegisterSearch<ModelSearchResult> {
  const steps = modelSearch(ops, modelOf(dataType), budget);
  return {
    run(count: number): ModelSearchResult | null {
      for (let done = 0; ; done += STEPS_PER_CHECK) {
        const next = steps.next();
        if (next.done === true) return next.value;
        if (done + STEPS_PER_CHECK >= count) return null;
      }
    },
    // Ending the generator runs its finally, which gives its cache's memory back.
    release: () => void steps.return(undefined as never),
  };
}

/** The deadline and memory bound a check's searches share. */
function budgetOf(options: CheckOptions): SearchBudget {
  const now = options.now ?? (() => performance.now());
  const deadline = options.timeoutMs === undefined ? Number.POSITIVE_INFINITY : now() + options.timeoutMs;
  return { now, deadline, memory: { used: 0, max: options.maxCacheBytes ?? DEFAULT_MAX_CACHE_BYTES } };
}

/** A search's result with the operations it searched (what its indexes point into). */
interface Attempt {
  result: SearchResult;
  ops: Operation[];
}

/** Of two failed searches, the one whose legal order got further. */
function further(a: Attempt | null, b: Attempt): Attempt {
  return a === null || b.result.longestPrefix.length > a.result.longestPrefix.length ? b : a;
}

/**
 * Checks every key's history, the searches taking turns (as Porcupine's run side by side), until
 * each is decided, one is not linearizable, or the budget runs out. One key whose search is long
 * (linearizable after much backtracking, or not and hard to prove) then cannot spend the whole
 * budget while another key would show a violation in a few steps: searched one after the other,
 * a hard first key left every key 'unknown'.
 */
export function checkOperations(operations: readonly Operation[], options: CheckOptions = {}): CheckResult {
  const budget = budgetOf(options);
  const byKey = partitionByKey(operations);
  const keys = [...byKey.keys()].sort();
  const dataType = options.dataType ?? 'kv';
  const registers = dataType === 'register' || dataType === 'kv';
  let open = keys.map((key) => {
    // Dropping and settling info operations rest on a register's arguments (see unobserved.ts).
    const ops = registers ? withInfoSettled(byKey.get(key) as Operation[]) : (byKey.get(key) as Operation[]);
    return { key, ops, search: registers ? startRegisterSearch(ops, budget) : modelTurns(ops, dataType, budget) };
  });
  const unknownKeys: string[] = [];
  try {
    while (open.length > 0) {
      const still: typeof open = [];
      for (const turn of open) {
        // The last key left has nobody to wait for.
        const result = turn.search.run(open.length === 1 ? Number.POSITIVE_INFINITY : STEPS_PER_TURN);
        if (result === null) {
          still.push(turn);
          continue;
        }
        turn.search.release();
        if (result.verdict === 'not_linearizable') {
          const explanation = explain(turn.key, turn.ops, result.longestPrefix, result.stateAfterPrefix, result.stuck);
          if (dataType === 'counter' || dataType === 'set') explanation.dataType = dataType;
          return { linearizable: 'false', operations: operations.length, keys: keys.length, explanation, unknownKeys: [] };
        }
        if (result.verdict === 'unknown') unknownKeys.push(turn.key);
      }
      open = still;
    }
  } finally {
    for (const turn of open) turn.search.release();
  }
  return { linearizable: unknownKeys.length > 0 ? 'unknown' : 'true', operations: operations.length, keys: keys.length, unknownKeys: unknownKeys.sort() };
}

/**
 * A search from each way a cut may have left the key, until one finds a legal order: that result;
 * otherwise the failure that got furthest, or 'unknown' if any search ran out of time. `ops` are
 * the operations searched with it: the pending ones of its start, then the given ones.
 */
function searchFromAny(given: readonly Operation[], starts: readonly CutState[], budget: SearchBudget | null): Attempt {
  let failed: Attempt | null = null;
  let unknown: Attempt | null = null;
  for (const start of starts) {
    const ops = [...start.pending, ...given];
    const result = searchRegister(ops, budget, { initial: start.value });
    if (result.verdict === 'linearizable') return { result, ops };
    if (result.verdict === 'unknown') unknown ??= { result, ops };
    else failed = further(failed, { result, ops });
  }
  return unknown ?? (failed as Attempt);
}

/**
 * The ways to end worth keeping: the same value with more operations still pending allows all
 * the other does (a pending operation may also never take effect), so it stands for both.
 */
function undominated(ends: readonly CutState[]): CutState[] {
  const kept: CutState[] = [];
  for (const end of [...ends].sort((a, b) => b.pending.length - a.pending.length)) {
    const covered = kept.some((k) => k.value === end.value && end.pending.every((op) => k.pending.includes(op)));
    if (!covered) kept.push(end);
  }
  return kept;
}

export function renderExplanation(explanation: Explanation, operations: readonly Operation[]): string {
  const byId = new Map(operations.map((op) => [op.id, op]));
  const name = (id: number): string => {
    const op = byId.get(id) as Operation;
    return `process ${op.process}: ${describeOperation(op)} (line ${op.line})`;
  };
  const lines = [`  key ${JSON.stringify(explanation.key)}: no order of its operations is consistent with real time and with a ${explanation.dataType ?? 'register'}.`];
  lines.push(`  The longest legal order found (${explanation.longestPrefix.length} of ${explanation.processes.reduce((n, p) => n + p.operations.length, 0)} operations):`);
  const shown = explanation.longestPrefix.slice(-8);
  if (shown.length < explanation.longestPrefix.length) lines.push(`    ... ${explanation.longestPrefix.length - shown.length} earlier operations`);
  for (const id of shown) lines.push(`    ${name(id)}`);
  lines.push(`  leaves the ${explanation.dataType === 'set' ? 'set' : 'value'} ${JSON.stringify(explanation.stateAfterPrefix)}, and none of these can come next:`);
  for (const id of explanation.cannotPlace) lines.push(`    ${name(id)}`);
  return lines.join('\n');
}

/**
 * How the operations before a cut may have left a key: the register's value, and the operations
 * of unknown outcome (`info`) not placed yet, which may still take effect after the cut, or never.
 */
interface CutState {
  value: KvScalar;
  pending: Operation[];
}

/** A key's history as the live checker keeps it: what came after the last cut, and what the cut left. */
interface KeyHistory {
  /** Operations that completed after the cut, in the order they completed. */
  ops: Operation[];
  /** Every way the operations before the cut can end (none dominated by another; see settle). */
  starts: CutState[];
}

/** More ways to end than this at a cut, and the cut is not taken: each is a search of its own. */
const MAX_CUT_STATES = 32;
/** More operations of unknown outcome than this across a cut, and it is not taken (see settle). */
const MAX_PENDING = 4;

/**
 * For the live cluster: feed history events as they happen and ask for a verdict as often as the
 * UI wants one. Only keys that changed since the last check are searched again, and a key stays
 * failed once it failed (a violation cannot be undone by later operations).
 *
 * A key's history is cut where it is quiescent: every operation before the cut that returned did
 * so before any operation after it began, so every legal order places those first. An operation
 * whose outcome is unknown (`info`) never returns: it may take effect anywhere after its start or
 * never, so it goes on across the cut until an order places it (a cut with more than a few such
 * operations pending is not taken: see settle). The operations before a cut are
 * searched once for every way their legal orders can end (a value and the info operations still
 * unplaced), then dropped; later checks search only what came after, from those. A check then
 * costs what the recent history costs, not the whole session's. checkAtMost bounds what checks
 * take of a busy thread meanwhile.
 */
export class IncrementalChecker {
  private readonly builder: HistoryBuilder;
  private readonly dirty = new Set<string>();
  private readonly keys = new Map<string, KeyHistory>();
  private readonly settleAfter: number;
  private lines = 0;
  private violation: CheckResult | null = null;
  private last: CheckResult | null = null;
  private nextDue = 0;
  /** Operations behind a cut so far, over all keys. */
  settledOperations = 0;

  /** `settleAfter`: how many operations a cut must leave behind it (fewer are not worth a search of their own). */
  constructor(model: 'register' | 'kv', options: { settleAfter?: number } = {}) {
    this.builder = new HistoryBuilder(model);
    this.settleAfter = options.settleAfter ?? 256;
  }

  add(event: unknown): void {
    const op = this.builder.add(event, ++this.lines);
    if (op === null) return;
    this.dirty.add(op.key);
    let history = this.keys.get(op.key);
    if (history === undefined) {
      history = { ops: [], starts: [{ value: null, pending: [] }] };
      this.keys.set(op.key, history);
    }
    history.ops.push(op);
  }

  /** Checks the keys that changed. Operations still open are treated as `info` for now. */
  check(options: CheckOptions = {}): CheckResult {
    if (this.violation !== null) return this.violation;
    const budget = budgetOf(options);
    // An operation still open may already have taken effect (a read may have seen it): it counts
    // as `info` until it completes.
    const open = partitionByKey(this.builder.openAsIndefinite());
    const unknownKeys: string[] = [];
    const summary = (linearizable: Verdict): CheckResult => ({ linearizable, operations: this.builder.operations.length, keys: this.keys.size, unknownKeys });
    for (const key of [...this.dirty].sort()) {
      const history = this.keys.get(key) as KeyHistory;
      const openHere = open.get(key) ?? [];
      const settled = this.settle(key, history, budget);
      if (settled === 'unknown') {
        unknownKeys.push(key);
        continue;
      }
      if (settled !== null) {
        this.violation = { ...summary('false'), explanation: settled };
        return this.violation;
      }
      const rest = [...history.ops, ...openHere];
      const found = searchFromAny(rest, history.starts, budget);
      if (found.result.verdict === 'unknown') unknownKeys.push(key);
      else if (found.result.verdict === 'not_linearizable') {
        const { result, ops } = found;
        this.violation = { ...summary('false'), explanation: explain(key, ops, result.longestPrefix, result.stateAfterPrefix, result.stuck) };
        return this.violation;
      }
    }
    if (unknownKeys.length > 0) return summary('unknown');
    this.dirty.clear();
    return summary('true');
  }

  /**
   * Moves the key's cut forward to its latest quiescent point, when that leaves settleAfter
   * operations or more behind: null when done (or nothing to do), the explanation when the
   * operations before the new cut have no legal order, 'unknown' when time ran out.
   */
  private settle(key: string, history: KeyHistory, budget: SearchBudget | null): Explanation | 'unknown' | null {
    if (history.ops.length < this.settleAfter) return null;
    const byStart = [...history.ops].sort((a, b) => a.start - b.start);
    // Nothing that begins later may touch the cut: not an operation still open (a read either: it
    // may have seen a value from before the cut), not one yet to come.
    const limit = Math.min(this.builder.latest, this.builder.earliestOpen());
    // Operations of unknown outcome never return: they go on across the cut instead (pending).
    let maxEnd = Number.NEGATIVE_INFINITY;
    let cut = -1;
    for (let i = 0; i < byStart.length; i++) {
      const op = byStart[i] as Operation;
      if (op.start >= limit) break;
      if (op.end !== Number.POSITIVE_INFINITY) maxEnd = Math.max(maxEnd, op.end);
      const next = i + 1 < byStart.length ? (byStart[i + 1] as Operation).start : Number.POSITIVE_INFINITY;
      if (maxEnd < next && maxEnd < limit) cut = i;
    }
    if (cut + 1 < this.settleAfter) return null;
    const before = byStart.slice(0, cut + 1);
    // Collecting every way to end places or skips each pending operation at every point: the
    // search doubles with each. Past a few, the history stays whole instead.
    const pending = Math.max(...history.starts.map((start) => start.pending.length)) + before.filter((op) => op.end === Number.POSITIVE_INFINITY).length;
    if (pending > MAX_PENDING) return null;
    const ends: CutState[] = [];
    let failed: Attempt | null = null;
    for (const start of history.starts) {
      const ops = [...start.pending, ...before];
      const finals: Array<{ state: KvScalar; unplaced: number[] }> = [];
      const result = searchRegister(ops, budget, { initial: start.value, finals });
      if (result.verdict === 'unknown') return 'unknown';
      if (result.verdict === 'not_linearizable') failed = further(failed, { result, ops });
      for (const end of finals) ends.push({ value: end.state, pending: end.unplaced.map((i) => ops[i] as Operation) });
    }
    if (ends.length === 0) {
      const worst = failed as Attempt;
      return explain(key, worst.ops, worst.result.longestPrefix, worst.result.stateAfterPrefix, worst.result.stuck);
    }
    const starts = undominated(ends);
    // Too many ways to end: not worth a search each. The history stays whole until a later cut.
    if (starts.length > MAX_CUT_STATES) return null;
    const settledOps = new Set(before);
    history.ops = history.ops.filter((op) => !settledOps.has(op));
    history.starts = starts;
    this.settledOperations += before.length;
    return null;
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
