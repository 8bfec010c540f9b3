// CRDTs as the rest of the product sees them: the options, the status fields, the messages (and
// how a scenario prints them), what each data type serves and promises, the options a fuzz run
// draws.

import type { ConsistencyName } from '../../shared/consistency.ts';
import type { RequestFunction, WorkloadDataType } from '../../shared/history.ts';
import type { Rng } from '../../shared/rng.ts';
import type { MessageKind, OptionField, StatusField } from '../descriptor.ts';
import { formatIncrement, formatSettled } from './counter.ts';
import { CRDT_TYPES, formatState, type CrdtState, type CrdtType } from './datatypes.ts';
import { formatVector } from './dots.ts';
import type { CrdtMessage } from './messages.ts';
import type { CrdtOptions } from './options.ts';

export const CRDT_TITLE = 'CRDTs (gossip)';

export const CRDT_SUMMARY =
  'Conflict-free replicated data types (Shapiro et al., 2011): every node answers every request at once from its own copy, with no leader and no quorum, and the replicas gossip to a few random peers until they agree: each round sends a digest (what the sender has seen of each key) and deltas, what the peer lacks by its last digest (a counter’s missing increments; the set’s or a register’s whole state, which is small), and the peer answers with what the sender lacks. The merge is built so that any order of arrival ends in the same state. One data type per cluster: a grow-only or an up-and-down counter, an add-wins set, a last-writer-wins register or a multi-value register. Cut the cluster in two and keep writing on both sides: every side answers, a read on one side misses the other side’s writes, and after the heal the gossip brings everyone to the same value. Write one register key on both sides: last-writer-wins keeps one of the two writes (the later clock, and skew a clock to see a later write lose), the multi-value register keeps both as siblings until a write that read them replaces them.';

const TYPE_LABELS: Record<CrdtType, string> = {
  'g-counter': 'G-counter (increments only)',
  'pn-counter': 'PN-counter (increments and decrements)',
  'or-set': 'OR-set (add-wins set)',
  'lww-register': 'LWW register (last writer wins)',
  'mv-register': 'Multi-value register (siblings)',
};

export const CRDT_OPTION_FIELDS: readonly OptionField[] = [
  {
    key: 'type',
    kind: 'choice',
    label: 'Data type',
    description: 'What every key of the cluster holds. Counters take incr, the set add and remove, the registers write; every type takes read.',
    default: 'pn-counter',
    choices: CRDT_TYPES.map((value) => ({ value, label: TYPE_LABELS[value] })),
  },
  {
    key: 'gossipMs',
    aliases: ['gossip'],
    kind: 'integer',
    unit: 'ms',
    label: 'Gossip every',
    description: 'How often each replica sends its news to random peers (rounded to whole ticks). Longer: replicas disagree for longer after a write.',
    default: 100,
    min: 10,
    max: 10_000,
  },
  { key: 'fanout', kind: 'integer', label: 'Fanout', description: 'How many random peers each gossip round goes to; more peers, faster agreement, more messages.', default: 2, min: 1, max: 16 },
];

/** A hand-driven scenario gossips at every tick it gives a node, to every peer. */
export const CRDT_SCENARIO_DEFAULTS: Partial<CrdtOptions> = { gossipMs: 10, fanout: 16 };

export const CRDT_STATUS_FIELDS: readonly StatusField[] = [
  { key: 'role', label: 'Role', kind: 'text', description: 'Every node is a replica: none leads, each answers on its own.' },
  { key: 'type', label: 'Data type', kind: 'text' },
  { key: 'keys', label: 'Keys held', kind: 'number', description: 'Keys this replica has a state for, written here or learned by gossip.', card: true },
  { key: 'updates', label: 'Own updates', kind: 'number', description: 'Updates this replica made itself (its dots, over every key).' },
  { key: 'round', label: 'Gossip round', kind: 'number', description: 'How many gossip rounds this replica started in this life.', card: true },
  { key: 'clock', label: 'Clock', kind: 'number', description: 'Last-writer-wins only: the clock reading this replica stamps writes with (ms), which a clock-skew fault moves.' },
];

export const CRDT_MESSAGES: Readonly<Record<string, MessageKind>> = {
  gossip: { label: 'Gossip', colour: '#00897b', description: 'A round of gossip: the sender’s digest (its version vector per key) and what it thinks the receiver lacks.' },
  gossip_reply: { label: 'Gossip reply', colour: '#80cbc4', description: 'The answer: what the gossip’s digest shows its sender lacks, and the answerer’s own digest.' },
};

/**
 * Convergence where the history can show it kept: the counters and the set end, once gossip has
 * run, with every acknowledged update in every replica's value (fuzz: 0 violations). The registers
 * promise nothing a history can check. Last-writer-wins drops, by design, a write a later-stamped
 * one beat, and stamps come from clocks that tick every 10 ms and can be skewed: a write made after
 * another in real time can lose to it (about one fuzz run in forty, promising convergence, with
 * steady clocks). The multi-value register loses no acknowledged write, but keeps as a sibling a
 * write that a later one overwrote in real time without having read it (the two are concurrent to
 * it): the convergent check wants only last writes among the siblings, and nearly every run breaks
 * that.
 */
export function crdtPromises(options: CrdtOptions): ConsistencyName | null {
  return options.type === 'lww-register' || options.type === 'mv-register' ? null : 'convergent';
}

export function crdtServes(options: CrdtOptions): Partial<Record<WorkloadDataType, readonly RequestFunction[]>> {
  switch (options.type) {
    case 'g-counter':
    case 'pn-counter':
      return { counter: ['read', 'incr'] };
    case 'or-set':
      return { set: ['read', 'add', 'remove'] };
    case 'lww-register':
    case 'mv-register':
      return { kv: ['read', 'write'] };
  }
}

/** Every type; gossip from every tick to a fifth of a second, to one peer or several. */
export function randomCrdtOptions(rng: Rng): Partial<CrdtOptions> {
  const pick = <T>(items: readonly T[]): T => items[rng.int(0, items.length)] as T;
  return { type: pick(CRDT_TYPES), gossipMs: pick([10, 30, 100, 200]), fanout: pick([1, 2, 4]) };
}

/** A counter's delta lists its increments and settled prefixes (a delta is not the whole counter); other states print whole. */
function formatSent(state: CrdtState): string {
  if (state.t === 'g-counter' || state.t === 'pn-counter') {
    const settled = formatSettled(state);
    return `[${state.incs.map(formatIncrement).join(', ')}]${settled === '' ? '' : ` ${settled}`} vv=${formatVector(state.vv)}`;
  }
  return formatState(state);
}

export function describeCrdtMessage(body: { type: string }): string {
  const m = body as CrdtMessage;
  if (m.type !== 'gossip' && m.type !== 'gossip_reply') return JSON.stringify(body);
  const digest = m.digest.map(([key, summary]) => `${key}=${formatVector(summary.vv)}${summary.held === undefined ? '' : `[${summary.held}]`}${summary.rows === undefined ? '' : ` rows#${summary.rows}`}`).join(' ');
  const states = m.states.map(([key, state]) => `${key}: ${formatSent(state)}`).join('; ');
  return `${m.type === 'gossip' ? 'Gossip' : 'GossipReply'} r=${m.round} digest{${digest}}${states === '' ? '' : ` send{${states}}`}`;
}
