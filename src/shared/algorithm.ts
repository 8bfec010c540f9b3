// What an algorithm tells the rest of the product about itself, beyond the node interface: a title
// and a paragraph for the New cluster dialog, its options (from which the window's form and the
// CLI's `--set KEY=VALUE` both come), the fields of its status, its message kinds, its node
// actions, its safety monitors. Plain data, except the functions: the window receives the data
// over the bridge (AlgorithmInfo), never the algorithm's code.

import { z } from 'zod';
import type { AdminCommand, NodeId } from './protocol.ts';

interface FieldBase {
  /** The option's key in the algorithm's options object, and in `--set KEY=VALUE`. */
  key: string;
  label: string;
  /** One or two sentences: what it does and what the user will see change. */
  description: string;
  /** Other names `--set` and scenario files accept for the key (short forms kept for old files). */
  aliases?: readonly string[];
}

export type OptionField = FieldBase &
  (
    | { kind: 'boolean'; default: boolean }
    /**
     * A whole number between min and max; `ticks` counts the harness's logical ticks (TICK_MS
     * each), which the window shows in milliseconds. `below`: another such option this one must
     * stay under (a heartbeat under the election timeout).
     */
    | { kind: 'integer' | 'ticks'; default: number; min: number; max: number; unit?: string; below?: string }
    | { kind: 'choice'; default: string; choices: ReadonlyArray<{ value: string; label: string }> }
  );

/** How a status field is drawn: a role badge, a number, a node id, a list of node ids, text. */
export type StatusFieldKind = 'role' | 'number' | 'node' | 'nodes' | 'text' | 'boolean';

export interface StatusField {
  key: string;
  label: string;
  kind: StatusFieldKind;
  description?: string;
  /** Shown on the node card too (a few at most: the card has one line for them). */
  card?: boolean;
}

export interface MessageKind {
  label: string;
  /** A CSS colour for the message dots and the timeline. */
  colour: string;
  description: string;
  /**
   * The message can reveal durable state its sender must not forget: a granted vote ('vote'), an
   * acknowledged write ('ack'). A crash right after one is the moment a missing or late write
   * shows, so the fuzzer aims crashes there.
   */
  reveals?: 'vote' | 'ack';
  /**
   * 'election': the message makes its receiver start an election at once, skipping whatever would
   * make it wait (a leader handing over leadership to a chosen successor). The fuzzer holds it, so that a
   * hand-over finishes late, after the old leader gave up on it and served again.
   */
  starts?: 'election';
}

/** A button on a node card: an operator command. */
export interface NodeAction {
  id: string;
  label: string;
  description: string;
  /**
   * Who receives the command: the node whose card it is (default), or the current leader, about
   * that node (peer = the card's node: "transfer leadership here").
   */
  sendTo?: 'self' | 'leader';
  /** The command needs another node the window asks for (none of the built-in actions does). */
  needsPeer?: 'member' | 'new';
  command(peer: NodeId | null): AdminCommand;
}

/** The serialisable part, as the window receives it. */
export interface AlgorithmInfo {
  name: string;
  title: string;
  summary: string;
  /** What it promises with its default options (the running cluster's own promise is in its health). */
  promises: string | null;
  options: readonly OptionField[];
  defaults: Record<string, unknown>;
  status: readonly StatusField[];
  messages: Readonly<Record<string, MessageKind>>;
  actions: ReadonlyArray<Omit<NodeAction, 'command'>>;
  membership: boolean;
  /** How the window names a role, where the status's word is not the one people use ('leader' -> 'primary'). */
  roleLabels: Readonly<Record<string, string>>;
  /** The option (in ticks) a follower waits for its leader before it acts: the node card's timer. */
  leaderTimeoutOption: string | null;
}

export class OptionError extends Error {}

/** The options schema: every field optional (its default fills in), nothing else allowed. */
export function optionsSchema(fields: readonly OptionField[]): z.ZodType<Record<string, unknown>> {
  const shape: Record<string, z.ZodType> = {};
  for (const field of fields) {
    switch (field.kind) {
      case 'boolean':
        shape[field.key] = z.boolean().optional();
        break;
      case 'integer':
      case 'ticks':
        shape[field.key] = z.number().int().min(field.min).max(field.max).optional();
        break;
      case 'choice':
        shape[field.key] = z.enum(field.choices.map((c) => c.value) as [string, ...string[]]).optional();
        break;
    }
  }
  return z.strictObject(shape) as unknown as z.ZodType<Record<string, unknown>>;
}

/** Checks options against the fields; throws OptionError naming the option and what it takes. */
export function checkOptions(fields: readonly OptionField[], options: unknown): Record<string, unknown> {
  const parsed = optionsSchema(fields).safeParse(options);
  if (parsed.success) return parsed.data;
  const issue = parsed.error.issues[0];
  const key = issue?.path[0];
  if (issue?.code === 'unrecognized_keys') throw new OptionError(`unknown option(s) ${issue.keys.join(', ')}; known: ${fields.map((f) => f.key).join(', ')}`);
  const field = fields.find((f) => f.key === key);
  throw new OptionError(field === undefined ? (issue?.message ?? 'invalid options') : `option ${field.key}: ${expected(field)}`);
}

function expected(field: OptionField): string {
  switch (field.kind) {
    case 'boolean':
      return 'true or false';
    case 'integer':
    case 'ticks':
      return `a whole number from ${field.min} to ${field.max}`;
    case 'choice':
      return `one of ${field.choices.map((c) => c.value).join(', ')}`;
  }
}

/**
 * The rules between options (`below`), on complete options (defaults filled in): the first broken
 * one as a sentence, or null.
 */
export function relationProblem(fields: readonly OptionField[], options: Record<string, unknown>): string | null {
  for (const field of fields) {
    if ((field.kind !== 'integer' && field.kind !== 'ticks') || field.below === undefined) continue;
    const other = fields.find((f) => f.key === field.below);
    const value = options[field.key];
    const limit = options[field.below];
    if (other === undefined || typeof value !== 'number' || typeof limit !== 'number' || value < limit) continue;
    return `${field.label} must be ${field.kind === 'ticks' ? 'shorter than' : 'below'} the ${other.label.toLowerCase()}`;
  }
  return null;
}

/** `--set KEY=VALUE` assignments into options (later ones win), checked against the fields. */
export function parseAssignments(fields: readonly OptionField[], assignments: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const assignment of assignments) {
    const at = assignment.indexOf('=');
    if (at <= 0) throw new OptionError(`--set takes KEY=VALUE, not ${JSON.stringify(assignment)}`);
    const key = assignment.slice(0, at).trim();
    const raw = assignment.slice(at + 1).trim();
    const field = fields.find((f) => f.key === key || f.aliases?.includes(key) === true);
    if (field === undefined) throw new OptionError(`unknown option ${JSON.stringify(key)}; known: ${fields.map((f) => f.key).join(', ')}`);
    if (field.kind === 'boolean') {
      if (!['true', 'false', 'on', 'off', '1', '0'].includes(raw)) throw new OptionError(`option ${key}: ${expected(field)}, not ${JSON.stringify(raw)}`);
      out[field.key] = raw === 'true' || raw === 'on' || raw === '1';
    } else if (field.kind === 'choice') {
      out[field.key] = raw;
    } else {
      if (!/^-?\d+$/.test(raw)) throw new OptionError(`option ${key}: ${expected(field)}, not ${JSON.stringify(raw)}`);
      out[field.key] = Number(raw);
    }
  }
  return checkOptions(fields, out);
}

export function optionDefaults(fields: readonly OptionField[]): Record<string, unknown> {
  return Object.fromEntries(fields.map((f) => [f.key, f.default]));
}
