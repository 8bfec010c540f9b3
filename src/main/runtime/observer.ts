// The observer interface lives beside the node interface (src/nodes/observer.ts): an algorithm's
// own monitors implement it.
export type { ClusterObserver } from '../../nodes/observer.ts';
