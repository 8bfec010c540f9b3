// One seeded run of leaderless quorums in the simulator, judged by what its options promise: the
// simulator's random faults (partitions, crashes, pauses, loss, delay, duplication, replayed and
// held messages, crashes right after an acknowledgement) and clock skew, clients writing, deleting
// and reading four keys, then a quiet period after every fault healed and a final read of every
// key through every node. The monitors watch every Ready; the history is checked for the model
// the options promise (linearizable, or convergent from the final reads).
//
// The clients are this file's own, not the simulator's: those never stop, and convergence is
// judged by reads issued after writes stopped. They reach the nodes through the simulator's own
// arrival path (clientArrive), so pauses and crashes treat their requests as they treat the
// simulator's clients'.

import type { ConsistencyName } from '../../src/shared/consistency.ts';
import type { HistoryEvent, KvScalar, OpFunction } from '../../src/shared/history.ts';
import type { ClientReply, ClientRequest, KvOp } from '../../src/shared/protocol.ts';
import { createRng } from '../../src/shared/rng.ts';
import type { Algorithm } from '../../src/nodes/types.ts';
import type { ClusterObserver } from '../../src/nodes/observer.ts';
import { SafetyViolation } from '../../src/nodes/monitor.ts';
import { standardMonitor } from '../../src/nodes/progress-monitor.ts';
import { promisesOf } from '../../src/nodes/index.ts';
import type { CheckedEvent } from '../../src/shared/history.ts';
import { checkOperations, HistoryBuilder } from '../../src/main/checker/index.ts';
import { checkConvergent } from '../../src/main/checker/consistency/convergent.ts';
import { FAULT_KINDS, scheduleFaults } from '../../src/main/sim/faults.ts';
import { Simulation, SimulationError } from '../../src/main/sim/simulation.ts';
import { defaultLeaderlessOptions, type LeaderlessOptions } from '../../src/nodes/leaderless/options.ts';

export interface LeaderlessRun {
  seed: number;
  options: LeaderlessOptions;
  promise: ConsistencyName | null;
  /** A monitor's violation, a final read that failed, or the promised model not holding. */
  violation: { property: string; message: string } | null;
  verdict: 'true' | 'false' | 'unknown' | 'not checked';
  ops: { ok: number; fail: number; info: number };
  finalReads: number;
  delivered: number;
}

export interface RunSettings {
  nodes?: number;
  /** Faults and client operations, then a quiet period and the final reads. */
  durationMs?: number;
  /** Overrides of the options the seed draws. */
  options?: Partial<LeaderlessOptions>;
  /** The model to check the history against, instead of the one the options promise. */
  judge?: ConsistencyName;
}

const KEYS = ['k0', 'k1', 'k2', 'k3'];
const CLIENTS = 5;
const TIMEOUT_MS = 250;
const FINAL_TIMEOUT_MS = 1000;

interface Open {
  f: OpFunction;
  key: string;
  value: KvScalar;
  op: KvOp;
  seq: number;
  token: number;
  attempts: number;
  final: boolean;
}

interface Client {
  process: number;
  seq: number;
  open: Open | null;
}

/** The simulator's arrival path for a client request, which its own clients use. */
interface Arrivals {
  clientArrive(target: number, request: ClientRequest): void;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the real algorithm or a mutant
export function runLeaderless(algorithm: Algorithm<any>, seed: number, settings: RunSettings = {}): LeaderlessRun {
  const rng = createRng(seed);
  const options: LeaderlessOptions = { ...defaultLeaderlessOptions, ...(algorithm.randomOptions(rng.fork('options')) as Partial<LeaderlessOptions>), ...(settings.options ?? {}) };
  const promise = promisesOf(algorithm, options as unknown as Record<string, unknown>);
  const judged = settings.judge ?? promise;
  const nodes = settings.nodes ?? 5;
  const durationMs = settings.durationMs ?? 8000;
  const monitor = standardMonitor(algorithm, { throwOnViolation: true });
  const clientRng = rng.fork('clients');
  const events: CheckedEvent[] = [];
  const clients: Client[] = [];
  const counters = new Map<string, number>();
  let token = 0;
  let stopped = false;
  const run: LeaderlessRun = { seed, options, promise, violation: null, verdict: 'not checked', ops: { ok: 0, fail: 0, info: 0 }, finalReads: 0, delivered: 0 };

  const tap: ClusterObserver = {
    onReady(_node, ready) {
      for (const reply of ready.replies) {
        if (reply.kind !== 'client') continue;
        const client = clients[reply.clientId - 1];
        if (client !== undefined) sim.at(0.2 + clientRng.next() * 0.6, () => answered(client, reply));
      }
    },
  };
  const sim = new Simulation({ algorithm, nodes, seed, algorithmOptions: options, workload: null, observers: [monitor, tap] });
  const arrivals = sim as unknown as Arrivals;

  const record = (client: Client, type: HistoryEvent['type'], value: CheckedEvent['value'], final = false): void => {
    const open = client.open as Open;
    const event: CheckedEvent = { process: client.process, type, f: open.f, key: open.key, value, time: Math.round(sim.timeUs * 1000) };
    if (final) event.final = true;
    events.push(event);
    monitor.onHistoryEvent?.(event);
  };

  const send = (client: Client): void => {
    const open = client.open as Open;
    open.attempts++;
    open.token = ++token;
    const request: ClientRequest = { clientId: client.process, seq: open.seq, op: open.op };
    const target = clientRng.int(0, nodes);
    sim.at(0.2 + clientRng.next() * 0.6, () => arrivals.clientArrive(target, request));
    // Sometimes the network delivers the request twice, the copy much later.
    if (!open.final && clientRng.chance(0.05)) sim.at(1 + clientRng.next() * TIMEOUT_MS, () => arrivals.clientArrive(target, request));
    const mine = open.token;
    sim.at(open.final ? FINAL_TIMEOUT_MS : TIMEOUT_MS, () => {
      if (client.open === open && open.token === mine) uncertain(client);
    });
  };

  const finish = (client: Client, type: 'ok' | 'fail' | 'info', value: CheckedEvent['value']): void => {
    const open = client.open as Open;
    run.ops[type]++;
    record(client, type, type === 'ok' && open.f === 'read' ? value : open.f === 'read' ? null : open.value, open.final);
    client.open = null;
    if (!stopped && !open.final) sim.at(1 + clientRng.next() * 40, () => next(client));
  };

  /** No answer, or an indefinite one: half the time the same request goes to another node. */
  const uncertain = (client: Client): void => {
    const open = client.open as Open;
    if (!open.final && open.attempts < 3 && clientRng.chance(0.5)) send(client);
    else finish(client, 'info', null);
  };

  const answered = (client: Client, reply: ClientReply): void => {
    const open = client.open;
    if (open === null || reply.seq !== open.seq) return;
    if (reply.ok) finish(client, 'ok', reply.value as CheckedEvent['value']);
    else if (reply.definite) finish(client, 'fail', null);
    else uncertain(client);
  };

  const start = (client: Client, f: OpFunction, key: string, value: KvScalar, op: KvOp, final = false): void => {
    client.seq++;
    client.open = { f, key, value, op, seq: client.seq, token: 0, attempts: 0, final };
    record(client, 'invoke', f === 'read' ? null : value, final);
    send(client);
  };

  const next = (client: Client): void => {
    if (stopped || client.open !== null) return;
    const key = KEYS[clientRng.int(0, KEYS.length)] as string;
    const roll = clientRng.next();
    if (roll < 0.45) return start(client, 'read', key, null, { f: 'read', key });
    if (roll < 0.9) {
      const value = (counters.get(key) ?? 0) + 1;
      counters.set(key, value);
      return start(client, 'write', key, value, { f: 'write', key, value });
    }
    start(client, 'delete', key, null, { f: 'delete', key });
  };

  for (let c = 0; c < CLIENTS; c++) {
    const client: Client = { process: c + 1, seq: 0, open: null };
    clients.push(client);
    sim.at(1 + clientRng.next() * 20, () => next(client));
  }

  scheduleFaults(sim, rng.fork('faults'), { kinds: FAULT_KINDS, intervalMs: 400, untilMs: durationMs });
  // Clock skew, which the simulator's schedule leaves out: clocks jump ahead or behind and drift,
  // and are set right when the other faults heal.
  const skewRng = rng.fork('skew');
  const skewed = new Set<string>();
  if (skewRng.chance(0.6)) {
    for (let at = 200; at < durationMs; at += 300 + skewRng.next() * 1500) {
      const node = `n${skewRng.int(1, nodes + 1)}`;
      const offsetMs = Math.round((skewRng.next() * 2 - 1) * 3000);
      const drift = [0, 0, 0.5, -0.5][skewRng.int(0, 4)] as number;
      sim.at(at, () => {
        sim.skewClock(node, offsetMs, drift);
        skewed.add(node);
      });
    }
  }

  const quietMs = 3 * options.antiEntropyTicks * 10 + 2 * options.timeoutTicks * 10 + 500;
  try {
    sim.runFor(durationMs);
    stopped = true;
    for (const node of skewed) sim.skewClock(node, 0, 0);
    // The clients' last operations end (answered or given up), then the replicas settle.
    sim.runFor(TIMEOUT_MS * 3 + quietMs);
    // One final read of every key through every node, each by a process of its own.
    const finals: Client[] = [];
    KEYS.forEach((key, k) => {
      for (let target = 0; target < nodes; target++) {
        const client: Client = { process: 100 + k * nodes + target, seq: 0, open: null };
        finals.push(client);
        clients[client.process - 1] = client;
        sim.at(1 + target * 2 + k * 0.1, () => {
          client.seq = 1;
          const o: Open = { f: 'read', key, value: null, op: { f: 'read', key }, seq: 1, token: ++token, attempts: 1, final: true };
          client.open = o;
          record(client, 'invoke', null, true);
          sim.at(0.5, () => arrivals.clientArrive(target, { clientId: client.process, seq: 1, op: o.op }));
          sim.at(FINAL_TIMEOUT_MS, () => {
            if (client.open === o) finish(client, 'info', null);
          });
        });
      }
    });
    sim.runFor(FINAL_TIMEOUT_MS + 100);
    monitor.finalCheck();
    const unanswered = finals.filter((c) => c.open !== null || events.some((e) => e.process === c.process && e.type !== 'ok' && e.type !== 'invoke'));
    run.finalReads = finals.length - unanswered.length;
    if (unanswered.length > 0) run.violation = { property: 'liveness', message: `${unanswered.length} of ${finals.length} final reads got no answer after every fault healed` };
  } catch (error) {
    const inner = error instanceof SimulationError ? error.cause : error;
    if (inner instanceof SafetyViolation) run.violation = { property: inner.property, message: inner.message };
    else run.violation = { property: 'error', message: inner instanceof Error ? (inner.stack ?? inner.message) : String(inner) };
  }
  run.delivered = sim.stats.delivered;
  // No model to judge (siblings are lists, which a kv history cannot even hold): the monitors were the judges.
  if (run.violation !== null || judged === null) return run;

  const builder = new HistoryBuilder('kv');
  events.forEach((event, i) => builder.add(event, i + 1));
  builder.finish();
  if (judged === 'linearizable') {
    const result = checkOperations(builder.operations, { timeoutMs: 10_000 });
    run.verdict = result.linearizable;
    if (result.linearizable !== 'true') run.violation = { property: 'linearizability', message: result.explanation === undefined ? 'undecided' : `key ${result.explanation.key}: cannot place ${result.explanation.cannotPlace.length} operations after a prefix of ${result.explanation.longestPrefix.length}` };
  } else if (judged === 'convergent') {
    const result = checkConvergent({ dataType: 'kv', operations: builder.operations });
    run.verdict = result.verdict;
    if (result.verdict !== 'true') run.violation = { property: 'convergence', message: result.witness?.why ?? result.reason ?? 'unknown' };
  }
  return run;
}

/** Options as a scenario or a report shows them. */
export function describeOptions(o: LeaderlessOptions): string {
  const on = (name: string, value: boolean): string => (value ? name : '');
  return [`n=${o.n} r=${o.r} w=${o.w}`, o.resolve, on('2pw', o.twoPhaseWrites), on('writeBack', o.writeBack), on('readRepair', o.readRepair), on(`ae/${o.antiEntropyTicks}`, o.antiEntropy), on('sloppy', o.sloppy), `timeout=${o.timeoutTicks}`]
    .filter(Boolean)
    .join(' ');
}

