// A replica's durable state, in the storage's private records:
//
//   members          the cluster's nodes (the ring), written once, so a restart knows them
//   counter          the node's counter: every request it coordinates takes the next number, which
//                    names the request's messages and the dot of the version it writes
//   v:<key>          the versions of a key this node replicates
//   h:<owner>|<key>  versions it holds for another node, as a sloppy quorum's stand-in (a hint)
//   s:<client>       the newest write attempt a two-phase write recorded for that client
//
// Every change waits in `dirty` until the node's next Ready writes it, before the message that
// reveals it (an acknowledgement, an answer) leaves.

import type { NodeId } from '../../shared/protocol.ts';
import type { Resolve } from './options.ts';
import { fingerprint, mergeVersions, type Version } from './versions.ts';

export const MEMBERS_RECORD = 'members';
export const COUNTER_RECORD = 'counter';
const VERSIONS_PREFIX = 'v:';
const HINT_PREFIX = 'h:';
const SESSION_PREFIX = 's:';

export const versionsRecord = (key: string): string => `${VERSIONS_PREFIX}${key}`;
export const hintRecord = (owner: NodeId, key: string): string => `${HINT_PREFIX}${owner}|${key}`;
const sessionRecord = (clientId: number): string => `${SESSION_PREFIX}${clientId}`;

/** A record's key as the monitors read it: the key whose versions it holds, and for a hint its owner. */
export type RecordName = { kind: 'versions'; key: string } | { kind: 'hint'; owner: NodeId; key: string } | { kind: 'other' };

export function parseRecordName(name: string): RecordName {
  if (name.startsWith(VERSIONS_PREFIX)) return { kind: 'versions', key: name.slice(VERSIONS_PREFIX.length) };
  if (name.startsWith(HINT_PREFIX)) {
    const rest = name.slice(HINT_PREFIX.length);
    const bar = rest.indexOf('|');
    if (bar > 0) return { kind: 'hint', owner: rest.slice(0, bar), key: rest.slice(bar + 1) };
  }
  return { kind: 'other' };
}

/** One attempt of a client's write: its request and the attempt's own name (coordinator and counter). */
export interface Attempt {
  c: number;
  s: number;
  id: string;
}

export interface Hint {
  owner: NodeId;
  key: string;
  versions: Version[];
}

export class ReplicaStore {
  private readonly resolve: Resolve;
  private readonly data = new Map<string, Version[]>();
  private readonly hints = new Map<string, Hint>();
  private readonly sessions = new Map<number, { s: number; id: string }>();
  private counterValue = 0;
  private readonly dirty = new Map<string, unknown>();

  constructor(resolve: Resolve, records: ReadonlyMap<string, unknown> = new Map()) {
    this.resolve = resolve;
    for (const [name, value] of records) {
      if (name === COUNTER_RECORD) this.counterValue = value as number;
      else if (name.startsWith(VERSIONS_PREFIX)) this.data.set(name.slice(VERSIONS_PREFIX.length), value as Version[]);
      else if (name.startsWith(HINT_PREFIX)) this.hints.set(name, value as Hint);
      else if (name.startsWith(SESSION_PREFIX)) this.sessions.set(Number(name.slice(SESSION_PREFIX.length)), value as { s: number; id: string });
    }
  }

  /** Takes the next number of the node's counter (durable before anything that uses it leaves). */
  nextCounter(): number {
    this.counterValue++;
    this.dirty.set(COUNTER_RECORD, this.counterValue);
    return this.counterValue;
  }

  get counter(): number {
    return this.counterValue;
  }

  versions(key: string): Version[] {
    return this.data.get(key) ?? [];
  }

  keys(): string[] {
    return [...this.data.keys()];
  }

  get keyCount(): number {
    return this.data.size;
  }

  /** Merges versions into the key's; true when that changed what the replica holds. */
  merge(key: string, incoming: readonly Version[]): boolean {
    const before = this.versions(key);
    const after = mergeVersions(this.resolve, before, incoming);
    if (fingerprint(after) === fingerprint(before)) return false;
    this.set(key, after);
    return true;
  }

  /** Replaces the key's versions outright: only a test's broken replica does this. */
  replace(key: string, versions: Version[]): void {
    this.set(key, versions);
  }

  private set(key: string, versions: Version[]): void {
    this.data.set(key, versions);
    this.dirty.set(versionsRecord(key), versions);
  }

  // Hints -----------------------------------------------------------------------------------------

  addHint(owner: NodeId, key: string, incoming: readonly Version[]): void {
    const name = hintRecord(owner, key);
    const before = this.hints.get(name)?.versions ?? [];
    const after = mergeVersions(this.resolve, before, incoming);
    if (this.hints.has(name) && fingerprint(after) === fingerprint(before)) return;
    const hint: Hint = { owner, key, versions: after };
    this.hints.set(name, hint);
    this.dirty.set(name, hint);
  }

  /** Every hint held for the key, merged: what this node can tell a sloppy read about it. */
  hintedVersions(key: string): Version[] {
    let out: Version[] = [];
    for (const hint of this.hints.values()) if (hint.key === key) out = mergeVersions(this.resolve, out, hint.versions);
    return out;
  }

  hintList(): Hint[] {
    return [...this.hints.values()];
  }

  get hintCount(): number {
    return this.hints.size;
  }

  /** The owner has the hint's versions (as of `handed`, their fingerprint): forget it unless it grew since. */
  dropHint(owner: NodeId, key: string, handed: string): void {
    const name = hintRecord(owner, key);
    const hint = this.hints.get(name);
    if (hint === undefined || fingerprint(hint.versions) !== handed) return;
    this.hints.delete(name);
    this.dirty.set(name, null);
  }

  // Write attempts ---------------------------------------------------------------------------------

  /**
   * Records a write attempt in its first phase. Refused when this client's newer request, or
   * another attempt of the same request, was recorded first: that attempt may still write, and
   * one request must not write twice.
   */
  recordAttempt(attempt: Attempt): boolean {
    const known = this.sessions.get(attempt.c);
    if (known !== undefined) {
      if (known.s > attempt.s) return false;
      if (known.s === attempt.s) return known.id === attempt.id;
    }
    const session = { s: attempt.s, id: attempt.id };
    this.sessions.set(attempt.c, session);
    this.dirty.set(sessionRecord(attempt.c), session);
    return true;
  }

  // Persistence ------------------------------------------------------------------------------------

  hasChanges(): boolean {
    return this.dirty.size > 0;
  }

  takeRecords(): Array<[string, unknown]> | null {
    if (this.dirty.size === 0) return null;
    const records = [...this.dirty];
    this.dirty.clear();
    return records;
  }

  /** Writes the members once, on a brand-new node. */
  noteMembers(members: readonly NodeId[]): void {
    this.dirty.set(MEMBERS_RECORD, [...members]);
  }
}
