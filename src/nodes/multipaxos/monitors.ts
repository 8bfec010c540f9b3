// Live safety monitors for Multi-Paxos, checked after every Ready. They judge only what nodes made
// durable and what they reported (the acceptor records in each persist, the messages, the applied
// slots and the replies), never a node's memory: a value counts as chosen once a majority of
// acceptors has written it down in the same ballot, which is what survives any crash.
//
// Properties:
//   one_value_per_slot       two different values chosen in one slot (Paxos's safety property)
//   one_value_per_ballot     two different values accepted in one slot and ballot (a proposer
//                            proposes one value per slot per ballot; chosen-ness assumes it)
//   promise_regressed        an acceptor's durable promise went down, in a life or across a restart
//   accepted_below_promise   an acceptor wrote down an accept in a ballot below the promise it had
//                            already written
//   revealed_before_durable  a promise, accepted or reject message claims a ballot the sender has
//                            not written down yet (the Ready order protects exactly this)
//   chosen_unproposed        a chosen value no client sent (checked when the harness reports the
//                            clients' invocations, as the simulator does); no-ops are always allowed
//   learned_unchosen         a node applied, in a slot, a value that was not chosen there
//   acknowledged_write_lost  a write a client was told succeeded is not what its slot holds

import type { LogNodeStatus } from '../types.ts';
import type { ClientRequest, EntryData, NodeId, Reply } from '../../shared/protocol.ts';
import type { HistoryEvent } from '../../shared/history.ts';
import type { PersistedState, Ready } from '../types.ts';
import { entryFingerprint } from '../ready-digest.ts';
import { formatEntryData } from '../describe.ts';
import { SafetyViolation, type MonitorOptions, type SafetyMonitor } from '../monitor.ts';
import { PROMISED_RECORD, slotOfRecord, type AcceptedRecord } from './acceptor.ts';
import { compareBallots, formatBallot, ZERO_BALLOT, type Ballot } from './ballot.ts';
import type { MultiPaxosMessage } from './messages.ts';

export type MultiPaxosSafetyProperty =
  | 'one_value_per_slot'
  | 'one_value_per_ballot'
  | 'promise_regressed'
  | 'accepted_below_promise'
  | 'revealed_before_durable'
  | 'chosen_unproposed'
  | 'learned_unchosen'
  | 'acknowledged_write_lost';

interface BallotVotes {
  ballot: Ballot;
  fingerprint: string;
  acceptors: Set<NodeId>;
}

interface ChosenRecord {
  fingerprint: string;
  ballot: Ballot;
  what: string;
}

const fingerprintOf = (value: EntryData): string => entryFingerprint({ index: 0, term: 0, data: value });

/** A command as the clients' history names its invocation: process, function, key and value. */
function invocationKey(process: number, f: string, key: string, value: unknown): string {
  return `${process}|${f}|${key}|${JSON.stringify(value ?? null)}`;
}

function requestInvocation(request: ClientRequest): string {
  const op = request.op;
  switch (op.f) {
    case 'write':
    case 'append':
      return invocationKey(request.clientId, op.f, op.key, op.value);
    case 'cas':
      return invocationKey(request.clientId, op.f, op.key, [op.expected, op.value]);
    default:
      return invocationKey(request.clientId, op.f, op.key, null);
  }
}

export function createMultiPaxosMonitor(options: MonitorOptions = {}): SafetyMonitor {
  const throwOnViolation = options.throwOnViolation ?? false;
  const found: SafetyViolation[] = [];
  const promised = new Map<NodeId, Ballot>();
  const votes = new Map<number, Map<string, BallotVotes>>();
  const chosen = new Map<number, ChosenRecord>();
  const acknowledged = new Map<number, { fingerprint: string; what: string }>();
  const leaderships = new Set<string>();
  /** Null until the harness reports an invocation: a scenario without clients cannot judge proposals. */
  let invoked: Set<string> | null = null;
  let clusterSize = 0;
  let highestApplied = 0;

  const violate = (property: MultiPaxosSafetyProperty, message: string, timeUs: number, node?: NodeId): void => {
    const v = new SafetyViolation(property, message, timeUs, node);
    found.push(v);
    if (throwOnViolation) throw v;
  };

  const noteMembership = (status: LogNodeStatus): void => {
    if (status.voters.length > clusterSize) clusterSize = status.voters.length;
  };

  const choose = (slot: number, tally: BallotVotes, value: EntryData, timeUs: number, node: NodeId): void => {
    const before = chosen.get(slot);
    if (before !== undefined) {
      if (before.fingerprint !== tally.fingerprint) {
        violate('one_value_per_slot', `slot ${slot}: ${before.what} was chosen in ballot ${formatBallot(before.ballot)}, and ${formatEntryData(value)} in ballot ${formatBallot(tally.ballot)}`, timeUs, node);
      }
      return;
    }
    chosen.set(slot, { fingerprint: tally.fingerprint, ballot: tally.ballot, what: formatEntryData(value) });
    if (value.type === 'config') {
      violate('chosen_unproposed', `slot ${slot}: a configuration was chosen, and this Multi-Paxos never proposes one`, timeUs, node);
    } else if (value.type === 'command' && invoked !== null && !invoked.has(requestInvocation(value.request))) {
      violate('chosen_unproposed', `slot ${slot}: ${formatEntryData(value)} was chosen, but no client invoked it`, timeUs, node);
    }
  };

  const recordAccept = (node: NodeId, slot: number, record: AcceptedRecord, timeUs: number): void => {
    let bySlot = votes.get(slot);
    if (bySlot === undefined) {
      bySlot = new Map();
      votes.set(slot, bySlot);
    }
    const key = `${record.ballot.round}.${record.ballot.node}`;
    const fingerprint = fingerprintOf(record.value);
    let tally = bySlot.get(key);
    if (tally === undefined) {
      tally = { ballot: record.ballot, fingerprint, acceptors: new Set() };
      bySlot.set(key, tally);
    } else if (tally.fingerprint !== fingerprint) {
      violate('one_value_per_ballot', `slot ${slot}, ballot ${formatBallot(record.ballot)}: ${node} accepted ${formatEntryData(record.value)}, others ${tally.fingerprint}`, timeUs, node);
      return;
    }
    tally.acceptors.add(node);
    if (tally.acceptors.size >= Math.floor(clusterSize / 2) + 1) choose(slot, tally, record.value, timeUs, node);
  };

  const checkRecords = (node: NodeId, records: ReadonlyArray<[string, unknown]>, timeUs: number): void => {
    const durable = promised.get(node) ?? ZERO_BALLOT;
    let next = durable;
    for (const [key, value] of records) {
      if (value === null) continue; // a slot folded into a snapshot: chosen, and remembered here
      if (key === PROMISED_RECORD) {
        const ballot = value as Ballot;
        if (compareBallots(ballot, durable) < 0) violate('promise_regressed', `${node} wrote promise ${formatBallot(ballot)} after ${formatBallot(durable)}`, timeUs, node);
        if (compareBallots(ballot, next) > 0) next = ballot;
        continue;
      }
      const slot = slotOfRecord(key);
      if (slot === null) continue;
      const record = value as AcceptedRecord;
      if (compareBallots(record.ballot, durable) < 0) {
        violate('accepted_below_promise', `${node} accepted ${formatEntryData(record.value)} in slot ${slot} at ballot ${formatBallot(record.ballot)}, having promised ${formatBallot(durable)}`, timeUs, node);
      }
      recordAccept(node, slot, record, timeUs);
    }
    promised.set(node, next);
  };

  const checkMessages = (node: NodeId, messages: Ready['messages'], timeUs: number): void => {
    const durable = promised.get(node) ?? ZERO_BALLOT;
    for (const envelope of messages) {
      const m = envelope.body as MultiPaxosMessage;
      const claimed = m.type === 'promise' || m.type === 'accepted' ? m.ballot : m.type === 'reject' ? m.promised : null;
      if (claimed !== null && compareBallots(claimed, durable) > 0) {
        violate('revealed_before_durable', `${node} sent ${m.type} to ${envelope.dest} for ballot ${formatBallot(claimed)} while its durable promise is ${formatBallot(durable)}`, timeUs, node);
      }
    }
  };

  const checkApplied = (node: NodeId, ready: Ready, timeUs: number): void => {
    const ackable = new Map<string, { slot: number; fingerprint: string; what: string }>();
    for (const { entry } of ready.applied) {
      const fingerprint = entryFingerprint(entry);
      const what = formatEntryData(entry.data);
      const known = chosen.get(entry.index);
      if (known === undefined) {
        violate('learned_unchosen', `${node} applied ${what} in slot ${entry.index}, where no value was chosen yet`, timeUs, node);
      } else if (known.fingerprint !== fingerprint) {
        violate('learned_unchosen', `${node} applied ${what} in slot ${entry.index}, where ${known.what} was chosen`, timeUs, node);
      }
      const acked = acknowledged.get(entry.index);
      if (acked !== undefined && acked.fingerprint !== fingerprint) {
        violate('acknowledged_write_lost', `${acked.what}, acknowledged in slot ${entry.index}, was replaced by ${what} on ${node}`, timeUs, node);
      }
      if (entry.index > highestApplied) highestApplied = entry.index;
      const data = entry.data;
      if (data.type === 'command' && data.request.op.f !== 'read') ackable.set(`${data.request.clientId}:${data.request.seq}`, { slot: entry.index, fingerprint, what });
    }
    for (const reply of ready.replies as readonly Reply[]) {
      if (reply.kind !== 'client' || !reply.ok) continue;
      const entry = ackable.get(`${reply.clientId}:${reply.seq}`);
      if (entry !== undefined) acknowledged.set(entry.slot, { fingerprint: entry.fingerprint, what: entry.what });
    }
  };

  return {
    onNodeStart(node: NodeId, persisted: PersistedState, status: LogNodeStatus, timeUs: number): void {
      noteMembership(status);
      const durable = (persisted.records.get(PROMISED_RECORD) as Ballot | undefined) ?? ZERO_BALLOT;
      const before = promised.get(node);
      if (before !== undefined && compareBallots(durable, before) < 0) {
        violate('promise_regressed', `${node} restarted with promise ${formatBallot(durable)}, below the ${formatBallot(before)} it had written`, timeUs, node);
      }
      promised.set(node, durable);
      for (const [key, value] of persisted.records) {
        const slot = slotOfRecord(key);
        if (slot !== null && value !== null) recordAccept(node, slot, value as AcceptedRecord, timeUs);
      }
    },
    onReady(node: NodeId, ready: Ready, status: LogNodeStatus, timeUs: number): void {
      noteMembership(status);
      const records = ready.persist?.records;
      if (records !== undefined) checkRecords(node, records, timeUs);
      if (ready.messages.length > 0) checkMessages(node, ready.messages, timeUs);
      if (ready.applied.length > 0) checkApplied(node, ready, timeUs);
      if (status.role === 'leader') leaderships.add(`${node}@${status.term}`);
    },
    onHistoryEvent(event: HistoryEvent): void {
      if (event.type !== 'invoke') return;
      invoked ??= new Set();
      invoked.add(invocationKey(event.process, event.f, event.key ?? '', event.value));
    },
    violations: () => found.slice(),
    finalCheck(): void {
      for (const [slot, acked] of acknowledged) {
        const now = chosen.get(slot);
        if (now === undefined || now.fingerprint !== acked.fingerprint) {
          violate('acknowledged_write_lost', `${acked.what}, acknowledged in slot ${slot}, is not what the cluster chose there (${now?.what ?? 'nothing'})`, 0);
        }
      }
    },
    summary: () => ({ leaders: leaderships.size, appliedIndex: highestApplied, acknowledged: acknowledged.size, violations: found.length }),
  };
}
