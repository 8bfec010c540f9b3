// Random fault schedules for fuzzing and data generation. Every fault is undone after a while, and
// the schedule ends by healing everything and leaving a quiet period, so that a run can also be
// checked for recovery, not only for safety.
//
// Besides faults at random moments, some aim at protocol moments, which the algorithm's descriptor
// names without the schedule knowing the algorithm: a crash right after a message that reveals
// durable state (a granted vote, an acknowledged append), a membership change with a leader change
// on its heels, and a change right after an election.

import type { Rng } from '../../shared/rng.ts';
import type { AdminCommand, NodeId } from '../../shared/protocol.ts';
import type { NodeAction } from '../../nodes/descriptor.ts';
import type { Envelope } from '../../nodes/types.ts';
import type { Simulation } from './simulation.ts';

export const FAULT_KINDS = ['partition', 'kill', 'pause', 'drop', 'delay', 'dup', 'elect', 'reveal', 'replay', 'member', 'transfer'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** How hard each kind of fault hits. The defaults are moderate; a swarm run draws extreme ones. */
export interface FaultSettings {
  /** Message loss while a `drop` fault lasts: from dropMax / 4 to dropMax. */
  dropMax: number;
  /** Added delay and jitter while a `delay` fault lasts: up to this much. */
  delayMaxMs: number;
  /** Duplication while a `dup` fault lasts: from dupMax / 3 to dupMax. */
  dupMax: number;
  /** The share of crashes that are blips (the process restarts within 20 ms). */
  blipChance: number;
  /** How many copies of a held message a `replay` fault delivers late. */
  replayCopies: number;
  /** The chance that an election is followed at once by a membership change or a transfer. */
  afterElection: number;
}

export const defaultFaultSettings: FaultSettings = { dropMax: 0.4, delayMaxMs: 100, dupMax: 0.3, blipChance: 0.5, replayCopies: 2, afterElection: 0.1 };

export interface FaultScheduleOptions {
  kinds: readonly FaultKind[];
  /** Mean time between faults. */
  intervalMs: number;
  /** When faults stop; everything is healed then. */
  untilMs: number;
  settings?: Partial<FaultSettings>;
  /** The most servers the cluster may grow to through membership changes (default: its size + 2). */
  maxNodes?: number;
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

type CommandType = AdminCommand['type'];

/** The algorithm's action that gives `type`, if it has one: the schedule never names an algorithm. */
function actionFor(actions: readonly NodeAction[], type: CommandType): NodeAction | undefined {
  return actions.find((a) => a.command(a.needsPeer === undefined ? null : 'n0').type === type);
}

/**
 * A swarm run (Groce et al., "Swarm testing", ISSTA 2012): a random subset of the fault kinds, each
 * at extreme settings. Leaving kinds out matters as much as the extremes: a run full of partitions
 * never lets an election finish, so the bugs that need a quiet election behind a crash never show.
 */
export function swarmSchedule(rng: Rng, kinds: readonly FaultKind[]): { kinds: FaultKind[]; intervalMs: number; settings: FaultSettings } {
  let chosen = kinds.filter(() => rng.chance(0.5));
  if (chosen.length === 0 && kinds.length > 0) chosen = [pick(rng, kinds)];
  return {
    kinds: chosen,
    intervalMs: pick(rng, [40, 100, 250, 500, 1000]),
    settings: {
      dropMax: pick(rng, [0.2, 0.5, 0.9]),
      delayMaxMs: pick(rng, [20, 100, 400]),
      dupMax: pick(rng, [0.2, 0.5, 0.9]),
      blipChance: pick(rng, [0, 0.5, 1]),
      replayCopies: pick(rng, [1, 3, 6]),
      afterElection: pick(rng, [0, 0.3, 1]),
    },
  };
}

/** Schedules random faults on `sim`. Call before running it. */
export function scheduleFaults(sim: Simulation<unknown>, rng: Rng, options: FaultScheduleOptions): void {
  if (options.kinds.length === 0) return;
  const settings: FaultSettings = { ...defaultFaultSettings, ...(options.settings ?? {}) };
  const ids = (): NodeId[] => sim.nodeIds;
  const hold = (): number => options.intervalMs * (0.5 + rng.next() * 1.5);
  const descriptor = sim.algorithmDescriptor;
  const actions = descriptor.actions;
  const campaign = actionFor(actions, 'campaign');
  const transfer = actionFor(actions, 'transfer_leadership');
  const addServer = actionFor(actions, 'add_server');
  const removeServer = actionFor(actions, 'remove_server');
  const maxNodes = options.maxNodes ?? sim.nodeIds.length + 2;
  const faultsOn = (): boolean => sim.timeUs / 1000 < options.untilMs;
  const changesMembership = options.kinds.includes('member') && (addServer !== undefined || removeServer !== undefined);
  const transfers = options.kinds.includes('transfer') && transfer !== undefined;

  const crashFor = (victim: NodeId, downMs: number): void => {
    sim.crash(victim);
    sim.at(downMs, () => sim.restart(victim));
  };
  const downTime = (): number => (rng.chance(settings.blipChance) ? 1 + rng.next() * 20 : hold());

  const elect = (): void => {
    // Two nodes time out at the same moment ("Timeout now" on both): competing candidates in one
    // term, the situation every election rule exists for.
    if (campaign === undefined) return;
    const [a, b] = shuffled(rng, ids());
    if (a !== undefined) sim.admin(a, campaign.command(null));
    if (b !== undefined) sim.admin(b, campaign.command(null));
  };

  const votersOf = (leader: NodeId): readonly NodeId[] => sim.status(leader)?.voters ?? ids();

  /** A membership change at `leader` through the algorithm's add or remove action; false if none fits. */
  const changeMembership = (leader: NodeId): boolean => {
    const voters = votersOf(leader);
    const outsiders = ids().filter((id) => !voters.includes(id));
    const canAdd = addServer !== undefined && (outsiders.length > 0 || ids().length < maxNodes);
    const canRemove = removeServer !== undefined && voters.length > 3;
    if (!canAdd && !canRemove) return false;
    if (canAdd && (!canRemove || rng.chance(0.5))) {
      const peer = outsiders.length > 0 && rng.chance(0.5) ? pick(rng, outsiders) : ids().length < maxNodes ? sim.addNode() : pick(rng, outsiders);
      sim.admin(leader, (addServer as NodeAction).command(peer));
    } else {
      sim.admin(leader, (removeServer as NodeAction).command(pick(rng, voters)));
    }
    return true;
  };

  const transferFrom = (leader: NodeId): boolean => {
    const others = votersOf(leader).filter((id) => id !== leader);
    if (transfer === undefined || others.length === 0) return false;
    sim.admin(leader, transfer.command(pick(rng, others)));
    return true;
  };

  /** Whoever leads loses it soon: a crash, a competing election, a hand-over or a partition. */
  const leaderChange = (leader: NodeId): void => {
    const way = rng.int(0, 4);
    if (way === 0) crashFor(leader, downTime());
    else if (way === 1 && campaign !== undefined) {
      const other = pick(rng, votersOf(leader).filter((id) => id !== leader));
      if (other !== undefined) sim.admin(other, campaign.command(null));
    } else if (way === 2 && transferFrom(leader)) {
      // handed over
    } else {
      sim.isolate(leader);
      sim.at(hold(), () => sim.heal());
    }
  };

  // A new leader is most fragile before it has committed an entry of its own term: a membership
  // change or a transfer then is where the single-server-change bug (Ongaro's 2015 errata to his
  // thesis) lives.
  let nextElectionChanges = false;
  if (changesMembership || transfers) {
    sim.onElected((leader) => {
      if (!faultsOn()) return;
      if (!nextElectionChanges && !rng.chance(settings.afterElection)) return;
      nextElectionChanges = false;
      sim.at(0.001, () => {
        if (sim.status(leader)?.role !== 'leader') return;
        if (changesMembership && (!transfers || rng.chance(0.7))) changeMembership(leader);
        else if (transfers) transferFrom(leader);
      });
    });
  }

  // Crashes aimed right after a message that reveals durable state, and old messages replayed.
  let revealKind: 'vote' | 'ack' | null = null;
  let revealUntilUs = 0;
  let revealCrashes = 0;
  let replayUntilUs = 0;
  const replayedTypes = new Set<string>();
  const revealKinds = [...new Set(Object.values(descriptor.messages).flatMap((m) => (m.reveals === undefined ? [] : [m.reveals])))];
  const crashOnDelivery = new Set<Envelope>();
  if (options.kinds.includes('reveal')) {
    sim.onDelivered((envelope: Envelope) => {
      if (crashOnDelivery.size === 0 || !crashOnDelivery.delete(envelope)) return;
      const victim = envelope.dest;
      sim.at(0.001, () => {
        if (sim.isUp(victim)) crashFor(victim, 1 + rng.next() * 30);
      });
    });
  }
  if (options.kinds.includes('reveal') || options.kinds.includes('replay')) {
    sim.onSend((envelope: Envelope) => {
      const now = sim.timeUs;
      if (revealKind !== null && now < revealUntilUs && revealCrashes > 0 && descriptor.messages[envelope.body.type]?.reveals === revealKind && rng.chance(0.5)) {
        revealCrashes--;
        if (rng.chance(0.5)) {
          // The sender, after the Ready that sent it was carried out, before anything else reaches
          // it: whatever it failed to write is gone.
          const victim = envelope.src;
          sim.at(0.001, () => {
            if (sim.isUp(victim)) crashFor(victim, 1 + rng.next() * 30);
          });
        } else {
          // The receiver, right after it acted on it (a leader that just counted an ack towards a
          // commit, a candidate that just won): what it did with it must survive too.
          crashOnDelivery.add(envelope);
        }
      }
      // Each message type once per fault, so rare ones (a snapshot) are as likely to be held as
      // the heartbeats that outnumber them a hundred to one.
      if (now < replayUntilUs && !replayedTypes.has(envelope.body.type) && rng.chance(0.5)) {
        replayedTypes.add(envelope.body.type);
        for (let i = 0; i < settings.replayCopies; i++) sim.deliverLate(envelope, 20 + rng.next() * options.intervalMs * 4);
      }
    });
  }

  const inject = (): void => {
    if (!faultsOn()) return;
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
      case 'kill':
        // Some crashes are blips (the process restarts at once): a node that forgot something
        // volatile then rejoins while the election it took part in is still going on.
        crashFor(pick(rng, ids()), downTime());
        break;
      case 'pause': {
        const victim = pick(rng, ids());
        sim.pause(victim);
        sim.at(hold(), () => sim.resume(victim));
        break;
      }
      case 'elect':
        elect();
        break;
      case 'drop':
        sim.setNetwork({ drop: settings.dropMax * (0.25 + rng.next() * 0.75) });
        sim.at(hold(), () => sim.setNetwork({ drop: 0 }));
        break;
      case 'delay':
        sim.setNetwork({ delayMs: 5 + rng.next() * (settings.delayMaxMs - 5), jitterMs: 5 + rng.next() * (settings.delayMaxMs - 5) });
        sim.at(hold(), () => sim.setNetwork({ delayMs: 1, jitterMs: 0.5 }));
        break;
      case 'dup':
        sim.setNetwork({ duplicate: settings.dupMax * (1 / 3 + rng.next() * (2 / 3)), reorder: 0.2 });
        sim.at(hold(), () => sim.setNetwork({ duplicate: 0, reorder: 0 }));
        break;
      case 'reveal': {
        if (revealKinds.length === 0) break;
        revealKind = pick(rng, revealKinds);
        revealUntilUs = sim.timeUs + Math.round(hold() * 1000);
        revealCrashes = 2;
        // Votes come only with an election: start one, so the crash has votes to follow.
        if (revealKind === 'vote') elect();
        break;
      }
      case 'replay':
        replayUntilUs = sim.timeUs + Math.round(hold() * 1000);
        replayedTypes.clear();
        break;
      case 'member': {
        const leader = sim.leader();
        if (leader === null || !changesMembership) break;
        if (!changeMembership(leader)) break;
        // The leader changes while the new configuration may still be uncommitted, and the next
        // leader is asked for a change of its own at once.
        nextElectionChanges = true;
        if (rng.chance(0.7)) sim.at(rng.next() * 3, () => leaderChange(leader));
        break;
      }
      case 'transfer': {
        const leader = sim.leader();
        if (leader !== null) transferFrom(leader);
        break;
      }
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
