// Parsing and validating a client history (JSON Lines, Jepsen's model) into operations with
// real-time intervals. Pure: no file or clock access, so it runs in the live cluster, the CLI and
// (later) the window alike.

import { CHECKED_FUNCTIONS, HISTORY_EVENT_TYPES, type CheckedEvent, type CheckedFunction, type KvScalar } from '../../shared/history.ts';

export class HistoryError extends Error {
  readonly line: number;
  constructor(line: number, message: string) {
    super(`line ${line}: ${message}`);
    this.line = line;
  }
}

/** `check --model`: the data type the history's operations act on. */
/** The data types a history can be checked as (`check --model`). */
export type DataTypeName = 'register' | 'kv' | 'counter' | 'set';
export type ModelName = DataTypeName;

/** The operations each data type has; anything else on a line is an error that names the line. */
const FUNCTIONS_OF: Readonly<Record<ModelName, readonly CheckedFunction[]>> = {
  register: ['read', 'write', 'cas'],
  kv: ['read', 'write', 'cas', 'append', 'delete'],
  counter: ['read', 'add'],
  set: ['read', 'add', 'remove'],
};
const MODEL_FOR: Partial<Record<CheckedFunction, string>> = { append: 'kv', delete: 'kv', add: 'counter or set', remove: 'set', write: 'register or kv', cas: 'register or kv' };

/** One operation: its invoke and its completion, folded together. */
export interface Operation {
  id: number;
  process: number;
  f: CheckedFunction;
  key: string;
  /** What the invoke asked for: a write's value, a cas's [expected, new], an append's suffix, an add's amount or element. */
  input: KvScalar | [KvScalar, KvScalar];
  /** A completed read's value: a set's read, its elements. */
  output: KvScalar | KvScalar[];
  /** A read issued after faults healed and a quiet period (`"final": true` on its invoke or completion). */
  final: boolean;
  /** Position in real time of the invoke and the completion; `end` is Infinity for `info`. */
  start: number;
  end: number;
  /** `info`: it may or may not have taken effect. */
  indefinite: boolean;
  line: number;
}

export interface ParsedHistory {
  operations: Operation[];
  /** Every operation the history invoked, including failed ones and reads of unknown outcome. */
  invoked: number;
  /** Operations that certainly did not happen (`fail`): counted, never checked. */
  failed: number;
  events: number;
  /** Whether positions are the events' `time` (nanoseconds) rather than their order in the file. */
  timed: boolean;
}

function isScalar(v: unknown): v is KvScalar {
  return v === null || typeof v === 'string' || typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v));
}

/** Checks one event's shape; returns it typed. */
export function validateEvent(raw: unknown, line: number, model: ModelName): CheckedEvent {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new HistoryError(line, 'expected a JSON object');
  const e = raw as Record<string, unknown>;
  if (!Number.isInteger(e.process)) throw new HistoryError(line, '"process" must be an integer');
  if (!HISTORY_EVENT_TYPES.includes(e.type as never)) throw new HistoryError(line, `"type" must be one of ${HISTORY_EVENT_TYPES.join(', ')}, got ${JSON.stringify(e.type)}`);
  if (!CHECKED_FUNCTIONS.includes(e.f as never)) throw new HistoryError(line, `unknown "f" ${JSON.stringify(e.f)} (expected one of ${CHECKED_FUNCTIONS.join(', ')})`);
  const f = e.f as CheckedFunction;
  if (!FUNCTIONS_OF[model].includes(f)) throw new HistoryError(line, `"${f}" is not an operation of the ${model} model (use --model ${MODEL_FOR[f] ?? 'kv'})`);
  if (e.key !== undefined && typeof e.key !== 'string') throw new HistoryError(line, '"key" must be a string');
  if (model === 'kv' && e.key === undefined) throw new HistoryError(line, 'the kv model needs a "key" on every event');
  if (e.time !== undefined && !Number.isInteger(e.time)) throw new HistoryError(line, '"time" must be an integer number of nanoseconds');
  if (e.final !== undefined && typeof e.final !== 'boolean') throw new HistoryError(line, '"final" must be true or false');
  if (e.final === true && f !== 'read') throw new HistoryError(line, `"final" marks reads only, not "${f}"`);
  let value = e.value === undefined ? null : e.value;
  // A key nobody wrote reads as absent (null) from a store that cannot know what it will hold:
  // for a counter that is 0, for a set the empty set.
  if (e.type === 'ok' && f === 'read' && value === null && (model === 'counter' || model === 'set')) value = model === 'counter' ? 0 : [];
  if (e.type === 'invoke') {
    if (f === 'add' && model === 'counter') {
      if (!Number.isSafeInteger(value)) throw new HistoryError(line, 'a counter add needs an integer value');
    } else if (f === 'add' || f === 'remove') {
      if (!isScalar(value)) throw new HistoryError(line, `a set ${f} needs a scalar value (a string, number, boolean or null)`);
    } else if (f === 'cas') {
      if (!Array.isArray(value) || value.length !== 2 || !isScalar(value[0]) || !isScalar(value[1])) throw new HistoryError(line, 'a cas value must be [expected, new]');
    } else if (f === 'append') {
      if (typeof value !== 'string') throw new HistoryError(line, 'an append value must be a string');
    } else if (f === 'write') {
      if (!isScalar(value)) throw new HistoryError(line, 'a write value must be a string, number, boolean or null');
    }
  } else if (e.type === 'ok' && f === 'read') {
    if (model === 'counter') {
      if (!Number.isSafeInteger(value)) throw new HistoryError(line, 'a counter read must complete with an integer');
    } else if (model === 'set') {
      if (!Array.isArray(value) || !value.every(isScalar)) throw new HistoryError(line, 'a set read must complete with an array of scalars (the whole set)');
    } else if (!isScalar(value) && !(Array.isArray(value) && value.every(isScalar))) {
      // A list: the concurrent values (siblings) a register that keeps them all returned.
      throw new HistoryError(line, 'a read must complete with a string, number, boolean or null (or a list of them: siblings)');
    }
  }
  const event: CheckedEvent = { process: e.process as number, type: e.type as CheckedEvent['type'], f, key: e.key as string | undefined, value: value as CheckedEvent['value'], time: e.time as number | undefined };
  if (e.final === true) event.final = true;
  return event;
}

/** Pairs invokes with completions. Accumulates, so the live cluster can feed events as they come. */
export class HistoryBuilder {
  readonly operations: Operation[] = [];
  failed = 0;
  events = 0;
  invoked = 0;
  private readonly open = new Map<number, { event: CheckedEvent; line: number; position: number }>();
  private readonly model: ModelName;
  private position = 0;
  private sawTime: boolean | null = null;
  /** Whether the events carry `time`; null before the first. */
  get timed(): boolean {
    return this.sawTime === true;
  }
  /** The latest time (or position) of any event so far: every later operation starts at or after it. */
  latest = Number.NEGATIVE_INFINITY;

  constructor(model: ModelName) {
    this.model = model;
  }

  add(raw: unknown, line: number): Operation | null {
    const event = validateEvent(raw, line, this.model);
    this.events++;
    const hasTime = event.time !== undefined;
    if (this.sawTime === null) this.sawTime = hasTime;
    else if (this.sawTime !== hasTime) throw new HistoryError(line, '"time" must be on every event or on none');
    const position = hasTime ? (event.time as number) : this.position++;
    if (position > this.latest) this.latest = position;
    const open = this.open.get(event.process);
    if (event.type === 'invoke') {
      if (open !== undefined) throw new HistoryError(line, `process ${event.process} invokes again while its invoke on line ${open.line} is still open`);
      this.open.set(event.process, { event, line, position });
      this.invoked++;
      return null;
    }
    if (open === undefined) throw new HistoryError(line, `${event.type} for process ${event.process} with no open invoke`);
    if (open.event.f !== event.f) throw new HistoryError(line, `${event.type} of ${event.f} completes an invoke of ${open.event.f} (line ${open.line})`);
    if ((open.event.key ?? '') !== (event.key ?? '')) throw new HistoryError(line, `completion for key ${JSON.stringify(event.key)} of an invoke on key ${JSON.stringify(open.event.key)} (line ${open.line})`);
    this.open.delete(event.process);
    if (event.type === 'fail') {
      this.failed++;
      return null;
    }
    return this.push(open.event, open.line, open.position, event.type === 'ok' ? position : Number.POSITIVE_INFINITY, event);
  }

  private push(invoke: CheckedEvent, line: number, start: number, end: number, completion: CheckedEvent | null): Operation | null {
    const indefinite = end === Number.POSITIVE_INFINITY;
    // A read that may or may not have happened tells nothing and changes nothing.
    if (invoke.f === 'read' && indefinite) return null;
    const op: Operation = {
      id: this.operations.length,
      process: invoke.process,
      f: invoke.f,
      key: this.model === 'register' ? '' : (invoke.key ?? ''),
      input: invoke.value as Operation['input'],
      output: invoke.f === 'read' && completion !== null ? (completion.value as Operation['output']) : null,
      final: invoke.final === true || completion?.final === true,
      start,
      end,
      indefinite,
      line,
    };
    this.operations.push(op);
    return op;
  }

  /** When the earliest invoke still open began (reads too); +Infinity when none is open. */
  earliestOpen(): number {
    let earliest = Number.POSITIVE_INFINITY;
    for (const open of this.open.values()) earliest = Math.min(earliest, open.position);
    return earliest;
  }

  /** The invokes still open, as `info` operations, without closing them (for live checks). */
  openAsIndefinite(): Operation[] {
    const out: Operation[] = [];
    let id = this.operations.length;
    for (const [, open] of this.open) {
      if (open.event.f === 'read') continue;
      out.push({ id: id++, process: open.event.process, f: open.event.f, key: this.model === 'register' ? '' : (open.event.key ?? ''), input: open.event.value as Operation['input'], output: null, final: false, start: open.position, end: Number.POSITIVE_INFINITY, indefinite: true, line: open.line });
    }
    return out;
  }

  /** Invokes never completed count as `info`. Call once, at the end of the history. */
  finish(): void {
    for (const [, open] of this.open) this.push(open.event, open.line, open.position, Number.POSITIVE_INFINITY, null);
    this.open.clear();
  }
}

/**
 * `lineNumbers[i]`: the line number to report for the text's line i + 1, when the text is a part
 * of a file (one session of an exported data set), so that errors and explanations cite the file.
 */
export function parseHistory(text: string, model: ModelName, lineNumbers?: readonly number[]): ParsedHistory {
  const builder = new HistoryBuilder(model);
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = (lines[i] as string).trim();
    if (line === '') continue;
    const number = lineNumbers?.[i] ?? i + 1;
    let raw: unknown;
    try {
      raw = JSON.parse(line);
    } catch (error) {
      throw new HistoryError(number, `bad JSON (${(error as Error).message})`);
    }
    builder.add(raw, number);
  }
  builder.finish();
  return { operations: builder.operations, invoked: builder.invoked, failed: builder.failed, events: builder.events, timed: builder.timed };
}
