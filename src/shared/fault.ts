// A fault as data: what the window, the CLI, a scenario and the random schedules do to a cluster,
// the same thing in the simulator and on worker threads, journaled as itself (not as a sentence
// to be parsed back). `describeFault` gives the sentence people read; `parseFault` reads the
// sentences of sessions recorded before faults were typed.

import type { LinkRuleView } from './bridge.ts';
import type { AdminCommand, NodeId } from './protocol.ts';

export type Fault =
  /** The node's process ends at once: only what it wrote to disk survives. */
  | { kind: 'crash'; node: NodeId }
  /** A crashed node starts again from its disk. */
  | { kind: 'restart'; node: NodeId }
  /** The node hears nothing and its clock stands still (a long GC pause, a stopped VM). */
  | { kind: 'pause'; node: NodeId }
  | { kind: 'resume'; node: NodeId }
  /** A new, empty node joins (a membership change, for algorithms that have them). */
  | { kind: 'add-node'; node: NodeId }
  /** One direction of one link stops carrying messages. */
  | { kind: 'cut'; from: NodeId; to: NodeId }
  | { kind: 'uncut'; from: NodeId; to: NodeId }
  /** Only nodes in the same group hear each other; nodes in no group are cut off alone. */
  | { kind: 'partition'; groups: NodeId[][] }
  /** Every cut link carries messages again (link rules stay). */
  | { kind: 'heal' }
  /** One direction of one link drops, delays, duplicates or reorders; null: as every link. */
  | { kind: 'link'; from: NodeId; to: NodeId; rule: Partial<LinkRuleView> | null }
  /** The rule every link without its own follows; null: the cluster's starting rule. */
  | { kind: 'network'; rule: Partial<LinkRuleView> | null }
  /**
   * The node's clock is `offsetMs` off the others' and runs `drift` faster (0.1: 10% fast, its
   * timeouts fire early); what last-writer-wins by timestamp trusts.
   */
  | { kind: 'clock-skew'; node: NodeId; offsetMs: number; drift: number }
  /** An operator command sent to a node (campaign, transfer leadership, a membership change). */
  | { kind: 'admin'; node: NodeId; command: AdminCommand };

export type FaultKind = Fault['kind'];

const ruleText = (rule: Partial<LinkRuleView> | null): string => (rule === null ? 'default' : JSON.stringify(rule));

/** The sentence a person reads in the event log (and the only record older sessions have). */
export function describeFault(fault: Fault): string {
  switch (fault.kind) {
    case 'crash':
      return `crash ${fault.node}`;
    case 'restart':
    case 'pause':
    case 'resume':
      return `${fault.kind} ${fault.node}`;
    case 'add-node':
      return `add node ${fault.node}`;
    case 'cut':
      return `cut ${fault.from}->${fault.to}`;
    case 'uncut':
      return `heal ${fault.from}->${fault.to}`;
    case 'partition':
      return `partition ${fault.groups.map((g) => `(${g.join(',')})`).join(' ')}`;
    case 'heal':
      return 'heal';
    case 'link':
      return `link ${fault.from}->${fault.to} ${ruleText(fault.rule)}`;
    case 'network':
      return fault.rule === null ? 'network reset' : `network ${JSON.stringify(fault.rule)}`;
    case 'clock-skew':
      return `clock ${fault.node} offset ${fault.offsetMs}ms drift ${fault.drift}`;
    case 'admin':
      return `admin ${fault.node} ${fault.command.type}`;
  }
}

function parsedRule(text: string): Partial<LinkRuleView> | null {
  if (text === 'default' || text === 'null') return null;
  try {
    const value = JSON.parse(text) as unknown;
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Partial<LinkRuleView>) : {};
  } catch {
    return {};
  }
}

/**
 * The fault a journal sentence describes (describeFault's, and the older forms: `kill n1`, links
 * written `a>b`), or null for one that is not a fault of the cluster (the clock's pause, speed).
 */
export function parseFault(description: string): Fault | null {
  const [verb = '', ...rest] = description.split(' ');
  const arg = rest.join(' ');
  const link = (text: string): [NodeId, NodeId] | null => {
    const [a, b] = text.split(/->|>/);
    return a && b ? [a, b] : null;
  };
  switch (verb) {
    case 'crash':
    case 'kill':
      return arg === '' ? null : { kind: 'crash', node: arg };
    case 'restart':
    case 'pause':
    case 'resume':
      return arg === '' ? null : { kind: verb, node: arg };
    case 'add':
      return rest[0] === 'node' && rest[1] ? { kind: 'add-node', node: rest[1] } : null;
    case 'cut': {
      const ends = link(arg);
      return ends ? { kind: 'cut', from: ends[0], to: ends[1] } : null;
    }
    case 'heal': {
      if (arg === '') return { kind: 'heal' };
      const ends = link(arg);
      return ends ? { kind: 'uncut', from: ends[0], to: ends[1] } : null;
    }
    case 'partition':
      return { kind: 'partition', groups: [...arg.matchAll(/\(([^)]*)\)/g)].map((m) => (m[1] as string).split(',').filter(Boolean)) };
    case 'network':
      return { kind: 'network', rule: arg === 'reset' ? null : (parsedRule(arg) ?? {}) };
    case 'link': {
      const [ends, ...ruleWords] = arg.split(' ');
      const pair = link(ends ?? '');
      return pair ? { kind: 'link', from: pair[0], to: pair[1], rule: parsedRule(ruleWords.join(' ')) } : null;
    }
    case 'clock': {
      const m = /^(\S+) offset (-?[\d.]+)ms drift (-?[\d.]+)$/.exec(arg);
      return m ? { kind: 'clock-skew', node: m[1] as NodeId, offsetMs: Number(m[2]), drift: Number(m[3]) } : null;
    }
    case 'admin':
      // The sentence keeps the command's type only: a campaign reads back whole, the others did
      // not say whom they were about.
      return rest.length === 2 && rest[1] === 'campaign' ? { kind: 'admin', node: rest[0] as NodeId, command: { type: 'campaign' } } : null;
    default:
      return null;
  }
}
