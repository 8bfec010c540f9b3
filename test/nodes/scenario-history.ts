// A datadriven scenario file's client history, read off what its nodes replied: each `propose` an
// invoke, each reply to it the completion (ok, or fail/info as the error is definite or not). So a
// test can hold a scenario to what its comments claim, linearizable or not.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { HistoryEvent, KvScalar, OpFunction } from '../../src/shared/history.ts';
import { InteractionEnv, parseScenario } from '../../src/main/scenario/interaction.ts';
import { checkOperations, HistoryBuilder } from '../../src/main/checker/index.ts';

/** The history of test/scenarios/<folder>/<file>, run anew. */
export function scenarioHistory(folder: string, file: string): HistoryEvent[] {
  const env = new InteractionEnv();
  const events: HistoryEvent[] = [];
  const open = new Map<number, { f: OpFunction; key: string; value: KvScalar }>();
  let time = 0;
  const text = readFileSync(join(import.meta.dirname, '..', 'scenarios', folder, file), 'utf8');
  for (const c of parseScenario(text)) {
    if (c.command === 'propose') {
      const [, f, key, raw] = c.args as [string, OpFunction, string, string | undefined];
      const client = Number(c.args.find((a) => a.startsWith('client='))?.slice('client='.length) ?? 1);
      const value: KvScalar = f === 'write' && raw !== undefined ? (/^-?\d+$/.test(raw) ? Number(raw) : raw) : null;
      open.set(client, { f, key, value });
      events.push({ process: client, type: 'invoke', f, key, value, time: time++ });
    }
    for (const line of env.run(c.command, c.args).split('\n')) {
      const m = /^n\d+ replied c(\d+)#\d+ (ok (\S+)|\S+ \((definite|indefinite)\))/.exec(line);
      if (m === null) continue;
      const client = Number(m[1]);
      const op = open.get(client);
      if (op === undefined) continue;
      open.delete(client);
      const type = m[3] !== undefined ? 'ok' : m[4] === 'definite' ? 'fail' : 'info';
      const value = type === 'ok' && op.f === 'read' ? (JSON.parse(m[3] as string) as KvScalar) : op.value;
      events.push({ process: client, type, f: op.f, key: op.key, value, time: time++ });
    }
  }
  return events;
}

/** The linearizability checker's verdict on a key-value history. */
export function linearizable(events: readonly HistoryEvent[]): string {
  const builder = new HistoryBuilder('kv');
  events.forEach((event, i) => builder.add(event, i + 1));
  builder.finish();
  return checkOperations(builder.operations, { timeoutMs: 5000 }).linearizable;
}
