// Phase 1's value recovery: for each open slot, the value a new leader must propose. If any
// acceptor in the promising majority accepted a value there, the one accepted in the highest
// ballot may already be chosen, so it is the only safe proposal; a slot nobody accepted anything in
// is a gap, filled with a no-op so that later slots can be applied.

import type { EntryData } from '../../shared/protocol.ts';
import { compareBallots } from './ballot.ts';
import type { AcceptedValue } from './messages.ts';

export const NOOP: EntryData = Object.freeze({ type: 'noop' }) as EntryData;

export function highestAccepted(reports: readonly AcceptedValue[]): AcceptedValue | null {
  let best: AcceptedValue | null = null;
  for (const report of reports) if (best === null || compareBallots(report.ballot, best.ballot) > 0) best = report;
  return best;
}

export function groupBySlot(reports: readonly AcceptedValue[]): Map<number, AcceptedValue[]> {
  const bySlot = new Map<number, AcceptedValue[]>();
  for (const report of reports) {
    const list = bySlot.get(report.slot);
    if (list === undefined) bySlot.set(report.slot, [report]);
    else list.push(report);
  }
  return bySlot;
}

/** The value to propose in `slot` given what the majority reported there. */
export function recoveredValue(reports: readonly AcceptedValue[]): EntryData {
  return highestAccepted(reports)?.value ?? NOOP;
}
