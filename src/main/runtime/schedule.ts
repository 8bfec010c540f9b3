// The random faults both schedules draw (the simulator's fuzz and data generation, and `run` on
// worker threads): which fault, how strong, and the faults that undo it, as data. Each harness
// keeps its own clock for when to strike and when to undo (virtual time, or real time), but a
// partition, a crash or a lossy network means the same thing and has the same strength in both.

import type { LinkRuleView } from '../../shared/bridge.ts';
import type { Fault } from '../../shared/fault.ts';
import type { NodeId } from '../../shared/protocol.ts';
import type { Rng } from '../../shared/rng.ts';

export const BASIC_FAULT_KINDS = ['partition', 'kill', 'pause', 'drop', 'delay', 'dup'] as const;
/**
 * The basic faults and a clock skew: a node's clock reading jumps up to 5 s either way and runs up
 * to 30% fast or slow. Not drawn unless asked for: a lease is unsafe under drift by design, and
 * the fuzz would report it.
 */
export const SCHEDULE_FAULT_KINDS = [...BASIC_FAULT_KINDS, 'skew'] as const;
export type BasicFaultKind = (typeof SCHEDULE_FAULT_KINDS)[number];

/** How strong network faults may get. */
export interface FaultStrength {
  /** A lossy network drops up to this share of messages (a quarter of it at least). */
  dropMax: number;
  /** A slow network delays by up to this, and jitters by up to this too. */
  delayMaxMs: number;
  /** A network that duplicates does so for up to this share of messages (a third of it at least). */
  dupMax: number;
}

export const DEFAULT_STRENGTH: FaultStrength = { dropMax: 0.4, delayMaxMs: 100, dupMax: 0.3 };

/** What a schedule needs to know of the cluster it strikes. */
export interface ScheduleView {
  readonly nodeIds: NodeId[];
  leader(): NodeId | null;
  /** Every link's rule when the cluster started: what undoing a network fault returns to. */
  readonly startingRule: LinkRuleView;
}

export function shuffled<T>(rng: Rng, items: readonly T[]): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = rng.int(0, i + 1);
    [out[i], out[j]] = [out[j] as T, out[i] as T];
  }
  return out;
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(0, items.length)] as T;
}

/**
 * One fault of `kind` and the faults that undo it. Half the faults that strike one node strike
 * the leader: that is where they teach the most, and where the bugs hide.
 */
export function drawFault(rng: Rng, kind: BasicFaultKind, view: ScheduleView, strength: FaultStrength = DEFAULT_STRENGTH): { faults: Fault[]; undo: Fault[] } {
  const ids = view.nodeIds;
  const leader = view.leader();
  const victim = leader !== null && rng.chance(0.5) ? leader : pick(rng, ids);
  const start = view.startingRule;
  switch (kind) {
    case 'partition': {
      const others = shuffled(
        rng,
        ids.filter((id) => id !== victim),
      );
      const shape = rng.int(0, 3);
      if (shape === 0 || others.length === 0) {
        // The victim and a minority against the rest.
        const minority = others.slice(0, rng.int(0, Math.floor((ids.length - 1) / 2) + 1));
        return { faults: [{ kind: 'partition', groups: [[victim, ...minority], others.slice(minority.length)] }], undo: [{ kind: 'heal' }] };
      }
      if (shape === 1) return { faults: [{ kind: 'partition', groups: [[victim], others] }], undo: [{ kind: 'heal' }] };
      const other = others[0] as NodeId;
      return { faults: [{ kind: 'cut', from: victim, to: other }], undo: [{ kind: 'uncut', from: victim, to: other }] };
    }
    case 'kill':
      return { faults: [{ kind: 'crash', node: victim }], undo: [{ kind: 'restart', node: victim }] };
    case 'pause':
      return { faults: [{ kind: 'pause', node: victim }], undo: [{ kind: 'resume', node: victim }] };
    case 'drop':
      return { faults: [{ kind: 'network', rule: { drop: strength.dropMax * (0.25 + rng.next() * 0.75) } }], undo: [{ kind: 'network', rule: { drop: start.drop } }] };
    case 'delay': {
      const delayMs = 5 + rng.next() * Math.max(0, strength.delayMaxMs - 5);
      const jitterMs = 5 + rng.next() * Math.max(0, strength.delayMaxMs - 5);
      return { faults: [{ kind: 'network', rule: { delayMs, jitterMs } }], undo: [{ kind: 'network', rule: { delayMs: start.delayMs, jitterMs: start.jitterMs } }] };
    }
    case 'skew': {
      const offsetMs = Math.round((rng.chance(0.5) ? 1 : -1) * (100 + rng.next() * 4900));
      const drift = Math.round((rng.chance(0.5) ? 1 : -1) * rng.next() * 30) / 100;
      return { faults: [{ kind: 'clock-skew', node: victim, offsetMs, drift }], undo: [{ kind: 'clock-skew', node: victim, offsetMs: 0, drift: 0 }] };
    }
    case 'dup':
      return {
        faults: [{ kind: 'network', rule: { duplicate: strength.dupMax * (1 / 3 + rng.next() * (2 / 3)), reorder: 0.2 } }],
        undo: [{ kind: 'network', rule: { duplicate: start.duplicate, reorder: start.reorder } }],
      };
  }
}
