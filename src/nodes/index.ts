// The algorithms the runtime, the simulator and the CLI can run, by name.

import type { AlgorithmInfo } from './descriptor.ts';
import type { Algorithm } from './types.ts';
import { raftAlgorithm } from './raft/raft.ts';
import { multiPaxosAlgorithm } from './multipaxos/multipaxos.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each algorithm has its own options type
export const algorithms: Record<string, Algorithm<any>> = {
  raft: raftAlgorithm,
  multipaxos: multiPaxosAlgorithm,
};

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function getAlgorithm(name: string): Algorithm<any> | undefined {
  return Object.hasOwn(algorithms, name) ? algorithms[name] : undefined;
}

export const algorithmNames = (): string[] => Object.keys(algorithms);

/** What the window needs to know about an algorithm, as plain data. */
export function algorithmInfo(algorithm: Algorithm<unknown>): AlgorithmInfo {
  return {
    name: algorithm.name,
    title: algorithm.title,
    summary: algorithm.summary,
    promises: algorithm.promises,
    options: algorithm.options,
    defaults: { ...(algorithm.defaultOptions as Record<string, unknown>) },
    status: algorithm.status,
    messages: algorithm.messages,
    actions: algorithm.actions.map(({ command: _command, ...rest }) => rest),
    membership: algorithm.membership,
    leaderTimeoutOption: algorithm.leaderTimeoutOption ?? null,
  };
}

/** The algorithm a new cluster runs unless the user picks another: the first registered. */
export const DEFAULT_ALGORITHM: string = Object.keys(algorithms)[0] as string;
