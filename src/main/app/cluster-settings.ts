// A cluster's settings: the harness's own (nodes, seed, sync, network delay, speed) and the
// algorithm's options, checked against the algorithm's descriptor and completed with its defaults.

import { checkOptions, OptionError, relationProblem } from '../../shared/algorithm.ts';
import { DEFAULT_NETWORK_DELAY_MS, type ClusterSettings } from '../../shared/bridge.ts';
import { algorithmNames, DEFAULT_ALGORITHM, getAlgorithm, servedRequests } from '../../nodes/index.ts';
import type { RequestFunction, WorkloadDataType } from '../../shared/history.ts';
import type { Algorithm } from '../../nodes/types.ts';

export const DEFAULT_SETTINGS: ClusterSettings = {
  algorithm: DEFAULT_ALGORITHM,
  options: {},
  nodes: 5,
  seed: 1,
  sync: 'normal',
  networkDelayMs: DEFAULT_NETWORK_DELAY_MS,
  speed: 0.25,
};

export class SettingsError extends Error {}

/** The algorithm and its complete options, or a SettingsError a person can act on. */
export function resolveSettings(settings: ClusterSettings): { algorithm: Algorithm<unknown>; settings: ClusterSettings } {
  const algorithm = getAlgorithm(settings.algorithm);
  if (algorithm === undefined) throw new SettingsError(`there is no algorithm ${JSON.stringify(settings.algorithm)}; there are ${algorithmNames().join(', ')}`);
  let options: Record<string, unknown>;
  try {
    options = { ...(algorithm.defaultOptions as Record<string, unknown>), ...checkOptions(algorithm.options, settings.options) };
  } catch (error) {
    if (error instanceof OptionError) throw new SettingsError(error.message);
    throw error;
  }
  const problem = relationProblem(algorithm.options, options);
  if (problem !== null) throw new SettingsError(problem);
  return { algorithm, settings: { ...settings, options } };
}

// Sessions recorded before algorithms had options of their own kept these settings; what they
// meant in the algorithm's options (times were milliseconds, now ticks).
const LEGACY_OPTIONS: Record<string, (value: unknown, tickMs: number) => [string, unknown]> = {
  electionTimeoutMs: (v, tickMs) => ['electionTicks', Math.max(1, Math.round(Number(v) / tickMs))],
  heartbeatMs: (v, tickMs) => ['heartbeatTicks', Math.max(1, Math.round(Number(v) / tickMs))],
  preVote: (v) => ['preVote', v === true],
  checkQuorum: (v) => ['checkQuorum', v === true],
  leaseReads: (v) => ['readMode', v === true ? 'lease' : 'read_index'],
  snapshotEvery: (v) => ['snapshotInterval', Number(v)],
};

/**
 * The settings a recorded session ran with, for the window to show: what it recorded, old sessions'
 * settings translated, anything unknown or malformed left at the defaults (a recording is shown,
 * never refused, for its settings).
 */
export function recordedSettings(recorded: Record<string, unknown>, algorithmName: string, tickMs: number): ClusterSettings {
  const out: ClusterSettings = { ...DEFAULT_SETTINGS, algorithm: algorithmName, options: {} };
  const algorithm = getAlgorithm(algorithmName);
  const fields = new Set(algorithm?.options.map((f) => f.key) ?? []);
  const options: Record<string, unknown> = {};
  const stored = recorded.options;
  if (typeof stored === 'object' && stored !== null && !Array.isArray(stored)) {
    for (const [key, value] of Object.entries(stored)) if (fields.has(key)) options[key] = value;
  }
  for (const [key, translate] of Object.entries(LEGACY_OPTIONS)) {
    if (!(key in recorded)) continue;
    const [option, value] = translate(recorded[key], tickMs);
    if (fields.has(option) && !(option in options)) options[option] = value;
  }
  if (algorithm !== undefined) {
    try {
      out.options = { ...(algorithm.defaultOptions as Record<string, unknown>), ...checkOptions(algorithm.options, options) };
    } catch {
      out.options = { ...(algorithm.defaultOptions as Record<string, unknown>) };
    }
  }
  const number = (key: 'nodes' | 'seed' | 'networkDelayMs' | 'speed'): void => {
    const value = recorded[key];
    if (typeof value === 'number' && Number.isFinite(value)) out[key] = value;
  };
  number('nodes');
  number('seed');
  number('networkDelayMs');
  number('speed');
  if (recorded.sync === 'full' || recorded.sync === 'normal') out.sync = recorded.sync;
  return out;
}

/** What the cluster of these settings serves (nothing, for an algorithm no longer registered). */
export function servedBy(settings: ClusterSettings): Partial<Record<WorkloadDataType, readonly RequestFunction[]>> {
  const algorithm = getAlgorithm(settings.algorithm);
  return algorithm === undefined ? {} : servedRequests(algorithm, settings.options);
}
