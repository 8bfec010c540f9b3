// Finding a witness's operations among the client events the window lists (the event log live,
// the client history in a replay). Both list HistoryEvents as the clients recorded them, and a
// witness operation carries its process and the `time` of its invoke and of its completion: a
// process has at most one operation open at a time, so (process, time) names one event. An
// operation whose outcome never came has only its invoke to show. Events recorded without a time
// (none the app records) cannot be matched.

import type { WitnessOperationView } from '../../shared/bridge.ts';
import type { HistoryEvent } from '../../shared/history.ts';

export function witnessEventKeys(operations: readonly WitnessOperationView[]): Set<string> {
  const keys = new Set<string>();
  for (const op of operations) {
    if (op.start !== null) keys.add(`${op.process}@${op.start}`);
    if (op.end !== null) keys.add(`${op.process}@${op.end}`);
  }
  return keys;
}

export function inWitness(event: HistoryEvent, keys: ReadonlySet<string>): boolean {
  return event.time !== undefined && keys.has(`${event.process}@${event.time}`);
}
