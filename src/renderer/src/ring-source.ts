// What the ring (ClusterRing, NodeCard, ElectionTimer) draws and what its clicks ask for: the
// window's own cluster by default, or another cluster's picture that a view provides (each side of
// a comparison), so one ring component serves both.
import { inject, type InjectionKey } from 'vue';
import type { AppState, NodeAction } from '../../shared/bridge.ts';
import type { AlgorithmInfo } from '../../shared/algorithm.ts';
import type { NodeId } from '../../shared/protocol.ts';
import { useClusterStore } from './stores/cluster.ts';
import type { Flight } from './flights.ts';

export type RingState = Pick<AppState, 'settings' | 'tickMs' | 'nodes' | 'network' | 'clock'>;

export interface RingSource {
  readonly state: RingState | null;
  /** The algorithm's descriptor: its roles' words, message colours, card fields and node actions. */
  readonly algorithm: AlgorithmInfo | null;
  readonly flights: Map<number, Flight>;
  /** When each node last heard from its leader (performance.now()), for the election timer arcs. */
  readonly heardAt: Map<NodeId, number>;
  /** performance.now() when the state last came. */
  readonly receivedAt: number;
  /** False for a picture nobody can change (a replay): no buttons on the cards, no link clicks. */
  readonly actionable: boolean;
  selectedNode: NodeId | null;
  partitionPick: NodeId[];
  isCut(from: NodeId, to: NodeId): boolean;
  messageColour(type: string): string | null;
  toggleLink(a: NodeId, b: NodeId): unknown;
  nodeAction(node: NodeId, action: NodeAction): unknown;
  nodeCommand(node: NodeId, action: string): unknown;
  skewClock(node: NodeId, offsetMs: number, drift: number): unknown;
}

export const RING_SOURCE: InjectionKey<RingSource> = Symbol('ring source');

/** The ring's source: the one a view provides, or the window's cluster. */
export function useRingSource(): RingSource {
  return inject(RING_SOURCE, null) ?? useClusterStore();
}
