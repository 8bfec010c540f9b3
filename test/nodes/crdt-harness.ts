// A seeded run of a CRDT cluster that ends by checking convergence: random faults (partitions,
// crashes and restarts from storage, pauses, message loss, duplication and delay, clock skew) with
// clients sending every request the cluster's data type serves, retries of the same request at
// another replica among them; then every fault heals, the clients stop, gossip runs on its own for
// a while, and every replica must hold the same state of every key, with every acknowledged update
// in it. The type's monitors watch every Ready. Unlike the fuzz, which judges what final reads
// return, it compares the replicas' whole states (tags, increments, vectors), with the clients
// stopped: a simulator's clients never stop.

import { createRng, type Rng } from '../../src/shared/rng.ts';
import type { ClientReply, ClientRequest, KvOp, NodeId } from '../../src/shared/protocol.ts';
import { TICK_MS } from '../../src/shared/protocol.ts';
import type { HistoryEvent, KvScalar } from '../../src/shared/history.ts';
import { MemoryStorage } from '../../src/nodes/storage.ts';
import { standardMonitor } from '../../src/nodes/progress-monitor.ts';
import type { Algorithm, Envelope, Input } from '../../src/nodes/types.ts';
import type { CrdtNode } from '../../src/nodes/crdt/crdt.ts';
import { defaultCrdtOptions, type CrdtOptions } from '../../src/nodes/crdt/options.ts';
import { formatState, readValue, sameState, type CrdtState } from '../../src/nodes/crdt/datatypes.ts';
import { historyFunction, historyValue } from '../../src/shared/protocol.ts';

export interface ConvergenceRun {
  seed: number;
  options: CrdtOptions;
  nodes: number;
  /** Monitor violations, as `property: message`. */
  violations: string[];
  /** What differs between replicas after the quiet period, or what an acknowledged update lacks. */
  divergence: string | null;
  acknowledged: number;
  delivered: number;
  crashes: number;
}

interface Member {
  id: NodeId;
  storage: MemoryStorage;
  node: CrdtNode | null;
  lives: number;
  paused: boolean;
  held: Input[];
  skewMs: number;
}

interface InFlight {
  at: number;
  envelope: Envelope;
}

interface ClientState {
  seq: number;
  /** The last update request, to retry it under the same seq. */
  last: ClientRequest | null;
  contexts: Map<string, string>;
}

const KEYS = ['a', 'b', 'c'];
const ELEMENTS: KvScalar[] = ['x', 'y', 'z', 1, 2];

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- a mutant's options are the real ones
export function runConvergence(algorithm: Algorithm<CrdtOptions, any>, seed: number, faultTicks = 600, quietTicks = 400): ConvergenceRun {
  const rng = createRng(seed);
  const options: CrdtOptions = { ...defaultCrdtOptions, ...algorithm.randomOptions(rng.fork('options')) };
  const count = rng.fork('size').chance(0.5) ? 3 : 5;
  const ids = Array.from({ length: count }, (_, i) => `n${i + 1}`);
  const monitor = standardMonitor(algorithm, {});
  const members = new Map<NodeId, Member>(ids.map((id) => [id, { id, storage: new MemoryStorage(), node: null, lives: 0, paused: false, held: [], skewMs: 0 }]));
  const faults = rng.fork('faults');
  const net = rng.fork('network');
  const clientRng = rng.fork('clients');
  let inFlight: InFlight[] = [];
  let groups: NodeId[][] | null = null;
  let drop = 0;
  let duplicate = 0;
  let maxDelay = 3;
  let tick = 0;
  let step = 0;
  let delivered = 0;
  let crashes = 0;
  const acknowledged: Array<{ request: ClientRequest }> = [];
  const clients = new Map<number, ClientState>();

  const cut = (a: NodeId, b: NodeId): boolean => groups !== null && groups.findIndex((g) => g.includes(a)) !== groups.findIndex((g) => g.includes(b));

  const drain = (m: Member): void => {
    const node = m.node;
    if (node === null) return;
    while (node.hasReady()) {
      const ready = node.ready();
      if (ready.persist) m.storage.write(ready.persist);
      monitor.onReady?.(m.id, ready, node.status(), ++step);
      for (const envelope of ready.messages) send(envelope);
      for (const reply of ready.replies) if (reply.kind === 'client') answered(reply);
    }
  };

  const send = (envelope: Envelope): void => {
    if (net.chance(drop)) return;
    inFlight.push({ at: tick + 1 + net.int(0, maxDelay), envelope });
    if (net.chance(duplicate)) inFlight.push({ at: tick + 1 + net.int(0, maxDelay * 3), envelope });
  };

  const input = (m: Member, what: Input): void => {
    if (m.node === null) return;
    if (m.paused) {
      m.held.push(what);
      return;
    }
    m.node.step(what);
    drain(m);
  };

  const start = (m: Member): void => {
    const persisted = m.storage.load();
    m.node = algorithm.create({ id: m.id, bootstrapVoters: m.lives === 0 ? ids : [], rng: createRng(seed).fork(`${m.id}/${m.lives}`), options }, persisted) as CrdtNode;
    monitor.onNodeStart?.(m.id, persisted, m.node.status(), ++step);
    drain(m);
  };

  const pending = new Map<string, ClientRequest>();
  const answered = (reply: ClientReply): void => {
    const request = pending.get(`${reply.clientId}#${reply.seq}`);
    if (request === undefined || !reply.ok) return;
    if (request.op.f !== 'read') acknowledged.push({ request });
    if (reply.context !== undefined) clients.get(reply.clientId)?.contexts.set(request.op.key, reply.context);
  };

  const history = (event: HistoryEvent): void => monitor.onHistoryEvent?.(event);

  const clientOp = (): void => {
    const clientId = clientRng.int(1, 6);
    let client = clients.get(clientId);
    if (client === undefined) {
      client = { seq: 0, last: null, contexts: new Map() };
      clients.set(clientId, client);
    }
    const target = members.get(ids[clientRng.int(0, ids.length)] as NodeId) as Member;
    let request: ClientRequest;
    if (client.last !== null && clientRng.chance(0.15)) {
      request = client.last; // the same request again, wherever: a client that timed out
    } else {
      const key = KEYS[clientRng.int(0, KEYS.length)] as string;
      const op = randomOp(options, key, clientRng, clientId, client.seq + 1);
      request = { clientId, seq: ++client.seq, op };
      const context = client.contexts.get(key);
      if (op.f === 'write' && context !== undefined && options.type === 'mv-register') request = { ...request, context };
      history({ process: clientId, type: 'invoke', f: historyFunction(op), key, value: historyValue(op) });
      pending.set(`${clientId}#${request.seq}`, request);
      client.last = op.f === 'read' ? client.last : request;
    }
    input(target, { kind: 'client', request });
  };

  const fault = (): void => {
    const m = members.get(ids[faults.int(0, ids.length)] as NodeId) as Member;
    switch (faults.int(0, 8)) {
      case 0: {
        const shuffled = [...ids];
        for (let i = shuffled.length - 1; i > 0; i--) {
          const j = faults.int(0, i + 1);
          [shuffled[i], shuffled[j]] = [shuffled[j] as NodeId, shuffled[i] as NodeId];
        }
        const split = faults.int(1, ids.length);
        groups = [shuffled.slice(0, split), shuffled.slice(split)];
        return;
      }
      case 1:
        groups = null;
        return;
      case 2:
        if (m.node !== null) {
          m.node = null;
          m.paused = false;
          m.held = [];
          m.lives++;
          crashes++;
          monitor.onNodeCrash?.(m.id, ++step);
        } else start(m);
        return;
      case 3:
        if (m.paused) resume(m);
        else if (m.node !== null) m.paused = true;
        return;
      case 4:
        drop = faults.chance(0.5) ? 0 : faults.next() * 0.5;
        return;
      case 5:
        duplicate = faults.chance(0.5) ? 0 : faults.next() * 0.3;
        maxDelay = faults.int(1, 20);
        return;
      case 6:
        m.skewMs = faults.chance(0.3) ? 0 : faults.int(-2000, 2000);
        return;
      default:
        return;
    }
  };

  const resume = (m: Member): void => {
    m.paused = false;
    const held = m.held;
    m.held = [];
    for (const what of held) input(m, what);
  };

  const advance = (clientsOn: boolean): void => {
    tick++;
    for (const m of members.values()) input(m, { kind: 'tick', clockMs: tick * TICK_MS + m.skewMs });
    const due = inFlight.filter((f) => f.at <= tick);
    inFlight = inFlight.filter((f) => f.at > tick);
    for (const { envelope } of due) {
      const dest = members.get(envelope.dest);
      if (dest === undefined || dest.node === null || cut(envelope.src, envelope.dest)) continue;
      delivered++;
      input(dest, { kind: 'message', envelope });
    }
    if (clientsOn) for (let i = clientRng.int(0, 3); i > 0; i--) clientOp();
  };

  for (const m of members.values()) start(m);
  const violations = (): string[] => monitor.violations().map((v) => `${v.property}: ${v.message}`);
  for (let t = 0; t < faultTicks; t++) {
    if (faults.chance(0.03)) fault();
    advance(true);
  }
  // Everything heals; the clients stop; gossip alone must bring every replica to one state.
  groups = null;
  drop = 0;
  duplicate = 0;
  for (const m of members.values()) {
    if (m.node === null) start(m);
    if (m.paused) resume(m);
  }
  for (let t = 0; t < quietTicks; t++) advance(false);
  monitor.finalCheck();
  return {
    seed,
    options,
    nodes: count,
    violations: violations(),
    divergence: divergence([...members.values()].map((m) => m.node as CrdtNode), acknowledged, options),
    acknowledged: acknowledged.length,
    delivered,
    crashes,
  };
}

function randomOp(options: CrdtOptions, key: string, rng: Rng, clientId: number, seq: number): KvOp {
  if (rng.chance(0.3)) return { f: 'read', key };
  switch (options.type) {
    case 'g-counter':
      return { f: 'incr', key, value: rng.int(0, 5) };
    case 'pn-counter':
      return { f: 'incr', key, value: rng.int(-5, 6) };
    case 'or-set':
      return { f: rng.chance(0.65) ? 'add' : 'remove', key, value: ELEMENTS[rng.int(0, ELEMENTS.length)] as KvScalar };
    case 'lww-register':
    case 'mv-register':
      return { f: 'write', key, value: clientId * 100_000 + seq };
  }
}

/** Null when every replica holds the same state of every key, and it holds every acknowledged update. */
function divergence(nodes: readonly CrdtNode[], acknowledged: ReadonlyArray<{ request: ClientRequest }>, options: CrdtOptions): string | null {
  const first = nodes[0] as CrdtNode;
  for (const node of nodes) {
    if (node.keys().join() !== first.keys().join()) return `${node.id} holds keys ${node.keys().join(',')}, ${first.id} ${first.keys().join(',')}`;
    for (const key of first.keys()) {
      const mine = node.stateOf(key) as CrdtState;
      const theirs = first.stateOf(key) as CrdtState;
      if (!sameState(mine, theirs)) return `key ${key}: ${node.id} holds ${formatState(mine)}, ${first.id} ${formatState(theirs)}`;
    }
  }
  const read = (key: string) => {
    const state = first.stateOf(key);
    return state === undefined ? null : readValue(state);
  };
  for (const key of new Set(acknowledged.map((a) => a.request.op.key))) {
    const updates = acknowledged.filter((a) => a.request.op.key === key).map((a) => a.request);
    const value = read(key);
    switch (options.type) {
      case 'g-counter':
      case 'pn-counter': {
        // Each request once, however often it was retried and wherever.
        const once = new Map(updates.map((r) => [`${r.clientId}#${r.seq}`, r.op.f === 'incr' ? r.op.value : 0]));
        const sum = [...once.values()].reduce((a, b) => a + b, 0);
        if (value !== sum) return `key ${key}: the replicas agree on ${JSON.stringify(value)}, and the acknowledged increments sum to ${sum}`;
        break;
      }
      case 'or-set': {
        const removed = new Set(updates.filter((r) => r.op.f === 'remove').map((r) => JSON.stringify(r.op.f === 'remove' ? r.op.value : null)));
        const held = new Set((value as KvScalar[]).map((e) => JSON.stringify(e)));
        for (const r of updates) {
          if (r.op.f !== 'add' || removed.has(JSON.stringify(r.op.value))) continue;
          if (!held.has(JSON.stringify(r.op.value))) return `key ${key}: ${JSON.stringify(r.op.value)} was added, never removed, and is not in ${JSON.stringify(value)}`;
        }
        break;
      }
      case 'lww-register':
      case 'mv-register': {
        const written = new Set(updates.map((r) => (r.op.f === 'write' ? r.op.value : null)));
        const values = Array.isArray(value) ? value : [value];
        if (values.some((v) => !written.has(v))) return `key ${key}: the replicas read ${JSON.stringify(value)}, which no acknowledged write wrote`;
        break;
      }
    }
  }
  return null;
}
