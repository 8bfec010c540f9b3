// The shapes of what crosses a door, in one place: the app checks every call against them
// (src/main/app/api.ts), the window checks its forms with the same ones, and files read from disk
// (a session's meta) are checked before they are trusted.

import * as z from 'zod';
import { MAX_LINK_DELAY_MS, SETTING_LIMITS, type NumericSetting } from './bridge.ts';

export const nodeIdSchema = z.string().regex(/^n\d{1,2}$/, 'a node is named n1, n2, ...');
const probability = z.number().min(0, 'at least 0').max(1, 'at most 1 (100%)');
const key = z.string().min(1, 'a key cannot be empty').max(200, 'a key has at most 200 characters');
const scalar = z.union([z.string().max(10_000), z.number().finite(), z.null()]);

const UNITS: Record<NumericSetting, string> = { nodes: ' node(s)', seed: '', networkDelayMs: ' ms', speed: 'x' };

export function limited(setting: NumericSetting): z.ZodNumber {
  const { min, max, integer } = SETTING_LIMITS[setting];
  const unit = UNITS[setting];
  const number = z.number().min(min, `at least ${min}${unit}`).max(max, `at most ${max}${unit}`);
  return integer ? number.int('a whole number') : number;
}

/**
 * A cluster's settings. The algorithm's options are checked against its own fields once the
 * algorithm is known (src/shared/algorithm.ts); here only their shape: a flat object of plain values.
 */
export const clusterSettingsSchema = z.strictObject({
  algorithm: z.string().min(1, 'an algorithm, please').max(100),
  options: z.record(z.string().max(100), z.union([z.boolean(), z.number().finite(), z.string().max(200)])).refine((o) => Object.keys(o).length <= 100, 'at most 100 options'),
  nodes: limited('nodes'),
  seed: limited('seed'),
  sync: z.enum(['full', 'normal']),
  networkDelayMs: limited('networkDelayMs'),
  speed: limited('speed'),
});

export const linkRuleSchema = z.strictObject({
  drop: probability.optional(),
  delayMs: z.number().min(0, 'a delay cannot be negative').max(MAX_LINK_DELAY_MS, `at most ${MAX_LINK_DELAY_MS} ms`).optional(),
  jitterMs: z.number().min(0, 'jitter cannot be negative').max(MAX_LINK_DELAY_MS, `at most ${MAX_LINK_DELAY_MS} ms`).optional(),
  duplicate: probability.optional(),
  reorder: probability.optional(),
});

export const kvOpSchema = z.discriminatedUnion('f', [
  z.strictObject({ f: z.literal('read'), key }),
  z.strictObject({ f: z.literal('write'), key, value: scalar }),
  z.strictObject({ f: z.literal('cas'), key, expected: scalar, value: scalar }),
  z.strictObject({ f: z.literal('append'), key, value: z.string().max(10_000) }),
  z.strictObject({ f: z.literal('delete'), key }),
  z.strictObject({ f: z.literal('incr'), key, value: z.number().int('a whole number').min(-1e9).max(1e9) }),
  z.strictObject({ f: z.literal('add'), key, value: scalar }),
  z.strictObject({ f: z.literal('remove'), key, value: scalar }),
]);

const weight = z.number().min(0).max(1000);
export const workloadSchema = z.strictObject({
  rate: z.number().min(0, 'a rate cannot be negative').max(10_000, 'at most 10,000 operations/s'),
  clients: z.number().int().min(1, 'at least 1 client').max(200, 'at most 200 clients'),
  keys: z.number().int().min(1, 'at least 1 key').max(10_000, 'at most 10,000 keys'),
  dataType: z.enum(['kv', 'counter', 'set']).optional(),
  mix: z.strictObject({ read: weight, write: weight, cas: weight, append: weight, delete: weight, incr: weight, add: weight, remove: weight }).partial(),
});


const count = z.number().int().min(0);

/** A session's closing summary as its meta table holds it; a malformed one is read as absent. */
export const sessionSummarySchema = z.looseObject({
  durationMs: z.number().min(0),
  ops: z.looseObject({ ok: count, fail: count, info: count }),
  elections: count,
  violations: count,
  linearizable: z.enum(['true', 'false', 'unknown']),
  faults: z.array(z.string()),
  consistency: z.looseObject({ promises: z.string().nullable(), models: z.array(z.looseObject({ model: z.string(), verdict: z.string() })), strongest: z.array(z.string()) }).optional(),
});

/** The fields of a session's meta table, each parsed from its JSON text. */
export const sessionMetaSchema = z.object({
  mode: z.enum(['live', 'sim']),
  algorithm: z.string().min(1).max(100),
  nodes: count.max(1000),
  seed: z.number().int().min(0).max(4_294_967_295),
  settings: z.record(z.string(), z.unknown()),
  startedAt: z.string().max(100),
});

/**
 * A fault done to both sides of a comparison (bridge.ts's ComparisonFault). The bounds of a clock's
 * skew are the runtime's, which the app passes in.
 */
export function comparisonFaultSchema(skew: { maxOffsetMs: number; minDrift: number; maxDrift: number }) {
  const node = z.strictObject({ node: nodeIdSchema });
  const link = z.strictObject({ from: nodeIdSchema, to: nodeIdSchema });
  return z.discriminatedUnion('kind', [
    node.extend({ kind: z.literal('crash') }),
    node.extend({ kind: z.literal('restart') }),
    node.extend({ kind: z.literal('pause') }),
    node.extend({ kind: z.literal('resume') }),
    link.extend({ kind: z.literal('cut') }),
    link.extend({ kind: z.literal('uncut') }),
    z.strictObject({ kind: z.literal('partition'), groups: z.array(z.array(nodeIdSchema).max(15)).min(1, 'a partition needs groups of nodes').max(15) }),
    z.strictObject({ kind: z.literal('heal') }),
    node.extend({
      kind: z.literal('clock-skew'),
      offsetMs: z.number().min(-skew.maxOffsetMs, 'at most an hour behind').max(skew.maxOffsetMs, 'at most an hour ahead'),
      drift: z.number().min(skew.minDrift, `a drift of at least ${skew.minDrift}`).max(skew.maxDrift, `a drift of at most ${skew.maxDrift}`),
    }),
  ]);
}
