// The cluster's event journal: one stream of everything that happens, read by the window, the
// recorder, the metrics and the checker alike. Times are milliseconds since the cluster started.

import type { Fault } from './fault.ts';
import type { HistoryEvent } from './history.ts';
import type { NodeId, NodeStatus } from './protocol.ts';

export type JournalEvent =
  | { kind: 'send'; time: number; src: NodeId; dest: NodeId; type: string }
  | { kind: 'deliver'; time: number; src: NodeId; dest: NodeId; type: string }
  | { kind: 'drop'; time: number; src: NodeId; dest: NodeId; type: string; reason: string }
  | { kind: 'state'; time: number; node: NodeId; status: NodeStatus }
  /** `fault`: what was done, as data (absent in sessions recorded before faults were typed, and for the clock's pause and speed). */
  | { kind: 'fault'; time: number; description: string; fault?: Fault }
  | { kind: 'node'; time: number; node: NodeId; event: 'started' | 'crashed' | 'restarted' | 'paused' | 'resumed' | 'failed'; message?: string }
  | { kind: 'client'; time: number; event: HistoryEvent }
  | { kind: 'violation'; time: number; property: string; message: string }
  | { kind: 'error'; time: number; message: string };
