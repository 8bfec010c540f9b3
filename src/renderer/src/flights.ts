// Messages in flight and when each node last heard its leader, from the journal events a batch
// brings: what the ring animates, for the window's cluster and for each side of a comparison alike.
import type { JournalEvent } from '../../shared/journal.ts';
import type { NodeId } from '../../shared/protocol.ts';

/** A message on its way, as the ring draws it. */
export interface Flight {
  seq: number;
  src: NodeId;
  dest: NodeId;
  type: string;
  /** performance.now() when the window heard of the send. */
  seenAt: number;
}

/** More than this in flight and the ring draws the newest only: the picture stays readable and fast. */
export const FLIGHT_LIMIT = 300;

/**
 * Starts a flight for every send and ends the oldest match for every deliver or drop. `seq` is the
 * event's number (the key of its flight); `leaderOf` says whom each node follows now.
 */
export function trackFlight(flights: Map<number, Flight>, heardAt: Map<NodeId, number>, event: JournalEvent, seq: number, leaderOf: ReadonlyMap<NodeId, NodeId | null>, now: number): void {
  if (event.kind === 'send') {
    flights.set(seq, { seq, src: event.src, dest: event.dest, type: event.type, seenAt: now });
    if (flights.size > FLIGHT_LIMIT) flights.delete(flights.keys().next().value as number);
  } else if (event.kind === 'deliver' || event.kind === 'drop') {
    for (const [key, flight] of flights) {
      if (flight.src === event.src && flight.dest === event.dest && flight.type === event.type) {
        flights.delete(key);
        break;
      }
    }
    // Whatever the algorithm, a message from the node's leader resets its wait for that leader.
    if (event.kind === 'deliver' && leaderOf.get(event.dest) === event.src) heardAt.set(event.dest, now);
  } else if (event.kind === 'state') heardAt.set(event.node, now);
}
