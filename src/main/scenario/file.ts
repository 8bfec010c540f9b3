// Scenario files: a cluster, its network, and steps (each at a time or when a condition holds)
// that do faults and client operations and then check what should be true, with Markdown
// narration for lessons. YAML, read with the line and column of every value, so that a mistake is
// reported where it is. Only the shape is checked here; the algorithm's options are checked by its
// own fields when the scenario starts (runner.ts).

import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';
import { z } from 'zod';
import { CONSISTENCY_NAMES, type ConsistencyName } from '../../shared/consistency.ts';
import type { KvScalar, KvValue, WorkloadDataType } from '../../shared/history.ts';
import type { KvOp } from '../../shared/protocol.ts';

export class ScenarioFileError extends Error {
  readonly line: number | null;
  readonly col: number | null;
  constructor(file: string, line: number | null, col: number | null, message: string) {
    super(`${file}${line === null ? '' : `:${line}:${col ?? 1}`}: ${message}`);
    this.line = line;
    this.col = col;
  }
}

/** A node by name (n1), or by what it is when the step runs: the leader, or a follower (one that is up and does not lead). */
export type NodeRef = string;

export type Condition =
  | { kind: 'leader' }
  /** One of these nodes leads (the side of a partition that should elect one). */
  | { kind: 'leaderAmong'; nodes: NodeRef[] }
  | { kind: 'status'; node: NodeRef; field: string; equals: unknown }
  | { kind: 'acknowledged'; count: number }
  | { kind: 'operations'; count: number };

export type ScenarioFault =
  | { kind: 'crash' | 'restart' | 'pause' | 'resume' | 'isolate'; node: NodeRef }
  | { kind: 'cut' | 'uncut'; from: NodeRef; to: NodeRef }
  | { kind: 'partition'; groups: NodeRef[][] }
  | { kind: 'heal' }
  | { kind: 'network'; rule: Record<string, number> | null }
  /** One direction of one link gets a rule of its own (null: as every link). */
  | { kind: 'link'; from: NodeRef; to: NodeRef; rule: Record<string, number> | null }
  | { kind: 'clock-skew'; node: NodeRef; offsetMs: number; drift: number }
  /** A new, empty node joins under this name (the next one): an algorithm with membership changes adds it with a command. */
  | { kind: 'add-node'; node: NodeRef }
  /** The algorithm's node action; `peer`: the other node it is about (a server to add or remove). */
  | { kind: 'command'; node: NodeRef; action: string; peer: NodeRef | null };

export type Action =
  | { kind: 'fault'; fault: ScenarioFault }
  /** A client operation, sent to `to` (null: whoever leads), waited for; `client`: the session it belongs to (null: a client of its own). */
  | { kind: 'op'; op: KvOp; to: NodeRef | null; client: number | null; background: boolean }
  | { kind: 'workload'; running: boolean }
  | { kind: 'wait'; ms: number }
  /** A lesson waits here for the person (the CLI goes on). */
  | { kind: 'pause'; message: string };

export type Expectation =
  | { kind: 'model'; model: ConsistencyName; holds: boolean }
  | { kind: 'read'; key: string; at: NodeRef | null; returns: KvValue; client: number | null }
  | { kind: 'monitor'; holds: boolean }
  | { kind: 'status'; node: NodeRef; field: string; equals?: unknown; above?: number; below?: number }
  | { kind: 'lostWrites'; atLeast: number };

export interface ScenarioStep {
  /** Where the step starts in the file. */
  line: number;
  narrate: string | null;
  /** Not before this many milliseconds from the start. */
  atMs: number | null;
  when: Condition | null;
  /** How long `when` may take before the step fails. */
  withinMs: number;
  actions: Action[];
  /**
   * Faults the lesson asks the person at the window to do ("kill the leader now"), after the
   * actions: it waits until they did them (or asked it to). With no one at the window (the CLI,
   * tests) the runner does them itself.
   */
  asks: ScenarioFault[];
  expect: Expectation[];
}

export interface Scenario {
  file: string;
  title: string;
  summary: string | null;
  algorithm: string;
  options: Record<string, unknown>;
  nodes: number;
  seed: number;
  network: Record<string, number>;
  workload: { rate: number; clients: number; keys: number; dataType?: WorkloadDataType; running: boolean } | null;
  /**
   * Why it runs on the simulator only (null: it runs live too): written for interleavings only the
   * simulator's exact stops reach. `scenario run --live` and the window's lessons leave it out.
   */
  simulatorOnly: string | null;
  steps: ScenarioStep[];
}

const DURATION = /^(\d+(?:\.\d+)?)(ms|s|m)$/;

function durationMs(text: string): number {
  const m = DURATION.exec(text.trim()) as RegExpExecArray;
  const n = Number(m[1]);
  return m[2] === 'ms' ? n : m[2] === 's' ? n * 1000 : n * 60_000;
}

/** At most an hour of simulated time, however written: a step that asks for more is a mistake, not a lesson. */
const MAX_DURATION_MS = 3_600_000;
const duration = z
  .union([z.number().min(0), z.string().regex(DURATION, 'a duration such as 500ms, 2s or 1m')])
  .transform((v) => (typeof v === 'number' ? v : durationMs(v)))
  .refine((ms) => ms <= MAX_DURATION_MS, 'at most an hour (60m, 3600s)');
const nodeRef = z.string().regex(/^(n\d+|leader|follower)$/, 'a node: n1, n2, ..., leader or follower');
const scalar = z.union([z.string().max(10_000), z.number(), z.boolean(), z.null()]);
const key = z.string().min(1).max(200);
const to = { to: nodeRef.optional(), client: z.number().int().min(1).max(1000).optional(), background: z.boolean().optional() };

const linkRule = z.strictObject({ drop: z.number().min(0).max(1).optional(), delayMs: z.number().min(0).max(60_000).optional(), jitterMs: z.number().min(0).max(60_000).optional(), duplicate: z.number().min(0).max(1).optional(), reorder: z.number().min(0).max(1).optional() });

const faultActions = {
  crash: nodeRef,
  kill: nodeRef,
  restart: nodeRef,
  pause: nodeRef,
  resume: nodeRef,
  isolate: nodeRef,
  cut: z.tuple([nodeRef, nodeRef]),
  uncut: z.tuple([nodeRef, nodeRef]),
  partition: z.array(z.array(nodeRef).min(1)).min(1),
  heal: z.union([z.literal(true), z.null(), z.strictObject({})]),
  network: z.union([z.literal('default'), linkRule]),
  link: z.strictObject({ from: nodeRef, to: nodeRef, drop: z.number().min(0).max(1).optional(), delayMs: z.number().min(0).max(60_000).optional(), jitterMs: z.number().min(0).max(60_000).optional(), duplicate: z.number().min(0).max(1).optional(), reorder: z.number().min(0).max(1).optional(), default: z.literal(true).optional() }),
  skew: z.strictObject({ node: nodeRef, offsetMs: z.number().min(-3_600_000).max(3_600_000), drift: z.number().min(-0.9).max(9).default(0) }),
  command: z.strictObject({ node: nodeRef, action: z.string().min(1).max(100), peer: nodeRef.optional() }),
  'add-node': z.string().regex(/^n\d+$/, 'the new node\'s name: n4, n5, ...'),
};

const opActions = {
  read: z.strictObject({ key, ...to }),
  write: z.strictObject({ key, value: scalar, ...to }),
  cas: z.strictObject({ key, expected: scalar, value: scalar, ...to }),
  append: z.strictObject({ key, value: z.string().max(10_000), ...to }),
  delete: z.strictObject({ key, ...to }),
  incr: z.strictObject({ key, by: z.number().int().min(-1e9).max(1e9).default(1), ...to }),
  add: z.strictObject({ key, element: scalar, ...to }),
  remove: z.strictObject({ key, element: scalar, ...to }),
};

const otherActions = {
  workload: z.enum(['start', 'stop']),
  wait: duration,
  'wait-for-user': z.string().max(2000),
};

const ACTION_KEYS = [...Object.keys(faultActions), ...Object.keys(opActions), ...Object.keys(otherActions)];
const actionShapes: Record<string, z.ZodType> = { ...faultActions, ...opActions, ...otherActions };

const conditionSchema = z.union([
  z.literal('leader'),
  z.strictObject({ 'leader-among': z.array(nodeRef).min(1) }),
  z.strictObject({ status: z.strictObject({ node: nodeRef, field: z.string().min(1).max(100), equals: z.unknown() }) }),
  z.strictObject({ acknowledged: z.number().int().min(0).max(1e9) }),
  z.strictObject({ operations: z.number().int().min(0).max(1e9) }),
]);

const expectationSchema = z.union([
  z.strictObject({ model: z.enum(CONSISTENCY_NAMES), holds: z.boolean() }),
  z.strictObject({ read: z.strictObject({ key, at: nodeRef.optional(), returns: z.union([scalar, z.array(scalar)]), client: z.number().int().min(1).max(1000).optional() }) }),
  z.strictObject({ monitor: z.enum(['holds', 'breaks']) }),
  z.strictObject({
    status: z
      .strictObject({ node: nodeRef, field: z.string().min(1).max(100), equals: z.unknown().optional(), above: z.number().optional(), below: z.number().optional() })
      .refine((s) => s.equals !== undefined || s.above !== undefined || s.below !== undefined, 'a status expectation needs equals, above or below'),
  }),
  z.strictObject({ 'lost-writes': z.strictObject({ 'at-least': z.number().int().min(0).max(1e9) }) }),
]);

const oneOrMany = <T extends z.ZodType>(schema: T) => z.union([schema, z.array(schema)]).transform((v) => (Array.isArray(v) ? v : [v]));

const stepSchema = z.strictObject({
  narrate: z.string().max(20_000).optional(),
  at: duration.optional(),
  when: conditionSchema.optional(),
  within: duration.optional(),
  do: oneOrMany(z.union([z.string(), z.record(z.string(), z.unknown())])).optional(),
  ask: oneOrMany(z.union([z.string(), z.record(z.string(), z.unknown())])).optional(),
  expect: oneOrMany(expectationSchema).optional(),
});

const fileSchema = z.strictObject({
  title: z.string().min(1).max(200),
  summary: z.string().max(20_000).optional(),
  'simulator-only': z.string().min(1).max(2000).optional(),
  cluster: z.strictObject({
    algorithm: z.string().min(1).max(100),
    nodes: z.number().int().min(1).max(9).default(3),
    seed: z.number().int().min(0).max(0xffffffff).default(1),
    options: z.record(z.string(), z.unknown()).default({}),
  }),
  network: linkRule.optional(),
  workload: z.strictObject({ rate: z.number().min(0.1).max(10_000).default(20), clients: z.number().int().min(1).max(50).default(3), keys: z.number().int().min(1).max(100).default(2), data: z.enum(['kv', 'counter', 'set']).optional(), running: z.boolean().default(false) }).optional(),
  steps: z.array(stepSchema).min(1).max(1000),
});

/** Reads a scenario file's text; throws ScenarioFileError at the line and column of the first mistake. */
export function parseScenario(text: string, file: string): Scenario {
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
  const first = doc.errors[0];
  if (first !== undefined) {
    const pos = lineCounter.linePos(first.pos[0]);
    throw new ScenarioFileError(file, pos.line, pos.col, first.message.split('\n')[0] ?? 'not valid YAML');
  }
  const at = (path: ReadonlyArray<PropertyKey>): { line: number; col: number } | null => {
    // The deepest node the path reaches: a missing key points at the map that lacks it.
    for (let depth = path.length; depth >= 0; depth--) {
      const node = doc.getIn(path.slice(0, depth) as unknown[], true) as YamlNode | undefined;
      if (node !== undefined && node !== null && typeof node === 'object' && 'range' in node && node.range) return lineCounter.linePos(node.range[0]);
    }
    return null;
  };
  const fail = (path: ReadonlyArray<PropertyKey>, message: string, unknownKey?: string): never => {
    const pos = (unknownKey === undefined ? null : keyAt(path, unknownKey)) ?? at(path);
    throw new ScenarioFileError(file, pos?.line ?? null, pos?.col ?? null, message);
  };
  // An unknown key is shown where it is written, not where its map begins.
  const keyAt = (path: ReadonlyArray<PropertyKey>, name: string): { line: number; col: number } | null => {
    const map = doc.getIn(path as unknown[], true);
    if (!isMap(map)) return null;
    const pair = map.items.find((item) => isScalar(item.key) && item.key.value === name);
    const range = pair !== undefined && isScalar(pair.key) ? pair.key.range : undefined;
    return range ? lineCounter.linePos(range[0]) : null;
  };
  let raw: unknown;
  try {
    // The parser refuses aliases that would expand without bound (a "billion laughs" file).
    raw = doc.toJS({ maxAliasCount: 1000 });
  } catch (error) {
    throw new ScenarioFileError(file, null, null, `cannot be read: ${(error as Error).message}`);
  }
  const parsed = fileSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    fail(issue.path, describeIssue(issue), issue.code === 'unrecognized_keys' ? issue.keys[0] : undefined);
  }
  const data = (parsed as { data: z.infer<typeof fileSchema> }).data;
  const steps: ScenarioStep[] = data.steps.map((step, i) => {
    const actions = (step.do ?? []).map((action, j) => parseAction(action, (message, inner = []) => fail(['steps', i, 'do', ...(Array.isArray(step.do) || isSeq(doc.getIn(['steps', i, 'do'], true)) ? [j] : []), ...inner], message)));
    const asks = (step.ask ?? []).map((action, j) => {
      const failAt = (message: string, inner: PropertyKey[] = []): never => fail(['steps', i, 'ask', ...(isSeq(doc.getIn(['steps', i, 'ask'], true)) ? [j] : []), ...inner], message);
      const parsed = parseAction(action, failAt);
      if (parsed.kind !== 'fault') return failAt(`a lesson asks the person for faults (kill, partition, heal, ...), not ${parsed.kind === 'op' ? 'client operations' : `"${Object.keys(typeof action === 'string' ? { [action]: 1 } : action)[0]}"`}: put those under "do"`);
      return parsed.fault;
    });
    const expect = (step.expect ?? []).map(toExpectation);
    if (step.when === undefined && step.within !== undefined) fail(['steps', i, 'within'], '"within" bounds a "when": this step has none');
    if (actions.length === 0 && asks.length === 0 && expect.length === 0 && step.narrate === undefined && step.when === undefined && step.at === undefined) fail(['steps', i], 'a step needs something to wait for, to do, to ask, to check or to say (at, when, do, ask, expect or narrate)');
    return {
      line: at(['steps', i])?.line ?? 0,
      narrate: step.narrate ?? null,
      atMs: step.at ?? null,
      when: step.when === undefined ? null : toCondition(step.when),
      withinMs: step.within ?? 10_000,
      actions,
      asks,
      expect,
    };
  });
  const w = data.workload;
  return {
    file,
    title: data.title,
    summary: data.summary ?? null,
    algorithm: data.cluster.algorithm,
    options: data.cluster.options,
    nodes: data.cluster.nodes,
    seed: data.cluster.seed,
    network: (data.network ?? {}) as Record<string, number>,
    workload: w === undefined ? null : { rate: w.rate, clients: w.clients, keys: w.keys, running: w.running, ...(w.data === undefined ? {} : { dataType: w.data }) },
    simulatorOnly: data['simulator-only'] ?? null,
    steps,
  };
}

function describeIssue(issue: z.core.$ZodIssue): string {
  const where = issue.path.length === 0 ? 'the file' : `"${String(issue.path[issue.path.length - 1])}"`;
  if (issue.code === 'unrecognized_keys') return `unknown key${issue.keys.length === 1 ? '' : 's'} ${issue.keys.map((k) => JSON.stringify(k)).join(', ')}`;
  if (issue.code === 'invalid_type' && issue.input === undefined) return `${where} is missing`;
  if (issue.code === 'invalid_union') return `${where}: not one of the forms it takes (see the README's scenario files)`;
  return `${where}: ${issue.message}`;
}

function parseAction(action: string | Record<string, unknown>, fail: (message: string, inner?: PropertyKey[]) => never): Action {
  if (typeof action === 'string') {
    if (action === 'heal') return { kind: 'fault', fault: { kind: 'heal' } };
    if (action === 'wait-for-user') return { kind: 'pause', message: '' };
    return fail(`unknown action ${JSON.stringify(action)} (a bare word is heal or wait-for-user; others take a value: ${ACTION_KEYS.join(', ')})`);
  }
  const keys = Object.keys(action);
  if (keys.length !== 1) return fail(`an action is one key and its value, e.g. "crash: n1" (got ${keys.length === 0 ? 'none' : keys.join(', ')})`);
  const name = keys[0] as string;
  const shape = actionShapes[name];
  if (shape === undefined) return fail(`unknown action ${JSON.stringify(name)} (actions: ${ACTION_KEYS.join(', ')})`);
  const parsed = shape.safeParse(action[name]);
  if (!parsed.success) {
    const issue = parsed.error.issues[0] as z.core.$ZodIssue;
    return fail(`${name}: ${issue.path.length === 0 ? issue.message : describeIssue(issue)}`, [name, ...issue.path]);
  }
  const v = parsed.data as never;
  switch (name) {
    case 'crash':
    case 'kill':
      return { kind: 'fault', fault: { kind: 'crash', node: v } };
    case 'restart':
    case 'pause':
    case 'resume':
    case 'isolate':
      return { kind: 'fault', fault: { kind: name, node: v } };
    case 'cut':
    case 'uncut': {
      const [from, to] = v as [string, string];
      return { kind: 'fault', fault: { kind: name, from, to } };
    }
    case 'partition':
      return { kind: 'fault', fault: { kind: 'partition', groups: v } };
    case 'heal':
      return { kind: 'fault', fault: { kind: 'heal' } };
    case 'network':
      return { kind: 'fault', fault: { kind: 'network', rule: v === 'default' ? null : v } };
    case 'link': {
      const { from, to, default: asEveryLink, ...rule } = v as { from: string; to: string; default?: true } & Record<string, number>;
      return { kind: 'fault', fault: { kind: 'link', from, to, rule: asEveryLink === true ? null : rule } };
    }
    case 'skew': {
      const s = v as { node: string; offsetMs: number; drift: number };
      return { kind: 'fault', fault: { kind: 'clock-skew', node: s.node, offsetMs: s.offsetMs, drift: s.drift } };
    }
    case 'command': {
      const c = v as { node: string; action: string; peer?: string };
      return { kind: 'fault', fault: { kind: 'command', node: c.node, action: c.action, peer: c.peer ?? null } };
    }
    case 'add-node':
      return { kind: 'fault', fault: { kind: 'add-node', node: v } };
    case 'workload':
      return { kind: 'workload', running: v === 'start' };
    case 'wait':
      return { kind: 'wait', ms: v };
    case 'wait-for-user':
      return { kind: 'pause', message: v };
    default:
      return { kind: 'op', ...toOp(name, v as Record<string, unknown>), client: ((v as Record<string, unknown>).client as number | undefined) ?? null, background: (v as Record<string, unknown>).background === true };
  }
}

function toOp(name: string, v: Record<string, unknown>): { op: KvOp; to: NodeRef | null } {
  const key = v.key as string;
  const target = (v.to as string | undefined) ?? null;
  const value = v.value as KvScalar;
  switch (name) {
    case 'read':
    case 'delete':
      return { op: { f: name, key }, to: target };
    case 'write':
      return { op: { f: 'write', key, value }, to: target };
    case 'cas':
      return { op: { f: 'cas', key, expected: v.expected as KvScalar, value }, to: target };
    case 'append':
      return { op: { f: 'append', key, value: value as string }, to: target };
    case 'incr':
      return { op: { f: 'incr', key, value: v.by as number }, to: target };
    default:
      return { op: { f: name as 'add' | 'remove', key, value: v.element as KvScalar }, to: target };
  }
}

function toCondition(when: z.infer<typeof conditionSchema>): Condition {
  if (when === 'leader') return { kind: 'leader' };
  if ('leader-among' in when) return { kind: 'leaderAmong', nodes: when['leader-among'] };
  if ('status' in when) return { kind: 'status', node: when.status.node, field: when.status.field, equals: when.status.equals };
  if ('acknowledged' in when) return { kind: 'acknowledged', count: when.acknowledged };
  return { kind: 'operations', count: when.operations };
}

function toExpectation(e: z.infer<typeof expectationSchema>): Expectation {
  if ('model' in e) return { kind: 'model', model: e.model, holds: e.holds };
  if ('read' in e) return { kind: 'read', key: e.read.key, at: e.read.at ?? null, returns: e.read.returns, client: e.read.client ?? null };
  if ('monitor' in e) return { kind: 'monitor', holds: e.monitor === 'holds' };
  if ('status' in e) {
    const s = e.status;
    return { kind: 'status', node: s.node, field: s.field, ...(s.equals === undefined ? {} : { equals: s.equals }), ...(s.above === undefined ? {} : { above: s.above }), ...(s.below === undefined ? {} : { below: s.below }) };
  }
  return { kind: 'lostWrites', atLeast: e['lost-writes']['at-least'] };
}
