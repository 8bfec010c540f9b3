// The algorithms the runtime, the simulator and the CLI can run, by name.

import type { Algorithm } from './types.ts';
import { raftAlgorithm } from './raft/raft.ts';
import { multiPaxosAlgorithm } from './multipaxos/multipaxos.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each algorithm has its own options type
export const algorithms: Record<string, Algorithm<any>> = {
  raft: raftAlgorithm,
  multipaxos: multiPaxosAlgorithm,
};

/** What the CLI and the scenario files run when they are not told which. */
export const DEFAULT_ALGORITHM = 'raft';

// eslint-disable-next-line @typescript-eslint/no-explicit-any
export function getAlgorithm(name: string): Algorithm<any> | undefined {
  return Object.hasOwn(algorithms, name) ? algorithms[name] : undefined;
}

export const algorithmNames = (): string[] => Object.keys(algorithms);
