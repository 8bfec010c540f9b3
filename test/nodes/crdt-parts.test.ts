// The CRDTs piece by piece: each type's merge laws over random reachable states (commutative,
// associative, idempotent, an inflation, deltas that give what the whole state gives), each type's
// semantics (add wins, siblings and contexts, last writer by stamp, a retried increment counted
// once), and the replica: refusals, sessions, clock-less writes, gossip, restarts, and the monitors
// catching what they exist for.

import { describe, expect, it } from 'vitest';
import { createRng, type Rng } from '../../src/shared/rng.ts';
import type { ClientReply, ClientRequest, KvOp } from '../../src/shared/protocol.ts';
import type { KvScalar } from '../../src/shared/history.ts';
import { MemoryStorage } from '../../src/nodes/storage.ts';
import type { Envelope, Ready } from '../../src/nodes/types.ts';
import { crdtAlgorithm, type CrdtNode } from '../../src/nodes/crdt/crdt.ts';
import { defaultCrdtOptions, gossipTicks, type CrdtOptions } from '../../src/nodes/crdt/options.ts';
import { CRDT_TYPES, deltaFor, emptyState, heldBy, mergeStates, readValue, sameState, stateLeq, summarize, type CrdtState, type CrdtType } from '../../src/nodes/crdt/datatypes.ts';
import { counterValue, emptyCounter, hasOperation, increment, requestStatus, type CounterState } from '../../src/nodes/crdt/counter.ts';
import { addElement, emptyOrSet, removeElement, type OrSetState } from '../../src/nodes/crdt/orset.ts';
import { emptyLww, writeStamped, type LwwState } from '../../src/nodes/crdt/lww.ts';
import { contextProblem, emptyMvRegister, writeValue, type MvRegisterState } from '../../src/nodes/crdt/mvregister.ts';
import { formatVector, parseVector, vectorOf, type VersionVector } from '../../src/nodes/crdt/dots.ts';
import { crdtPromises, crdtServes, describeCrdtMessage } from '../../src/nodes/crdt/descriptor.ts';
import type { GossipMessage } from '../../src/nodes/crdt/messages.ts';
import { createCrdtMonitor } from '../../src/nodes/crdt/monitors.ts';
import { KEY_RECORD_PREFIX } from '../../src/nodes/crdt/records.ts';

const REPLICAS = ['n1', 'n2', 'n3'];

/**
 * States one run of random updates and merges among three replicas reaches (random states of
 * the type's shape need not be reachable: a dot its vector does not cover, say).
 */
function reachableStates(type: CrdtType, rng: Rng, steps: number): CrdtState[] {
  const replicas = REPLICAS.map(() => emptyState(type, REPLICAS));
  const pool: CrdtState[] = [];
  let clock = 0;
  let seq = 0;
  const elements: KvScalar[] = ['a', 'b', 1, true, null];
  const contexts: Array<VersionVector | null> = [null, null, null];
  for (let i = 0; i < steps; i++) {
    const r = rng.int(0, replicas.length);
    const node = REPLICAS[r] as string;
    const state = replicas[r] as CrdtState;
    if (rng.chance(0.35)) {
      const from = replicas[rng.int(0, replicas.length)] as CrdtState;
      // As a replica merges: a counter's own row follows what it holds, and may settle requests.
      replicas[r] = heldBy(mergeStates(state, type === 'g-counter' || type === 'pn-counter' ? (deltaFor(from, rng.chance(0.5) ? summarize(state) : undefined) ?? from) : from), node, REPLICAS);
    } else {
      clock += rng.int(0, 3); // stamps tie now and then
      seq++;
      switch (state.t) {
        case 'g-counter':
        case 'pn-counter': {
          // Two clients; now and then a copy of an earlier request, at whichever replica (a replica
          // takes it only when it holds nothing later of that client).
          const client = rng.int(1, 3);
          const op = rng.chance(0.2) && seq > 1 ? `c${client}#${rng.int(1, seq)}` : `c${client}#${seq}`;
          if (requestStatus(state, op) === 'new') replicas[r] = increment(state, node, op, state.t === 'g-counter' ? rng.int(0, 5) : rng.int(-4, 5));
          break;
        }
        case 'or-set': {
          const element = elements[rng.int(0, elements.length)] as KvScalar;
          replicas[r] = rng.chance(0.6) ? addElement(state, node, element) : (removeElement(state, node, element) ?? state);
          break;
        }
        case 'lww-register':
          replicas[r] = writeStamped(state, node, rng.int(0, 100), clock);
          break;
        case 'mv-register': {
          // Clients carry the context of their last read or write, from whichever replica.
          const client = rng.int(0, contexts.length);
          if (rng.chance(0.3)) {
            contexts[client] = state.vv;
            break;
          }
          const held = contexts[client];
          const context = held !== null && held !== undefined && contextProblem(state, node, held) === null ? held : null;
          const written = writeValue(state, node, rng.int(0, 100), context);
          replicas[r] = written.state;
          contexts[client] = written.context;
          break;
        }
      }
    }
    pool.push(replicas[r] as CrdtState);
  }
  return pool;
}

describe('merge laws, over random reachable states of each type', () => {
  for (const type of CRDT_TYPES) {
    it(`${type}: commutative, associative, idempotent, an inflation; a delta merges as the whole state`, () => {
      const rng = createRng(99).fork(type);
      let checked = 0;
      for (let world = 0; world < 20; world++) {
        const pool = reachableStates(type, rng, 40);
        for (let i = 0; i < 30; i++) {
          const a = pool[rng.int(0, pool.length)] as CrdtState;
          const b = pool[rng.int(0, pool.length)] as CrdtState;
          const c = pool[rng.int(0, pool.length)] as CrdtState;
          const ab = mergeStates(a, b);
          expect(ab).toEqual(mergeStates(b, a));
          expect(mergeStates(ab, c)).toEqual(mergeStates(a, mergeStates(b, c)));
          expect(mergeStates(a, a)).toEqual(a);
          expect(stateLeq(a, ab) && stateLeq(b, ab)).toBe(true);
          // a ≤ b exactly when merging a into b changes nothing.
          expect(stateLeq(a, b)).toBe(sameState(ab, b));
          const delta = deltaFor(a, summarize(b));
          expect(delta === null ? b : mergeStates(b, delta)).toEqual(ab);
          checked++;
        }
      }
      expect(checked).toBe(600);
    });
  }
});

describe('the data types', () => {
  it('or-set: a remove takes only the adds it saw; a concurrent add wins', () => {
    let n1: OrSetState = addElement(emptyOrSet(), 'n1', 'x');
    let n2: OrSetState = mergeStates(emptyOrSet(), n1) as OrSetState;
    n2 = removeElement(n2, 'n2', 'x') as OrSetState;
    n1 = addElement(n1, 'n1', 'x'); // concurrent with the remove, which never saw this tag
    expect(readValue(mergeStates(n1, n2))).toEqual(['x']);
    expect(readValue(mergeStates(n2, n1))).toEqual(['x']);
    // Once the remover has seen every tag, the remove takes them all.
    const seenAll = removeElement(mergeStates(n2, n1) as OrSetState, 'n2', 'x') as OrSetState;
    expect(readValue(mergeStates(n1, seenAll))).toEqual([]);
    // Removing what is not there changes nothing.
    expect(removeElement(emptyOrSet(), 'n1', 'x')).toBeNull();
  });

  it('or-set: reads sort elements as the key-value store sorts a set', () => {
    let s: OrSetState = emptyOrSet();
    for (const e of ['b', 10, 'a', 2, true, null, false]) s = addElement(s, 'n1', e);
    expect(readValue(s)).toEqual([null, false, true, 2, 10, 'a', 'b']);
  });

  it('mv-register: concurrent writes stay as siblings; a context replaces what it covers, no more', () => {
    const w1 = writeValue(emptyMvRegister(), 'n1', 1, null).state;
    const w2 = writeValue(emptyMvRegister(), 'n2', 2, null).state;
    const both = mergeStates(w1, w2) as MvRegisterState;
    expect(readValue(both)).toEqual([1, 2]);
    // A client that read only n1's value writes at the replica holding both: n2's value stays.
    const partial = writeValue(both, 'n2', 3, w1.vv);
    expect(readValue(partial.state)).toEqual([2, 3]);
    // Its reply's context leaves its own write out: n2:2 would name n2:1 too, the value 2 it never read.
    expect(formatVector(partial.context)).toBe('n1:1');
    expect(formatVector(writeValue(w1, 'n1', 3, w1.vv).context)).toBe('n1:2');
    // With the context of the read that returned both, the write replaces both.
    expect(readValue(writeValue(both, 'n1', 4, both.vv).state)).toBe(4);
    // A context may name updates this replica has not heard of: when they arrive, they are overwritten.
    const ahead = writeValue(w1, 'n1', 5, both.vv).state;
    expect(readValue(mergeStates(ahead, w2))).toBe(5);
    // Never more of this replica's own updates than it made.
    expect(contextProblem(w1, 'n1', vectorOf([['n1', 3]]))).toMatch(/claims 3 updates of n1 to this key, and n1 made 1/);
  });

  it('mv-register: a digest names the values held, so replicas that saw the same updates but differ still talk', () => {
    const holding: MvRegisterState = { t: 'mv-register', vv: { n1: 1, n2: 1 }, tagged: [{ dot: ['n2', 1], value: 'd' }] };
    const overwritten: MvRegisterState = { t: 'mv-register', vv: { n1: 1, n2: 1 }, tagged: [] };
    const delta = deltaFor(overwritten, summarize(holding));
    expect(delta).not.toBeNull();
    expect(readValue(mergeStates(holding, delta as CrdtState))).toBeNull();
    expect(deltaFor(holding, summarize(holding))).toBeNull();
  });

  it('lww-register: the later stamp wins, ties to the higher node id, then to the node’s later write', () => {
    const early = writeStamped(emptyLww(), 'n9', 'early', 100);
    const late = writeStamped(emptyLww(), 'n1', 'late', 200);
    expect(readValue(mergeStates(early, late))).toBe('late');
    const tieLow = writeStamped(emptyLww(), 'n2', 'n2', 50);
    const tieHigh = writeStamped(emptyLww(), 'n10', 'n10', 50);
    expect(readValue(mergeStates(tieLow, tieHigh))).toBe('n10');
    const again = writeStamped(writeStamped(emptyLww(), 'n1', 'first', 50), 'n1', 'second', 50);
    expect(readValue(again)).toBe('second');
    // A stamp older than the value held loses at once, at its own replica.
    expect(readValue(writeStamped(late as LwwState, 'n1', 'behind', 150))).toBe('late');
  });

  it('counters: every increment of every replica, and a retried request once', () => {
    let n1: CounterState = increment(emptyCounter('pn-counter', REPLICAS), 'n1', 'c1#1', 5);
    let n2: CounterState = increment(emptyCounter('pn-counter', REPLICAS), 'n2', 'c2#1', -3);
    // The same request retried at n2 before n1's gossip arrived: both replicas hold it.
    n2 = increment(n2, 'n2', 'c1#1', 5);
    n1 = mergeStates(n1, n2) as CounterState;
    expect(n1.incs).toHaveLength(3);
    expect(counterValue(n1)).toBe(2);
    expect(hasOperation(n1, 'c2#1')).toBe(true);
  });
});

describe('counters settle what every replica has moved past', () => {
  const gossipAll = (states: CounterState[]): CounterState[] =>
    REPLICAS.map((node, i) => states.reduce((mine, theirs) => heldBy(mergeStates(mine, theirs), node, REPLICAS) as CounterState, states[i] as CounterState));

  it('keeps a few records per client, not one per increment, and the same value', () => {
    let states = REPLICAS.map(() => emptyCounter('pn-counter', REPLICAS));
    let expected = 0;
    for (let seq = 1; seq <= 200; seq++) {
      for (const client of [1, 2]) {
        const r = (seq + client) % REPLICAS.length;
        // Every third request of a client is a read or goes to another key: gaps in its seqs here.
        if (seq % 3 === 0) continue;
        states[r] = increment(states[r] as CounterState, REPLICAS[r] as string, `c${client}#${seq}`, client);
        expected += client;
      }
      if (seq % 5 === 0) states = gossipAll(gossipAll(states));
    }
    states = gossipAll(gossipAll(gossipAll(states)));
    for (const state of states) {
      expect(counterValue(state)).toBe(expected);
      expect(state.incs).toEqual([]);
      expect(Object.keys(state.settled)).toEqual(['1', '2']);
    }
    expect(states[1]).toEqual(states[0]);
    expect(states[2]).toEqual(states[0]);
  });

  it('never settles past a replica it has not heard from: an acknowledged increment there still counts', () => {
    // c1#1 acknowledged at n1; the client moves on to c1#2 at n2 before n1's gossip arrives.
    const n1 = increment(emptyCounter('pn-counter', REPLICAS), 'n1', 'c1#1', 5);
    let n2 = increment(emptyCounter('pn-counter', REPLICAS), 'n2', 'c1#2', 1);
    let n3 = heldBy(mergeStates(emptyCounter('pn-counter', REPLICAS), n2), 'n3', REPLICAS) as CounterState;
    n2 = heldBy(mergeStates(n2, n3), 'n2', REPLICAS) as CounterState;
    // n2 and n3 have seen seq 2 and not seq 1; they have not heard from n1: nothing settles, and
    // c1#1 is not taken for a gap.
    expect(n2.settled).toEqual({});
    expect(n2.incs.map((inc) => inc.op)).toEqual(['c1#2']);
    expect(counterValue(heldBy(mergeStates(n2, n1), 'n2', REPLICAS) as CounterState)).toBe(6);
    n3 = heldBy(mergeStates(n3, n1), 'n3', REPLICAS) as CounterState;
    expect(counterValue(n3)).toBe(6);
  });

  it('refuses a late copy of a request its client has moved on from, and answers a retry of the newest', () => {
    let state = increment(emptyCounter('pn-counter', REPLICAS), 'n1', 'c1#3', 1);
    expect(requestStatus(state, 'c1#3')).toBe('applied');
    expect(requestStatus(state, 'c1#2')).toBe('superseded');
    expect(requestStatus(state, 'c1#4')).toBe('new');
    expect(requestStatus(state, 'c2#1')).toBe('new');
    state = gossipAllOne(state);
    expect(state.incs).toEqual([]);
    expect(requestStatus(state, 'c1#3')).toBe('applied');
    expect(requestStatus(state, 'c1#1')).toBe('superseded');
  });

  function gossipAllOne(state: CounterState): CounterState {
    return gossipAll(REPLICAS.map((node) => heldBy(mergeStates(emptyCounter('pn-counter', REPLICAS), state), node, REPLICAS) as CounterState))[0] as CounterState;
  }
});

describe('version vectors as contexts', () => {
  it('print and parse back; anything else is refused with the reason', () => {
    const vv = vectorOf([['n10', 2], ['n2', 1], ['n3', 0]]);
    expect(formatVector(vv)).toBe('n2:1,n10:2');
    expect(parseVector('n2:1,n10:2')).toEqual(vv);
    expect(parseVector('')).toEqual({});
    expect(parseVector('n1=2')).toMatch(/is not a version vector/);
    expect(parseVector('n1:0')).toMatch(/is not a version vector/);
  });
});

/** Replicas driven by hand: every Ready is written to storage, its messages queued. */
function cluster(options: Partial<CrdtOptions>, count = 3) {
  const ids = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const full: CrdtOptions = { ...defaultCrdtOptions, gossipMs: 10, fanout: 8, ...options };
  const storages = new Map(ids.map((id) => [id, new MemoryStorage()]));
  const monitor = createCrdtMonitor();
  const lives = new Map<string, number>(ids.map((id) => [id, 0]));
  const nodes = new Map<string, CrdtNode>();
  let queue: Envelope[] = [];
  const replies: ClientReply[] = [];
  let step = 0;
  const start = (id: string): void => {
    const storage = storages.get(id) as MemoryStorage;
    const life = lives.get(id) as number;
    const node = crdtAlgorithm.create({ id, bootstrapVoters: life === 0 ? ids : [], rng: createRng(5).fork(`${id}/${life}`), options: full }, storage.load());
    monitor.onNodeStart?.(id, storage.load(), node.status(), ++step);
    nodes.set(id, node);
    drain(id);
  };
  const drain = (id: string): Ready[] => {
    const node = nodes.get(id) as CrdtNode;
    const out: Ready[] = [];
    while (node.hasReady()) {
      const ready = node.ready();
      if (ready.persist) (storages.get(id) as MemoryStorage).write(ready.persist);
      monitor.onReady?.(id, ready, node.status(), ++step);
      queue.push(...ready.messages);
      for (const reply of ready.replies) if (reply.kind === 'client') replies.push(reply);
      out.push(ready);
    }
    return out;
  };
  let seq = 0;
  const request = (id: string, op: KvOp, extra: Partial<ClientRequest> = {}): ClientReply => {
    const req: ClientRequest = { clientId: 1, seq: ++seq, op, ...extra };
    (nodes.get(id) as CrdtNode).step({ kind: 'client', request: req });
    drain(id);
    return replies[replies.length - 1] as ClientReply;
  };
  const tick = (id: string, clockMs?: number): void => {
    (nodes.get(id) as CrdtNode).step(clockMs === undefined ? { kind: 'tick' } : { kind: 'tick', clockMs });
    drain(id);
  };
  const deliverAll = (): void => {
    for (let round = 0; round < 100 && queue.length > 0; round++) {
      const now = queue;
      queue = [];
      for (const m of now) {
        const node = nodes.get(m.dest);
        if (node === undefined) continue;
        node.step({ kind: 'message', envelope: m });
        drain(m.dest);
      }
    }
  };
  const crash = (id: string): void => {
    nodes.delete(id);
    lives.set(id, (lives.get(id) as number) + 1);
  };
  for (const id of ids) start(id);
  return { nodes, storages, monitor, request, tick, deliverAll, crash, start, drain, node: (id: string) => nodes.get(id) as CrdtNode };
}

describe('a replica', () => {
  it('refuses what its type does not serve, definitely, saying why', () => {
    const g = cluster({ type: 'g-counter' });
    const negative = g.request('n1', { f: 'incr', key: 'k', value: -1 });
    expect(negative).toMatchObject({ ok: false, error: 'wrong_type', definite: true });
    expect(negative.ok === false && negative.message).toMatch(/a g-counter only grows/);
    expect(g.request('n1', { f: 'write', key: 'k', value: 1 })).toMatchObject({ ok: false, error: 'wrong_type', definite: true });
    expect(g.request('n1', { f: 'incr', key: 'k', value: Number.NaN })).toMatchObject({ ok: false, error: 'wrong_type' });
    const lww = cluster({ type: 'lww-register' });
    for (const op of [{ f: 'cas', key: 'k', expected: null, value: 1 }, { f: 'append', key: 'k', value: 'x' }, { f: 'delete', key: 'k' }] as KvOp[]) {
      const reply = lww.request('n1', op);
      expect(reply).toMatchObject({ ok: false, error: 'wrong_type', definite: true });
      expect(reply.ok === false && reply.message).toMatch(/serves read, write, not/);
    }
    // Nothing refused was written down.
    expect(g.node('n1').keys()).toEqual([]);
  });

  it('stamps no last-writer-wins write before its first tick of a life', () => {
    const c = cluster({ type: 'lww-register' });
    expect(c.request('n1', { f: 'write', key: 'k', value: 1 })).toMatchObject({ ok: false, error: 'unavailable', definite: true });
    c.tick('n1', 500);
    expect(c.request('n1', { f: 'write', key: 'k', value: 1 })).toMatchObject({ ok: true });
    expect(c.node('n1').status()).toMatchObject({ role: 'replica', leader: null, clock: 500 });
  });

  it('answers a retry from the client’s session, refuses an older request, and writes both down before replying', () => {
    const c = cluster({ type: 'pn-counter' });
    const first: ClientRequest = { clientId: 7, seq: 3, op: { f: 'incr', key: 'k', value: 2 } };
    c.node('n1').step({ kind: 'client', request: first });
    const [ready] = c.drain('n1');
    const records = new Map(ready?.persist?.records ?? []);
    expect(records.has(`${KEY_RECORD_PREFIX}k`)).toBe(true);
    expect(records.get('session:7')).toEqual({ seq: 3 });
    expect(ready?.persistFirst).not.toBe(false);
    c.node('n1').step({ kind: 'client', request: first });
    expect(c.drain('n1')[0]?.replies).toEqual([{ kind: 'client', clientId: 7, seq: 3, ok: true, value: null }]);
    c.node('n1').step({ kind: 'client', request: { ...first, seq: 2 } });
    expect(c.drain('n1')[0]?.replies[0]).toMatchObject({ ok: false, error: 'stale_request', definite: true });
    expect(c.request('n1', { f: 'read', key: 'k' })).toMatchObject({ ok: true, value: 2 });
  });

  it('counts a retry at another replica once, whether gossip got there first or not', () => {
    const c = cluster({ type: 'g-counter' });
    const op: KvOp = { f: 'incr', key: 'k', value: 4 };
    // Before gossip: n2 applies it too, and the merge counts the request once.
    c.node('n1').step({ kind: 'client', request: { clientId: 3, seq: 1, op } });
    c.node('n2').step({ kind: 'client', request: { clientId: 3, seq: 1, op } });
    c.drain('n1');
    c.drain('n2');
    c.tick('n1');
    c.tick('n2');
    c.deliverAll();
    // After gossip: n3 knows the request was counted, and answers without counting it again.
    c.node('n3').step({ kind: 'client', request: { clientId: 3, seq: 1, op } });
    expect(c.drain('n3')[0]?.replies[0]).toMatchObject({ ok: true });
    for (const id of ['n1', 'n2', 'n3']) expect(c.request(id, { f: 'read', key: 'k' })).toMatchObject({ value: 4 });
  });

  it('replies to a multi-value read with its vector, and takes it back on a write', () => {
    const c = cluster({ type: 'mv-register' });
    c.request('n1', { f: 'write', key: 'k', value: 1 });
    c.request('n2', { f: 'write', key: 'k', value: 2 });
    c.tick('n1');
    c.tick('n2');
    c.deliverAll();
    const read = c.request('n3', { f: 'read', key: 'k' });
    expect(read).toMatchObject({ ok: true, value: [1, 2], context: 'n1:1,n2:1' });
    const write = c.request('n3', { f: 'write', key: 'k', value: 3 }, { context: read.ok ? read.context : '' });
    expect(write).toMatchObject({ ok: true, value: null, context: 'n1:1,n2:1,n3:1' });
    expect(c.request('n3', { f: 'write', key: 'k', value: 4 }, { context: 'n1:zz' })).toMatchObject({ ok: false, error: 'wrong_type', definite: true });
    expect(c.request('n3', { f: 'write', key: 'k', value: 4 }, { context: 'n3:9' })).toMatchObject({ ok: false, error: 'wrong_type' });
    c.tick('n3');
    c.deliverAll();
    for (const id of ['n1', 'n2', 'n3']) expect(c.request(id, { f: 'read', key: 'k' })).toMatchObject({ value: 3 });
  });

  it('gossips every gossipMs to fanout distinct peers, and stops once nobody lacks anything', () => {
    expect(gossipTicks({ ...defaultCrdtOptions, gossipMs: 10 })).toBe(1);
    expect(gossipTicks({ ...defaultCrdtOptions, gossipMs: 104 })).toBe(10);
    const c = cluster({ type: 'or-set', gossipMs: 30, fanout: 2 }, 5);
    c.request('n1', { f: 'add', key: 's', value: 'x' });
    const sent: GossipMessage[] = [];
    for (let t = 1; t <= 3; t++) {
      c.node('n1').step({ kind: 'tick' });
      for (const ready of c.drain('n1')) for (const m of ready.messages) sent.push(m.body as GossipMessage);
    }
    expect(sent.map((m) => m.round)).toEqual([1, 1]);
    expect(describeCrdtMessage(sent[0] as GossipMessage)).toBe('Gossip r=1 digest{s=n1:1} send{s: {"x"@n1.1} vv=n1:1}');
  });

  it('comes back from its storage after a crash with its states, sessions and peers', () => {
    const c = cluster({ type: 'or-set' });
    c.request('n1', { f: 'add', key: 's', value: 'x' });
    c.request('n2', { f: 'add', key: 's', value: 'y' });
    c.tick('n2');
    c.deliverAll();
    c.crash('n1');
    c.start('n1');
    expect(c.request('n1', { f: 'read', key: 's' })).toMatchObject({ value: ['x', 'y'] });
    // The add it acknowledged before the crash, retried: answered, not applied again.
    const before = c.node('n1').stateOf('s');
    c.node('n1').step({ kind: 'client', request: { clientId: 1, seq: 1, op: { f: 'add', key: 's', value: 'x' } } });
    expect(c.drain('n1')[0]?.replies[0]).toMatchObject({ ok: true });
    expect(c.node('n1').stateOf('s')).toEqual(before);
    c.node('n1').step({ kind: 'client', request: { clientId: 1, seq: 0, op: { f: 'add', key: 's', value: 'z' } } });
    expect(c.drain('n1')[0]?.replies[0]).toMatchObject({ ok: false, error: 'stale_request' });
    // It gossips to the peers its first life wrote down, though this life was given none.
    c.node('n1').step({ kind: 'tick' });
    const ready = c.drain('n1')[0];
    expect(ready?.messages.map((m) => m.dest).sort()).toEqual(['n2', 'n3']);
    expect(c.monitor.violations()).toEqual([]);
  });

  it('refuses operator commands: no leader, no membership changes', () => {
    const c = cluster({});
    c.node('n1').step({ kind: 'admin', request: { requestId: 1, command: { type: 'campaign' } } });
    expect(c.drain('n1')[0]?.replies[0]).toMatchObject({ kind: 'admin', ok: false });
  });
});

describe('the descriptor', () => {
  it('serves each type its requests, and promises convergence for the counters and the set only', () => {
    expect(crdtServes({ ...defaultCrdtOptions, type: 'g-counter' })).toEqual({ counter: ['read', 'incr'] });
    expect(crdtServes({ ...defaultCrdtOptions, type: 'or-set' })).toEqual({ set: ['read', 'add', 'remove'] });
    expect(crdtServes({ ...defaultCrdtOptions, type: 'mv-register' })).toEqual({ kv: ['read', 'write'] });
    for (const type of CRDT_TYPES) expect(crdtPromises({ ...defaultCrdtOptions, type })).toBe(type.endsWith('-register') ? null : 'convergent');
  });
});

describe('the monitors', () => {
  const persist = (key: string, state: CrdtState): Ready => ({ persist: { records: [[`${KEY_RECORD_PREFIX}${key}`, state]] }, messages: [], applied: [], replies: [] });

  it('report a merge that loses what a replica held', () => {
    const monitor = createCrdtMonitor();
    const both = increment(increment(emptyCounter('g-counter'), 'n1', 'c1#1', 1), 'n1', 'c1#2', 1);
    monitor.onReady?.('n1', persist('k', both), { id: 'n1', role: 'replica', leader: null }, 1);
    monitor.onReady?.('n1', persist('k', increment(emptyCounter('g-counter'), 'n2', 'c2#1', 5)), { id: 'n1', role: 'replica', leader: null }, 2);
    expect(monitor.violations().map((v) => v.property)).toEqual(['merge_regressed']);
  });

  it('report a remove that covers an add its replica never held', () => {
    const monitor = createCrdtMonitor();
    const status = { id: 'n1', role: 'replica', leader: null };
    const added = addElement(emptyOrSet(), 'n2', 'x');
    monitor.onReady?.('n2', persist('s', added), status, 1);
    // n1 claims to have seen n2's add without holding it: nobody removed it.
    const unseen: OrSetState = { t: 'or-set', vv: { n1: 1, n2: 1 }, tagged: [] };
    monitor.onReady?.('n1', persist('s', unseen), status, 2);
    expect(monitor.violations().map((v) => v.property)).toEqual(['removed_unseen_add']);
  });

  it('report gossip beyond what the sender wrote down, and values no client asked for', () => {
    const monitor = createCrdtMonitor();
    const status = { id: 'n1', role: 'replica', leader: null };
    monitor.onHistoryEvent?.({ process: 1, type: 'invoke', f: 'add', key: 'k', value: 2 });
    const state = increment(emptyCounter('pn-counter'), 'n1', 'c1#1', 2);
    const gossip: GossipMessage = { type: 'gossip', round: 1, digest: [['k', { vv: state.vv }]], states: [['k', state]] };
    monitor.onReady?.('n1', { persist: null, messages: [{ src: 'n1', dest: 'n2', body: gossip }], applied: [], replies: [] }, status, 1);
    monitor.onReady?.('n1', persist('k', increment(state, 'n1', 'c1#2', 2)), status, 2);
    expect(monitor.violations().map((v) => v.property)).toEqual(['revealed_before_durable', 'revealed_before_durable', 'never_invoked', 'counter_beyond_invoked']);
  });
});
