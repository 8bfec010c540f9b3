// A failing fuzz run as the smallest scenario file that still fails the same way. The run is
// replayed with a trace (every fault, every client operation and the node it went to), written as
// a scenario (faults at the times they happened, operations sent in the background, and at the end
// the safety monitors and the promised model expected to hold), run to see that it fails, then cut
// down by delta debugging (ddmin.ts) over its faults, its operations, its nodes and its time. A
// candidate is kept only if it breaks the same property (the same monitor, or the same model),
// not merely any; every candidate is the text a file would hold, parsed and run as `scenario run`
// would run it, so what is written is what was tested.
//
// The scenario's run is not the fuzz's to the microsecond: its clients wait longer and never
// retry, and their requests arrive a little apart from where they did. The aimed faults that act
// on single messages become link rules around the messages they took (a link that drops
// everything for as long as they were held, or delays everything as much as the ones delivered
// late were); the crashes they caused stay, at the microsecond they happened. What a scenario file
// cannot say is left out, and the result says so: old messages delivered again (replay), the
// write a torn crash loses, the servers the fuzz added, the operator commands it sent to a leader
// about another node, the network's copies of client requests and the clients' retries.

import type { Algorithm, ConsensusNode, Input } from '../../nodes/types.ts';
import type { Fault } from '../../shared/fault.ts';
import type { HistoryEvent } from '../../shared/history.ts';
import type { NodeId } from '../../shared/protocol.ts';
import { faultAction, opAction, scenarioText } from '../runtime/scenario-actions.ts';
import { fuzzOne, type FuzzOptions, type FuzzRunResult } from '../sim/fuzz.ts';
import type { TraceEvent } from '../sim/simulation.ts';
import { ddmin } from './ddmin.ts';
import { parseScenario } from './file.ts';
import { runScenario, ScenarioSetupError } from './runner.ts';

export interface ShrinkSize {
  /** A fault and what undoes it (a crash and its restart, a partition and its heal) count as one. */
  faults: number;
  operations: number;
  nodes: number;
  simulatedMs: number;
}

export interface ShrinkProgress {
  phase: 'reproduce' | 'faults' | 'operations' | 'nodes' | 'time';
  candidates: number;
  budget: number;
  size: ShrinkSize;
}

export interface ShrinkOptions {
  /** The registered algorithm the file names (a planted mutant's real one); default: the fuzzed algorithm's name. */
  scenarioAlgorithm?: string;
  /** The most candidate scenarios to run (default 300). */
  budget?: number;
  /** The file name the text is for, in its parse errors. */
  file?: string;
  /** How to find the run again, for the file's summary (e.g. the fuzz command line). */
  origin?: string;
  onProgress?: (progress: ShrinkProgress) => void;
}

export interface ShrinkResult {
  seed: number;
  /** The failure kept: a safety monitor's property, or the consistency model the history broke. */
  property: string;
  /** The run written as a scenario failed the same way (when false, `text` is the run as first written, which did not). */
  reproduced: boolean;
  /** What the written-out run broke instead, when it did not reproduce. */
  foundInstead: string[];
  text: string;
  before: ShrinkSize;
  after: ShrinkSize;
  /** Scenario runs, the first included. */
  candidates: number;
  wallMs: number;
  /** What the fuzz run had that the scenario could not keep. */
  dropped: string[];
  /** The last round of every search removed nothing and none ran out of budget: 1-minimal in faults and operations. */
  minimal: boolean;
}

/** What a fuzz failure is to a scenario: the property its checks name, or null for failures a scenario cannot judge. */
export function scenarioProperty(run: FuzzRunResult): string | null {
  const property = run.violation?.property;
  if (property === undefined) return null;
  if (property === 'linearizability') return 'linearizable';
  // Liveness, a step budget, a crash of the harness and an undecided check have no expectation in a scenario file.
  if (property === 'liveness' || property === 'step_budget' || property === 'error' || property.endsWith('_unknown')) return null;
  return property;
}

interface TimedFault {
  atUs: number;
  fault: Fault;
}

/** A fault and what undoes it: removed together, so that a candidate never restarts a node that runs. */
interface FaultUnit {
  events: TimedFault[];
}

interface TimedOp {
  atUs: number;
  invoke: HistoryEvent;
  to: NodeId | null;
}

interface Case {
  /** The scenario's seed: the fuzz run's, or the first after it whose run failed the same way. */
  seed: number;
  nodes: number;
  endUs: number;
  units: FaultUnit[];
  ops: TimedOp[];
}

const DEFAULT_BUDGET = 300;
/** A scenario file's most steps (file.ts), the last one the checks; its most nodes; its latest step. */
const MAX_STEPS = 1000;
const MAX_NODES = 9;
const MAX_TIME_US = 3_600_000_000;
/** How many seeds after the fuzz run's a scenario that does not fail at once is tried with. */
const REPRODUCE_SEEDS = 20;
/** After the last event the run still had, how long the scenario goes on before its checks. */
const TAIL_US = 1_000_000;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any algorithm's options
type AnyAlgorithm = Algorithm<any>;

/**
 * Replays `seed` of the fuzz `options` describe, writes the run as a scenario, and shrinks it.
 * Throws a RangeError for a seed that does not fail, or fails in a way no scenario can check.
 */
export async function shrinkFuzzRun(options: FuzzOptions, seed: number, shrink: ShrinkOptions = {}): Promise<ShrinkResult> {
  const started = performance.now();
  const budget = shrink.budget ?? DEFAULT_BUDGET;
  const algorithm = options.algorithm as AnyAlgorithm;
  const captured = capture(options, seed);
  const property = scenarioProperty(captured.run);
  if (captured.run.violation === null) throw new RangeError(`seed ${seed} does not fail`);
  if (property === null) throw new RangeError(`seed ${seed} fails by ${captured.run.violation.property}, which a scenario file cannot check`);
  if (captured.run.nodes > MAX_NODES) throw new RangeError(`seed ${seed} ran ${captured.run.nodes} nodes; a scenario file has at most ${MAX_NODES}`);
  if (captured.case.endUs > MAX_TIME_US) throw new RangeError(`seed ${seed} ran ${(captured.case.endUs / 60e6).toFixed(0)} minutes; a scenario file's steps come within an hour`);
  const file = shrink.file ?? `fuzz-seed-${seed}.yaml`;
  const counters = captured.run.dataType === 'counter';
  const writer: Writer = {
    algorithmName: shrink.scenarioAlgorithm ?? algorithm.name,
    fuzzedName: algorithm.name,
    run: captured.run,
    property,
    counters,
    actions: algorithm.actions,
    origin: shrink.origin ?? null,
  };

  let candidates = 0;
  let phase: ShrinkProgress['phase'] = 'reproduce';
  let best = captured.case;
  const evaluate = async (candidate: Case): Promise<Outcome> => {
    candidates++;
    const outcome = await runCase(writer, candidate, algorithm, file);
    shrink.onProgress?.({ phase, candidates, budget, size: sizeOf(outcome.same ? candidate : best) });
    return outcome;
  };

  // A step that cannot run (a command for a leader when none leads) stops a scenario: its faults
  // are left out and the run tried again, a few times.
  const dropped = [...captured.dropped];
  let outcome = await evaluate(best);
  for (let repairs = 0; !outcome.same && outcome.error !== null && repairs < 5 && candidates < budget; repairs++) {
    const stuck = outcome.error;
    dropped.push(`a step that could not run at ${(stuck.atUs / 1000).toFixed(1)} ms (${stuck.message})`);
    best = { ...best, units: best.units.filter((_, i) => !stuck.units.includes(i)), ops: best.ops.filter((_, i) => !stuck.ops.includes(i)) };
    outcome = await evaluate(best);
  }
  // The scenario's run is not the fuzz's to the microsecond (its clients wait longer and never
  // retry, its requests arrive a little apart from where they did): where the interleaving the
  // failure needs is lost, the simulator's other seeds give it other chances.
  for (let next = 1; !outcome.same && next <= REPRODUCE_SEEDS && candidates < budget; next++) {
    best = { ...best, seed: (seed + next) >>> 0 };
    outcome = await evaluate(best);
  }
  if (!outcome.same) best = { ...best, seed };
  const before = sizeOf(captured.case);
  if (!outcome.same) {
    const text = writeCase(writer, captured.case, { before, dropped }).text;
    return { seed, property, reproduced: false, foundInstead: outcome.found, text, before, after: before, candidates, wallMs: performance.now() - started, dropped, minimal: false };
  }

  const tryCase = async (candidate: Case): Promise<boolean> => {
    if (candidates >= budget) return false;
    if (!(await evaluate(candidate)).same) return false;
    best = candidate;
    return true;
  };
  let minimal = false;
  for (let round = 0; round < 8 && candidates < budget; round++) {
    const sizeBefore = JSON.stringify(sizeOf(best));
    let complete = true;
    phase = 'faults';
    const base = best;
    const faults = await ddmin(base.units, (units) => tryCase({ ...base, units }), { budget: budget - candidates });
    best = { ...best, units: faults.items };
    complete &&= faults.complete;
    phase = 'operations';
    // One key's operations alone first: a few runs, and often all a violation needs, where halving
    // a long list in time rarely keeps the one interleaving that matters.
    const keys = [...new Set(best.ops.map((o) => o.invoke.key))];
    if (keys.length > 1) {
      for (const key of keys) if (await tryCase({ ...best, ops: best.ops.filter((o) => o.invoke.key === key) })) break;
    }
    const withFaults = best;
    const ops = await ddmin(withFaults.ops, (kept) => tryCase({ ...withFaults, ops: kept }), { budget: budget - candidates });
    best = { ...best, ops: ops.items };
    complete &&= ops.complete;
    phase = 'nodes';
    for (let k = best.nodes; k >= 1 && best.nodes > 1; k--) {
      if (k <= best.nodes) await tryCase(withoutNode(best, k));
    }
    phase = 'time';
    await shortenTime(best, tryCase);
    if (JSON.stringify(sizeOf(best)) === sizeBefore) {
      minimal = complete && candidates < budget;
      break;
    }
  }
  const text = writeCase(writer, best, { before, dropped }).text;
  return { seed, property, reproduced: true, foundInstead: [], text, before, after: sizeOf(best), candidates, wallMs: performance.now() - started, dropped, minimal };
}

function sizeOf(c: Case): ShrinkSize {
  return { faults: c.units.length, operations: c.ops.length, nodes: c.nodes, simulatedMs: Math.round(c.endUs / 1000) };
}

/** The run again, with a trace and a look at which node each client request reached first. */
function capture(options: FuzzOptions, seed: number): { run: FuzzRunResult; case: Case; dropped: string[] } {
  const firstAt = new Map<string, NodeId>();
  const inner = options.algorithm as AnyAlgorithm;
  const watched: AnyAlgorithm = {
    ...inner,
    create: (context, persisted) => {
      const node = inner.create(context, persisted) as ConsensusNode;
      const step = node.step.bind(node);
      node.step = (input: Input): void => {
        if (input.kind === 'client') {
          const key = `${input.request.clientId}:${input.request.seq}`;
          if (!firstAt.has(key)) firstAt.set(key, context.id);
        }
        step(input);
      };
      return node;
    },
  };
  const faults: TimedFault[] = [];
  const invokes: Array<{ atUs: number; event: HistoryEvent }> = [];
  let lastUs = 0;
  const held: HeldMessage[] = [];
  // A held message that is to arrive later is rescheduled before the network drops the original.
  let lateCopy: { key: string; ms: number } | null = null;
  let replayed = 0;
  const trace = (event: TraceEvent): void => {
    lastUs = Math.max(lastUs, event.timeUs);
    if (event.kind === 'fault') faults.push({ atUs: event.timeUs, fault: event.fault });
    else if (event.kind === 'history' && event.event.type === 'invoke' && event.event.final !== true) invokes.push({ atUs: event.timeUs, event: event.event });
    else if (event.kind === 'duplicate' && event.reason?.startsWith('replayed in ') === true) {
      if (lateCopy !== null) replayed++;
      lateCopy = { key: `${event.timeUs} ${event.src}>${event.dest} ${event.type}`, ms: Number.parseFloat(event.reason.slice('replayed in '.length)) };
    } else if (event.kind === 'send' && lateCopy !== null && lateCopy.key !== `${event.timeUs} ${event.src}>${event.dest} ${event.type}`) {
      replayed++;
      lateCopy = null;
    } else if (event.kind === 'drop' && event.reason === 'held by a fault') {
      const key = `${event.timeUs} ${event.src}>${event.dest} ${event.type}`;
      held.push({ link: `${event.src}>${event.dest}`, atUs: event.timeUs, lateMs: lateCopy?.key === key ? lateCopy.ms : null });
      lateCopy = null;
    }
  };
  const run = fuzzOne({ ...options, algorithm: watched, runs: 1, trace }, seed);

  const dropped: string[] = [];
  const notes = new Map<string, number>();
  const kept: TimedFault[] = [];
  const inCluster = (id: NodeId): NodeId | null => (nodeNumber(id) <= run.nodes ? id : null);
  for (const f of faults) {
    const fault = renameFault(f.fault, inCluster);
    const written = fault === null ? null : faultAction(fault, inner.actions);
    if (fault === null || written === null || 'note' in written) {
      const what = f.fault.kind === 'add-node' ? 'a server added' : fault === null ? `a fault on a server added later (${f.fault.kind})` : `an operator command a scenario cannot send (${f.fault.kind === 'admin' ? f.fault.command.type : f.fault.kind})`;
      notes.set(what, (notes.get(what) ?? 0) + 1);
      continue;
    }
    kept.push({ atUs: f.atUs, fault });
  }
  for (const [what, n] of notes) dropped.push(`${what}: ${n}`);
  for (const h of heldLinks(held)) {
    if (inCluster(h.from) === null || inCluster(h.to) === null) continue;
    kept.push({ atUs: h.fromUs, fault: { kind: 'link', from: h.from, to: h.to, rule: h.lateMs === null ? { drop: 1 } : { delayMs: h.lateMs, jitterMs: 0, reorder: 0 } } });
    kept.push({ atUs: h.untilUs, fault: { kind: 'link', from: h.from, to: h.to, rule: null } });
  }
  kept.sort((a, b) => a.atUs - b.atUs);
  if (lateCopy !== null) replayed++;
  if (replayed > 0) dropped.push(`old messages delivered again (replay): ${replayed}`);
  if (run.tornWrites > 0) dropped.push(`writes lost by a crash after their messages left (torn): ${run.tornWrites} (the crashes are kept)`);
  if (run.requestDuplicates > 0) dropped.push(`client requests the network delivered twice: ${run.requestDuplicates}`);
  if (run.sameSeqRetries > 0) dropped.push(`client retries under the same sequence number: ${run.sameSeqRetries}`);

  const seqOf = new Map<number, number>();
  const ops: TimedOp[] = invokes.map(({ atUs, event }) => {
    const seq = (seqOf.get(event.process) ?? 0) + 1;
    seqOf.set(event.process, seq);
    const to = firstAt.get(`${event.process}:${seq}`);
    return { atUs, invoke: event, to: to === undefined ? null : inCluster(to) };
  });
  return { run, case: { seed, nodes: run.nodes, endUs: lastUs + TAIL_US, units: pairUndos(kept), ops }, dropped };
}

const nodeNumber = (id: NodeId): number => Number(id.slice(1));

/** A message an aimed fault took off the network: lost, or delivered `lateMs` after it was sent. */
interface HeldMessage {
  link: string;
  atUs: number;
  lateMs: number | null;
}

/** Messages held on a link this close together were held by one fault. */
const HOLD_GAP_US = 100_000;
/** A hold's link rule starts this much before the first message it took and ends this much after the last: the scenario's run is not the fuzz's to the microsecond. */
const HOLD_MARGIN_US = 2000;

/**
 * The aimed faults' holds, seen from the messages they took, as link rules a scenario can set: on
 * each link, around a run of messages held, a link that drops everything, or, where some of them
 * were delivered late, one that delays everything as much as those were on average.
 */
function heldLinks(held: readonly HeldMessage[]): Array<{ from: NodeId; to: NodeId; fromUs: number; untilUs: number; lateMs: number | null }> {
  const byLink = new Map<string, HeldMessage[]>();
  for (const h of held) byLink.set(h.link, [...(byLink.get(h.link) ?? []), h]);
  const holds: Array<{ from: NodeId; to: NodeId; fromUs: number; untilUs: number; lateMs: number | null }> = [];
  for (const [link, messages] of byLink) {
    const [from, to] = link.split('>') as [NodeId, NodeId];
    let run: HeldMessage[] = [];
    const endRun = (): void => {
      if (run.length === 0) return;
      const late = run.flatMap((m) => (m.lateMs === null ? [] : [m.lateMs]));
      const fromUs = Math.max(0, (run[0] as HeldMessage).atUs - HOLD_MARGIN_US, (holds.at(-1)?.from === from && holds.at(-1)?.to === to ? (holds.at(-1)?.untilUs ?? 0) + 1 : 0));
      holds.push({ from, to, fromUs, untilUs: (run.at(-1) as HeldMessage).atUs + HOLD_MARGIN_US, lateMs: late.length === 0 ? null : Number((late.reduce((a, b) => a + b, 0) / late.length).toFixed(1)) });
      run = [];
    };
    for (const m of messages) {
      if (run.length > 0 && m.atUs - (run.at(-1) as HeldMessage).atUs > HOLD_GAP_US) endRun();
      run.push(m);
    }
    endRun();
  }
  return holds;
}

/** Each fault with the later one that undoes it, if any (a crash and the node's next restart). */
function pairUndos(faults: readonly TimedFault[]): FaultUnit[] {
  const units: FaultUnit[] = [];
  const open = new Map<string, FaultUnit>();
  const start = (key: string, f: TimedFault): void => {
    const unit = { events: [f] };
    units.push(unit);
    open.set(key, unit);
  };
  const end = (key: string, f: TimedFault): void => {
    const unit = open.get(key);
    if (unit === undefined) units.push({ events: [f] });
    else {
      unit.events.push(f);
      open.delete(key);
    }
  };
  for (const f of faults) {
    const fault = f.fault;
    switch (fault.kind) {
      case 'crash':
        start(`down ${fault.node}`, f);
        break;
      case 'restart':
        end(`down ${fault.node}`, f);
        break;
      case 'pause':
        start(`paused ${fault.node}`, f);
        break;
      case 'resume':
        end(`paused ${fault.node}`, f);
        break;
      case 'partition':
        start('partition', f);
        break;
      case 'heal':
        end('partition', f);
        break;
      case 'cut':
        start(`cut ${fault.from}>${fault.to}`, f);
        break;
      case 'uncut':
        end(`cut ${fault.from}>${fault.to}`, f);
        break;
      case 'network':
        if (fault.rule === null) end('network', f);
        else start('network', f);
        break;
      case 'link':
        if (fault.rule === null) end(`link ${fault.from}>${fault.to}`, f);
        else start(`link ${fault.from}>${fault.to}`, f);
        break;
      case 'clock-skew':
        if (fault.offsetMs === 0 && fault.drift === 0) end(`skew ${fault.node}`, f);
        else start(`skew ${fault.node}`, f);
        break;
      default:
        units.push({ events: [f] });
    }
  }
  return units;
}

/** The fault with its nodes renamed by `rename`; null when it names a node `rename` removes. */
function renameFault(fault: Fault, rename: (id: NodeId) => NodeId | null): Fault | null {
  switch (fault.kind) {
    case 'crash':
    case 'restart':
    case 'pause':
    case 'resume':
    case 'add-node': {
      const node = rename(fault.node);
      return node === null ? null : { ...fault, node };
    }
    case 'clock-skew': {
      const node = rename(fault.node);
      return node === null ? null : { ...fault, node };
    }
    case 'cut':
    case 'uncut': {
      const [from, to] = [rename(fault.from), rename(fault.to)];
      return from === null || to === null ? null : { ...fault, from, to };
    }
    case 'link': {
      const [from, to] = [rename(fault.from), rename(fault.to)];
      return from === null || to === null ? null : { ...fault, from, to };
    }
    case 'partition': {
      const groups = fault.groups.map((g) => g.map(rename).filter((id): id is NodeId => id !== null)).filter((g) => g.length > 0);
      return groups.length === 0 ? null : { kind: 'partition', groups };
    }
    case 'heal':
    case 'network':
      return fault;
    case 'admin': {
      const node = rename(fault.node);
      if (node === null) return null;
      const command = fault.command;
      if (command.type === 'campaign') return { ...fault, node };
      const peer = rename('to' in command ? command.to : command.node);
      if (peer === null) return null;
      return { ...fault, node, command: command.type === 'transfer_leadership' ? { ...command, to: peer } : { ...command, node: peer } };
    }
  }
}

/** The case on one node fewer: node k's faults go, its operations go to whoever leads, the nodes above it move down one. */
function withoutNode(c: Case, k: number): Case {
  const rename = (id: NodeId): NodeId | null => {
    const n = nodeNumber(id);
    return n === k ? null : n > k ? `n${n - 1}` : id;
  };
  const units: FaultUnit[] = [];
  for (const unit of c.units) {
    const events = unit.events.map((e) => ({ atUs: e.atUs, fault: renameFault(e.fault, rename) }));
    if (events.every((e): e is TimedFault => e.fault !== null)) units.push({ events });
  }
  const ops = c.ops.map((op) => ({ ...op, to: op.to === null ? null : rename(op.to) }));
  return { seed: c.seed, nodes: c.nodes - 1, endUs: c.endUs, units, ops };
}

/** Less simulated time: the end brought closer to the last event, then long gaps between events halved. */
async function shortenTime(c: Case, tryCase: (candidate: Case) => Promise<boolean>): Promise<void> {
  let best = c;
  const lastEvent = (x: Case): number => Math.max(0, ...x.units.flatMap((u) => u.events.map((e) => e.atUs)), ...x.ops.map((o) => o.atUs));
  for (let tail = (best.endUs - lastEvent(best)) / 2; tail >= 50_000; tail /= 2) {
    const candidate = { ...best, endUs: Math.round(lastEvent(best) + tail) };
    if (!(await tryCase(candidate))) break;
    best = candidate;
  }
  // The longest gap that can be halved, again and again while that still fails (the gaps measured
  // anew after each cut, since it moves every later event).
  for (let pass = 0; pass < 16; pass++) {
    let shortened = false;
    const times = [...new Set([0, ...best.units.flatMap((u) => u.events.map((e) => e.atUs)), ...best.ops.map((o) => o.atUs)])].sort((a, b) => a - b);
    const gaps = times.slice(1).map((t, i) => ({ from: t, length: t - (times[i] as number) })).filter((g) => g.length >= 200_000).sort((a, b) => b.length - a.length);
    for (const gap of gaps.slice(0, 8)) {
      const by = Math.round(gap.length / 2);
      const shift = (atUs: number): number => (atUs >= gap.from ? atUs - by : atUs);
      const candidate: Case = {
        seed: best.seed,
        nodes: best.nodes,
        endUs: best.endUs - by,
        units: best.units.map((u) => ({ events: u.events.map((e) => ({ ...e, atUs: shift(e.atUs) })) })),
        ops: best.ops.map((o) => ({ ...o, atUs: shift(o.atUs) })),
      };
      if (await tryCase(candidate)) {
        best = candidate;
        shortened = true;
        break;
      }
    }
    if (!shortened) break;
  }
}

interface Writer {
  algorithmName: string;
  /** The algorithm the fuzz ran (a planted mutant's own name, where the file names its real one). */
  fuzzedName: string;
  run: FuzzRunResult;
  property: string;
  counters: boolean;
  actions: AnyAlgorithm['actions'];
  origin: string | null;
}

/** Where each step of a written case came from, to leave out a step that could not run. */
interface StepSource {
  atUs: number;
  units: number[];
  ops: number[];
}

interface Outcome {
  same: boolean;
  found: string[];
  error: (StepSource & { message: string }) | null;
}

async function runCase(writer: Writer, c: Case, algorithm: AnyAlgorithm, file: string): Promise<Outcome> {
  const { text, sources } = writeCase(writer, c, null);
  const scenario = parseScenario(text, file);
  let result;
  try {
    result = await runScenario(scenario, { algorithm: algorithm as Algorithm<unknown> });
  } catch (error) {
    // A cluster that cannot start, or a node that throws (a planted bug may): not this failure.
    return { same: false, found: error instanceof ScenarioSetupError ? [] : ['error'], error: null };
  }
  const found = [...new Set(result.steps.flatMap((s) => s.checks.flatMap((check) => check.found ?? [])))];
  const stuck = result.steps.find((s) => s.error !== null);
  const source = stuck === undefined ? undefined : sources[stuck.index];
  return { same: found.includes(writer.property), found, error: stuck === undefined || source === undefined ? null : { ...source, message: stuck.error as string } };
}

/** Milliseconds as a scenario file writes a time, to the microsecond. */
const msText = (us: number): string => `${Number((Math.max(0, us) / 1000).toFixed(3))}ms`;

function sizeText(s: ShrinkSize): string {
  return `${s.faults} fault${s.faults === 1 ? '' : 's'}, ${s.operations} operation${s.operations === 1 ? '' : 's'}, ${s.nodes} node${s.nodes === 1 ? '' : 's'}, ${(s.simulatedMs / 1000).toFixed(1)} s`;
}

function writeCase(writer: Writer, c: Case, story: { before: ShrinkSize; dropped: string[] } | null): { text: string; sources: StepSource[] } {
  // An operation is sent a millisecond after its step begins (the runner's gap after whatever ended last): its step starts that much earlier.
  const entries: Array<{ atUs: number; action: unknown; unit: number | null; op: number | null }> = [];
  c.units.forEach((unit, u) => {
    for (const e of unit.events) entries.push({ atUs: e.atUs, action: (faultAction(e.fault, writer.actions) as { action: unknown }).action, unit: u, op: null });
  });
  c.ops.forEach((op, i) => {
    const [name, body] = Object.entries(opAction(op.invoke, writer.counters) as Record<string, Record<string, unknown>>)[0] as [string, Record<string, unknown>];
    entries.push({ atUs: Math.max(0, op.atUs - 1000), action: { [name]: { ...body, ...(op.to === null ? {} : { to: op.to }), background: true } }, unit: null, op: i });
  });
  entries.sort((a, b) => a.atUs - b.atUs);
  // One step per moment; where a file could not hold that many, several moments in one step, with
  // waits between them that keep every action at its time.
  const moments: Array<typeof entries> = [];
  for (const entry of entries) {
    const last = moments.at(-1);
    if (last !== undefined && (last[0] as (typeof entries)[number]).atUs === entry.atUs) last.push(entry);
    else moments.push([entry]);
  }
  const perStep = Math.ceil(moments.length / (MAX_STEPS - 1));
  const steps: Array<Record<string, unknown>> = [];
  const sources: StepSource[] = [];
  for (let m = 0; m < moments.length; m += perStep) {
    const startUs = (moments[m] as typeof entries)[0]?.atUs as number;
    const actions: unknown[] = [];
    const source: StepSource = { atUs: startUs, units: [], ops: [] };
    let nowUs = startUs;
    for (const moment of moments.slice(m, m + perStep)) {
      const atUs = (moment[0] as (typeof entries)[number]).atUs;
      if (atUs > nowUs) actions.push({ wait: msText(atUs - nowUs) });
      nowUs = Math.max(nowUs, atUs);
      for (const entry of moment) {
        actions.push(entry.action);
        if (entry.unit !== null) source.units.push(entry.unit);
        if (entry.op !== null) {
          source.ops.push(entry.op);
          nowUs += 1000;
        }
      }
    }
    steps.push({ at: msText(startUs), do: actions });
    sources.push(source);
  }
  const run = writer.run;
  const violation = run.violation as NonNullable<FuzzRunResult['violation']>;
  const expect: unknown[] = [{ monitor: 'holds' }, ...(run.promised === null ? [] : [{ model: run.promised, holds: true }])];
  steps.push({
    at: msText(Math.max(c.endUs, (entries.at(-1)?.atUs ?? 0) + 1000)),
    narrate: `Fuzz seed ${run.seed} broke ${writer.property} (${violation.message.split('\n')[0]}). Here the safety monitors must hold${run.promised === null ? '' : ` and the history must be ${run.promised}`}.`,
    expect,
  });
  const summary =
    story === null
      ? undefined
      : [
          `Fuzz seed ${run.seed} of ${writer.fuzzedName}${writer.origin === null ? '' : ` (${writer.origin})`} broke ${writer.property}: ${violation.message.split('\n')[0]}.${writer.fuzzedName === writer.algorithmName ? '' : ` This file runs ${writer.algorithmName}, which should keep it.`}`,
          ...(c.seed === run.seed ? [] : [`The simulator's seed here is ${c.seed}: with the fuzz run's own, the run as a scenario did not break ${writer.property}.`]),
          `Shrunk from ${sizeText(story.before)} to ${sizeText(sizeOf(c))}; operations are sent in the background, each by a client of its own, to the node the fuzz's client sent it to (none: whoever leads).`,
          ...(story.dropped.length === 0 ? [] : [`What a scenario file cannot say was left out: ${story.dropped.join('; ')}.`]),
        ].join('\n\n');
  const scenario = {
    title: `${writer.algorithmName}: fuzz seed ${run.seed} shrunk (${writer.property})`,
    ...(summary === undefined ? {} : { summary }),
    cluster: { algorithm: writer.algorithmName, nodes: c.nodes, seed: c.seed, options: run.algorithmOptions },
    steps,
  };
  return { text: scenarioText(scenario), sources };
}
