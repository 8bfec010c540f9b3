// The algorithms the runtime, the simulator and the CLI can run, by name.

import type { ConsistencyName } from '../shared/consistency.ts';
import { DATA_TYPE_REQUESTS, type RequestFunction, type WorkloadDataType } from '../shared/history.ts';
import type { AlgorithmInfo } from './descriptor.ts';
import type { Algorithm } from './types.ts';
import { raftAlgorithm } from './raft/raft.ts';
import { multiPaxosAlgorithm } from './multipaxos/multipaxos.ts';
import { primaryBackupAlgorithm } from './primary-backup/primary-backup.ts';
import { leaderlessAlgorithm } from './leaderless/leaderless.ts';
import { crdtAlgorithm } from './crdt/crdt.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each algorithm has its own options type
export const algorithms: Record<string, Algorithm<any>> = {
  raft: raftAlgorithm,
  multipaxos: multiPaxosAlgorithm,
  // Strong to weak: consensus, then replication without it, then no coordination at all.
  'primary-backup': primaryBackupAlgorithm,
  leaderless: leaderlessAlgorithm,
  crdt: crdtAlgorithm,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function getAlgorithm(name: string): Algorithm<any> | undefined {
  return Object.hasOwn(algorithms, name) ? algorithms[name] : undefined;
}

export const algorithmNames = (): string[] => Object.keys(algorithms);

/** The model the algorithm promises with these options (complete: defaults filled in). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function promisesOf(algorithm: Algorithm<any>, options?: Record<string, unknown>): ConsistencyName | null {
  const promises = algorithm.promises;
  if (typeof promises !== 'function') return promises;
  return promises({ ...(algorithm.defaultOptions as Record<string, unknown>), ...(options ?? {}) });
}

/** The data types the algorithm serves with these options, each with the requests it takes. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function servedRequests(algorithm: Algorithm<any>, options?: Record<string, unknown>): Partial<Record<WorkloadDataType, readonly RequestFunction[]>> {
  if (algorithm.serves === undefined) return { ...DATA_TYPE_REQUESTS };
  return algorithm.serves({ ...(algorithm.defaultOptions as Record<string, unknown>), ...(options ?? {}) });
}

/** What the window needs to know about an algorithm, as plain data. */
export function algorithmInfo(algorithm: Algorithm<unknown>): AlgorithmInfo {
  return {
    name: algorithm.name,
    title: algorithm.title,
    summary: algorithm.summary,
    promises: promisesOf(algorithm),
    options: algorithm.options,
    defaults: { ...(algorithm.defaultOptions as Record<string, unknown>) },
    status: algorithm.status,
    messages: algorithm.messages,
    actions: algorithm.actions.map(({ command: _command, ...rest }) => rest),
    membership: algorithm.membership,
    roleLabels: algorithm.roleLabels ?? {},
    leaderTimeoutOption: algorithm.leaderTimeoutOption ?? null,
  };
}

/** The algorithm a new cluster runs unless the user picks another: the first registered. */
export const DEFAULT_ALGORITHM: string = Object.keys(algorithms)[0] as string;
