// Histories with known answers, for tests and benchmarks: a sequential execution of a key-value
// store whose operations are spread into overlapping real-time intervals. Each operation takes
// effect at one instant strictly inside its interval, so the history is linearizable by
// construction; `injectAnomaly` then breaks exactly one read.

import type { HistoryEvent, KvScalar, OpFunction } from '../../shared/history.ts';
import type { Rng } from '../../shared/rng.ts';

export interface GenerateOptions {
  processes: number;
  /** Operations in all (each is two events). */
  operations: number;
  keys: number;
  /** Relative weights. */
  mix: Partial<Record<OpFunction, number>>;
  /** Fraction of operations that end as `info` (some of which took effect, some not). */
  infoRate: number;
  /** Omit keys (register model). */
  register?: boolean;
  /** End with one final read (`"final": true`) of every key, after every operation completed. */
  finalReads?: boolean;
}

/** An event of a generated history: final reads carry `final: true`. */
export type GeneratedEvent = HistoryEvent & { final?: true };

export function generateHistory(rng: Rng, options: GenerateOptions): GeneratedEvent[] {
  const state = new Map<string, KvScalar>();
  const events: GeneratedEvent[] = [];
  let time = 0;
  let counter = 0;
  const fs = (Object.entries(options.mix) as Array<[OpFunction, number]>).filter(([, w]) => w > 0);
  const total = fs.reduce((s, [, w]) => s + w, 0);
  const pickF = (): OpFunction => {
    let r = rng.next() * total;
    for (const [f, w] of fs) if ((r -= w) < 0) return f;
    return (fs[fs.length - 1] as [OpFunction, number])[0];
  };
  interface Open {
    process: number;
    f: OpFunction;
    key: string;
    value: HistoryEvent['value'];
    applied: boolean;
    result: KvScalar;
    ok: boolean;
  }
  const open = new Map<number, Open>();
  const idle = Array.from({ length: options.processes }, (_, i) => i + 1);
  const busyProcesses = (): number[] => [...open.keys()];
  let started = 0;
  const keyField = (key: string): { key?: string } => (options.register ? {} : { key });
  while (started < options.operations || open.size > 0) {
    time += 1 + rng.int(0, 5);
    const action = rng.next();
    if (started < options.operations && idle.length > 0 && (action < 0.4 || open.size === 0)) {
      const process = idle.splice(rng.int(0, idle.length), 1)[0] as number;
      const key = options.register ? '' : `k${rng.int(0, options.keys)}`;
      const f = pickF();
      const current = state.get(key) ?? null;
      let value: HistoryEvent['value'] = null;
      if (f === 'write') value = ++counter;
      else if (f === 'append') value = `${++counter},`;
      else if (f === 'cas') value = [rng.chance(0.5) ? current : rng.int(0, counter + 1), ++counter];
      open.set(process, { process, f, key, value, applied: false, result: null, ok: true });
      events.push({ process, type: 'invoke', f, ...keyField(key), value, time });
      started++;
    } else if (action < 0.75) {
      // The linearization point of an open operation that has not taken effect yet.
      const candidates = busyProcesses().filter((p) => !(open.get(p) as Open).applied);
      if (candidates.length === 0) continue;
      const op = open.get(candidates[rng.int(0, candidates.length)] as number) as Open;
      const current = state.get(op.key) ?? null;
      op.applied = true;
      switch (op.f) {
        case 'read':
          op.result = current;
          break;
        case 'write':
          state.set(op.key, op.value as KvScalar);
          break;
        case 'cas': {
          const [expected, next] = op.value as [KvScalar, KvScalar];
          if (expected === current) state.set(op.key, next);
          else op.ok = false;
          break;
        }
        case 'append':
          state.set(op.key, (current === null ? '' : String(current)) + (op.value as string));
          break;
        case 'delete':
          state.delete(op.key);
          break;
      }
    } else {
      const candidates = busyProcesses().filter((p) => (open.get(p) as Open).applied);
      if (candidates.length === 0) continue;
      const process = candidates[rng.int(0, candidates.length)] as number;
      const op = open.get(process) as Open;
      open.delete(process);
      idle.push(process);
      if (rng.chance(options.infoRate) && op.f !== 'read') {
        events.push({ process, type: 'info', f: op.f, ...keyField(op.key), value: op.value, time });
      } else if (!op.ok) {
        events.push({ process, type: 'fail', f: op.f, ...keyField(op.key), value: op.value, time });
      } else {
        events.push({ process, type: 'ok', f: op.f, ...keyField(op.key), value: op.f === 'read' ? op.result : op.value, time });
      }
    }
  }
  if (options.finalReads) {
    const keys = options.register ? [''] : Array.from({ length: options.keys }, (_, i) => `k${i}`);
    for (const key of keys) {
      time += 1;
      events.push({ process: 1, type: 'invoke', f: 'read', ...keyField(key), value: null, time, final: true });
      events.push({ process: 1, type: 'ok', f: 'read', ...keyField(key), value: state.get(key) ?? null, time: time + 1, final: true });
      time += 1;
    }
  }
  return events;
}

/**
 * Makes one successful read return a value the key never held at any point of its interval (a
 * value never written at all), so the history cannot be linearizable. Returns false if there was
 * no read to break.
 */
export function injectAnomaly(rng: Rng, events: HistoryEvent[]): boolean {
  const reads = events.map((e, i) => [e, i] as const).filter(([e]) => e.type === 'ok' && e.f === 'read');
  if (reads.length === 0) return false;
  const [event, index] = reads[rng.int(0, reads.length)] as readonly [HistoryEvent, number];
  events[index] = { ...event, value: 'never-written' };
  return true;
}

export function toJsonLines(events: readonly HistoryEvent[]): string {
  return events.map((e) => JSON.stringify(e)).join('\n') + '\n';
}
