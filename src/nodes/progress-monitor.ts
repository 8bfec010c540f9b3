// Monitors that hold for any algorithm reporting `commit` and `applied` in its status, attached by
// the harnesses beside the algorithm's own (combineMonitors). A node's commit index is a promise:
// once it said an entry is committed, and acted on it, it must never say less within a life, nor
// after a restart less than its durable state vouches for. Bugs that break this stay quiet to the
// log-based checks (a stale snapshot installed over newer state rewinds a follower, and the
// entries it applies again are the same ones), so it is checked directly.

import type { LogNodeStatus } from './types.ts';
import type { NodeId, Reply } from '../shared/protocol.ts';
import { digestReady, type ReadyDigest } from './ready-digest.ts';
import { SafetyViolation, type MonitorOptions, type MonitorSummary, type SafetyMonitor } from './monitor.ts';
import type { PersistedState, Ready } from './types.ts';

export type ProgressProperty = 'commit_went_back' | 'applied_went_back' | 'applied_beyond_commit' | 'commit_beyond_log' | 'restart_below_durable';

interface NodeProgress {
  up: boolean;
  commit: number;
  applied: number;
  /**
   * The highest commit index the node wrote durably before anything revealed it (persistFirst),
   * and the highest snapshot it wrote: a restart must come back at least this far.
   */
  durableCommit: number;
  durableSnapshot: number;
}

/** Commit and applied indexes never go back, within a life or across a restart. */
export function createProgressMonitor(options: MonitorOptions = {}): SafetyMonitor {
  const throwOnViolation = options.throwOnViolation ?? false;
  const found: SafetyViolation[] = [];
  const nodes = new Map<NodeId, NodeProgress>();
  /** clientId:seq of each applied write -> the log index it was first applied at. */
  const firstApplied = new Map<string, number>();
  const duplicateIndexes = new Set<number>();

  const violate = (property: ProgressProperty, message: string, timeUs: number, node: NodeId): void => {
    const v = new SafetyViolation(property, message, timeUs, node);
    found.push(v);
    if (throwOnViolation) throw v;
  };

  const stateOf = (node: NodeId): NodeProgress => {
    let s = nodes.get(node);
    if (s === undefined) {
      s = { up: false, commit: 0, applied: 0, durableCommit: 0, durableSnapshot: 0 };
      nodes.set(node, s);
    }
    return s;
  };

  const check = (node: NodeId, s: NodeProgress, status: LogNodeStatus, timeUs: number): void => {
    if (status.commit === undefined) return; // not a log algorithm: nothing of this monitor applies
    if (status.commit < s.commit) violate('commit_went_back', `${node}'s commit index went back from ${s.commit} to ${status.commit}`, timeUs, node);
    if (status.applied < s.applied) violate('applied_went_back', `${node}'s applied index went back from ${s.applied} to ${status.applied}`, timeUs, node);
    if (status.applied > status.commit) violate('applied_beyond_commit', `${node} applied up to ${status.applied} but its commit index is ${status.commit}`, timeUs, node);
    if (status.commit > status.lastIndex) violate('commit_beyond_log', `${node} says ${status.commit} is committed but its log ends at ${status.lastIndex}`, timeUs, node);
    s.commit = status.commit;
    s.applied = status.applied;
  };

  const countDuplicates = (digest: ReadyDigest): void => {
    for (const [index, , , ack] of digest.applied) {
      if (ack === null) continue;
      const first = firstApplied.get(ack);
      if (first === undefined) firstApplied.set(ack, index);
      else if (first !== index) duplicateIndexes.add(index);
    }
  };

  const onReadyDigest = (node: NodeId, digest: ReadyDigest, _replies: readonly Reply[], status: LogNodeStatus, timeUs: number): void => {
    const s = stateOf(node);
    if (digest.snapshot !== null) s.durableSnapshot = Math.max(s.durableSnapshot, digest.snapshot[0]);
    check(node, s, status, timeUs);
    if (digest.applied.length > 0) countDuplicates(digest);
  };

  return {
    onNodeStart(node: NodeId, persisted: PersistedState, status: LogNodeStatus, timeUs: number): void {
      if (status.commit === undefined) return;
      const s = stateOf(node);
      s.up = true;
      // A new life starts from what the disk holds: the in-memory indexes of the last life are no
      // floor (Raft restarts with the commit index it last wrote, which may be behind).
      const snapshotIndex = persisted.snapshot?.index ?? 0;
      const floorCommit = Math.max(s.durableCommit, s.durableSnapshot, snapshotIndex);
      const floorApplied = Math.max(s.durableSnapshot, snapshotIndex);
      if (status.commit < floorCommit) {
        violate('restart_below_durable', `${node} restarted with commit index ${status.commit}, below ${floorCommit}, which it had written before revealing it`, timeUs, node);
      }
      if (status.applied < floorApplied) {
        violate('restart_below_durable', `${node} restarted with applied index ${status.applied}, below its durable snapshot at ${floorApplied}`, timeUs, node);
      }
      s.commit = status.commit;
      s.applied = status.applied;
    },
    onReady(node: NodeId, ready: Ready, status: LogNodeStatus, timeUs: number): void {
      const hardState = ready.persist?.hardState;
      // Only a commit index written before this Ready's messages and replies left counts: with
      // persistFirst false the algorithm declared that nothing it sends depends on it.
      if (hardState !== undefined && ready.persistFirst !== false && (ready.messages.length > 0 || ready.replies.length > 0)) {
        const s = stateOf(node);
        s.durableCommit = Math.max(s.durableCommit, hardState.commit);
      }
      onReadyDigest(node, digestReady(ready), ready.replies, status, timeUs);
    },
    onReadyDigest,
    onNodeCrash(node: NodeId): void {
      stateOf(node).up = false;
    },
    violations: () => found.slice(),
    finalCheck: () => undefined,
    summary: () => ({ leaders: 0, appliedIndex: 0, acknowledged: 0, violations: found.length, duplicates: duplicateIndexes.size }),
  };
}

/** One monitor that feeds every observer call to each of `monitors` and reports what all found. */
export function combineMonitors(...monitors: SafetyMonitor[]): SafetyMonitor {
  const combined: SafetyMonitor = {
    onNodeStart(node, persisted, status, timeUs) {
      for (const m of monitors) m.onNodeStart?.(node, persisted, status, timeUs);
    },
    onReady(node, ready, status, timeUs) {
      for (const m of monitors) m.onReady?.(node, ready, status, timeUs);
    },
    onNodeCrash(node, timeUs) {
      for (const m of monitors) m.onNodeCrash?.(node, timeUs);
    },
    onHistoryEvent(event) {
      for (const m of monitors) m.onHistoryEvent?.(event);
    },
    violations: () => monitors.flatMap((m) => m.violations()),
    finalCheck() {
      for (const m of monitors) m.finalCheck();
    },
    summary(): MonitorSummary {
      const parts = monitors.map((m) => m.summary());
      return {
        leaders: Math.max(0, ...parts.map((p) => p.leaders)),
        appliedIndex: Math.max(0, ...parts.map((p) => p.appliedIndex)),
        acknowledged: Math.max(0, ...parts.map((p) => p.acknowledged)),
        violations: parts.reduce((sum, p) => sum + p.violations, 0),
        duplicates: parts.reduce((sum, p) => sum + (p.duplicates ?? 0), 0),
      };
    },
  };
  // A worker-thread cluster sends digests instead of whole Readies only when every observer can
  // take them (cluster.ts): offer onReadyDigest only if each part can.
  if (monitors.every((m) => m.onReadyDigest !== undefined || m.onReady === undefined)) {
    combined.onReadyDigest = (node, digest, replies, status, timeUs) => {
      for (const m of monitors) m.onReadyDigest?.(node, digest, replies, status, timeUs);
    };
  }
  return combined;
}

/** What every harness attaches: the algorithm's own monitor and the generic ones. */
export function standardMonitor(algorithm: { createMonitor(options?: MonitorOptions): SafetyMonitor }, options: MonitorOptions = {}): SafetyMonitor {
  return combineMonitors(algorithm.createMonitor(options), createProgressMonitor(options));
}
