// Random fault schedules for fuzzing and data generation. Every fault is undone after a while, and
// the schedule ends by healing everything and leaving a quiet period, so that a run can also be
// checked for recovery, not only for safety.
//
// Besides faults at random moments, some aim at protocol moments, which the algorithm's descriptor
// and the status conventions (role, term, commit) name without the schedule knowing the algorithm:
// a crash right after a message that reveals durable state (a granted vote, an acknowledged
// append); a membership change that reaches only some voters, with a leader change on its heels and
// a change of the next leader's own while its first entry reaches only some voters; new leaders cut
// off in turn right after they appended their first entry (the Figure 8 interleaving), the last one
// right after it first moves its commit index; a hand-over whose message to the transferee is held,
// with the old leader deaf to its successor.

import type { Rng } from '../../shared/rng.ts';
import type { AdminCommand, NodeId, NodeStatus } from '../../shared/protocol.ts';
import type { NodeAction } from '../../nodes/descriptor.ts';
import type { Envelope } from '../../nodes/types.ts';
import type { Simulation } from './simulation.ts';
import { applyFault } from '../runtime/faults.ts';
import { DEFAULT_STRENGTH, drawFault, shuffled } from '../runtime/schedule.ts';
import type { Fault } from '../../shared/fault.ts';

export const FAULT_KINDS = ['partition', 'kill', 'pause', 'drop', 'delay', 'dup', 'elect', 'reveal', 'replay', 'member', 'transfer', 'orphan', 'torn', 'skew'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];
/** What the fuzz draws unless told: all but clock skew (a lease is unsafe under drift by design). */
export const DEFAULT_FAULT_KINDS: readonly FaultKind[] = FAULT_KINDS.filter((kind) => kind !== 'skew');

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

export const defaultFaultSettings: FaultSettings = { ...DEFAULT_STRENGTH, blipChance: 0.5, replayCopies: 2, afterElection: 0.1 };

export interface FaultScheduleOptions {
  kinds: readonly FaultKind[];
  /** Mean time between faults. */
  intervalMs: number;
  /** When faults stop; everything is healed then. */
  untilMs: number;
  settings?: Partial<FaultSettings>;
  /** The most servers the cluster may grow to through membership changes (default: its size + 2). */
  maxNodes?: number;
  /**
   * How long a follower waits for its leader before it acts (the algorithm's leaderTimeoutOption),
   * so that faults aimed at that moment can land around it (default: a third of intervalMs).
   */
  leaderTimeoutMs?: number;
}

function pick<T>(rng: Rng, items: readonly T[]): T {
  return items[rng.int(0, items.length)] as T;
}

export { shuffled };

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
  const orphans = options.kinds.includes('orphan');

  const view = {
    get nodeIds(): NodeId[] {
      return sim.nodeIds;
    },
    leader: () => sim.leader(),
    startingRule: sim.startingRule,
  };

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
  const othersOf = (leader: NodeId): NodeId[] => votersOf(leader).filter((id) => id !== leader);

  // Messages held by aimed faults, by link, until a time: each is lost, or delivered once the hold
  // ends (with `late` chance), arriving across whatever changed meanwhile. Unlike a cut, a hold ends
  // by itself and only on its own links: a heal elsewhere does not end it.
  const holds = new Map<string, { untilUs: number; late: number }>();
  const holdLink = (src: NodeId, dest: NodeId, ms: number, late = 0.5): void => {
    const key = `${src}>${dest}`;
    const untilUs = sim.timeUs + Math.round(ms * 1000);
    holds.set(key, { untilUs: Math.max(holds.get(key)?.untilUs ?? 0, untilUs), late });
  };
  const holdFrom = (src: NodeId, dests: readonly NodeId[], ms: number, late = 0.5): void => {
    for (const dest of dests) if (dest !== src) holdLink(src, dest, ms, late);
  };
  const holdInto = (dest: NodeId, ms: number): void => {
    for (const src of ids()) if (src !== dest) holdLink(src, dest, ms);
  };
  const takeHeld = (envelope: Envelope): boolean => {
    if (holds.size === 0) return false;
    if (!faultsOn()) {
      // The final heal ends the holds too.
      holds.clear();
      return false;
    }
    const key = `${envelope.src}>${envelope.dest}`;
    const held = holds.get(key);
    if (held === undefined) return false;
    const now = sim.timeUs;
    if (held.untilUs <= now) {
      holds.delete(key);
      return false;
    }
    if (rng.chance(held.late)) sim.deliverLate(envelope, (held.untilUs - now) / 1000 + rng.next() * 20);
    return true;
  };

  /** Some of `items`, at least one and at most `max`, in random order. */
  const someOf = <T>(items: readonly T[], max = items.length): T[] => shuffled(rng, items).slice(0, rng.int(1, Math.max(1, max) + 1));

  /**
   * A membership change at `leader` through the algorithm's add or remove action; false if none
   * fits. Given `missed` (voters that did not get the leader's newest entries), it removes one of
   * them if it can.
   */
  const changeMembership = (leader: NodeId, missed: readonly NodeId[] = []): boolean => {
    const voters = votersOf(leader);
    const outsiders = ids().filter((id) => !voters.includes(id));
    const canAdd = addServer !== undefined && (outsiders.length > 0 || ids().length < maxNodes);
    const canRemove = removeServer !== undefined && voters.length > 3;
    if (!canAdd && !canRemove) return false;
    const aimed = missed.filter((id) => voters.includes(id));
    if (canAdd && (!canRemove || (aimed.length === 0 && rng.chance(0.5)))) {
      const peer = outsiders.length > 0 && rng.chance(0.5) ? pick(rng, outsiders) : ids().length < maxNodes ? sim.addNode() : pick(rng, outsiders);
      sim.admin(leader, (addServer as NodeAction).command(peer));
    } else {
      sim.admin(leader, (removeServer as NodeAction).command(pick(rng, aimed.length > 0 ? aimed : voters)));
    }
    return true;
  };

  // A hand-over whose go-ahead to the transferee is held until about when the old leader gives up
  // on it and serves again. From just before it arrives the old leader hears nobody for a while:
  // when the transferee wins after all, whatever the old leader still serves from a lease (a
  // transferee's election skips the voters' lease check) must be true.
  const leaderTimeoutMs = options.leaderTimeoutMs ?? options.intervalMs / 3;
  const startsElection = new Set(Object.entries(descriptor.messages).flatMap(([type, m]) => (m.starts === 'election' ? [type] : [])));
  let handOver: { from: NodeId; to: NodeId; untilUs: number; lateMs: number } | null = null;
  const holdGoAhead = (envelope: Envelope): boolean => {
    const h = handOver as { from: NodeId; to: NodeId; untilUs: number; lateMs: number };
    if (sim.timeUs >= h.untilUs) {
      handOver = null;
      return false;
    }
    if (envelope.src !== h.from || envelope.dest !== h.to || !startsElection.has(envelope.body.type)) return false;
    handOver = null;
    sim.at(h.lateMs, () => {
      if (faultsOn()) holdInto(h.from, hold());
    });
    sim.deliverLate(envelope, h.lateMs);
    return true;
  };

  /**
   * Hands `leader`'s leadership to another voter, its go-ahead held with chance `aim`; the
   * transferee, or null if none.
   */
  const transferFrom = (leader: NodeId, aim: number): NodeId | null => {
    const others = othersOf(leader);
    if (transfer === undefined || others.length === 0) return null;
    const to = pick(rng, others);
    if (startsElection.size > 0 && rng.chance(aim)) {
      handOver = { from: leader, to, untilUs: sim.timeUs + Math.round(leaderTimeoutMs * 2 * 1000), lateMs: leaderTimeoutMs * (0.6 + rng.next() * 0.4) };
    }
    sim.admin(leader, transfer.command(to));
    return to;
  };

  /** Whoever leads loses it soon: a crash, a competing election, a hand-over or a partition. */
  const leaderChange = (leader: NodeId): void => {
    const way = rng.int(0, 4);
    if (way === 0) crashFor(leader, downTime());
    else if (way === 1 && campaign !== undefined) {
      const other = pick(rng, othersOf(leader));
      if (other !== undefined) sim.admin(other, campaign.command(null));
    } else if (way === 2 && transferFrom(leader, 0.5) !== null) {
      // handed over
    } else {
      sim.isolate(leader);
      sim.at(hold(), () => sim.heal());
    }
  };

  // A new leader is most fragile before it has committed an entry of its own term: a membership
  // change or a transfer then is where the single-server-change bug (Ongaro's 2015 errata to his
  // thesis) lives. It shows when the new leader's first entry misses some voters (in this moment
  // a leader that appends it at once has not replicated it yet), so the aimed change holds it from some.
  let nextElectionChanges = false;
  let holdNextFirstEntry = false;
  let missedFirstEntry: NodeId[] = [];
  if (changesMembership || transfers) {
    sim.onElected((leader) => {
      if (!faultsOn()) return;
      if (!nextElectionChanges && !rng.chance(settings.afterElection)) return;
      nextElectionChanges = false;
      const missed = missedFirstEntry;
      missedFirstEntry = [];
      sim.at(0.001, () => {
        if (sim.status(leader)?.role !== 'leader') return;
        if (changesMembership && (!transfers || missed.length > 0 || rng.chance(0.7))) changeMembership(leader, missed);
        else if (transfers) transferFrom(leader, 0.5);
      });
    });
  }

  // Leaders in turn append an entry that only they hold (each is cut off right after its first
  // entry, then crashes and restarts), until one of them copies its older entry to the others; that
  // one is cut off and crashes in the step its commit index first moves, so that what it committed
  // then rests on that entry alone. A leader that counts replicas of an earlier term's entry
  // towards a commit (the interleaving of Figure 8 in the paper that introduced leader logs) then
  // loses a committed entry to the next leader.
  let orphansLeft = 0;
  let watchNextLeader = false;
  let orphanUntilUs = 0;
  let watched: { node: NodeId; term: number; commit: number } | null = null;

  const onNewLeader = (leader: NodeId, status: NodeStatus): void => {
    if (!faultsOn()) return;
    const now = sim.timeUs;
    if (holdNextFirstEntry && nextElectionChanges) {
      holdNextFirstEntry = false;
      const others = othersOf(leader);
      if (others.length >= 2) {
        // Often it reaches a single voter: the fewest a new configuration of one server fewer
        // needs to commit with its leader.
        missedFirstEntry = rng.chance(0.5) ? shuffled(rng, others).slice(1) : someOf(others, others.length - 1);
        holdFrom(leader, missedFirstEntry, hold());
      }
    }
    if (now < orphanUntilUs) {
      if (orphansLeft > 0) {
        orphansLeft--;
        if (orphansLeft === 0) watchNextLeader = true;
        // What it sends until it crashes is lost: its first entry stays on its own disk.
        const crashInMs = rng.next() * 10;
        for (const dest of ids()) if (dest !== leader) holdLink(leader, dest, crashInMs + 1, 0);
        // Down for a few election timeouts: long enough for another to take over, back in time to
        // vote and run against the one that copies its older entry.
        sim.at(crashInMs, () => {
          if (faultsOn() && sim.isUp(leader)) crashFor(leader, leaderTimeoutMs * (1 + rng.next() * 1.5));
        });
      } else if (watchNextLeader) {
        watchNextLeader = false;
        watched = { node: leader, term: status.term ?? 0, commit: status.commit ?? 0 };
      }
    }
  };
  const watchingLeaders = (): boolean => holdNextFirstEntry || (sim.timeUs < orphanUntilUs && (orphansLeft > 0 || watchNextLeader));

  // A new leader's first Ready is seen at its first message, before the network takes it: the
  // election listener runs only after that Ready went out, too late to hold its first entry.
  const knownLeaders = new Set<string>();
  if (changesMembership || transfers || orphans) sim.onElected((leader, status) => knownLeaders.add(`${leader}:${status.term}`));

  const watchCommit = (envelope: Envelope): void => {
    const w = watched as { node: NodeId; term: number; commit: number };
    const status = sim.status(w.node);
    if (status === null || (status.term ?? 0) !== w.term || status.role !== 'leader') {
      watched = null;
      return;
    }
    if ((status.commit ?? 0) <= w.commit) return;
    watched = null;
    if (!faultsOn()) return;
    const victim = envelope.src;
    for (const dest of ids()) if (dest !== victim) holdLink(victim, dest, 1, 0);
    sim.at(0.001, () => {
      if (faultsOn() && sim.isUp(victim)) crashFor(victim, leaderTimeoutMs * (1.5 + rng.next() * 2));
    });
  };

  // Crashes aimed right after a message that reveals durable state, and old messages replayed.
  let revealKind: 'vote' | 'ack' | null = null;
  let revealUntilUs = 0;
  let revealCrashes = 0;
  let replayUntilUs = 0;
  // A crash between a Ready's sends and the end of its overlapping write (persistFirst false), as a
  // worker thread can die: the write is lost, what it sent is out. One per fault, soon restarted.
  let tornUntilUs = 0;
  sim.onOverlappedWrite((node) => {
    if (sim.timeUs >= tornUntilUs || !rng.chance(0.3)) return false;
    tornUntilUs = 0;
    sim.at(downTime(), () => sim.restart(node));
    return true;
  });
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
  const reveals = options.kinds.includes('reveal') || options.kinds.includes('replay');
  if (reveals || changesMembership || transfers || orphans) {
    sim.onSend((envelope: Envelope) => {
      if (watchingLeaders()) {
        const status = sim.status(envelope.src);
        if (status !== null && status.role === 'leader') {
          const key = `${envelope.src}:${status.term}`;
          if (!knownLeaders.has(key)) {
            knownLeaders.add(key);
            onNewLeader(envelope.src, status);
          }
        }
      }
      if (watched !== null && envelope.src === watched.node) watchCommit(envelope);
      if (handOver !== null && holdGoAhead(envelope)) return true;
      if (!reveals) return takeHeld(envelope);
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
      return takeHeld(envelope);
    });
  }

  const inject = (): void => {
    if (!faultsOn()) return;
    const kind = pick(rng, options.kinds);
    switch (kind) {
      // The basic faults, drawn as `run` draws them on worker threads (runtime/schedule.ts), each
      // undone after a while; a crash sometimes only a blip (the process restarts at once): a
      // node that forgot something volatile then rejoins while the election it took part in is
      // still going on.
      case 'kill': {
        const drawn = drawFault(rng, 'kill', view, settings);
        const crash = drawn.faults[0] as Extract<Fault, { kind: 'crash' }>;
        crashFor(crash.node, downTime());
        break;
      }
      case 'partition':
      case 'pause':
      case 'drop':
      case 'delay':
      case 'dup':
      case 'skew': {
        const drawn = drawFault(rng, kind, view, settings);
        for (const fault of drawn.faults) applyFault(sim, fault);
        sim.at(hold(), () => {
          for (const fault of drawn.undo) applyFault(sim, fault);
        });
        break;
      }
      case 'elect':
        elect();
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
      case 'torn':
        tornUntilUs = sim.timeUs + Math.round(hold() * 1000);
        break;
      case 'replay':
        replayUntilUs = sim.timeUs + Math.round(hold() * 1000);
        replayedTypes.clear();
        break;
      case 'member': {
        const leader = sim.leader();
        if (leader === null || !changesMembership) break;
        // Aimed at the errata's chain: the change reaches no other voter (only a server it adds),
        // the leader crashes at once, and the next leader's first entry reaches only some voters
        // while it is asked for a change of its own.
        const aimed = rng.chance(0.7);
        const crashInMs = rng.next() * 3;
        if (aimed) holdFrom(leader, othersOf(leader), crashInMs + 1, 0);
        if (!changeMembership(leader)) break;
        // The leader changes while the new configuration may still be uncommitted, and the next
        // leader is asked for a change of its own at once.
        nextElectionChanges = true;
        holdNextFirstEntry = aimed || rng.chance(0.3);
        if (aimed) {
          sim.at(crashInMs, () => {
            if (faultsOn() && sim.isUp(leader)) crashFor(leader, downTime());
          });
        } else if (rng.chance(0.7)) sim.at(rng.next() * 3, () => leaderChange(leader));
        break;
      }
      case 'transfer': {
        const leader = sim.leader();
        if (leader !== null) transferFrom(leader, 1);
        break;
      }
      case 'orphan': {
        // One chain at a time: each leaves the cluster without a leader for a while.
        if (sim.timeUs < orphanUntilUs) break;
        orphansLeft = rng.int(2, 4);
        watchNextLeader = false;
        watched = null;
        orphanUntilUs = sim.timeUs + Math.round(options.intervalMs * 6 * 1000);
        // The leader there is, if any, crashes: the chain starts with the next election.
        const leader = sim.leader();
        if (leader !== null) crashFor(leader, downTime());
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
