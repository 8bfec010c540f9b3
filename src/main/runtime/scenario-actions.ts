// Faults and client operations as a scenario file writes them (src/main/scenario/file.ts reads
// them back): one writer for every producer of scenario files (a recorded session, a shrunk fuzz
// run), so that what they write always parses.

import { Document, isMap, isSeq } from 'yaml';
import type { Fault } from '../../shared/fault.ts';
import type { HistoryEvent, KvScalar } from '../../shared/history.ts';
import type { NodeAction } from '../../shared/algorithm.ts';

/**
 * A fault as a scenario file's action, or a note saying why a scenario file cannot do it. An
 * operator command becomes the algorithm's node action that sends it (given `actions`) where a
 * scenario's `command: { node, action }` sends the same command to the same kind of receiver.
 */
export function faultAction(fault: Fault, actions: readonly NodeAction[] = []): { action: unknown } | { note: string } {
  switch (fault.kind) {
    case 'crash':
    case 'restart':
    case 'pause':
    case 'resume':
      return { action: { [fault.kind]: fault.node } };
    case 'cut':
    case 'uncut':
      return { action: { [fault.kind]: [fault.from, fault.to] } };
    case 'partition':
      return { action: { partition: fault.groups } };
    case 'heal':
      return { action: 'heal' };
    case 'network':
      return { action: { network: fault.rule ?? 'default' } };
    case 'clock-skew':
      return { action: { skew: { node: fault.node, offsetMs: fault.offsetMs, drift: fault.drift } } };
    case 'link':
      return { action: { link: { from: fault.from, to: fault.to, ...(fault.rule === null ? { default: true } : fault.rule) } } };
    case 'add-node':
      return { note: `node ${fault.node} was added here; scenario files start with every node` };
    case 'admin': {
      const command = fault.command;
      const peer = 'to' in command ? command.to : 'node' in command ? command.node : null;
      const action = actions.find((a) => a.command(peer).type === command.type);
      // To the leader about a node (a transfer): the scenario's leader when the step runs.
      if (action?.sendTo === 'leader' && peer !== null) return { action: { command: { node: peer, action: action.id } } };
      // To the node itself, about nothing else: a campaign, or a change that names its receiver.
      if (action !== undefined && action.sendTo !== 'leader' && (peer === null || peer === fault.node)) return { action: { command: { node: fault.node, action: action.id } } };
      return { note: `${fault.node} was given the command ${command.type}${peer === null ? '' : ` (${peer})`} here` };
    }
  }
}

/** A history's invoke as a scenario file's client operation (`counters`: an add is an increment). */
export function opAction(invoke: HistoryEvent, counters: boolean): unknown {
  const key = invoke.key ?? 'x';
  const value = invoke.value as KvScalar;
  switch (invoke.f) {
    case 'read':
    case 'delete':
      return { [invoke.f]: { key } };
    case 'write':
    case 'append':
      return { [invoke.f]: { key, value } };
    case 'cas': {
      const [expected, next] = invoke.value as [KvScalar, KvScalar];
      return { cas: { key, expected, value: next } };
    }
    case 'add':
      return counters ? { incr: { key, by: value } } : { add: { key, element: value } };
    case 'remove':
      return { remove: { key, element: value } };
  }
}

/**
 * A scenario (the shape file.ts reads) as YAML text: each action and expectation on one line where
 * it fits (`- crash: n1`, `- link: { from: n2, to: n1, drop: 1 }`), as people write them.
 */
export function scenarioText(scenario: { steps: ReadonlyArray<Record<string, unknown>> } & Record<string, unknown>): string {
  const doc = new Document(scenario);
  const steps = doc.get('steps');
  if (isSeq(steps)) {
    for (const step of steps.items) {
      if (!isMap(step)) continue;
      for (const list of ['do', 'expect']) {
        const items = step.get(list);
        if (!isSeq(items)) continue;
        for (const item of items.items) {
          if (!isMap(item)) continue;
          for (const pair of item.items) if (isMap(pair.value) || isSeq(pair.value)) pair.value.flow = true;
        }
      }
    }
  }
  return doc.toString({ lineWidth: 100 });
}

