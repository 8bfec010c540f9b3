// Live safety monitors for the CRDT replicas, checked after every Ready. They judge what replicas
// wrote down (each key's state in the persist records) and what they sent, never their memory, and
// what clients invoked where the harness reports it (the simulator does; scenario files do not).
//
// Properties:
//   merge_regressed          a replica's durable state of a key went back in its type's order (a
//                            merge or an update lost something it held), in a life or across a
//                            restart
//   revealed_before_durable  gossip carried a state or a digest beyond what its sender had written
//                            down (a crash could make it contradict what it told its peer)
//   dot_reused               one dot (a replica's n-th update of a key) names two different updates:
//                            a replica forgot what it had issued
//   removed_unseen_add       OR-set: a replica's vector covers an add's tag it does not hold, though
//                            no replica that held the tag ever let it go, or a replica is the first
//                            to let a tag go and made no update of its own (a merge, not a remove):
//                            a concurrent add deleted by a remove that never saw it
//   never_invoked            an element, a register value or an increment no client asked for (an
//                            increment counts once per request; a retry's copy is the same request)
//   counter_beyond_invoked   a counter's value above the sum of every increment invoked on its key,
//                            or below the sum of every decrement; a G-counter holding a decrement

import type { HistoryEvent } from '../../shared/history.ts';
import type { NodeId, NodeStatus } from '../../shared/protocol.ts';
import type { PersistedState, Ready } from '../types.ts';
import { SafetyViolation, type MonitorOptions, type SafetyMonitor } from '../monitor.ts';
import { countedIncrements, counterValue, settledTotals } from './counter.ts';
import { formatState, stateLeq, type CrdtState } from './datatypes.ts';
import { covers, dotKey, formatVector, seen, vectorLeq, type Dot, type VersionVector } from './dots.ts';
import type { GossipMessage } from './messages.ts';
import { KEY_RECORD_PREFIX, SESSION_RECORD_PREFIX } from './records.ts';

export type CrdtSafetyProperty = 'merge_regressed' | 'revealed_before_durable' | 'dot_reused' | 'removed_unseen_add' | 'never_invoked' | 'counter_beyond_invoked';

interface Invoked {
  /** Per process, how many increments of each amount it invoked (counters), as `process|amount`. */
  increments: Map<string, number>;
  /** Per process, the sums of its increments and of its decrements (a settled counter keeps only those). */
  byProcess: Map<string, { up: number; down: number }>;
  up: number;
  down: number;
  /** Elements added and values written, as JSON. */
  values: Set<string>;
}

/** Every dot a state holds, with what it says (for dot_reused). */
function dotsOf(state: CrdtState): Array<[Dot, string]> {
  switch (state.t) {
    case 'g-counter':
    case 'pn-counter':
      return state.incs.map((inc) => [inc.dot, `${inc.op} ${inc.amount >= 0 ? '+' : ''}${inc.amount}`]);
    case 'or-set':
    case 'mv-register':
      return state.tagged.map((t) => [t.dot, JSON.stringify(t.value)]);
    case 'lww-register':
      return state.w === null ? [] : [[state.w.dot, `${JSON.stringify(state.w.value)} at ${state.w.ts} ms`]];
  }
}

const short = (state: CrdtState): string => {
  const text = formatState(state);
  return text.length > 160 ? `${text.slice(0, 157)}...` : text;
};

export function createCrdtMonitor(options: MonitorOptions = {}): SafetyMonitor {
  const throwOnViolation = options.throwOnViolation ?? false;
  const found: SafetyViolation[] = [];
  const durable = new Map<NodeId, Map<string, CrdtState>>();
  /** `key|dot` -> what the dot says, the first time any replica wrote it down. */
  const dots = new Map<string, string>();
  /** OR-set tags some replica held and then let go (`key|dot`), and every tag ever held, per key. */
  const letGo = new Set<string>();
  const tags = new Map<string, Map<string, Dot>>();
  /** Null until the harness reports an invocation: a scenario without clients cannot judge values. */
  let invoked: Map<string, Invoked> | null = null;
  let acknowledged = 0;

  const violate = (property: CrdtSafetyProperty, message: string, timeUs: number, node?: NodeId): void => {
    const v = new SafetyViolation(property, message, timeUs, node);
    found.push(v);
    if (throwOnViolation) throw v;
  };

  const durableOf = (node: NodeId): Map<string, CrdtState> => {
    let states = durable.get(node);
    if (states === undefined) {
      states = new Map();
      durable.set(node, states);
    }
    return states;
  };

  const checkDots = (node: NodeId, key: string, state: CrdtState, timeUs: number): void => {
    for (const [dot, says] of dotsOf(state)) {
      const id = `${key}|${dotKey(dot)}`;
      const before = dots.get(id);
      if (before === undefined) dots.set(id, says);
      else if (before !== says) violate('dot_reused', `key ${JSON.stringify(key)}: dot ${dotKey(dot)} was ${before} and is now ${says} on ${node}`, timeUs, node);
    }
  };

  const checkOrSet = (node: NodeId, key: string, previous: CrdtState | undefined, state: CrdtState, timeUs: number): void => {
    if (state.t !== 'or-set') return;
    let ever = tags.get(key);
    if (ever === undefined) {
      ever = new Map();
      tags.set(key, ever);
    }
    const held = new Set(state.tagged.map((t) => dotKey(t.dot)));
    if (previous !== undefined && previous.t === 'or-set') {
      // The first replica to let a tag go does it by an update of its own (a remove of the element,
      // or an add that re-tags it), which takes a dot; a merge only drops tags someone let go before.
      const ownUpdate = seen(state.vv, node) > seen(previous.vv, node);
      for (const t of previous.tagged) {
        const id = dotKey(t.dot);
        if (held.has(id) || letGo.has(`${key}|${id}`)) continue;
        letGo.add(`${key}|${id}`);
        if (!ownUpdate) violate('removed_unseen_add', `key ${JSON.stringify(key)}: ${node} let the add of ${JSON.stringify(t.value)} tagged ${id} go without a remove of its own, and no replica had removed it`, timeUs, node);
      }
    }
    for (const t of state.tagged) ever.set(dotKey(t.dot), t.dot);
    for (const [id, dot] of ever) {
      if (held.has(id) || !covers(state.vv, dot) || letGo.has(`${key}|${id}`)) continue;
      violate('removed_unseen_add', `key ${JSON.stringify(key)}: ${node}'s vector ${formatVector(state.vv)} covers the add tagged ${id}, which ${node} does not hold and no replica that held it let go`, timeUs, node);
      letGo.add(`${key}|${id}`); // once per tag
    }
  };

  const checkInvoked = (node: NodeId, key: string, state: CrdtState, timeUs: number): void => {
    if (state.t === 'g-counter' && (state.incs.some((inc) => inc.amount < 0) || [...settledTotals(state).values()].some((total) => total.down > 0))) violate('counter_beyond_invoked', `key ${JSON.stringify(key)}: ${node}'s g-counter holds a decrement: ${short(state)}`, timeUs, node);
    if (invoked === null) return;
    const asked = invoked.get(key);
    const where = `key ${JSON.stringify(key)} on ${node}`;
    switch (state.t) {
      case 'g-counter':
      case 'pn-counter': {
        const counted = new Map<string, number>();
        // Per client, the settled totals plus the unsettled increments: within what it invoked.
        const totals = settledTotals(state);
        for (const inc of countedIncrements(state)) {
          const client = /^c(\d+)#\d+$/.exec(inc.op)?.[1];
          const id = `${client ?? inc.op}|${inc.amount}`;
          counted.set(id, (counted.get(id) ?? 0) + 1);
          if (client === undefined) continue;
          const total = totals.get(client) ?? { up: 0, down: 0 };
          if (inc.amount >= 0) total.up += inc.amount;
          else total.down -= inc.amount;
          totals.set(client, total);
        }
        for (const [client, { up, down }] of totals) {
          const allowed = asked?.byProcess.get(client) ?? { up: 0, down: 0 };
          if (up > allowed.up || down > allowed.down) violate('never_invoked', `${where}: client ${client}'s increments add ${up} and take away ${down}, and it invoked ${allowed.up} and ${allowed.down}`, timeUs, node);
        }
        for (const [id, n] of counted) {
          const allowed = asked?.increments.get(id) ?? 0;
          if (n > allowed) {
            const [client, amount] = id.split('|');
            violate('never_invoked', `${where}: ${n} increments of ${amount} by client ${client} are counted, and it invoked ${allowed}`, timeUs, node);
          }
        }
        const value = counterValue(state);
        if (value > (asked?.up ?? 0) || value < (asked?.down ?? 0)) violate('counter_beyond_invoked', `${where}: the value ${value} lies outside what every invoked increment could give (${asked?.down ?? 0} to ${asked?.up ?? 0})`, timeUs, node);
        return;
      }
      case 'or-set':
      case 'mv-register':
        for (const t of state.tagged) if (asked?.values.has(JSON.stringify(t.value)) !== true) violate('never_invoked', `${where}: ${JSON.stringify(t.value)} is there, and no client ${state.t === 'or-set' ? 'added' : 'wrote'} it`, timeUs, node);
        return;
      case 'lww-register':
        if (state.w !== null && asked?.values.has(JSON.stringify(state.w.value)) !== true) violate('never_invoked', `${where}: ${JSON.stringify(state.w.value)} is there, and no client wrote it`, timeUs, node);
        return;
    }
  };

  const written = (node: NodeId, key: string, state: CrdtState, timeUs: number): void => {
    const states = durableOf(node);
    const previous = states.get(key);
    if (previous !== undefined && !stateLeq(previous, state)) violate('merge_regressed', `key ${JSON.stringify(key)}: ${node} wrote ${short(state)} over ${short(previous)}, which it does not include`, timeUs, node);
    checkDots(node, key, state, timeUs);
    checkOrSet(node, key, previous, state, timeUs);
    checkInvoked(node, key, state, timeUs);
    states.set(key, state);
  };

  const checkMessage = (node: NodeId, envelope: Ready['messages'][number], timeUs: number): void => {
    const m = envelope.body as GossipMessage;
    if (m.type !== 'gossip' && m.type !== 'gossip_reply') return;
    const states = durableOf(node);
    for (const [key, { vv }] of m.digest) {
      const held: VersionVector = states.get(key)?.vv ?? {};
      if (!vectorLeq(vv, held)) violate('revealed_before_durable', `${node} told ${envelope.dest} it has seen ${formatVector(vv)} of key ${JSON.stringify(key)}, and it wrote down ${formatVector(held)}`, timeUs, node);
    }
    for (const [key, state] of m.states) {
      const held = states.get(key);
      if (held === undefined || !stateLeq(state, held)) violate('revealed_before_durable', `${node} sent ${envelope.dest} ${short(state)} for key ${JSON.stringify(key)}, beyond what it wrote down (${held === undefined ? 'nothing' : short(held)})`, timeUs, node);
    }
  };

  return {
    onNodeStart(node: NodeId, persisted: PersistedState, _status: NodeStatus, timeUs: number): void {
      const loaded = new Map<string, CrdtState>();
      for (const [record, value] of persisted.records) if (record.startsWith(KEY_RECORD_PREFIX) && value !== null) loaded.set(record.slice(KEY_RECORD_PREFIX.length), value as CrdtState);
      for (const [key, before] of durableOf(node)) {
        const now = loaded.get(key);
        if (now === undefined || !stateLeq(before, now)) violate('merge_regressed', `key ${JSON.stringify(key)}: ${node} restarted with ${now === undefined ? 'nothing' : short(now)}, below the ${short(before)} it had written`, timeUs, node);
      }
      durable.set(node, loaded);
    },
    onReady(node: NodeId, ready: Ready, _status: NodeStatus, timeUs: number): void {
      for (const [record, value] of ready.persist?.records ?? []) {
        if (record.startsWith(KEY_RECORD_PREFIX) && value !== null) written(node, record.slice(KEY_RECORD_PREFIX.length), value as CrdtState, timeUs);
      }
      for (const envelope of ready.messages) checkMessage(node, envelope, timeUs);
      // An update is acknowledged in the Ready that writes its client's session down.
      const sessions = new Set((ready.persist?.records ?? []).filter(([record]) => record.startsWith(SESSION_RECORD_PREFIX)).map(([record]) => record.slice(SESSION_RECORD_PREFIX.length)));
      for (const reply of ready.replies) if (reply.kind === 'client' && reply.ok && sessions.has(String(reply.clientId))) acknowledged++;
    },
    onHistoryEvent(event: HistoryEvent): void {
      invoked ??= new Map();
      if (event.type !== 'invoke' || (event.f !== 'add' && event.f !== 'write')) return;
      const key = event.key ?? '';
      let asked = invoked.get(key);
      if (asked === undefined) {
        asked = { increments: new Map(), byProcess: new Map(), up: 0, down: 0, values: new Set() };
        invoked.set(key, asked);
      }
      asked.values.add(JSON.stringify(event.value));
      if (event.f === 'add' && typeof event.value === 'number') {
        const id = `${event.process}|${event.value}`;
        asked.increments.set(id, (asked.increments.get(id) ?? 0) + 1);
        const mine = asked.byProcess.get(String(event.process)) ?? { up: 0, down: 0 };
        if (event.value >= 0) mine.up += event.value;
        else mine.down -= event.value;
        asked.byProcess.set(String(event.process), mine);
        if (event.value > 0) asked.up += event.value;
        else asked.down += event.value;
      }
    },
    violations: () => found.slice(),
    finalCheck: () => undefined,
    summary: () => ({ leaders: 0, appliedIndex: 0, acknowledged, violations: found.length }),
  };
}
