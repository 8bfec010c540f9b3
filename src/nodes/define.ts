// A small algorithm (a test's toy, a benchmark's flood) with the contract's descriptive parts left
// at plain defaults: no options, no actions, no monitors.

import { noMonitor } from './monitor.ts';
import type { Algorithm, ConsensusNode } from './types.ts';

type Core<O, N extends ConsensusNode> = Pick<Algorithm<O, N>, 'name' | 'defaultOptions' | 'promises' | 'create'> & Partial<Algorithm<O, N>>;

export function defineAlgorithm<O, N extends ConsensusNode = ConsensusNode>(core: Core<O, N>): Algorithm<O, N> {
  return {
    title: core.name,
    summary: '',
    options: [],
    status: [],
    messages: {},
    actions: [],
    membership: false,
    createMonitor: noMonitor,
    randomOptions: () => ({}),
    ...core,
  };
}
