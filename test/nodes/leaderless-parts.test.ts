// The tricky parts of leaderless quorums on their own: ring placement, the two version orders and
// their merge (a join, whatever the order things arrive in), quorum sizes and what they promise,
// and the node's quorum counting, retries, errors, durability and recovery.

import { describe, expect, it } from 'vitest';
import { linearizable, scenarioHistory } from './scenario-history.ts';
import type { ClientReply, ClientRequest, NodeId, Reply } from '../../src/shared/protocol.ts';
import { createRng, type Rng } from '../../src/shared/rng.ts';
import { MemoryStorage } from '../../src/nodes/storage.ts';
import type { Envelope, Ready } from '../../src/nodes/types.ts';
import { leaderlessAlgorithm, type LeaderlessNode } from '../../src/nodes/leaderless/leaderless.ts';
import { defaultLeaderlessOptions, effectiveQuorums, leaderlessPromise, type LeaderlessOptions } from '../../src/nodes/leaderless/options.ts';
import { compareNodeIds, hash32, Ring } from '../../src/nodes/leaderless/ring.ts';
import { decodeContext, encodeContext, fingerprint, joinVectors, mergeVersions, readValue, subsumes, vectorOf, type Version, type VersionVector } from '../../src/nodes/leaderless/versions.ts';
import { createLeaderlessMonitor } from '../../src/nodes/leaderless/monitors.ts';

const ids = (count: number): NodeId[] => Array.from({ length: count }, (_, i) => `n${i + 1}`);

describe('the ring', () => {
  it('places a key on the first n distinct nodes clockwise, the same whatever order the nodes are given in', () => {
    const ring = new Ring(ids(5), 4);
    const shuffled = new Ring(['n4', 'n2', 'n5', 'n1', 'n3'], 4);
    for (let k = 0; k < 200; k++) {
      const key = `key${k}`;
      const walk = ring.walk(key);
      expect([...walk].sort(compareNodeIds)).toEqual(ids(5));
      expect(shuffled.walk(key)).toEqual(walk);
      expect(ring.preferenceList(key, 3)).toEqual(walk.slice(0, 3));
      expect(ring.fallbacks(key, 3)).toEqual(walk.slice(3));
      expect(ring.replicates(key, 3, walk[3] as NodeId)).toBe(false);
    }
  });

  it('moves only the keys a new node takes over (consistent hashing)', () => {
    const before = new Ring(ids(5), 8);
    const after = new Ring(ids(6), 8);
    let moved = 0;
    for (let k = 0; k < 2000; k++) {
      const key = `key${k}`;
      const was = before.walk(key)[0];
      const now = after.walk(key)[0];
      if (was !== now) {
        expect(now).toBe('n6');
        moved++;
      }
    }
    // About a sixth of the keys, not a reshuffle.
    expect(moved).toBeGreaterThan(2000 / 12);
    expect(moved).toBeLessThan(2000 / 3);
  });

  it('spreads keys over the nodes with a few tokens each', () => {
    const ring = new Ring(ids(5), 16);
    const owned = new Map<NodeId, number>();
    for (let k = 0; k < 5000; k++) {
      const first = ring.walk(`key${k}`)[0] as NodeId;
      owned.set(first, (owned.get(first) ?? 0) + 1);
    }
    for (const id of ids(5)) expect(owned.get(id) ?? 0).toBeGreaterThan(5000 * 0.08);
  });

  it('hashes the same in every run and on every machine (recorded sessions replay by it)', () => {
    expect(hash32('x')).toBe(hash32('x'));
    expect(new Set(['n1#0', 'n1#1', 'n2#0', 'n2#1'].map(hash32)).size).toBe(4);
    expect(compareNodeIds('n2', 'n10')).toBeLessThan(0);
  });
});

const lww = (value: number, t: number, node: NodeId, n: number): Version => ({ value, t, node, n, c: 1, s: n });
const dvv = (value: string, node: NodeId, n: number, past: VersionVector = []): Version => ({ value, t: 0, node, n, past, c: 1, s: n });

describe('versions', () => {
  it('last-writer-wins keeps the highest (timestamp, node, counter), node ids in their own order', () => {
    expect(mergeVersions('lww', [lww(1, 10, 'n1', 1)], [lww(2, 9, 'n3', 5)])).toEqual([lww(1, 10, 'n1', 1)]);
    expect(mergeVersions('lww', [lww(1, 10, 'n10', 1)], [lww(2, 10, 'n2', 5)])).toEqual([lww(1, 10, 'n10', 1)]);
    expect(mergeVersions('lww', [lww(1, 10, 'n2', 1)], [lww(2, 10, 'n2', 2)])).toEqual([lww(2, 10, 'n2', 2)]);
    expect(mergeVersions('lww', [], [])).toEqual([]);
  });

  it('version vectors keep concurrent writes as siblings; a write whose context covers a dot supersedes it', () => {
    const a = dvv('a', 'n1', 1);
    const b = dvv('b', 'n2', 1);
    const both = mergeVersions('vclock', [a], [b]);
    expect(both).toEqual([a, b]);
    expect(readValue(both)).toEqual(['a', 'b']);
    expect(encodeContext(vectorOf(both))).toBe('n1:1,n2:1');
    const c = dvv('c', 'n3', 4, vectorOf(both));
    expect(mergeVersions('vclock', both, [c])).toEqual([c]);
    // An old sibling arriving late changes nothing; a blind write (no context) is a new sibling.
    expect(mergeVersions('vclock', [c], [a])).toEqual([c]);
    const d = dvv('d', 'n2', 2);
    expect(readValue(mergeVersions('vclock', [c], [d]))).toEqual(['c', 'd']);
    // Siblings with one value read as that value.
    expect(readValue([dvv('z', 'n1', 1), dvv('z', 'n2', 1)])).toBe('z');
  });

  it('merge is a join in both orders: commutative, associative, idempotent', () => {
    const rng = createRng(7);
    for (const resolve of ['lww', 'vclock'] as const) {
      const pool = versionPool(rng, resolve);
      const draw = (): Version[] => mergeVersions(resolve, [], pool.filter(() => rng.chance(0.3)));
      for (let i = 0; i < 300; i++) {
        const [x, y, z] = [draw(), draw(), draw()];
        const same = (p: Version[], q: Version[]): void => expect(fingerprint(p)).toBe(fingerprint(q));
        same(mergeVersions(resolve, x, y), mergeVersions(resolve, y, x));
        same(mergeVersions(resolve, mergeVersions(resolve, x, y), z), mergeVersions(resolve, x, mergeVersions(resolve, y, z)));
        same(mergeVersions(resolve, x, x), x);
        expect(subsumes(resolve, mergeVersions(resolve, x, y), x)).toBe(true);
      }
    }
  });

  it('contexts round-trip, and a malformed one is refused with the reason', () => {
    expect(decodeContext('n1:3,n10:1,n2:2')).toEqual([['n1', 3], ['n2', 2], ['n10', 1]]);
    expect(decodeContext('')).toEqual([]);
    expect(decodeContext('n1=3')).toMatch(/not a version vector/);
    expect(decodeContext('n1:0')).toMatch(/from 1/);
  });
});

/**
 * Versions with distinct dots. vclock: each actor's versions supersede its earlier ones, and each
 * also supersedes a few others with everything they superseded, as a client that sends back its
 * whole context does.
 */
function versionPool(rng: Rng, resolve: 'lww' | 'vclock'): Version[] {
  const pool: Version[] = [];
  const last = new Map<NodeId, Version>();
  for (let i = 0; i < 12; i++) {
    const node = `c${rng.int(1, 4)}`;
    const previous = last.get(node);
    const n = (previous?.n ?? 0) + 1;
    let version: Version;
    if (resolve === 'lww') version = lww(i, rng.int(0, 5), node, n);
    else version = dvv(`v${i}`, node, n, joinVectors(vectorOf(previous === undefined ? [] : [previous]), vectorOf(pool.filter(() => rng.chance(0.3)))));
    pool.push(version);
    last.set(node, version);
  }
  return pool;
}

describe('quorums and promises', () => {
  it('clamps n to the cluster and r and w to n, and says so', () => {
    const q = effectiveQuorums({ n: 5, r: 3, w: 4 }, 3);
    expect(q).toMatchObject({ n: 3, r: 3, w: 3, query: 3 });
    expect(q.clamped).toBe('n 5 -> 3 (3 nodes), w 4 -> 3');
    expect(effectiveQuorums({ n: 3, r: 1, w: 3 }, 5)).toMatchObject({ n: 3, r: 1, w: 3, query: 2, clamped: null });
  });

  it('clamping keeps read and write quorums meeting where they met', () => {
    for (let n = 1; n <= 9; n++) {
      for (let r = 1; r <= 9; r++) {
        for (let w = 1; w <= 9; w++) {
          if (Math.min(r, n) + Math.min(w, n) <= n) continue;
          for (let size = 1; size <= 9; size++) {
            const q = effectiveQuorums({ n, r, w }, size);
            expect(q.r + q.w).toBeGreaterThan(q.n);
            // A write's first phase meets every write quorum and every other first phase.
            expect(q.query + q.w).toBeGreaterThan(q.n);
            expect(2 * q.query).toBeGreaterThan(q.n);
          }
        }
      }
    }
  });

  it('promises linearizability only for ABD, convergence for two-phase writes with anti-entropy, else nothing', () => {
    const abd: LeaderlessOptions = { ...defaultLeaderlessOptions, twoPhaseWrites: true, writeBack: true };
    expect(leaderlessPromise(abd)).toBe('linearizable');
    expect(leaderlessPromise({ ...abd, writeBack: false })).toBe('convergent');
    expect(leaderlessPromise({ ...abd, writeBack: false, antiEntropy: false })).toBeNull();
    expect(leaderlessPromise({ ...abd, r: 1, w: 2 })).toBeNull();
    expect(leaderlessPromise({ ...abd, sloppy: true })).toBeNull();
    expect(leaderlessPromise({ ...abd, resolve: 'vclock' })).toBeNull();
    expect(leaderlessPromise({ ...abd, twoPhaseWrites: false })).toBeNull();
    expect(leaderlessPromise(defaultLeaderlessOptions)).toBeNull();
  });
});

/** A hand-run cluster: messages wait in a queue until delivered, every Ready is written to storage first. */
class Cluster {
  readonly storages = new Map<NodeId, MemoryStorage>();
  readonly nodes = new Map<NodeId, LeaderlessNode>();
  queue: Envelope[] = [];
  readonly replies: Reply[] = [];
  readonly readies: Array<{ node: NodeId; ready: Ready }> = [];
  private readonly monitor = createLeaderlessMonitor();
  private readonly options: LeaderlessOptions;
  private readonly members: NodeId[];

  constructor(count: number, options: Partial<LeaderlessOptions>) {
    this.options = { ...defaultLeaderlessOptions, readRepair: false, antiEntropy: false, ...options };
    this.members = ids(count);
    for (const id of this.members) {
      this.storages.set(id, new MemoryStorage());
      this.start(id, this.members);
    }
  }

  start(id: NodeId, bootstrap: NodeId[]): LeaderlessNode {
    const storage = this.storages.get(id) as MemoryStorage;
    const node = leaderlessAlgorithm.create({ id, bootstrapVoters: bootstrap, rng: createRng(1), options: this.options }, storage.load());
    this.nodes.set(id, node);
    this.flush(id);
    return node;
  }

  node(id: NodeId): LeaderlessNode {
    return this.nodes.get(id) as LeaderlessNode;
  }

  flush(id: NodeId): void {
    const node = this.node(id);
    while (node.hasReady()) {
      const ready = node.ready();
      if (ready.persist !== null) (this.storages.get(id) as MemoryStorage).write(ready.persist);
      this.monitor.onReady?.(id, ready, node.status(), 0);
      this.readies.push({ node: id, ready });
      this.queue.push(...ready.messages);
      this.replies.push(...ready.replies);
    }
  }

  request(id: NodeId, request: ClientRequest): void {
    this.node(id).step({ kind: 'client', request });
    this.flush(id);
  }

  tick(id: NodeId, count = 1): void {
    for (let i = 0; i < count; i++) this.node(id).step({ kind: 'tick', clockMs: 10 });
    this.flush(id);
  }

  /** Delivers the queued messages `which` picks (all by default) until none is left, dropping those to `down`. */
  deliver(which: (m: Envelope) => boolean = () => true, down: readonly NodeId[] = []): void {
    for (let round = 0; round < 100; round++) {
      const now = this.queue.filter(which);
      if (now.length === 0) return;
      this.queue = this.queue.filter((m) => !now.includes(m));
      for (const m of now) {
        if (down.includes(m.dest)) continue;
        this.node(m.dest).step({ kind: 'message', envelope: m });
        this.flush(m.dest);
      }
    }
  }

  reply(clientId: number, seq: number): ClientReply | undefined {
    return this.replies.filter((r): r is ClientReply => r.kind === 'client' && r.clientId === clientId && r.seq === seq).at(-1);
  }

  violations(): string[] {
    return this.monitor.violations().map((v) => `${v.property}: ${v.message}`);
  }
}

const write = (clientId: number, seq: number, key: string, value: number, context?: string): ClientRequest => ({ clientId, seq, op: { f: 'write', key, value }, ...(context === undefined ? {} : { context }) });
const read = (clientId: number, seq: number, key: string): ClientRequest => ({ clientId, seq, op: { f: 'read', key } });

describe('a leaderless node', () => {
  it('refuses a retry of a two-phase write whose first attempt may still write (in doubt), and writes once', () => {
    const c = new Cluster(3, { twoPhaseWrites: true });
    // The first attempt through n1: its first phase is recorded at n1 and n2, its puts held.
    c.request('n1', write(7, 1, 'x', 1));
    c.deliver((m) => m.body.type === 'get' && m.dest === 'n2');
    c.deliver((m) => m.body.type === 'got' && m.dest === 'n1');
    expect(c.queue.filter((m) => m.body.type === 'put')).toHaveLength(2);
    // The client gives up on n1 and sends the same request through n3: n2 refuses it.
    c.request('n3', write(7, 1, 'x', 1));
    c.deliver((m) => m.src === 'n3' || m.dest === 'n3');
    expect(c.reply(7, 1)).toMatchObject({ ok: false, error: 'in_doubt', definite: false });
    // The first attempt completes: one version of the request, on every replica.
    c.deliver();
    expect(c.replies.filter((r) => r.kind === 'client' && r.ok)).toHaveLength(1);
    for (const id of ids(3)) expect(c.node(id).describeState()).toBe('x=1@0/n1.1');
    expect(c.violations()).toEqual([]);
  });

  it('answers a copy of a request it served with the same answer, and refuses an older one definitely', () => {
    const c = new Cluster(3, {});
    c.request('n1', write(1, 2, 'x', 5));
    c.deliver();
    c.request('n1', write(1, 2, 'x', 5));
    const answers = c.replies.filter((r) => r.kind === 'client' && r.seq === 2);
    expect(answers).toHaveLength(2);
    expect(answers[1]).toEqual(answers[0]);
    expect(c.queue).toEqual([]);
    c.request('n1', write(1, 1, 'x', 4));
    expect(c.reply(1, 1)).toMatchObject({ ok: false, error: 'stale_request', definite: true });
  });

  it('refuses what a register without consensus cannot do, and a malformed context, definitely', () => {
    const c = new Cluster(3, { resolve: 'vclock' });
    c.request('n1', { clientId: 1, seq: 1, op: { f: 'cas', key: 'x', expected: 1, value: 2 } });
    expect(c.reply(1, 1)).toMatchObject({ ok: false, error: 'wrong_type', definite: true, message: expect.stringContaining('read, write and delete') });
    c.request('n1', { clientId: 1, seq: 2, op: { f: 'incr', key: 'x', value: 1 } });
    expect(c.reply(1, 2)).toMatchObject({ ok: false, error: 'wrong_type', definite: true });
    c.request('n1', write(1, 3, 'x', 1, 'n1:x'));
    expect(c.reply(1, 3)).toMatchObject({ ok: false, error: 'wrong_type', message: expect.stringContaining('not a version vector') });
    expect(c.queue).toEqual([]);
  });

  it('gives an indefinite quorum_timeout when the quorum does not answer in time', () => {
    const c = new Cluster(3, { timeoutTicks: 6 });
    c.request('n1', write(1, 1, 'x', 1));
    c.tick('n1', 5);
    expect(c.reply(1, 1)).toBeUndefined();
    c.tick('n1');
    expect(c.reply(1, 1)).toMatchObject({ ok: false, error: 'quorum_timeout', definite: false, message: expect.stringContaining('1 of the 2 replicas') });
  });

  it('counts a replica and its sloppy-quorum stand-in once', () => {
    // x lives on n2, n3, n4 (n1 is next on the ring); w = 3.
    const c = new Cluster(4, { n: 3, w: 3, sloppy: true, timeoutTicks: 40 });
    expect(c.node('n1').replicasOf('x')).toEqual(['n2', 'n3', 'n4']);
    c.request('n2', write(1, 1, 'x', 1));
    const held = c.queue;
    c.queue = [];
    // n3 and n4 are silent; after a retry period n1 stands in for n3.
    c.tick('n2', 10);
    c.deliver((m) => m.dest === 'n1' || m.src === 'n1');
    expect(c.node('n1').describeState()).toBe('(no keys) | hints: x=1@0/n2.1 for n3');
    // n3 answers late: n3 and its stand-in make one replica; with n2 that is two of three.
    c.queue = held.filter((m) => m.dest === 'n3');
    c.deliver();
    expect(c.reply(1, 1)).toBeUndefined();
    c.queue = held.filter((m) => m.dest === 'n4');
    c.deliver();
    expect(c.reply(1, 1)).toMatchObject({ ok: true });
    expect(c.violations()).toEqual([]);
  });

  it('writes versions down before the acknowledgement that reveals them leaves', () => {
    const c = new Cluster(3, {});
    c.request('n1', write(1, 1, 'x', 1));
    c.deliver();
    const acks = c.readies.filter(({ ready }) => ready.messages.some((m) => m.body.type === 'put_ack'));
    expect(acks.length).toBe(2);
    for (const { ready } of acks) {
      expect(ready.persistFirst).not.toBe(false);
      expect(ready.persist?.records?.some(([name]) => name === 'v:x')).toBe(true);
    }
  });

  it('restarts from its disk: the ring, its versions and its counter (no dot is used twice)', () => {
    const c = new Cluster(3, {});
    c.request('n1', write(1, 1, 'x', 1));
    c.deliver();
    // A restarted node is given no voters: the ring is on its disk.
    const restarted = c.start('n1', []);
    expect(restarted.replicasOf('x')).toEqual(c.node('n2').replicasOf('x'));
    expect(restarted.describeState()).toBe('x=1@0/n1.1');
    c.request('n1', write(2, 1, 'x', 2));
    c.deliver();
    expect(c.node('n2').describeState()).toBe('x=2@0/n1.2');
    c.request('n2', read(3, 1, 'x'));
    c.deliver();
    expect(c.reply(3, 1)).toMatchObject({ ok: true, value: 2 });
    expect(c.violations()).toEqual([]);
  });

  it('with version vectors, a retry through another node makes the same version, not a second sibling', () => {
    const c = new Cluster(3, { resolve: 'vclock' });
    c.request('n1', { clientId: 1, seq: 1, op: { f: 'write', key: 'x', value: 'a' } });
    c.request('n2', { clientId: 1, seq: 1, op: { f: 'write', key: 'x', value: 'a' } });
    c.request('n3', { clientId: 2, seq: 1, op: { f: 'write', key: 'x', value: 'b' } });
    c.deliver();
    for (const id of ids(3)) expect(c.node(id).describeState()).toBe('x=["a"@c1.1 "b"@c2.1]');
    // A client's later write supersedes its own earlier one, context or not.
    c.request('n1', { clientId: 1, seq: 2, op: { f: 'write', key: 'x', value: 'c' } });
    c.deliver();
    c.request('n2', read(3, 1, 'x'));
    c.deliver();
    expect(c.reply(3, 1)).toMatchObject({ ok: true, value: ['b', 'c'], context: 'c1:2,c2:1' });
    expect(c.violations()).toEqual([]);
  });

  it('clamps n to a small cluster and says so in its status; refuses operator commands', () => {
    const c = new Cluster(2, { n: 3, r: 2, w: 2 });
    expect(c.node('n1').status()).toMatchObject({ role: 'replica', leader: null, replicas: 2, readQuorum: 2, writeQuorum: 2, clamped: 'n 3 -> 2 (2 nodes)' });
    c.node('n1').step({ kind: 'admin', request: { requestId: 1, command: { type: 'campaign' } } });
    c.flush('n1');
    expect(c.replies.at(-1)).toMatchObject({ kind: 'admin', ok: false, message: expect.stringContaining('no leader') });
  });
});

describe('the scenario files show what their comments say', () => {
  it.each([
    ['01-stale-read-small-quorums.txt', 'false'],
    ['01b-quorums-that-meet.txt', 'true'],
    ['02-not-linearizable-without-write-back.txt', 'false'],
    ['03-abd-write-back.txt', 'true'],
    ['04-lww-clock-skew.txt', 'false'],
    ['04b-two-phase-writes-survive-skew.txt', 'true'],
    ['05-sloppy-quorum-before-handoff.txt', 'false'],
  ])('%s: linearizable %s', (file, verdict) => {
    expect(linearizable(scenarioHistory('leaderless', file))).toBe(verdict);
  });
});
