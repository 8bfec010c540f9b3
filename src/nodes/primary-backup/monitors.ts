// Live safety monitors for primary-backup, checked after every Ready. They judge what nodes wrote
// down (each persist, as the harness reports it: a write a crash tore away counts as never made),
// what they said (messages and replies) and what they applied, never a node's memory.
//
// Properties, in every mode:
//   two_primaries_in_epoch   two nodes were primary in the same epoch (votes are durable and each
//                            replica votes once per epoch, so a promotion takes the epoch whole)
//   epoch_regressed          a replica's durable epoch went down, in a life or across a restart
//   vote_changed             a replica wrote down a vote for a second candidate in one epoch
//   revealed_before_durable  a vote, or an append reply claiming entries, left before the sender
//                            had written them down (a sync ack counted before the backup persisted)
// With sync acks and fencing (the status says which), where nothing acknowledged is ever taken back:
//   acknowledged_write_lost  an entry acknowledged to a client was overwritten or cut from a
//                            replica's log, or is held by less than a majority at the end
//   primary_missing_acknowledged  a replica became primary without an entry a primary of an
//                            older epoch acknowledged
//   applied_diverged         two replicas applied different entries at one index

import type { NodeId, NodeStatus, Reply } from '../../shared/protocol.ts';
import type { PersistedState, Ready } from '../types.ts';
import { entryFingerprint } from '../ready-digest.ts';
import type { LogEntry } from '../../shared/protocol.ts';
import { formatEntryData } from '../describe.ts';
import { SafetyViolation, type MonitorOptions, type SafetyMonitor } from '../monitor.ts';
import type { PrimaryBackupMessage } from './messages.ts';

export type PrimaryBackupSafetyProperty =
  | 'two_primaries_in_epoch'
  | 'epoch_regressed'
  | 'vote_changed'
  | 'revealed_before_durable'
  | 'acknowledged_write_lost'
  | 'primary_missing_acknowledged'
  | 'applied_diverged';

interface Durable {
  epoch: number;
  vote: NodeId | null;
  /** log[i - 1] = fingerprint of the entry at index i. */
  log: string[];
}

interface Acknowledged {
  fingerprint: string;
  what: string;
  /** The epoch of the primary that answered the client. */
  epoch: number;
}

/** An entry with its epoch: a retried request can sit at one index in two epochs' logs. */
const fingerprintOf = (entry: LogEntry): string => `${entry.term}|${entryFingerprint(entry)}`;

/** Whether the run keeps acknowledged writes (sync acks and fencing), as the nodes' status says. */
function keepsAcknowledged(status: NodeStatus): boolean {
  return status.acks === 'sync' && status.fencing === true;
}

export function createPrimaryBackupMonitor(options: MonitorOptions = {}): SafetyMonitor {
  const throwOnViolation = options.throwOnViolation ?? false;
  const found: SafetyViolation[] = [];
  const durable = new Map<NodeId, Durable>();
  const primaries = new Map<number, NodeId>();
  const wasPrimary = new Map<NodeId, number>();
  const acknowledged = new Map<number, Acknowledged>();
  const appliedAt = new Map<number, Acknowledged>();
  let strict: boolean | null = null;
  let clusterSize = 0;
  let highestApplied = 0;

  const violate = (property: PrimaryBackupSafetyProperty, message: string, timeUs: number, node?: NodeId): void => {
    const v = new SafetyViolation(property, message, timeUs, node);
    found.push(v);
    if (throwOnViolation) throw v;
  };

  const durableOf = (node: NodeId): Durable => {
    let d = durable.get(node);
    if (d === undefined) {
      d = { epoch: 0, vote: null, log: [] };
      durable.set(node, d);
    }
    return d;
  };

  const noteStatus = (status: NodeStatus): void => {
    strict ??= keepsAcknowledged(status);
    const voters = status.voters;
    if (Array.isArray(voters) && voters.length > clusterSize) clusterSize = voters.length;
  };

  const checkHardState = (node: NodeId, d: Durable, epoch: number, vote: NodeId | null, timeUs: number): void => {
    if (epoch < d.epoch) violate('epoch_regressed', `${node} wrote epoch ${epoch} after epoch ${d.epoch}`, timeUs, node);
    else if (epoch === d.epoch && d.vote !== null && vote !== d.vote) {
      violate('vote_changed', `${node} wrote a vote for ${vote ?? 'nobody'} in epoch ${epoch}, having voted for ${d.vote}`, timeUs, node);
    }
    d.epoch = epoch;
    d.vote = vote;
  };

  const checkLogWrite = (node: NodeId, d: Durable, from: number, fingerprints: readonly string[], timeUs: number): void => {
    if (strict === true) {
      // An entry this replica held where a client's write was acknowledged must stay: a replica
      // that never had it may hold something else there until the primary brings it in line.
      for (let index = from; index <= d.log.length; index++) {
        const acked = acknowledged.get(index);
        if (acked === undefined || d.log[index - 1] !== acked.fingerprint) continue;
        const now = fingerprints[index - from];
        if (now !== acked.fingerprint) {
          violate('acknowledged_write_lost', `${node} ${now === undefined ? 'cut' : 'overwrote'} index ${index}, where ${acked.what} was acknowledged`, timeUs, node);
        }
      }
    }
    d.log.length = Math.min(d.log.length, from - 1);
    for (const fp of fingerprints) d.log.push(fp);
  };

  /** What this Ready's messages claim must already be on disk (before this Ready's write, if it may overlap). */
  const checkMessages = (node: NodeId, d: Durable, messages: Ready['messages'], timeUs: number): void => {
    for (const envelope of messages) {
      const m = envelope.body as PrimaryBackupMessage;
      if (m.type === 'position' && m.granted && (d.epoch !== m.epoch || d.vote !== envelope.dest)) {
        violate('revealed_before_durable', `${node} voted for ${envelope.dest} in epoch ${m.epoch} while its durable vote is ${d.vote ?? 'nobody'} in epoch ${d.epoch}`, timeUs, node);
      } else if (m.type === 'canvass' && (d.epoch < m.epoch || d.vote !== node)) {
        violate('revealed_before_durable', `${node} canvassed in epoch ${m.epoch} before writing down its own vote in it`, timeUs, node);
      } else if (m.type === 'append_ack' && m.ok && d.log.length < m.match) {
        violate('revealed_before_durable', `${node} told ${envelope.dest} it holds the log up to ${m.match}, but it has written only ${d.log.length} entries`, timeUs, node);
      }
    }
  };

  const checkApplied = (node: NodeId, ready: Ready, epoch: number, timeUs: number): void => {
    const writes = new Map<string, { index: number; acked: Acknowledged }>();
    for (const { entry } of ready.applied) {
      const fingerprint = fingerprintOf(entry);
      const what = formatEntryData(entry.data);
      if (entry.index > highestApplied) highestApplied = entry.index;
      if (strict === true) {
        const before = appliedAt.get(entry.index);
        if (before === undefined) appliedAt.set(entry.index, { fingerprint, what, epoch });
        else if (before.fingerprint !== fingerprint) violate('applied_diverged', `${node} applied ${what} at index ${entry.index}, where ${before.what} was applied before`, timeUs, node);
      }
      const data = entry.data;
      if (data.type === 'command' && data.request.op.f !== 'read') writes.set(`${data.request.clientId}:${data.request.seq}`, { index: entry.index, acked: { fingerprint, what, epoch } });
    }
    if (strict !== true) return;
    for (const reply of ready.replies as readonly Reply[]) {
      if (reply.kind !== 'client' || !reply.ok) continue;
      const write = writes.get(`${reply.clientId}:${reply.seq}`);
      if (write !== undefined) acknowledged.set(write.index, write.acked);
    }
  };

  const checkNewPrimary = (node: NodeId, status: NodeStatus, d: Durable, timeUs: number): void => {
    const epoch = status.term ?? 0;
    const other = primaries.get(epoch);
    if (other !== undefined && other !== node) violate('two_primaries_in_epoch', `${node} and ${other} were both primary in epoch ${epoch}`, timeUs, node);
    primaries.set(epoch, node);
    if (wasPrimary.get(node) === epoch) return;
    wasPrimary.set(node, epoch);
    if (strict !== true) return;
    // A primary of an older epoch may still win its promotion late (its votes were held while it
    // slept): what newer primaries acknowledged since need not be in its log, and fencing keeps it
    // from acknowledging anything.
    for (const [index, acked] of acknowledged) {
      if (acked.epoch < epoch && d.log[index - 1] !== acked.fingerprint) {
        violate('primary_missing_acknowledged', `${node} became primary in epoch ${epoch} without ${acked.what}, acknowledged at index ${index}`, timeUs, node);
      }
    }
  };

  return {
    onNodeStart(node: NodeId, persisted: PersistedState, status: NodeStatus, timeUs: number): void {
      noteStatus(status);
      const d = durableOf(node);
      const hs = persisted.hardState;
      if (hs.term < d.epoch) violate('epoch_regressed', `${node} restarted in epoch ${hs.term}, below the epoch ${d.epoch} it had written`, timeUs, node);
      d.epoch = hs.term;
      d.vote = hs.vote;
      d.log = persisted.entries.map(fingerprintOf);
      wasPrimary.delete(node);
    },
    onReady(node: NodeId, ready: Ready, status: NodeStatus, timeUs: number): void {
      noteStatus(status);
      const d = durableOf(node);
      const persist = ready.persist;
      // Messages of a Ready whose write may overlap them must not depend on that write.
      if (ready.persistFirst === false && ready.messages.length > 0) checkMessages(node, d, ready.messages, timeUs);
      if (persist !== null) {
        if (persist.log !== undefined) checkLogWrite(node, d, persist.log.from, persist.log.entries.map(fingerprintOf), timeUs);
        if (persist.hardState !== undefined) checkHardState(node, d, persist.hardState.term, persist.hardState.vote, timeUs);
      }
      if (ready.persistFirst !== false && ready.messages.length > 0) checkMessages(node, d, ready.messages, timeUs);
      if (ready.applied.length > 0) checkApplied(node, ready, status.term ?? 0, timeUs);
      if (status.role === 'leader') checkNewPrimary(node, status, d, timeUs);
      else wasPrimary.delete(node);
    },
    violations: () => found.slice(),
    finalCheck(): void {
      if (strict !== true) return;
      const majority = Math.floor(Math.max(clusterSize, durable.size) / 2) + 1;
      for (const [index, acked] of acknowledged) {
        let holders = 0;
        for (const d of durable.values()) if (d.log[index - 1] === acked.fingerprint) holders++;
        if (holders < majority) violate('acknowledged_write_lost', `${acked.what}, acknowledged at index ${index}, is held by ${holders} replicas at the end, fewer than a majority`, 0);
      }
    },
    summary: () => ({ leaders: primaries.size, appliedIndex: highestApplied, acknowledged: acknowledged.size, violations: found.length }),
  };
}
