// Live safety monitors for leaderless quorums, checked after every Ready. They judge what nodes
// wrote to disk (the records of each persist), the versions their messages carry and the replies,
// never a node's memory: a version counts as stored on a node once the node wrote it down.
//
// Properties (each holds with every option; none speaks of what clients read, which the
// consistency checkers judge against the model the options promise):
//   version_regressed          a replica's durable versions of a key went backwards: with lww a
//                              lower (timestamp, node, counter) replaced a higher one; with version
//                              vectors a sibling vanished that no remaining version supersedes
//   version_reused             two different versions (value, writer, timestamp or context) under
//                              one dot: every write must name its own
//   unwritten_value            a version no client write or delete of that key by that client
//                              could have made (checked when the harness reports invocations)
//   revealed_before_durable    a put acknowledgement or an answer to a get speaks for versions the
//                              sender has not written down (the Ready order protects exactly this)
//   acknowledged_below_quorum  a client was told its write succeeded while fewer than W nodes had
//                              the version its coordinator made (or one that supersedes it) on
//                              disk, as replica or as a sloppy quorum's stand-in. A version that
//                              left no trace (the coordinator, the key's only replica, found it
//                              already superseded and wrote nothing) is not judged.

import type { HistoryEvent } from '../../shared/history.ts';
import type { NodeId, NodeStatus, Reply } from '../../shared/protocol.ts';
import type { PersistedState, Ready } from '../types.ts';
import { SafetyViolation, type MonitorOptions, type SafetyMonitor } from '../monitor.ts';
import type { LeaderlessMessage } from './messages.ts';
import { parseRecordName, type Hint } from './store.ts';
import { compareStamps, covers, encodeContext, formatVersion, sameDot, type Version } from './versions.ts';

export type LeaderlessSafetyProperty = 'version_regressed' | 'version_reused' | 'unwritten_value' | 'revealed_before_durable' | 'acknowledged_below_quorum';

interface Durable {
  versions: Map<string, Version[]>;
  /** Hint records by name. */
  hints: Map<string, Hint>;
}

interface Written {
  key: string;
  version: Version;
}

const dotName = (v: Version): string => `${v.node}.${v.n}`;
const identity = (key: string, v: Version): string => `${key}|${JSON.stringify(v.value)}|c${v.c}#${v.s}|t${v.t}|${v.past === undefined ? '' : encodeContext(v.past)}`;
const invocation = (process: number, key: string, f: string, value: unknown): string => `${process}|${key}|${f}|${JSON.stringify(value ?? null)}`;

/** The stored versions hold `v` or something that supersedes it. */
function holds(stored: readonly Version[], v: Version): boolean {
  if (v.past === undefined) return stored.some((s) => s.past === undefined && compareStamps(s, v) >= 0);
  return stored.some((s) => sameDot(s, v) || covers(s.past ?? [], v));
}

export function createLeaderlessMonitor(options: MonitorOptions = {}): SafetyMonitor {
  const throwOnViolation = options.throwOnViolation ?? false;
  const found: SafetyViolation[] = [];
  const durable = new Map<NodeId, Durable>();
  const dots = new Map<string, string>();
  /** client:seq -> the versions a write of that request made. */
  const writes = new Map<string, Written[]>();
  let invoked: Set<string> | null = null;
  let acknowledged = 0;

  const violate = (property: LeaderlessSafetyProperty, message: string, timeUs: number, node?: NodeId): void => {
    const v = new SafetyViolation(property, message, timeUs, node);
    found.push(v);
    if (throwOnViolation) throw v;
  };

  const stateOf = (node: NodeId): Durable => {
    let s = durable.get(node);
    if (s === undefined) {
      s = { versions: new Map(), hints: new Map() };
      durable.set(node, s);
    }
    return s;
  };

  /** Every version seen anywhere: one identity per dot, and a client write behind each. */
  const noteVersion = (key: string, v: Version, timeUs: number, node: NodeId): void => {
    const name = dotName(v);
    const id = identity(key, v);
    const before = dots.get(name);
    if (before !== undefined) {
      if (before !== id) violate('version_reused', `dot ${name} names ${before} and ${id} (seen on ${node})`, timeUs, node);
      return;
    }
    dots.set(name, id);
    const request = `${v.c}:${v.s}`;
    const list = writes.get(request) ?? [];
    list.push({ key, version: v });
    writes.set(request, list);
    if (invoked !== null && !invoked.has(invocation(v.c, key, 'write', v.value)) && !(v.value === null && invoked.has(invocation(v.c, key, 'delete', null)))) {
      violate('unwritten_value', `${node} has ${key}=${formatVersion(v)}, but client ${v.c} never wrote ${JSON.stringify(v.value)} to ${key}`, timeUs, node);
    }
  };

  const checkRegression = (node: NodeId, key: string, before: readonly Version[], after: readonly Version[], timeUs: number, when: string): void => {
    for (const old of before) {
      if (holds(after, old)) continue;
      violate('version_regressed', `${node}'s ${key} went back ${when}: it held ${formatVersion(old)}, now ${after.map(formatVersion).join(' ') || 'nothing'}`, timeUs, node);
      return;
    }
  };

  const applyRecords = (node: NodeId, records: ReadonlyArray<[string, unknown]>, timeUs: number): void => {
    const s = stateOf(node);
    for (const [name, value] of records) {
      const parsed = parseRecordName(name);
      if (parsed.kind === 'versions') {
        const after = value as Version[];
        for (const v of after) noteVersion(parsed.key, v, timeUs, node);
        checkRegression(node, parsed.key, s.versions.get(parsed.key) ?? [], after, timeUs, 'on disk');
        s.versions.set(parsed.key, after);
      } else if (parsed.kind === 'hint') {
        if (value === null) {
          s.hints.delete(name);
          continue;
        }
        const hint = value as Hint;
        for (const v of hint.versions) noteVersion(parsed.key, v, timeUs, node);
        s.hints.set(name, hint);
      }
    }
  };

  /** Puts in flight, by coordinator, replica and request: what an acknowledgement speaks for. The oldest are forgotten. */
  const puts = new Map<string, { key: string; versions: readonly Version[] }>();
  const remember = (name: string, put: { key: string; versions: readonly Version[] }): void => {
    puts.delete(name);
    puts.set(name, put);
    if (puts.size > 20_000) puts.delete(puts.keys().next().value as string);
  };

  /** What the node has on disk for the key: as replica, and as stand-in for others. */
  const onDisk = (node: NodeId, key: string): Version[] => {
    const s = stateOf(node);
    const out = [...(s.versions.get(key) ?? [])];
    for (const hint of s.hints.values()) if (hint.key === key) out.push(...hint.versions);
    return out;
  };

  const checkRevealed = (node: NodeId, key: string, versions: readonly Version[], what: string, timeUs: number): void => {
    const stored = onDisk(node, key);
    const missing = versions.find((v) => !holds(stored, v));
    if (missing !== undefined) violate('revealed_before_durable', `${node} ${what} ${key}=${formatVersion(missing)}, but has ${stored.map(formatVersion).join(' ') || 'nothing'} on disk`, timeUs, node);
  };

  const checkMessages = (node: NodeId, messages: Ready['messages'], timeUs: number): void => {
    for (const envelope of messages) {
      const m = envelope.body as LeaderlessMessage;
      switch (m.type) {
        case 'put':
          for (const v of m.versions) noteVersion(m.key, v, timeUs, node);
          remember(`${node}>${envelope.dest}#${m.op}`, { key: m.key, versions: m.versions });
          break;
        case 'got':
          for (const v of m.versions) noteVersion(m.key, v, timeUs, node);
          checkRevealed(node, m.key, m.versions, `answered ${envelope.dest} with`, timeUs);
          break;
        case 'put_ack': {
          const put = puts.get(`${envelope.dest}>${node}#${m.op}`);
          if (put !== undefined) checkRevealed(node, put.key, put.versions, `acknowledged ${envelope.dest}'s put of`, timeUs);
          break;
        }
        case 'repair':
        case 'sync':
        case 'handoff':
          for (const [key, versions] of m.items) for (const v of versions) noteVersion(key, v, timeUs, node);
          break;
        default:
          break;
      }
    }
  };


  /** How many nodes hold the write on disk, as replica or stand-in. */
  const copies = (written: Written): number => {
    let count = 0;
    for (const node of durable.keys()) if (holds(onDisk(node, written.key), written.version)) count++;
    return count;
  };

  const checkReplies = (node: NodeId, replies: readonly Reply[], status: NodeStatus, timeUs: number): void => {
    const w = typeof status.writeQuorum === 'number' ? status.writeQuorum : 1;
    for (const reply of replies) {
      if (reply.kind !== 'client' || !reply.ok) continue;
      // The version this coordinator made for the request: with lww a retry through another node
      // makes its own; with version vectors every attempt makes the same one.
      const made = writes.get(`${reply.clientId}:${reply.seq}`)?.filter((written) => written.version.past !== undefined || written.version.node === node);
      if (made === undefined || made.length === 0) continue; // a read, or a write that left no trace
      acknowledged++;
      const best = Math.max(...made.map(copies));
      if (best < w) {
        const v = made[0] as Written;
        violate('acknowledged_below_quorum', `${node} acknowledged c${reply.clientId}#${reply.seq} (${v.key}=${formatVersion(v.version)}) with ${best} of W=${w} copies on disk`, timeUs, node);
      }
    }
  };

  return {
    onNodeStart(node: NodeId, persisted: PersistedState, _status: NodeStatus, timeUs: number): void {
      const s = stateOf(node);
      const restored = new Map<string, Version[]>();
      for (const [name, value] of persisted.records) {
        const parsed = parseRecordName(name);
        if (parsed.kind === 'versions') restored.set(parsed.key, value as Version[]);
      }
      for (const [key, before] of s.versions) checkRegression(node, key, before, restored.get(key) ?? [], timeUs, 'across a restart');
      applyRecords(node, [...persisted.records], timeUs);
    },
    onReady(node: NodeId, ready: Ready, status: NodeStatus, timeUs: number): void {
      const records = ready.persist?.records;
      if (records !== undefined) applyRecords(node, records, timeUs);
      if (ready.messages.length > 0) checkMessages(node, ready.messages, timeUs);
      if (ready.replies.length > 0) checkReplies(node, ready.replies, status, timeUs);
    },
    onHistoryEvent(event: HistoryEvent): void {
      if (event.type !== 'invoke') return;
      invoked ??= new Set();
      invoked.add(invocation(event.process, event.key ?? '', event.f, event.value));
    },
    violations: () => found.slice(),
    finalCheck: () => undefined,
    summary: () => ({ leaders: 0, appliedIndex: 0, acknowledged, violations: found.length }),
  };
}
