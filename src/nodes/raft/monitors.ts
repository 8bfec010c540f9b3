// Live safety monitors for log-based consensus (Raft paper, Figure 3), checked after every Ready.
// They rebuild each node's durable log from what it persisted (never by reaching into a node), so
// they judge what a node would recover after a crash, and they work for any algorithm that keeps
// a log of (index, term) entries.
//
// Each check costs O(entries changed) per Ready, not O(log): they run after every simulator step.

import type { LogNodeStatus } from '../types.ts';
import type { NodeId, Reply } from '../../shared/protocol.ts';
import type { PersistedState, Ready } from '../types.ts';
import type { RaftMessage } from './messages.ts';
import { digestReady, type AppliedDigest, type EntryDigest, type ReadyDigest } from '../ready-digest.ts';
import { SafetyViolation, type MonitorOptions, type SafetyMonitor } from '../monitor.ts';

export type RaftSafetyProperty =
  | 'election_safety'
  | 'log_matching'
  | 'leader_completeness'
  | 'state_machine_safety'
  | 'acknowledged_write_lost'
  | 'vote_not_durable'
  | 'ack_not_durable'
  | 'double_vote';

export const RAFT_SAFETY_PROPERTIES: readonly RaftSafetyProperty[] = [
  'election_safety',
  'log_matching',
  'leader_completeness',
  'state_machine_safety',
  'acknowledged_write_lost',
  'vote_not_durable',
  'ack_not_durable',
  'double_vote',
];

/** The durable log of one node as the monitor knows it: the snapshot's edge, then terms by index. */
interface DurableLog {
  snapshotIndex: number;
  snapshotTerm: number;
  terms: number[];
  lastApplied: number;
  role: string;
  term: number;
  /** The term and vote on disk. */
  durableTerm: number;
  durableVote: NodeId | null;
}

interface EntryRecord {
  fingerprint: string;
  prevTerm: number;
}

/** (index, term) as one number: terms stay far below 2^21 in any run. */
function entryKey(index: number, term: number): number {
  return index * 2_097_152 + term;
}

function termAt(log: DurableLog, index: number): number {
  if (index === log.snapshotIndex) return log.snapshotTerm;
  if (index < log.snapshotIndex) return -1;
  const t = log.terms[index - log.snapshotIndex - 1];
  return t === undefined ? -1 : t;
}

export function createRaftMonitor(options: MonitorOptions = {}): SafetyMonitor {
  const throwOnViolation = options.throwOnViolation ?? false;
  const found: SafetyViolation[] = [];
  const logs = new Map<NodeId, DurableLog>();
  const leaderOfTerm = new Map<number, NodeId>();
  const entries = new Map<number, EntryRecord>();
  const applied = new Map<number, { term: number; fingerprint: string; node: NodeId }>();
  let highestApplied = { index: 0, term: 0 };
  const acknowledged = new Map<number, { term: number; fingerprint: string; what: string }>();

  const violate = (property: RaftSafetyProperty, message: string, timeUs: number, node?: NodeId): void => {
    const v = new SafetyViolation(property, message, timeUs, node);
    found.push(v);
    if (throwOnViolation) throw v;
  };

  const checkEntry = (node: NodeId, log: DurableLog, [index, term, fingerprint]: EntryDigest, timeUs: number): void => {
    const prevTerm = index === 1 ? 0 : termAt(log, index - 1);
    const key = entryKey(index, term);
    const known = entries.get(key);
    if (known === undefined) {
      entries.set(key, { fingerprint, prevTerm });
      return;
    }
    if (known.fingerprint !== fingerprint) {
      violate('log_matching', `two different entries ${index}/${term}: ${known.fingerprint} and ${fingerprint}`, timeUs, node);
    } else if (prevTerm >= 0 && known.prevTerm !== prevTerm) {
      violate('log_matching', `entry ${index}/${term} follows term ${prevTerm} here but term ${known.prevTerm} elsewhere`, timeUs, node);
    }
  };

  const applyPersist = (node: NodeId, log: DurableLog, digest: ReadyDigest, timeUs: number): void => {
    if (digest.snapshot) {
      const [snapIndex, snapTerm] = digest.snapshot;
      const drop = snapIndex - log.snapshotIndex;
      const kept = drop >= 0 ? log.terms.slice(drop) : [];
      const continuous = drop >= 0 && drop <= log.terms.length;
      log.terms = continuous ? kept : [];
      log.snapshotIndex = snapIndex;
      log.snapshotTerm = snapTerm;
    }
    if (digest.log) {
      log.terms.length = Math.max(0, digest.log.from - log.snapshotIndex - 1);
      for (const entry of digest.log.entries) {
        checkEntry(node, log, entry, timeUs);
        log.terms.push(entry[1]);
      }
    }
  };

  const checkLeader = (node: NodeId, status: LogNodeStatus, log: DurableLog, timeUs: number): void => {
    const becameLeader = status.role === 'leader' && (log.role !== 'leader' || log.term !== status.term);
    log.role = status.role;
    log.term = status.term;
    if (status.role !== 'leader') return;
    const other = leaderOfTerm.get(status.term);
    if (other !== undefined && other !== node) {
      violate('election_safety', `${other} and ${node} are both leaders of term ${status.term}`, timeUs, node);
    }
    leaderOfTerm.set(status.term, node);
    // Leader completeness promises a leader of term T every entry committed in an earlier term. An
    // entry of term T or later may be committed while a slow candidate collects the last votes it
    // needs for an older term, so only the newest applied entry of an earlier term is checked.
    if (!becameLeader || highestApplied.index === 0 || highestApplied.term >= status.term) return;
    const { index, term } = highestApplied;
    if (index > log.snapshotIndex && termAt(log, index) !== term) {
      violate(
        'leader_completeness',
        `${node} leads term ${status.term} without the committed entry ${index}/${term} (its log has term ${termAt(log, index)} there)`,
        timeUs,
        node,
      );
    }
  };

  const checkApplied = (node: NodeId, appliedNow: readonly AppliedDigest[], replies: readonly Reply[], log: DurableLog, timeUs: number): void => {
    const ackedNow = new Map<string, AppliedDigest>();
    for (const entry of appliedNow) {
      const [index, term, fingerprint, ack] = entry;
      log.lastApplied = index;
      const before = applied.get(index);
      if (before === undefined) {
        applied.set(index, { term, fingerprint, node });
      } else if (before.term !== term || before.fingerprint !== fingerprint) {
        violate('state_machine_safety', `${node} applied ${index}/${term} ${fingerprint} where ${before.node} applied ${index}/${before.term} ${before.fingerprint}`, timeUs, node);
      }
      const acked = acknowledged.get(index);
      if (acked !== undefined && (acked.term !== term || acked.fingerprint !== fingerprint)) {
        violate('acknowledged_write_lost', `${acked.what}, acknowledged at ${index}/${acked.term}, was replaced by ${fingerprint}`, timeUs, node);
      }
      if (index > highestApplied.index) highestApplied = { index, term };
      if (ack !== null) ackedNow.set(ack, entry);
    }
    for (const reply of replies) {
      if (reply.kind !== 'client' || !reply.ok) continue;
      const entry = ackedNow.get(`${reply.clientId}:${reply.seq}`);
      if (entry === undefined) continue;
      const [index, term, fingerprint, , what] = entry;
      acknowledged.set(index, { term, fingerprint, what: what as string });
    }
  };

  /** node:term -> the candidate it granted its vote to in that term, in any life. */
  const grants = new Map<string, NodeId>();

  /**
   * What a Ready's messages reveal must be on disk when they leave: a granted vote (else a restart
   * can vote again in the term) and an acknowledged append (else the leader counts an entry the
   * follower may lose). With persistFirst false the messages may leave before this Ready's write,
   * so they are judged against the disk as it was before it.
   */
  const checkRevealed = (node: NodeId, log: DurableLog, ready: Ready, timeUs: number): void => {
    for (const envelope of ready.messages) {
      const m = envelope.body as RaftMessage;
      if (m.type === 'request_vote_response' && m.granted && !m.preVote) {
        if (log.durableTerm !== m.term || log.durableVote !== envelope.dest) {
          violate('vote_not_durable', `${node} granted its vote in term ${m.term} to ${envelope.dest}, but its disk holds term ${log.durableTerm}, vote ${log.durableVote ?? 'none'}`, timeUs, node);
        }
        const key = `${node}:${m.term}`;
        const before = grants.get(key);
        if (before !== undefined && before !== envelope.dest) {
          violate('double_vote', `${node} granted its vote in term ${m.term} to ${before} and then to ${envelope.dest}`, timeUs, node);
        }
        grants.set(key, envelope.dest);
      } else if (m.type === 'append_entries_response' && m.success) {
        const durableLast = log.snapshotIndex + log.terms.length;
        if (durableLast < m.matchIndex) {
          violate('ack_not_durable', `${node} told ${envelope.dest} it holds entries up to ${m.matchIndex}, but its disk holds them only up to ${durableLast}`, timeUs, node);
        }
      }
    }
  };

  const applyHardState = (log: DurableLog, ready: Ready): void => {
    const hs = ready.persist?.hardState;
    if (hs === undefined) return;
    log.durableTerm = hs.term;
    log.durableVote = hs.vote;
  };

  const onReadyDigest = (node: NodeId, digest: ReadyDigest, replies: readonly Reply[], status: LogNodeStatus, timeUs: number): void => {
    const log = logOf(node);
    applyPersist(node, log, digest, timeUs);
    checkLeader(node, status, log, timeUs);
    if (digest.applied.length > 0 || replies.length > 0) checkApplied(node, digest.applied, replies, log, timeUs);
  };

  const logOf = (node: NodeId): DurableLog => {
    let log = logs.get(node);
    if (log === undefined) {
      log = { snapshotIndex: 0, snapshotTerm: 0, terms: [], lastApplied: 0, role: 'follower', term: 0, durableTerm: 0, durableVote: null };
      logs.set(node, log);
    }
    return log;
  };

  return {
    onNodeStart(node: NodeId, persisted: PersistedState, status: LogNodeStatus, timeUs: number): void {
      const log = logOf(node);
      log.snapshotIndex = persisted.snapshot?.index ?? 0;
      log.snapshotTerm = persisted.snapshot?.term ?? 0;
      log.terms = persisted.entries.map((e) => e.term);
      log.lastApplied = log.snapshotIndex;
      log.durableTerm = persisted.hardState.term;
      log.durableVote = persisted.hardState.vote;
      log.role = 'follower';
      checkLeader(node, status, log, timeUs);
    },
    onReady(node: NodeId, ready: Ready, status: LogNodeStatus, timeUs: number): void {
      if (ready.messages.length === 0) {
        applyHardState(logOf(node), ready);
        onReadyDigest(node, digestReady(ready), ready.replies, status, timeUs);
        return;
      }
      const log = logOf(node);
      if (ready.persistFirst === false) checkRevealed(node, log, ready, timeUs);
      applyHardState(log, ready);
      onReadyDigest(node, digestReady(ready), ready.replies, status, timeUs);
      if (ready.persistFirst !== false) checkRevealed(node, log, ready, timeUs);
    },
    onReadyDigest,
    onNodeCrash(node: NodeId): void {
      const log = logOf(node);
      log.role = 'down';
    },
    violations: () => found.slice(),
    finalCheck(): void {
      for (const [index, acked] of acknowledged) {
        const now = applied.get(index);
        if (now === undefined || now.term !== acked.term || now.fingerprint !== acked.fingerprint) {
          violate('acknowledged_write_lost', `${acked.what}, acknowledged at ${index}/${acked.term}, is not what the cluster applied there`, 0);
        }
      }
    },
    summary: () => ({ leaders: leaderOfTerm.size, appliedIndex: highestApplied.index, acknowledged: acknowledged.size, violations: found.length }),
  };
}
