// Random fault schedules for fuzzing and data generation. Every fault is undone after a while, and
// the schedule ends by healing everything and leaving a quiet period, so that a run can also be
// checked for recovery, not only for safety.

import type { Rng } from '../../shared/rng.ts';
import type { NodeId } from '../../shared/protocol.ts';
import type { Simulation } from './simulation.ts';

export const FAULT_KINDS = ['partition', 'kill', 'pause', 'drop', 'delay', 'dup', 'elect'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

export interface FaultScheduleOptions {
  kinds: readonly FaultKind[];
  /** Mean time between faults. */
  intervalMs: number;
  /** When faults stop; everything is healed then. */
  untilMs: number;
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(0, items.length)] as T;
}

export function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

/** Schedules random faults on `sim`. Call before running it. */
export function scheduleFaults(sim: Simulation<unknown>, rng: Rng, options: FaultScheduleOptions): void {
  if (options.kinds.length === 0) return;
  const ids = (): NodeId[] => sim.nodeIds;
  const hold = (): number => options.intervalMs * (0.5 + rng.next() * 1.5);

  const inject = (): void => {
    if (sim.timeUs / 1000 >= options.untilMs) return;
    const kind = pick(rng, options.kinds);
    switch (kind) {
      case 'partition': {
        const nodes = shuffled(rng, ids());
        const shape = rng.int(0, 3);
        if (shape === 0) {
          const cutAt = rng.int(1, nodes.length);
          sim.partition([nodes.slice(0, cutAt), nodes.slice(cutAt)]);
        } else if (shape === 1) {
          sim.isolate(nodes[0] as NodeId);
        } else if (nodes.length > 1) {
          sim.cut(nodes[0] as NodeId, nodes[1] as NodeId);
        }
        sim.at(hold(), () => sim.heal());
        break;
      }
      case 'kill': {
        const victim = pick(rng, ids());
        sim.crash(victim);
        // Half the crashes are blips (the process restarts at once): a node that forgot something
        // volatile then rejoins while the election it took part in is still going on.
        const downMs = rng.chance(0.5) ? 1 + rng.next() * 20 : hold();
        sim.at(downMs, () => sim.restart(victim));
        break;
      }
      case 'pause': {
        const victim = pick(rng, ids());
        sim.pause(victim);
        sim.at(hold(), () => sim.resume(victim));
        break;
      }
      case 'elect': {
        // Two nodes time out at the same moment ("Timeout now" on both): competing candidates in
        // one term, the situation every election rule exists for.
        const [a, b] = shuffled(rng, ids());
        if (a !== undefined) sim.admin(a, { type: 'campaign' });
        if (b !== undefined) sim.admin(b, { type: 'campaign' });
        break;
      }
      case 'drop':
        sim.setNetwork({ drop: 0.1 + rng.next() * 0.3 });
        sim.at(hold(), () => sim.setNetwork({ drop: 0 }));
        break;
      case 'delay':
        sim.setNetwork({ delayMs: 5 + rng.next() * 95, jitterMs: 5 + rng.next() * 95 });
        sim.at(hold(), () => sim.setNetwork({ delayMs: 1, jitterMs: 0.5 }));
        break;
      case 'dup':
        sim.setNetwork({ duplicate: 0.1 + rng.next() * 0.2, reorder: 0.2 });
        sim.at(hold(), () => sim.setNetwork({ duplicate: 0, reorder: 0 }));
        break;
    }
    sim.at(options.intervalMs * (0.5 + rng.next()), inject);
  };
  sim.at(options.intervalMs * (0.5 + rng.next()), inject);
  sim.at(options.untilMs, () => healEverything(sim));
}

/** Ends every fault: heal the network, restart and resume every node. */
export function healEverything(sim: Simulation<unknown>): void {
  sim.heal();
  sim.resetNetwork();
  for (const id of sim.nodeIds) {
    if (!sim.isUp(id)) sim.restart(id);
    if (sim.isPaused(id)) sim.resume(id);
  }
}
