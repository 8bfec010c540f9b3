import { describe, expect, it } from 'vitest';
import { RaftLog } from '../../src/nodes/raft/log.ts';
import { Progress } from '../../src/nodes/raft/progress.ts';
import { committedIndex, tallyVotes } from '../../src/nodes/raft/quorum.ts';
import { KvStateMachine } from '../../src/nodes/kv/state-machine.ts';
import { MemoryStorage } from '../../src/nodes/storage.ts';
import type { LogEntry } from '../../src/shared/protocol.ts';
import { raftAlgorithm, type RaftNode } from '../../src/nodes/raft/raft.ts';
import type { AppendEntries } from '../../src/nodes/raft/messages.ts';
import { emptyPersistedState } from '../../src/nodes/storage.ts';
import { createRng } from '../../src/shared/rng.ts';
import type { Envelope, Ready } from '../../src/nodes/types.ts';

const noop = (index: number, term: number): LogEntry => ({ index, term, data: { type: 'noop' } });

describe('RaftLog', () => {
  it('keeps matching entries and truncates from the first conflict', () => {
    const log = new RaftLog();
    [noop(1, 1), noop(2, 1), noop(3, 2), noop(4, 2)].forEach((e) => log.append(e));
    log.takeUnstable();
    const last = log.appendFromLeader(2, [noop(3, 2), noop(4, 3), noop(5, 3)]);
    expect(last).toBe(5);
    expect([1, 2, 3, 4, 5].map((i) => log.term(i))).toEqual([1, 1, 2, 3, 3]);
    expect(log.takeUnstable()).toEqual({ from: 4, entries: [noop(4, 3), noop(5, 3)] });
  });

  it('does not truncate on a stale, shorter append that matches', () => {
    const log = new RaftLog();
    [noop(1, 1), noop(2, 1), noop(3, 1)].forEach((e) => log.append(e));
    log.appendFromLeader(0, [noop(1, 1)]);
    expect(log.lastIndex).toBe(3);
  });

  it('finds the first index of a term for fast backtracking', () => {
    const log = new RaftLog();
    [noop(1, 1), noop(2, 2), noop(3, 2), noop(4, 2), noop(5, 4)].forEach((e) => log.append(e));
    expect(log.firstIndexOfTerm(2, 4)).toBe(2);
    expect(log.lastIndexOfTerm(2)).toBe(4);
    expect(log.lastIndexOfTerm(3)).toBe(0);
  });

  it('compacts into a snapshot and reports terms at its edge', () => {
    const log = new RaftLog();
    [noop(1, 1), noop(2, 1), noop(3, 2)].forEach((e) => log.append(e));
    log.takeUnstable();
    log.compactTo(2, 1);
    expect(log.term(2)).toBe(1);
    expect(log.term(1)).toBe(-1);
    expect(log.firstIndex).toBe(3);
    expect(log.slice(3, 3)).toEqual([noop(3, 2)]);
    expect(log.takeUnstable()).toBeNull();
  });
});

describe('Progress', () => {
  it('ignores stale rejections and backs up on fresh ones', () => {
    const pr = new Progress(10);
    pr.maybeUpdate(5);
    expect(pr.rejected(8, 7)).toBe(false); // we did not send prev=8 last
    expect(pr.rejected(9, 7)).toBe(true);
    expect(pr.next).toBe(7);
  });

  it('pauses in replicate state when the window is full and reopens on acknowledgement', () => {
    const pr = new Progress(1);
    pr.maybeUpdate(0);
    pr.becomeReplicate();
    pr.sentEntries(3);
    pr.sentEntries(6);
    expect(pr.isPaused(2)).toBe(true);
    pr.maybeUpdate(3);
    expect(pr.isPaused(2)).toBe(false);
    expect(pr.next).toBe(7);
  });
});

describe('quorum', () => {
  it('takes the highest index a majority holds', () => {
    const match: Record<string, number> = { a: 9, b: 7, c: 5, d: 3, e: 1 };
    expect(committedIndex(['a', 'b', 'c', 'd', 'e'], (id) => match[id] ?? 0)).toBe(5);
    expect(committedIndex(['a', 'b', 'c', 'd'], (id) => match[id] ?? 0)).toBe(5);
  });

  it('decides an election as soon as the outcome is certain', () => {
    const voters = ['a', 'b', 'c', 'd', 'e'];
    expect(tallyVotes(voters, new Map([['a', true], ['b', true]]))).toBe('pending');
    expect(tallyVotes(voters, new Map([['a', true], ['b', true], ['c', true]]))).toBe('won');
    expect(tallyVotes(voters, new Map([['a', true], ['b', false], ['c', false], ['d', false]]))).toBe('lost');
  });
});

describe('KvStateMachine', () => {
  it('applies a retried request once and returns its first result', () => {
    const sm = new KvStateMachine();
    expect(sm.apply({ clientId: 1, seq: 1, op: { f: 'append', key: 'k', value: 'a' } }).kind).toBe('applied');
    expect(sm.apply({ clientId: 1, seq: 1, op: { f: 'append', key: 'k', value: 'a' } }).kind).toBe('duplicate');
    expect(sm.read('k')).toBe('a');
    expect(sm.apply({ clientId: 1, seq: 0, op: { f: 'delete', key: 'k' } }).kind).toBe('stale');
  });

  it('fails a cas against the wrong value without changing anything', () => {
    const sm = new KvStateMachine();
    sm.apply({ clientId: 1, seq: 1, op: { f: 'write', key: 'k', value: 1 } });
    const outcome = sm.apply({ clientId: 1, seq: 2, op: { f: 'cas', key: 'k', expected: 2, value: 3 } });
    expect(outcome.kind === 'applied' && outcome.result.ok).toBe(false);
    expect(sm.read('k')).toBe(1);
    const copy = KvStateMachine.fromSnapshot(sm.snapshot());
    expect(copy.read('k')).toBe(1);
    expect(copy.apply({ clientId: 1, seq: 2, op: { f: 'cas', key: 'k', expected: 2, value: 3 } }).kind).toBe('duplicate');
  });

  it('keeps counters and sorted sets, and refuses an operation that does not fit what a key holds', () => {
    const sm = new KvStateMachine();
    let seq = 0;
    const apply = (op: Parameters<KvStateMachine['apply']>[0]['op']) => sm.apply({ clientId: 1, seq: ++seq, op });
    apply({ f: 'incr', key: 'c', value: 3 });
    apply({ f: 'incr', key: 'c', value: -1 });
    expect(sm.read('c')).toBe(2);
    for (const e of ['b', 3, 'a', null, 1, 'b']) apply({ f: 'add', key: 's', value: e });
    apply({ f: 'remove', key: 's', value: 3 });
    expect(sm.read('s')).toEqual([null, 1, 'a', 'b']);
    const refused = apply({ f: 'add', key: 'c', value: 1 });
    expect(refused.kind === 'applied' && !refused.result.ok && refused.result.error).toBe('wrong_type');
    expect(apply({ f: 'incr', key: 's', value: 1 }).kind === 'applied' && sm.read('s')).toEqual([null, 1, 'a', 'b']);
    expect(KvStateMachine.fromSnapshot(sm.snapshot()).read('s')).toEqual([null, 1, 'a', 'b']);
    for (const e of [null, 1, 'a', 'b']) apply({ f: 'remove', key: 's', value: e });
    expect(sm.read('s')).toBeNull();
  });
});

describe('MemoryStorage', () => {
  it('replaces the log tail and keeps what a snapshot does not cover', () => {
    const storage = new MemoryStorage();
    storage.write({ log: { from: 1, entries: [noop(1, 1), noop(2, 1), noop(3, 1)] }, hardState: { term: 1, vote: 'n1', commit: 0 } });
    storage.write({ log: { from: 3, entries: [noop(3, 2), noop(4, 2)] } });
    storage.write({ snapshot: { index: 2, term: 1, voters: ['n1'], data: { kv: [], sessions: [] } } });
    const state = storage.load();
    expect(state.entries.map((e) => `${e.index}/${e.term}`)).toEqual(['3/2', '4/2']);
    expect(state.hardState.vote).toBe('n1');
    expect(() => storage.write({ log: { from: 9, entries: [] } })).toThrow(/gap/);
  });
});

describe('Ready.persistFirst', () => {
  // A hand-driven cluster: every Ready is recorded with the role of the node that produced it.
  function harness(size: number, options: Partial<typeof raftAlgorithm.defaultOptions> = {}) {
    const ids = Array.from({ length: size }, (_, i) => `n${i + 1}`);
    const nodes = new Map(ids.map((id) => [id, raftAlgorithm.create({ id, bootstrapVoters: ids, rng: createRng(7).fork(id), options: { ...raftAlgorithm.defaultOptions, ...options } }, emptyPersistedState())]));
    const readies: Array<{ node: string; role: string; ready: Ready }> = [];
    /** Nodes whose messages, both ways, are lost. */
    const down = new Set<string>();
    const inFlight: Envelope[] = [];
    const drain = (): void => {
      for (let rounds = 0; rounds < 100; rounds++) {
        for (const [id, node] of nodes) {
          while (node.hasReady()) {
            const ready = node.ready();
            readies.push({ node: id, role: node.status().role, ready });
            inFlight.push(...ready.messages);
          }
        }
        if (inFlight.length === 0) return;
        for (const envelope of inFlight.splice(0)) {
          if (!down.has(envelope.src) && !down.has(envelope.dest)) nodes.get(envelope.dest)?.step({ kind: 'message', envelope });
        }
      }
    };
    return { nodes, readies, drain, down };
  }

  function electN1(h: ReturnType<typeof harness>): void {
    const n1 = h.nodes.get('n1') as RaftNode;
    for (let i = 0; i < 100 && n1.status().role !== 'leader'; i++) {
      n1.step({ kind: 'tick' });
      h.drain();
    }
    expect(n1.status().role).toBe('leader');
  }

  it('orders votes, new terms and followers’ appends, and lets a leader’s appends and commit index go early', () => {
    const h = harness(3);
    electN1(h);
    const votes = h.readies.filter((r) => r.ready.messages.some((m) => m.body.type === 'request_vote_response' && !(m.body as { type: string; preVote?: boolean }).preVote));
    expect(votes.length).toBeGreaterThan(0);
    for (const r of votes) expect(r.ready.persistFirst).toBe(true);
    const candidacy = h.readies.find((r) => r.role === 'candidate' && r.ready.persist?.hardState !== undefined);
    expect(candidacy?.ready.persistFirst).toBe(true);

    h.readies.length = 0;
    h.nodes.get('n1')?.step({ kind: 'client', request: { clientId: 1, seq: 1, op: { f: 'write', key: 'x', value: 1 } } });
    h.drain();
    const leaderAppend = h.readies.find((r) => r.node === 'n1' && r.ready.persist?.log !== undefined);
    expect(leaderAppend?.ready.persistFirst).toBe(false);
    const followerAppends = h.readies.filter((r) => r.node !== 'n1' && r.ready.persist?.log !== undefined);
    expect(followerAppends).toHaveLength(2);
    for (const r of followerAppends) expect(r.ready.persistFirst).toBe(true);
    const reply = h.readies.find((r) => r.ready.replies.length > 0);
    expect(reply?.ready.persist?.log).toBeUndefined();
    expect(reply?.ready.persistFirst).toBe(false);
  });

  it('gives no empty Ready for an acknowledgement that leaves the leader nothing to send', () => {
    const h = harness(3);
    electN1(h);
    const [n1, n2, n3] = ['n1', 'n2', 'n3'].map((id) => h.nodes.get(id) as RaftNode) as [RaftNode, RaftNode, RaftNode];
    const take = (node: RaftNode): Envelope[] => {
      const out: Envelope[] = [];
      while (node.hasReady()) out.push(...node.ready().messages);
      return out;
    };
    n1.step({ kind: 'client', request: { clientId: 1, seq: 1, op: { f: 'write', key: 'x', value: 1 } } });
    const appends = take(n1);
    for (const envelope of appends) h.nodes.get(envelope.dest)?.step({ kind: 'message', envelope });
    const [ack2, ack3] = [take(n2), take(n3)].map((messages) => messages.find((m) => m.body.type === 'append_entries_response') as Envelope);
    // The first acknowledgement commits the entry: the client has its answer, and the followers
    // hear of the commit later, not in appends of its own.
    n1.step({ kind: 'message', envelope: ack2 as Envelope });
    const committed = n1.ready();
    expect(committed.replies).toMatchObject([{ kind: 'client', clientId: 1, seq: 1, ok: true }]);
    expect(committed.messages).toEqual([]);
    // The second moves a match index and leaves nothing to send: no Ready to post for it.
    n1.step({ kind: 'message', envelope: ack3 as Envelope });
    expect(n1.hasReady()).toBe(false);
    // The next tick carries the commit index to both followers.
    const index = n1.status().commit;
    n1.step({ kind: 'tick' });
    expect(take(n1).map((m) => [m.dest, m.body])).toEqual([
      ['n2', expect.objectContaining({ type: 'append_entries', commit: index, commitOnly: true })],
      ['n3', expect.objectContaining({ type: 'append_entries', commit: index, commitOnly: true })],
    ]);
  });

  it('sends a new commit index with the next append', () => {
    const h = harness(3);
    electN1(h);
    h.drain();
    const n1 = h.nodes.get('n1') as RaftNode;
    n1.step({ kind: 'client', request: { clientId: 1, seq: 1, op: { f: 'write', key: 'x', value: 1 } } });
    h.drain();
    const committed = n1.status().commit;
    expect(h.nodes.get('n2')?.status().commit).toBeLessThan(committed);
    n1.step({ kind: 'client', request: { clientId: 1, seq: 2, op: { f: 'write', key: 'x', value: 2 } } });
    const appends = n1
      .ready()
      .messages.map((m) => m.body)
      .filter((body): body is AppendEntries => body.type === 'append_entries');
    expect(appends.map((body) => [body.commit, body.entries.length])).toEqual([
      [committed, 1],
      [committed, 1],
    ]);
  });

  it('hands followers in step one and the same append, so a host serializes it once', () => {
    const h = harness(3);
    electN1(h);
    h.drain();
    const n1 = h.nodes.get('n1') as RaftNode;
    n1.step({ kind: 'client', request: { clientId: 1, seq: 1, op: { f: 'write', key: 'x', value: 1 } } });
    const appends = n1.ready().messages.filter((m) => m.body.type === 'append_entries');
    expect(appends.map((m) => m.dest).sort()).toEqual(['n2', 'n3']);
    expect(appends[0]?.body).toBe(appends[1]?.body);
  });

  it('writes a snapshot installed from the leader before acknowledging it, and lets a node’s own snapshot go with its replies', () => {
    const h = harness(3, { snapshotInterval: 3 });
    electN1(h);
    h.down.add('n3');
    h.readies.length = 0; // past the first configuration, which is written first
    const n1 = h.nodes.get('n1') as RaftNode;
    for (let seq = 1; seq <= 5; seq++) {
      n1.step({ kind: 'client', request: { clientId: 1, seq, op: { f: 'write', key: 'x', value: seq } } });
      h.drain();
    }
    // (A follower's snapshot may share a Ready with entries it appends: those go first anyway.)
    const own = h.readies.filter((r) => r.node !== 'n3' && r.ready.persist?.snapshot !== undefined && r.ready.persist.log === undefined);
    expect(own.map((r) => r.node)).toContain('n1');
    for (const r of own) expect(r.ready.persistFirst).toBe(false);
    expect(own.some((r) => r.ready.replies.length > 0)).toBe(true);

    h.down.delete('n3');
    h.readies.length = 0;
    for (let i = 0; i < 20 && !h.readies.some((r) => r.node === 'n3' && r.ready.persist?.snapshot !== undefined); i++) {
      n1.step({ kind: 'tick' });
      h.drain();
    }
    const installed = h.readies.find((r) => r.node === 'n3' && r.ready.persist?.snapshot !== undefined);
    expect(installed?.ready.messages.some((m) => m.body.type === 'append_entries_response')).toBe(true);
    expect(installed?.ready.persistFirst).toBe(true);
  });

  it('makes a lone leader write its entries before it answers, since it commits them at once', () => {
    const h = harness(1);
    electN1(h);
    h.readies.length = 0;
    h.nodes.get('n1')?.step({ kind: 'client', request: { clientId: 1, seq: 1, op: { f: 'write', key: 'x', value: 1 } } });
    h.drain();
    const answered = h.readies.find((r) => r.ready.replies.length > 0);
    expect(answered?.ready.persist?.log).toBeDefined();
    expect(answered?.ready.persistFirst).toBe(true);
  });
});
