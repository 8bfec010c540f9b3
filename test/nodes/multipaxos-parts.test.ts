// Multi-Paxos piece by piece: ballots, the acceptor's rules, phase 1's value recovery and gap
// no-ops, catch-up, compaction, exactly-once retries, lease reads, and the acceptor's records
// surviving a restart through SQLite.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InteractionEnv } from '../../src/main/scenario/interaction.ts';
import { Simulation } from '../../src/main/sim/simulation.ts';
import { Acceptor, acceptedRecord, PROMISED_RECORD } from '../../src/nodes/multipaxos/acceptor.ts';
import { compareBallots, nextBallot, type Ballot } from '../../src/nodes/multipaxos/ballot.ts';
import type { AcceptedValue, MultiPaxosMessage } from '../../src/nodes/multipaxos/messages.ts';
import { multiPaxosAlgorithm, type MultiPaxosNode } from '../../src/nodes/multipaxos/multipaxos.ts';
import { defaultMultiPaxosOptions, type MultiPaxosOptions } from '../../src/nodes/multipaxos/options.ts';
import { NOOP, recoveredValue } from '../../src/nodes/multipaxos/recovery.ts';
import { SqliteStorage } from '../../src/nodes/host/sqlite-storage.ts';
import { MemoryStorage } from '../../src/nodes/storage.ts';
import type { Envelope, Ready, Storage } from '../../src/nodes/types.ts';
import type { EntryData } from '../../src/shared/protocol.ts';
import { createRng } from '../../src/shared/rng.ts';

const b = (round: number, node: string): Ballot => ({ round, node });
const write = (clientId: number, seq: number, key: string, value: number): EntryData => ({ type: 'command', request: { clientId, seq, op: { f: 'write', key, value } } });

function script(env: InteractionEnv, lines: string): string {
  const out: string[] = [];
  for (const line of lines.trim().split('\n')) {
    const [command, ...args] = line.trim().split(/\s+/);
    out.push(env.run(command as string, args));
  }
  return out.join('\n');
}

/** A lone node driven by hand, with its storage; peers exist only as the messages we feed it. */
function lone(options: Partial<MultiPaxosOptions> = {}, storage: Storage = new MemoryStorage(), id = 'n1') {
  const node = multiPaxosAlgorithm.create({ id, bootstrapVoters: ['n1', 'n2', 'n3'], rng: createRng(7).fork(id), options: { ...defaultMultiPaxosOptions, ...options } }, storage.load());
  const take = (): Ready => {
    const ready = node.ready();
    if (ready.persist) storage.write(ready.persist);
    return ready;
  };
  const deliver = (src: string, body: MultiPaxosMessage): Ready => {
    node.step({ kind: 'message', envelope: { src, dest: id, body } });
    return take();
  };
  take();
  return { node, storage, take, deliver };
}

const bodies = (ready: Ready, type: string): MultiPaxosMessage[] => ready.messages.map((m: Envelope) => m.body as MultiPaxosMessage).filter((m) => m.type === type);

describe('ballots', () => {
  it('order by round, then by node id with n2 below n10', () => {
    expect(compareBallots(b(1, 'n9'), b(2, 'n1'))).toBeLessThan(0);
    expect(compareBallots(b(3, 'n2'), b(3, 'n10'))).toBeLessThan(0);
    expect(compareBallots(b(3, 'n10'), b(3, 'n2'))).toBeGreaterThan(0);
    expect(compareBallots(b(3, 'n4'), b(3, 'n4'))).toBe(0);
    expect(nextBallot(7, 'n3')).toEqual(b(8, 'n3'));
  });
});

describe('the acceptor', () => {
  it('promises only upward and accepts nothing below its promise', () => {
    const acceptor = new Acceptor();
    expect(acceptor.promise(b(2, 'n1'))).toBe(true);
    expect(acceptor.promise(b(1, 'n3'))).toBe(false);
    expect(acceptor.promise(b(2, 'n1'))).toBe(true); // the same proposer asking again
    expect(acceptor.allows(b(1, 'n9'))).toBe(false);
    expect(acceptor.allows(b(2, 'n1'))).toBe(true);
    acceptor.accept(4, b(3, 'n2'), write(1, 1, 'x', 1));
    expect(acceptor.promised).toEqual(b(3, 'n2')); // accepting in a ballot promises it
    expect(acceptor.takeRecords()).toEqual([
      [PROMISED_RECORD, b(3, 'n2')],
      [acceptedRecord(4), { ballot: b(3, 'n2'), value: write(1, 1, 'x', 1) }],
    ]);
    expect(acceptor.takeRecords()).toBeNull();
  });

  it('comes back from its records, and forgets the slots a snapshot folded', () => {
    const records = new Map<string, unknown>([
      [PROMISED_RECORD, b(5, 'n2')],
      [acceptedRecord(1), { ballot: b(4, 'n1'), value: NOOP }],
      [acceptedRecord(3), { ballot: b(5, 'n2'), value: write(1, 2, 'y', 2) }],
    ]);
    const acceptor = Acceptor.restore(records);
    expect(acceptor.promised).toEqual(b(5, 'n2'));
    expect(acceptor.acceptedFrom(2).map((a) => a.slot)).toEqual([3]);
    expect(acceptor.highestSlot).toBe(3);
    acceptor.forgetUpTo(2);
    expect(acceptor.takeRecords()).toEqual([[acceptedRecord(1), null]]);
    expect(acceptor.acceptedFrom(0).map((a) => a.slot)).toEqual([3]);
  });
});

describe('phase 1', () => {
  it('recovers the value accepted in the highest ballot, and a no-op where nothing was accepted', () => {
    const reports: AcceptedValue[] = [
      { slot: 2, ballot: b(3, 'n1'), value: write(1, 1, 'x', 1) },
      { slot: 2, ballot: b(4, 'n2'), value: write(2, 1, 'x', 2) },
      { slot: 2, ballot: b(2, 'n3'), value: write(3, 1, 'x', 3) },
    ];
    expect(recoveredValue(reports)).toEqual(write(2, 1, 'x', 2));
    expect(recoveredValue([])).toEqual(NOOP);
  });

  it('proposes, after a majority promised, the reported values and no-ops in the gaps between them', () => {
    const { node, take, deliver } = lone();
    node.step({ kind: 'admin', request: { requestId: 1, command: { type: 'campaign' } } });
    const prepare = bodies(take(), 'prepare')[0] as Extract<MultiPaxosMessage, { type: 'prepare' }>;
    expect(prepare).toEqual({ type: 'prepare', ballot: b(1, 'n1'), fromSlot: 1 });
    const ready = deliver('n2', {
      type: 'promise',
      ballot: prepare.ballot,
      fromSlot: 1,
      accepted: [{ slot: 3, ballot: b(0, 'n9'), value: write(2, 5, 'z', 9) }],
      chosen: [],
      snapshot: null,
      commit: 0,
    });
    expect(node.status().role).toBe('leader');
    const accept = bodies(ready, 'accept')[0] as Extract<MultiPaxosMessage, { type: 'accept' }>;
    expect(accept.ballot).toEqual(b(1, 'n1'));
    expect(accept.entries).toEqual([
      { slot: 1, value: NOOP },
      { slot: 2, value: NOOP },
      { slot: 3, value: write(2, 5, 'z', 9) },
    ]);
    // A client's write goes after the recovered slots.
    node.step({ kind: 'client', request: { clientId: 4, seq: 1, op: { f: 'write', key: 'k', value: 1 } } });
    expect((bodies(take(), 'accept')[0] as Extract<MultiPaxosMessage, { type: 'accept' }>).entries.map((e) => e.slot)).toEqual([4]);
  });

  it('writes the promise down before the promise message leaves, and refuses lower ballots after a restart', () => {
    const storage = new MemoryStorage();
    const first = lone({}, storage, 'n2');
    const ready = first.deliver('n3', { type: 'prepare', ballot: b(4, 'n3'), fromSlot: 1 });
    expect(ready.persist?.records).toEqual([[PROMISED_RECORD, b(4, 'n3')]]);
    expect(bodies(ready, 'promise')).toHaveLength(1);
    const again = lone({}, storage, 'n2');
    const refused = again.deliver('n1', { type: 'accept', ballot: b(3, 'n1'), entries: [{ slot: 1, value: NOOP }] });
    expect(bodies(refused, 'reject')).toEqual([{ type: 'reject', ballot: b(3, 'n1'), promised: b(4, 'n3'), leader: null }]);
    expect(refused.persist).toBeNull();
  });
});

describe('a cluster of three', () => {
  it('catches a restarted acceptor up with the chosen values it missed', () => {
    const env = new InteractionEnv();
    script(env, 'add-nodes 3 algo=multipaxos\ncampaign n1\nstabilize\ncrash n3\npropose n1 write x 1 client=1\npropose n1 write y 2 client=2\nstabilize\nrestart n3');
    expect(env.node('n3')?.status().commit).toBe(0);
    const out = script(env, 'tick n1 2\nstabilize');
    expect(out).toContain('n3->n1 HeartbeatAck b=1.n1 commit=0');
    expect(out).toContain('n1->n3 Chosen b=1.n1 [1/1 c1#1 write x=1, 2/1 c2#1 write y=2]');
    expect(env.node('n3')?.status()).toMatchObject({ commit: 2, applied: 2 });
    expect(env.node('n3')?.keyValues?.()).toEqual([
      ['x', 1],
      ['y', 2],
    ]);
  });

  it('folds applied slots into a snapshot and deletes their acceptor records', () => {
    const storages = new Map<string, MemoryStorage>();
    const env = new InteractionEnv({ onStart: (id, { storage }) => storages.set(id, storage) });
    script(env, 'add-nodes 3 algo=multipaxos snapshotInterval=2\ncampaign n1\nstabilize\npropose n1 write x 1 client=1\npropose n1 write y 2 client=2\nstabilize\npropose n1 write z 3 client=3\nstabilize');
    const persisted = (storages.get('n2') as MemoryStorage).load();
    expect(persisted.snapshot?.index).toBe(2);
    expect(persisted.snapshot?.data.kv).toEqual([
      ['x', 1],
      ['y', 2],
    ]);
    expect([...persisted.records.keys()].sort()).toEqual([acceptedRecord(3), PROMISED_RECORD]);
    expect(persisted.entries.map((e) => e.index)).toEqual([3]);
    script(env, 'crash n2\nrestart n2');
    expect(env.node('n2')?.status()).toMatchObject({ snapshotIndex: 2, commit: 3 });
  });

  it('applies a retried request once, even when the retry lands in a second slot', () => {
    const env = new InteractionEnv();
    script(env, 'add-nodes 3 algo=multipaxos\ncampaign n1\nstabilize');
    const leader = env.node('n1') as MultiPaxosNode;
    const request = { clientId: 7, seq: 1, op: { f: 'append' as const, key: 'a', value: 'x' } };
    // The accept reaches n2; n1 crashes before it hears that its write was chosen.
    leader.step({ kind: 'client', request });
    script(env, 'process-ready n1\ndeliver from=n1 to=n2\nprocess-ready n2\ncrash n1\ncampaign n2\nstabilize n2 n3');
    // The client retries the same request (same seq) at the new leader, which proposes it again.
    const newLeader = env.node('n2') as MultiPaxosNode;
    newLeader.step({ kind: 'client', request });
    const out = script(env, 'process-ready n2\nstabilize n2 n3');
    expect(out).toContain('n2 replied c7#1 ok null');
    expect(newLeader.entries().filter((e) => e.data.type === 'command')).toHaveLength(2);
    expect(newLeader.keyValues()).toEqual([['a', 'x']]);
  });
});

describe('lease reads', () => {
  const setUp = () => {
    const env = new InteractionEnv();
    script(env, 'add-nodes 3 algo=multipaxos leaseReads=true\ncampaign n1\nstabilize\npropose n1 write x 1\nstabilize');
    return env;
  };

  it('a leader that heard from a majority within the lease answers reads without phase 2', () => {
    const env = setUp();
    const out = script(env, 'propose n1 read x');
    expect(out).toBe('n1 replied c1#2 ok 1');
  });

  it('once the lease ran out, the read goes through the log', () => {
    const env = setUp();
    script(env, 'partition (n1) (n2,n3)\ntick n1 9\nprocess-ready n1');
    expect(script(env, 'propose n1 read x')).toBe('');
    expect(script(env, 'deliver from=n1 to=n2')).toMatch(/Accept b=1\.n1 \[2: c1#2 read x\]/);
  });

  it('followers refuse another proposer while the lease may hold, and so does a restarted one', () => {
    const env = setUp();
    expect(script(env, 'campaign n2')).toContain('n2 replied admin#2 failed: n2 will not run phase 1 while n1');
    const follower = env.node('n3') as MultiPaxosNode;
    const prepare: MultiPaxosMessage = { type: 'prepare', ballot: b(5, 'n2'), fromSlot: 1 };
    follower.step({ kind: 'message', envelope: { src: 'n2', dest: 'n3', body: prepare } });
    expect(script(env, 'process-ready n3\ndeliver from=n3 to=n2')).toContain('Reject b=5.n2 promised=1.n1 lease of n1');
    script(env, 'crash n3\nrestart n3');
    const restarted = env.node('n3') as MultiPaxosNode;
    const higher: MultiPaxosMessage = { type: 'prepare', ballot: b(6, 'n2'), fromSlot: 1 };
    restarted.step({ kind: 'message', envelope: { src: 'n2', dest: 'n3', body: higher } });
    expect(script(env, 'process-ready n3\ndeliver from=n3 to=n2')).toContain('Reject b=6.n2 promised=1.n1');
  });
});

describe('SQLite storage', () => {
  it('keeps the acceptor records, the chosen log and the snapshot across a restart', () => {
    const dir = mkdtempSync(join(tmpdir(), 'multipaxos-'));
    try {
      const path = join(dir, 'n1.sqlite');
      const storage = new SqliteStorage(path, { node: 'n1', sync: 'normal' });
      const single = { id: 'n1', bootstrapVoters: ['n1'], rng: createRng(1), options: { ...defaultMultiPaxosOptions, snapshotInterval: 2 } };
      const node = multiPaxosAlgorithm.create(single, storage.load());
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
      const before = { status: node.status(), state: node.describeState() };
      storage.close();
      const reopened = new SqliteStorage(path, { node: 'n1', sync: 'normal' });
      const persisted = reopened.load();
      expect(persisted.records.get(PROMISED_RECORD)).toEqual(b(1, 'n1'));
      expect(persisted.records.has(acceptedRecord(1))).toBe(false); // folded into the snapshot
      const restarted = multiPaxosAlgorithm.create({ ...single, bootstrapVoters: [] }, persisted);
      expect(restarted.describeState()).toBe(before.state);
      expect(restarted.status()).toMatchObject({ term: 1, commit: before.status.commit, snapshotIndex: 2, voters: ['n1'] });
      while (restarted.hasReady()) restarted.ready();
      expect(restarted.keyValues()).toEqual([['a', '123']]);
      reopened.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('what Multi-Paxos writes before it speaks', () => {
  it("lets only a leader's own accepts be written while they travel; every promise and answer to another proposer waits for the disk", () => {
    let overlapped = 0;
    let answers = 0;
    const sim = new Simulation({
      algorithm: multiPaxosAlgorithm,
      nodes: 3,
      seed: 11,
      workload: { rate: 100 },
      observers: [
        {
          onReady(_node, ready) {
            if (ready.persist === null) return;
            const types = new Set(ready.messages.map((m) => m.body.type));
            const promiseWritten = ready.persist.records?.some(([key]) => key === 'promised') ?? false;
            if (types.has('promise') || types.has('accepted') || types.has('reject') || promiseWritten || ready.persist.snapshot !== undefined) {
              answers++;
              expect(ready.persistFirst).not.toBe(false);
            }
            if (ready.persistFirst === false) {
              overlapped++;
              expect([...types].every((t) => t === 'accept' || t === 'chosen' || t === 'heartbeat')).toBe(true);
            }
          },
        },
      ],
    });
    sim.runFor(3000);
    expect(overlapped).toBeGreaterThan(10);
    expect(answers).toBeGreaterThan(10);
  });
});
