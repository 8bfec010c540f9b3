// A recorded session as a scenario file: its cluster, and one step per fault and per client
// operation at the time it happened, so that what someone did by hand (or a run found) can be
// replayed on the simulator, edited, shared and given expectations. Operations run one after
// another in a scenario: a recording's concurrent clients become a sequence in their start order.

import type Database from 'better-sqlite3';
import type { Fault } from '../../shared/fault.ts';
import type { HistoryEvent } from '../../shared/history.ts';
import { faultAction, opAction, scenarioText } from '../runtime/scenario-actions.ts';
import { openSessionFile } from './session-file.ts';

/** Scenario files hold at most this many client operations; a longer recording is cut, and says so. */
export const MAX_SCENARIO_OPERATIONS = 2000;

type Step = { at: string; narrate?: string; do?: unknown[]; expect?: unknown[] };

/** The session at `path` as scenario-file text (YAML). Throws SessionFileError for a file that is not a session. */
export function sessionToScenario(path: string): string {
  const { db, meta } = openSessionFile(path);
  try {
    return convert(db, meta.algorithm, meta.nodes, meta.seed, meta.settings, path);
  } finally {
    db.close();
  }
}

function convert(db: Database.Database, algorithm: string, nodes: number, seed: number, settings: Record<string, unknown>, path: string): string {
  const rows = db.prepare("SELECT time, kind, data FROM events WHERE kind IN ('fault', 'client') ORDER BY seq").all() as Array<{ time: number; kind: string; data: string }>;
  const steps: Step[] = [];
  let operations = 0;
  let cut = false;
  const invokes: HistoryEvent[] = [];
  const parsed = rows.map((row) => ({ time: row.time, kind: row.kind, data: JSON.parse(row.data) as { fault?: Fault; description?: string; event?: HistoryEvent } }));
  const counters = parsed.some((r) => r.data.event?.f === 'add') && !parsed.some((r) => r.data.event?.f === 'remove' || (r.data.event?.f === 'read' && r.data.event.type === 'ok' && Array.isArray(r.data.event.value)));
  for (const row of parsed) {
    const at = `${Math.round(row.time)}ms`;
    if (row.kind === 'fault') {
      const fault = row.data.fault;
      if (fault === undefined) {
        steps.push({ at, narrate: `Recorded without its data: ${row.data.description ?? 'a fault'}.` });
        continue;
      }
      const converted = faultAction(fault);
      steps.push('action' in converted ? { at, do: [converted.action] } : { at, narrate: `Not replayed: ${converted.note}.` });
      continue;
    }
    const event = row.data.event;
    if (event === undefined || event.type !== 'invoke' || event.final === true) continue;
    if (operations >= MAX_SCENARIO_OPERATIONS) {
      cut = true;
      continue;
    }
    operations++;
    invokes.push(event);
    steps.push({ at, do: [opAction(event, counters)] });
  }
  steps.push({ at: `${Math.round(parsed.at(-1)?.time ?? 0) + 1}ms`, narrate: 'The end of the recording.', expect: [{ monitor: 'holds' }] });
  const options = (settings.options ?? settings.algorithmOptions ?? {}) as Record<string, unknown>;
  const scenario = {
    title: `From ${path.split('/').pop() ?? path}`,
    summary: `The faults and client operations of a recorded ${algorithm} session, at the times they happened${cut ? ` (its first ${MAX_SCENARIO_OPERATIONS} operations)` : ''}. Operations run one after another here. Add expectations where you want them.`,
    cluster: { algorithm, nodes, seed, options },
    steps,
  };
  return scenarioText(scenario);
}
