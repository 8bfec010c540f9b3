// One way to do a fault to a cluster, whichever runs it: the simulator (virtual time, one
// thread) and the live cluster (worker threads) implement FaultTarget, and everything that does
// faults (the window, the CLI's schedules, scenarios, replays forked live) goes through
// applyFault, so that a fault means the same thing everywhere.

import type { Fault } from '../../shared/fault.ts';
import type { LinkRuleView } from '../../shared/bridge.ts';
import type { AdminCommand, NodeId } from '../../shared/protocol.ts';

export interface FaultTarget {
  crash(node: NodeId): void | Promise<void>;
  restart(node: NodeId): void | Promise<void>;
  pause(node: NodeId): void;
  resume(node: NodeId): void;
  /** A new, empty node; it takes part once the algorithm adds it (an add_server command). */
  addNode(): NodeId | Promise<NodeId>;
  cut(from: NodeId, to: NodeId): void;
  uncut(from: NodeId, to: NodeId): void;
  partition(groups: NodeId[][]): void;
  heal(): void;
  setLink(from: NodeId, to: NodeId, rule: Partial<LinkRuleView> | null): void;
  setNetwork(rule: Partial<LinkRuleView>): void;
  resetNetwork(): void;
  admin(node: NodeId, command: AdminCommand): unknown;
  skewClock(node: NodeId, offsetMs: number, drift: number): void;
}

/**
 * Does `fault` to `target`. Synchronous where the target is (a network fault, anything in the
 * simulator), so that a mistake throws at once; a promise where it waits (a live crash waits for
 * the thread to end).
 */
export function applyFault(target: FaultTarget, fault: Fault): void | Promise<void> {
  switch (fault.kind) {
    case 'crash':
      return target.crash(fault.node);
    case 'restart':
      return target.restart(fault.node);
    case 'pause':
      return target.pause(fault.node);
    case 'resume':
      return target.resume(fault.node);
    case 'add-node': {
      const check = (added: NodeId): void => {
        if (added !== fault.node) throw new Error(`the new node is ${added}, not ${fault.node}: nodes are numbered in order`);
      };
      const added = target.addNode();
      return typeof added === 'string' ? check(added) : added.then(check);
    }
    case 'cut':
      return target.cut(fault.from, fault.to);
    case 'uncut':
      return target.uncut(fault.from, fault.to);
    case 'partition':
      return target.partition(fault.groups);
    case 'heal':
      return target.heal();
    case 'link':
      return target.setLink(fault.from, fault.to, fault.rule);
    case 'network':
      return fault.rule === null ? target.resetNetwork() : target.setNetwork(fault.rule);
    case 'admin': {
      const answer = target.admin(fault.node, fault.command);
      return answer instanceof Promise ? answer.then(() => undefined) : undefined;
    }
    case 'clock-skew':
      return target.skewClock(fault.node, fault.offsetMs, fault.drift);
  }
}
