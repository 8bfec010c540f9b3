// Primary-backup piece by piece: the log's conflict rules and retry hints, positions and the tie
// by id, the primary's view of its backups (what each ack mode lets it acknowledge, the in-sync
// set, lease rounds), promotion's refusals, fencing, rolling back, exactly-once retries, reads,
// restarts from SQLite, the promises, the monitors on hand-made Readies, and the clients' history
// of each scenario file judged as its narration says.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { linearizable, scenarioHistory } from './scenario-history.ts';
import { InteractionEnv } from '../../src/main/scenario/interaction.ts';
import { SqliteStorage } from '../../src/nodes/host/sqlite-storage.ts';
import { compareIds, comparePositions, isAhead, ReplicatedLog } from '../../src/nodes/primary-backup/log.ts';
import type { Append, Canvass, Heartbeat, PrimaryBackupMessage, Position, Refuse } from '../../src/nodes/primary-backup/messages.ts';
import { createPrimaryBackupMonitor } from '../../src/nodes/primary-backup/monitors.ts';
import { defaultPrimaryBackupOptions, promisedModel, servedRequests, type PrimaryBackupOptions } from '../../src/nodes/primary-backup/options.ts';
import { primaryBackupAlgorithm, type PrimaryBackupNode } from '../../src/nodes/primary-backup/primary-backup.ts';
import { Replication } from '../../src/nodes/primary-backup/replication.ts';
import { MemoryStorage } from '../../src/nodes/storage.ts';
import type { Ready, Storage } from '../../src/nodes/types.ts';
import type { ClientReply, LogEntry, NodeStatus } from '../../src/shared/protocol.ts';
import { createRng } from '../../src/shared/rng.ts';

const write = (index: number, epoch: number, clientId: number, seq: number, key: string, value: number): LogEntry => ({
  index,
  term: epoch,
  data: { type: 'command', request: { clientId, seq, op: { f: 'write', key, value } } },
});
const noop = (index: number, epoch: number): LogEntry => ({ index, term: epoch, data: { type: 'noop' } });

function script(env: InteractionEnv, lines: string): string {
  const out: string[] = [];
  for (const line of lines.trim().split('\n')) {
    const [command, ...args] = line.trim().split(/\s+/);
    out.push(env.run(command as string, args));
  }
  return out.join('\n');
}

/** A node of a three-node cluster driven by hand; its peers exist only as the messages fed to it. */
function lone(options: Partial<PrimaryBackupOptions> = {}, storage: Storage = new MemoryStorage(), id = 'n1') {
  const create = () => primaryBackupAlgorithm.create({ id, bootstrapVoters: ['n1', 'n2', 'n3'], rng: createRng(3).fork(id), options: { ...defaultPrimaryBackupOptions, ...options } }, storage.load());
  const node = create();
  const take = (): Ready => {
    const ready = node.ready();
    if (ready.persist) storage.write(ready.persist);
    return ready;
  };
  const deliver = (src: string, body: PrimaryBackupMessage): Ready => {
    node.step({ kind: 'message', envelope: { src, dest: id, body } });
    return take();
  };
  take();
  return { node, storage, take, deliver, create };
}

const bodies = <T extends PrimaryBackupMessage['type']>(ready: Ready, type: T): Array<Extract<PrimaryBackupMessage, { type: T }>> =>
  ready.messages.map((m) => m.body as PrimaryBackupMessage).filter((m): m is Extract<PrimaryBackupMessage, { type: T }> => m.type === type);

const clientReplies = (ready: Ready): ClientReply[] => ready.replies.filter((r): r is ClientReply => r.kind === 'client');

describe('the replicated log', () => {
  it('keeps what matches, cuts at the first entry that differs, and a late shorter append cuts nothing', () => {
    const log = ReplicatedLog.restore([noop(1, 1), write(2, 1, 1, 1, 'x', 1), write(3, 1, 1, 2, 'x', 2)]);
    log.takeUnstable();
    expect(log.appendFromPrimary([write(2, 1, 1, 1, 'x', 1)])).toBe(Number.POSITIVE_INFINITY);
    expect(log.lastIndex).toBe(3);
    expect(log.takeUnstable()).toBeNull();
    // A newer epoch's entry at 3: the old 3 goes, and the storage is told to rewrite from 3.
    expect(log.appendFromPrimary([write(3, 2, 2, 1, 'x', 9), noop(4, 2)])).toBe(3);
    expect(log.position).toEqual({ lastEpoch: 2, lastIndex: 4 });
    expect(log.takeUnstable()).toEqual({ from: 3, entries: [write(3, 2, 2, 1, 'x', 9), noop(4, 2)] });
  });

  it('asks to be sent again from its end when shorter, or from before the whole run of a conflicting epoch', () => {
    const log = ReplicatedLog.restore([noop(1, 1), noop(2, 2), noop(3, 2), noop(4, 2)]);
    expect(log.retryHint(7)).toBe(4);
    expect(log.retryHint(4)).toBe(1);
    expect(log.retryHint(1)).toBe(0);
  });

  it('refuses a stored log with a hole', () => {
    expect(() => ReplicatedLog.restore([noop(1, 1), noop(3, 1)])).toThrow(/index 3 at position 2/);
  });
});

describe('positions', () => {
  it('order by the last entry’s epoch, then the log’s length; ties go to the lower id, n2 before n10', () => {
    expect(comparePositions({ lastEpoch: 2, lastIndex: 3 }, { lastEpoch: 1, lastIndex: 9 })).toBeGreaterThan(0);
    expect(compareIds('n2', 'n10')).toBeLessThan(0);
    const same = { lastEpoch: 2, lastIndex: 5 };
    expect(isAhead(same, 'n2', same, 'n10')).toBe(true);
    expect(isAhead(same, 'n10', same, 'n2')).toBe(false);
    expect(isAhead({ lastEpoch: 2, lastIndex: 4 }, 'n1', same, 'n3')).toBe(false);
  });
});

describe("the primary's view of its backups", () => {
  const fresh = () => new Replication(['n2', 'n3', 'n4', 'n5'], new Set(['n2', 'n3', 'n4']), 0, 0, 1);

  it('acknowledges by ack mode: sync waits for every backup in sync and a majority; semi for one backup; async for nobody', () => {
    const r = fresh();
    r.matched('n2', 5, 0, 1);
    r.matched('n3', 5, 0, 1);
    expect(r.ackable('async', 6)).toBe(6);
    expect(r.ackable('semi', 6)).toBe(5);
    // n4 is in sync and holds nothing yet: a sync write waits for it, though n1, n2 and n3 are a majority.
    expect(r.ackable('sync', 6)).toBe(0);
    r.matched('n4', 4, 0, 1);
    expect(r.ackable('sync', 6)).toBe(4);
    // n5 never voted and is out of sync: it is not waited for.
    expect(r.inSync()).toEqual(['n2', 'n3', 'n4']);
  });

  it('drops a backup silent for a lease from the in-sync set, never below a majority, and takes it back once caught up', () => {
    const r = fresh();
    r.matched('n2', 5, 0, 10);
    r.matched('n3', 5, 0, 10);
    expect(r.dropSilent(14, 15)).toBe(false);
    expect(r.dropSilent(15, 15)).toBe(true); // n4 voted at tick 0 and said nothing since
    expect(r.inSync()).toEqual(['n2', 'n3']);
    expect(r.ackable('sync', 5)).toBe(5);
    r.dropSilent(30, 15);
    expect(r.inSync()).toEqual([]);
    // With nobody in sync a write still needs a majority: n1 alone holds 7.
    r.matched('n2', 6, 5, 31);
    expect(r.ackable('sync', 7)).toBe(5);
    // n2 holds the acknowledged 5 again, so it is back in sync.
    expect(r.inSync()).toEqual(['n2']);
  });

  it('holds the lease from the newest round a majority answered, counting itself', () => {
    const r = fresh();
    expect(r.leaseExpiry(15)).toBe(15);
    const round = r.startRound(10);
    expect(r.answered('n2', round, 11)).toBe(false);
    expect(r.answered('n3', round, 12)).toBe(true);
    expect(r.confirmedRound).toBe(round);
    expect(r.leaseExpiry(15)).toBe(25);
    // A late answer to an older round changes nothing.
    expect(r.answered('n4', 0, 13)).toBe(false);
  });
});

describe('promotion', () => {
  it('a replica that still hears its primary refuses a candidate, and says whose lease it honours', () => {
    const { deliver } = lone();
    const heartbeat: Heartbeat = { type: 'heartbeat', epoch: 1, round: 1, commit: 0 };
    deliver('n2', heartbeat);
    const canvass: Canvass = { type: 'canvass', epoch: 2, lastEpoch: 1, lastIndex: 9 };
    expect(bodies(deliver('n3', canvass), 'position')).toEqual([expect.objectContaining({ granted: false, reason: 'lease', leader: 'n2' })]);
  });

  it('a replica ahead of the candidate refuses its vote (and stands itself soon); one behind votes, writing the vote down first', () => {
    const { node, deliver, take, storage } = lone();
    deliver('n2', { type: 'append', epoch: 1, prevIndex: 0, prevEpoch: 0, entries: [noop(1, 1), write(2, 1, 1, 1, 'x', 1)], commit: 0 } satisfies Append);
    node.step({ kind: 'tick' });
    take();
    // A lease later, with nothing heard from n2: a candidate with a shorter log is refused.
    for (let i = 0; i < 15; i++) node.step({ kind: 'tick' });
    take();
    const behind = bodies(deliver('n3', { type: 'canvass', epoch: 2, lastEpoch: 1, lastIndex: 1 }), 'position');
    expect(behind).toEqual([expect.objectContaining({ granted: false, reason: 'ahead', lastIndex: 2 })]);
    // As up to date, n1 is ahead of n3 by its lower id; n3 with one entry more is ahead of n1.
    const tied = deliver('n3', { type: 'canvass', epoch: 3, lastEpoch: 1, lastIndex: 2 });
    expect(bodies(tied, 'position')).toEqual([expect.objectContaining({ granted: false, reason: 'ahead' })]);
    const ahead = deliver('n3', { type: 'canvass', epoch: 4, lastEpoch: 1, lastIndex: 3 });
    expect(bodies(ahead, 'position')).toEqual([expect.objectContaining({ granted: true, epoch: 4 })]);
    expect(ahead.persist?.hardState).toMatchObject({ term: 4, vote: 'n3' });
    expect(storage.load().hardState).toMatchObject({ term: 4, vote: 'n3' });
    // One vote per epoch.
    expect(bodies(deliver('n2', { type: 'canvass', epoch: 4, lastEpoch: 1, lastIndex: 3 }), 'position')).toEqual([expect.objectContaining({ granted: false, reason: 'voted' })]);
  });

  it('a candidate gives way to a replica with entries it lacks, but not to one merely tied with a lower id', () => {
    const { node, deliver, take } = lone({}, new MemoryStorage(), 'n3');
    node.step({ kind: 'admin', request: { requestId: 1, command: { type: 'campaign' } } });
    take();
    const tied: Position = { type: 'position', epoch: 1, granted: false, reason: 'ahead', lastEpoch: 0, lastIndex: 0, leader: null };
    deliver('n1', tied);
    expect(node.status().role).toBe('candidate');
    deliver('n2', { ...tied, lastEpoch: 1, lastIndex: 4 });
    expect(node.status().role).toBe('follower');
  });
});

describe('fencing', () => {
  it('on: a replica refuses an older epoch’s append and names the newer primary', () => {
    const { deliver } = lone({ fencing: true });
    deliver('n2', { type: 'heartbeat', epoch: 3, round: 1, commit: 0 } satisfies Heartbeat);
    const ready = deliver('n3', { type: 'append', epoch: 2, prevIndex: 0, prevEpoch: 0, entries: [noop(1, 2)], commit: 0 } satisfies Append);
    expect(bodies(ready, 'refuse')).toEqual([{ type: 'refuse', epoch: 3, leader: 'n2' }]);
    expect(ready.persist?.log).toBeUndefined();
  });

  it('off: a backup takes the older epoch’s append, and rolls its data back when the log it applied is cut', () => {
    const { node, deliver } = lone({ fencing: false, acks: 'async' });
    deliver('n2', { type: 'append', epoch: 3, prevIndex: 0, prevEpoch: 0, entries: [noop(1, 3), write(2, 3, 1, 1, 'x', 1)], commit: 2 } satisfies Append);
    expect(node.read('x')).toBe(1);
    const ready = deliver('n3', { type: 'append', epoch: 2, prevIndex: 0, prevEpoch: 0, entries: [noop(1, 2)], commit: 1 } satisfies Append);
    expect(bodies(ready, 'append_ack')).toEqual([expect.objectContaining({ ok: true, match: 1 })]);
    expect(node.read('x')).toBeNull();
    expect(node.status()).toMatchObject({ term: 3, leader: 'n3', lastIndex: 1, position: 1 });
    expect(ready.persist?.hardState?.commit).toBe(1);
  });

  it('a primary that hears of a newer epoch steps down and tells the client its write may survive', () => {
    const env = new InteractionEnv();
    script(env, 'add-nodes 3 algo=primary-backup\ncampaign n1\nstabilize\npropose n1 write x 1');
    const out = script(env, 'deliver from=n1 to=n2 drop=true\ndeliver from=n1 to=n3 drop=true');
    expect(out).toContain('(lost: dropped)');
    const node = env.node('n1') as PrimaryBackupNode;
    const refuse: Refuse = { type: 'refuse', epoch: 5, leader: 'n3' };
    node.step({ kind: 'message', envelope: { src: 'n2', dest: 'n1', body: refuse } });
    const ready = node.ready();
    expect(clientReplies(ready)).toEqual([expect.objectContaining({ ok: false, error: 'leadership_lost', definite: false, leaderHint: 'n3' })]);
    expect(node.status()).toMatchObject({ role: 'follower', term: 5, leader: 'n3' });
  });
});

describe('clients', () => {
  function primary(options: string = ''): InteractionEnv {
    const env = new InteractionEnv();
    script(env, `add-nodes 3 algo=primary-backup ${options}\ncampaign n1\nstabilize`);
    return env;
  }

  it('a retry of a write in flight gets one answer; a retry after it was applied gets the same answer again', () => {
    const env = primary();
    const node = env.node('n1') as PrimaryBackupNode;
    const request = { clientId: 7, seq: 1, op: { f: 'cas' as const, key: 'x', expected: null, value: 5 } };
    node.step({ kind: 'client', request });
    node.step({ kind: 'client', request });
    expect(node.status().lastIndex).toBe(2);
    const first = script(env, 'process-ready n1\nstabilize');
    expect(first.match(/n1 replied c7#1 ok/g)).toHaveLength(1);
    node.step({ kind: 'client', request });
    const again = script(env, 'process-ready n1\nstabilize');
    // Appended again, applied as a duplicate: the cas does not run twice, and answers as before.
    expect(again).toContain('n1 replied c7#1 ok null');
    expect(node.read('x')).toBe(5);
  });

  it('a write to a backup is refused definitely with the primary’s name; a read too, unless any replica may answer', () => {
    const env = primary();
    expect(script(env, 'propose n2 write x 1\npropose n2 read x')).toBe(
      ['n2 replied c1#1 not_leader (definite) leader=n1', 'n2 replied c1#2 not_leader (definite) leader=n1'].join('\n'),
    );
    const any = primary('reads=any');
    expect(script(any, 'propose n1 write x 4\nstabilize\ntick n1 2\nstabilize\npropose n3 read x')).toContain('n3 replied c1#2 ok 4');
  });

  it('an operation that does not fit the key is refused definitely as wrong_type', () => {
    const env = primary();
    expect(script(env, 'propose n1 write x 3\npropose n1 add x 1 client=2\nstabilize')).toContain('n1 replied c2#1 wrong_type (definite)');
  });

  it('a read at the primary waits for a heartbeat round sent after it arrived', () => {
    const env = primary();
    const node = env.node('n1') as PrimaryBackupNode;
    node.step({ kind: 'client', request: { clientId: 3, seq: 1, op: { f: 'read', key: 'x' } } });
    const ready = node.ready();
    expect(clientReplies(ready)).toEqual([]);
    expect(bodies(ready, 'heartbeat')).toHaveLength(2);
    for (const m of ready.messages) env.node(m.dest)?.step({ kind: 'message', envelope: m });
    expect(script(env, 'stabilize')).toContain('n1 replied c3#1 ok null');
  });
});

describe('membership', () => {
  it('is fixed: a server never told its cluster takes no part and refuses clients definitely', () => {
    const stray = primaryBackupAlgorithm.create({ id: 'n9', bootstrapVoters: [], rng: createRng(1), options: defaultPrimaryBackupOptions }, new MemoryStorage().load());
    for (let i = 0; i < 100; i++) stray.step({ kind: 'tick' });
    stray.step({ kind: 'client', request: { clientId: 1, seq: 1, op: { f: 'read', key: 'x' } } });
    stray.step({ kind: 'admin', request: { requestId: 1, command: { type: 'add_server', node: 'n10' } } });
    const ready = stray.ready();
    expect(stray.status().role).toBe('follower');
    expect(ready.messages).toEqual([]);
    expect(clientReplies(ready)).toEqual([expect.objectContaining({ ok: false, error: 'unavailable', definite: true })]);
    expect(ready.replies.find((r) => r.kind === 'admin')).toMatchObject({ ok: false, message: expect.stringContaining('fixed members') });
  });
});

describe('restarts', () => {
  it('a node comes back from SQLite with its epoch, vote, log and data, as a backup that votes for nobody for a lease', () => {
    const dir = mkdtempSync(join(tmpdir(), 'primary-backup-'));
    try {
      const path = join(dir, 'n1.sqlite');
      const storage = new SqliteStorage(path, { node: 'n1', sync: 'normal' });
      const single = { id: 'n1', bootstrapVoters: ['n1'], rng: createRng(1), options: defaultPrimaryBackupOptions };
      const node = primaryBackupAlgorithm.create(single, storage.load());
      const drain = () => {
        while (node.hasReady()) {
          const ready = node.ready();
          storage.writeReady(ready.persist, ready.applied);
        }
      };
      node.step({ kind: 'admin', request: { requestId: 1, command: { type: 'campaign' } } });
      drain();
      for (let seq = 1; seq <= 3; seq++) {
        node.step({ kind: 'client', request: { clientId: 1, seq, op: { f: 'append', key: 'a', value: String(seq) } } });
        drain();
      }
      expect(node.status()).toMatchObject({ role: 'leader', term: 1, commit: 4, applied: 4 });
      storage.close();
      const reopened = new SqliteStorage(path, { node: 'n1', sync: 'normal' });
      const restarted = primaryBackupAlgorithm.create({ ...single, bootstrapVoters: [] }, reopened.load());
      expect(restarted.status()).toMatchObject({ role: 'follower', term: 1, votedFor: 'n1', lastIndex: 4, commit: 4, applied: 4, voters: ['n1'] });
      expect(restarted.keyValues()).toEqual([['a', '123']]);
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a restarted replica refuses votes until a lease has passed', () => {
    const { deliver, create } = lone();
    deliver('n2', { type: 'heartbeat', epoch: 1, round: 1, commit: 0 } satisfies Heartbeat);
    const restarted = create();
    const canvass: Canvass = { type: 'canvass', epoch: 2, lastEpoch: 1, lastIndex: 1 };
    restarted.step({ kind: 'message', envelope: { src: 'n3', dest: 'n1', body: canvass } });
    expect(bodies(restarted.ready(), 'position')).toEqual([expect.objectContaining({ granted: false, reason: 'lease' })]);
    for (let i = 0; i < defaultPrimaryBackupOptions.leaseTicks; i++) restarted.step({ kind: 'tick' });
    restarted.ready();
    restarted.step({ kind: 'message', envelope: { src: 'n3', dest: 'n1', body: canvass } });
    expect(bodies(restarted.ready(), 'position')).toEqual([expect.objectContaining({ granted: true })]);
  });
});

describe('promises', () => {
  it('are linearizable only with sync acks, fencing and reads at the primary; convergent with reads from any replica; else nothing', () => {
    const model = (o: Partial<PrimaryBackupOptions>) => promisedModel({ ...defaultPrimaryBackupOptions, ...o });
    expect(model({})).toBe('linearizable');
    expect(model({ reads: 'any' })).toBe('convergent');
    expect(model({ acks: 'semi' })).toBeNull();
    expect(model({ acks: 'async', reads: 'any' })).toBeNull();
    expect(model({ fencing: false })).toBeNull();
  });

  it('leave appends out of register workloads only where convergence is promised', () => {
    expect(servedRequests(defaultPrimaryBackupOptions).kv).toContain('append');
    expect(servedRequests({ ...defaultPrimaryBackupOptions, reads: 'any' }).kv).toEqual(['read', 'write', 'cas', 'delete']);
    expect(servedRequests({ ...defaultPrimaryBackupOptions, reads: 'any' }).counter).toEqual(['read', 'incr']);
  });
});

describe('the monitors', () => {
  const strict = (id: string, role: string, term: number): NodeStatus => ({ id, role, leader: role === 'leader' ? id : null, term, acks: 'sync', fencing: true, voters: ['n1', 'n2', 'n3'] });
  const ready = (parts: Partial<Ready>): Ready => ({ persist: null, messages: [], applied: [], replies: [], ...parts });

  it('flag two primaries in one epoch, an epoch that goes down, and a second vote in an epoch', () => {
    const monitor = createPrimaryBackupMonitor();
    monitor.onReady?.('n1', ready({ persist: { hardState: { term: 2, vote: 'n1', commit: 0 } } }), strict('n1', 'leader', 2), 1);
    monitor.onReady?.('n2', ready({}), strict('n2', 'leader', 2), 2);
    monitor.onReady?.('n1', ready({ persist: { hardState: { term: 1, vote: null, commit: 0 } } }), strict('n1', 'follower', 1), 3);
    monitor.onReady?.('n3', ready({ persist: { hardState: { term: 4, vote: 'n1', commit: 0 } } }), strict('n3', 'follower', 4), 4);
    monitor.onReady?.('n3', ready({ persist: { hardState: { term: 4, vote: 'n2', commit: 0 } } }), strict('n3', 'follower', 4), 5);
    expect(monitor.violations().map((v) => v.property)).toEqual(['two_primaries_in_epoch', 'epoch_regressed', 'vote_changed']);
  });

  it('flag an append reply that claims entries the backup has not written', () => {
    const monitor = createPrimaryBackupMonitor();
    const ack = { src: 'n2', dest: 'n1', body: { type: 'append_ack', epoch: 1, ok: true, match: 1, hint: 0 } };
    monitor.onReady?.('n2', ready({ persist: { log: { from: 1, entries: [noop(1, 1)] } }, persistFirst: false, messages: [ack] }), strict('n2', 'follower', 1), 1);
    monitor.onReady?.('n3', ready({ persist: { log: { from: 1, entries: [noop(1, 1)] } }, messages: [{ ...ack, src: 'n3' }] }), strict('n3', 'follower', 1), 2);
    expect(monitor.violations().map((v) => `${v.property} ${v.node}`)).toEqual(['revealed_before_durable n2']);
  });

  it('with sync acks and fencing, flag an acknowledged entry cut from a replica that held it, or missing from a new primary', () => {
    const monitor = createPrimaryBackupMonitor();
    const x = write(2, 1, 1, 1, 'x', 1);
    const okReply: ClientReply = { kind: 'client', clientId: 1, seq: 1, ok: true, value: null };
    monitor.onReady?.('n1', ready({ persist: { log: { from: 1, entries: [noop(1, 1), x] } }, applied: [{ entry: x }], replies: [okReply] }), strict('n1', 'leader', 1), 1);
    monitor.onReady?.('n2', ready({ persist: { log: { from: 1, entries: [noop(1, 1), x] } } }), strict('n2', 'follower', 1), 2);
    // n3 never had it: writing something else there is no loss.
    monitor.onReady?.('n3', ready({ persist: { log: { from: 1, entries: [noop(1, 1), noop(2, 2)] } } }), strict('n3', 'leader', 2), 3);
    monitor.onReady?.('n2', ready({ persist: { log: { from: 2, entries: [noop(2, 2)] } } }), strict('n2', 'follower', 2), 4);
    expect(monitor.violations().map((v) => `${v.property} ${v.node}`)).toEqual(['primary_missing_acknowledged n3', 'acknowledged_write_lost n2']);
  });

  it('leave acknowledged writes alone where the options do not keep them', () => {
    const monitor = createPrimaryBackupMonitor();
    const loose = (id: string, role: string, term: number): NodeStatus => ({ ...strict(id, role, term), acks: 'async' });
    const x = write(2, 1, 1, 1, 'x', 1);
    monitor.onReady?.('n1', ready({ persist: { log: { from: 1, entries: [noop(1, 1), x] } }, applied: [{ entry: x }], replies: [{ kind: 'client', clientId: 1, seq: 1, ok: true, value: null }] }), loose('n1', 'leader', 1), 1);
    monitor.onReady?.('n1', ready({ persist: { log: { from: 2, entries: [noop(2, 2)] } } }), loose('n1', 'follower', 2), 2);
    monitor.finalCheck();
    expect(monitor.violations()).toEqual([]);
  });
});

describe('the scenario files show what their comments say', () => {
  it.each([
    ['01-async-loses-acknowledged-write.txt', 'false'],
    ['02-sync-keeps-acknowledged-write.txt', 'true'],
    ['03-stale-read-from-backup.txt', 'false'],
    ['04-split-brain-without-fencing.txt', 'false'],
    ['05-fencing-refuses-old-primary.txt', 'true'],
    ['06-most-up-to-date-promoted.txt', 'true'],
    ['08-read-at-primary-asleep-through-its-lease.txt', 'true'],
  ])('%s: linearizable %s', (file, verdict) => {
    expect(linearizable(scenarioHistory('primary-backup', file))).toBe(verdict);
  });
});
