import { TICK_MS } from '../../shared/protocol.ts';
import type { CrdtType } from './datatypes.ts';

export interface CrdtOptions {
  /** The one data type every key of the cluster holds. */
  type: CrdtType;
  /** How often a replica gossips, in milliseconds of its clock (counted in ticks). */
  gossipMs: number;
  /** How many random peers each round goes to (all of them, when there are fewer). */
  fanout: number;
}

export const defaultCrdtOptions: CrdtOptions = {
  type: 'pn-counter',
  gossipMs: 100,
  fanout: 2,
};

/** The gossip period in ticks: the nearest whole number of ticks, at least one. */
export function gossipTicks(options: CrdtOptions): number {
  return Math.max(1, Math.round(options.gossipMs / TICK_MS));
}
