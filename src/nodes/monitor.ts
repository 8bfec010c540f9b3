// What an algorithm's safety monitors report. Each algorithm names its own properties (Raft's
// Figure 3, Paxos's "one value chosen per slot"); the harnesses only attach the monitor the
// algorithm gives, stop a fuzz run at the first violation and show the rest.

import type { NodeId } from '../shared/protocol.ts';
import type { ClusterObserver } from './observer.ts';

export class SafetyViolation extends Error {
  /** The property broken, as the algorithm names it (e.g. `election_safety`). */
  readonly property: string;
  readonly node: NodeId | undefined;
  readonly timeUs: number;
  constructor(property: string, message: string, timeUs: number, node?: NodeId) {
    super(message);
    this.name = 'SafetyViolation';
    this.property = property;
    this.node = node;
    this.timeUs = timeUs;
  }
}

export function describeViolation(v: SafetyViolation): string {
  return `${v.property} at ${(v.timeUs / 1000).toFixed(1)} ms${v.node ? ` on ${v.node}` : ''}: ${v.message}`;
}

export interface SafetyMonitor extends ClusterObserver {
  violations(): SafetyViolation[];
  /** End-of-run checks (every acknowledged write is still applied somewhere). */
  finalCheck(): void;
  /** leaders: how many leaderships the run saw (leader changes); appliedIndex: the highest applied. */
  summary(): MonitorSummary;
}

export interface MonitorSummary {
  leaders: number;
  appliedIndex: number;
  acknowledged: number;
  violations: number;
  /** Writes committed a second time under the same client id and sequence number (retries, network copies). */
  duplicates?: number;
}

export interface MonitorOptions {
  /** Throw the first violation from the observer call that found it (the fuzzer stops there). */
  throwOnViolation?: boolean;
}

/** For an algorithm that promises nothing a monitor could check (a toy, a benchmark's flood). */
export function noMonitor(): SafetyMonitor {
  return { violations: () => [], finalCheck: () => undefined, summary: () => ({ leaders: 0, appliedIndex: 0, acknowledged: 0, violations: 0 }) };
}
