// The simulator speaks in trace events and observer calls; a recording wants the same journal the
// worker-thread cluster writes. This turns one into the other.

import type { JournalEvent } from '../../shared/journal.ts';
import type { NodeId, NodeStatus } from '../../shared/protocol.ts';
import type { ClusterObserver } from '../runtime/observer.ts';
import type { TraceEvent } from '../sim/simulation.ts';

export function simJournal(emit: (event: JournalEvent) => void): { trace: (event: TraceEvent) => void; observer: ClusterObserver } {
  const last = new Map<NodeId, NodeStatus>();
  const started = new Set<NodeId>();
  return {
    trace(event) {
      const time = event.timeUs / 1000;
      switch (event.kind) {
        case 'send':
        case 'deliver':
          return emit({ kind: event.kind, time, src: event.src, dest: event.dest, type: event.type });
        // A duplicate is one more copy on the wire.
        case 'duplicate':
          return emit({ kind: 'send', time, src: event.src, dest: event.dest, type: event.type });
        case 'drop':
          return emit({ kind: 'drop', time, src: event.src, dest: event.dest, type: event.type, reason: event.reason ?? 'dropped' });
        case 'fault':
          return emit({ kind: 'fault', time, description: event.description, fault: event.fault });
        case 'history':
          return emit({ kind: 'client', time, event: event.event });
      }
    },
    observer: {
      onNodeStart(node, _persisted, status, timeUs) {
        emit({ kind: 'node', time: timeUs / 1000, node, event: started.has(node) ? 'restarted' : 'started' });
        started.add(node);
        last.set(node, status);
        emit({ kind: 'state', time: timeUs / 1000, node, status });
      },
      onReady(node, _ready, status, timeUs) {
        const before = last.get(node);
        if (before && before.role === status.role && before.term === status.term && before.commit === status.commit && before.applied === status.applied) return;
        last.set(node, status);
        emit({ kind: 'state', time: timeUs / 1000, node, status });
      },
      onNodeCrash(node, timeUs) {
        last.delete(node);
        emit({ kind: 'node', time: timeUs / 1000, node, event: 'crashed' });
      },
    },
  };
}
