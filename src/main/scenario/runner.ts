// Runs a scenario file on the simulator: step by step, each at its time or once its condition
// holds, its faults done through applyFault (as the window and the CLI do them), its client
// operations sent and waited for, then its expectations checked. What happened and what held are
// reported per step, with the file's line, for the CLI and for lessons.

import { getAlgorithm, algorithmNames } from '../../nodes/index.ts';
import type { Algorithm } from '../../nodes/types.ts';
import { standardMonitor } from '../../nodes/progress-monitor.ts';
import { checkOptions, OptionError, relationProblem } from '../../shared/algorithm.ts';
import type { Fault } from '../../shared/fault.ts';
import { describeFault } from '../../shared/fault.ts';
import type { HistoryEvent, KvValue, OpValue } from '../../shared/history.ts';
import type { KvOp, NodeId } from '../../shared/protocol.ts';
import { formatRequest } from '../../nodes/describe.ts';
import { inferDataType, judgePromise, measureHistory } from '../checker/measures.ts';
import { applyFault } from '../runtime/faults.ts';
import { Simulation, type SubmittedOutcome } from '../sim/simulation.ts';
import type { Action, Condition, Expectation, NodeRef, Scenario, ScenarioFault, ScenarioStep } from './file.ts';

export interface CheckResult {
  ok: boolean;
  text: string;
}

export interface StepResult {
  index: number;
  line: number;
  narrate: string | null;
  /** When the step ran, simulated milliseconds from the start. */
  atMs: number;
  /** What the step did, as sentences. */
  events: string[];
  checks: CheckResult[];
  /** The step could not run (a condition never held, a node that is not there): why. */
  error: string | null;
}

export interface ScenarioResult {
  title: string;
  steps: StepResult[];
  passed: boolean;
}

/** A scenario that cannot start (an unknown algorithm, options it refuses): a bad file, exit 2. */
export class ScenarioSetupError extends Error {}

class StepError extends Error {}

/** How long an operation by hand may take before the scenario gives up on it. */
const OPERATION_LIMIT_MS = 10_000;
/** Before the final reads that count lost writes: faults healed and a quiet period. */
const QUIET_MS = 2000;

export interface RunOptions {
  /** Runs this algorithm instead of the registry's (a mutant, to see a lesson's checks fail); its name must start with the file's. */
  algorithm?: Algorithm<unknown>;
}

export function runScenario(scenario: Scenario, onStep: (result: StepResult) => void = () => undefined, run: RunOptions = {}): ScenarioResult {
  if (run.algorithm !== undefined && !run.algorithm.name.startsWith(scenario.algorithm)) throw new ScenarioSetupError(`${scenario.file}: ${run.algorithm.name} does not stand in for ${scenario.algorithm}`);
  const algorithm = run.algorithm ?? getAlgorithm(scenario.algorithm);
  if (algorithm === undefined) throw new ScenarioSetupError(`${scenario.file}: no algorithm ${JSON.stringify(scenario.algorithm)} (algorithms: ${algorithmNames().join(', ')})`);
  const options = checkedOptions(scenario, algorithm);
  const monitor = standardMonitor(algorithm);
  const w = scenario.workload;
  const sim = new Simulation({
    algorithm,
    nodes: scenario.nodes,
    seed: scenario.seed,
    algorithmOptions: options,
    network: scenario.network,
    workload: w === null ? null : { rate: w.rate, clients: w.clients, keys: w.keys, ...(w.dataType === undefined ? {} : { dataType: w.dataType }) },
    observers: [monitor],
  });
  if (w !== null && !w.running) sim.setWorkloadRunning(false);
  const runner = new StepRunner(sim, algorithm, monitor);
  const steps: StepResult[] = [];
  let stopped = false;
  scenario.steps.forEach((step, index) => {
    if (stopped) return;
    const result = runner.step(step, index);
    steps.push(result);
    onStep(result);
    // A step that could not run leaves the cluster somewhere the rest was not written for.
    if (result.error !== null) stopped = true;
  });
  const passed = steps.length === scenario.steps.length && steps.every((s) => s.error === null && s.checks.every((c) => c.ok));
  return { title: scenario.title, steps, passed };
}

function checkedOptions(scenario: Scenario, algorithm: Algorithm<unknown>): Record<string, unknown> {
  try {
    const options = checkOptions(algorithm.options, scenario.options);
    const problem = relationProblem(algorithm.options, { ...(algorithm.defaultOptions as Record<string, unknown>), ...options });
    if (problem !== null) throw new ScenarioSetupError(`${scenario.file}: ${problem}`);
    return options;
  } catch (error) {
    if (error instanceof OptionError) throw new ScenarioSetupError(`${scenario.file}: cluster options: ${error.message}`);
    throw error;
  }
}

const show = (value: unknown): string => JSON.stringify(value);

function sameValue(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

class StepRunner {
  private readonly sim: Simulation<unknown>;
  private readonly algorithm: Algorithm<unknown>;
  private readonly monitor: ReturnType<typeof standardMonitor>;
  private events: string[] = [];

  constructor(sim: Simulation<unknown>, algorithm: Algorithm<unknown>, monitor: ReturnType<typeof standardMonitor>) {
    this.sim = sim;
    this.algorithm = algorithm;
    this.monitor = monitor;
  }

  step(step: ScenarioStep, index: number): StepResult {
    this.events = [];
    const result: StepResult = { index, line: step.line, narrate: step.narrate, atMs: 0, events: this.events, checks: [], error: null };
    try {
      const nowMs = (): number => this.sim.timeUs / 1000;
      if (step.atMs !== null && nowMs() < step.atMs) this.sim.runFor(step.atMs - nowMs());
      result.atMs = Math.round(nowMs());
      if (step.when !== null) {
        const condition = step.when;
        if (!this.sim.runUntil(() => this.holds(condition), step.withinMs)) throw new StepError(`waited ${step.withinMs} ms for ${describeCondition(condition)}, in vain`);
        result.atMs = Math.round(nowMs());
        if (condition.kind === 'leader' || condition.kind === 'leaderAmong') {
          const leader = condition.kind === 'leader' ? (this.sim.leader() as NodeId) : (condition.nodes.map((ref) => this.node(ref)).find((id) => this.sim.status(id)?.role === 'leader') as NodeId);
          const term = this.sim.status(leader)?.term;
          this.events.push(`${leader} leads${term === undefined ? '' : ` (term ${term})`}`);
        }
      }
      for (const action of step.actions) this.act(action);
      for (const expectation of step.expect) result.checks.push(this.check(expectation));
    } catch (error) {
      if (!(error instanceof StepError)) throw error;
      result.error = error.message;
    }
    return result;
  }

  private node(ref: NodeRef): NodeId {
    const sim = this.sim;
    if (ref === 'leader') {
      const leader = sim.leader();
      if (leader === null) throw new StepError('no node leads now');
      return leader;
    }
    if (ref === 'follower') {
      const leader = sim.leader();
      const follower = sim.nodeIds.find((id) => id !== leader && sim.isUp(id));
      if (follower === undefined) throw new StepError('no node is up but the leader');
      return follower;
    }
    if (!sim.nodeIds.includes(ref)) throw new StepError(`there is no node ${ref} (nodes: ${sim.nodeIds.join(', ')})`);
    return ref;
  }

  private holds(condition: Condition): boolean {
    const sim = this.sim;
    switch (condition.kind) {
      case 'leader':
        return sim.leader() !== null;
      case 'leaderAmong':
        return condition.nodes.some((ref) => sim.status(this.node(ref))?.role === 'leader');
      case 'status': {
        if (condition.node === 'leader' && sim.leader() === null) return false;
        const status = sim.status(this.node(condition.node));
        return status !== null && sameValue(status[condition.field], condition.equals);
      }
      case 'acknowledged':
        return sim.stats.ops.ok >= condition.count;
      case 'operations':
        return sim.stats.ops.ok + sim.stats.ops.fail + sim.stats.ops.info >= condition.count;
    }
  }

  private act(action: Action): void {
    switch (action.kind) {
      case 'fault':
        this.fault(action.fault);
        return;
      case 'op': {
        const target = action.to === null ? null : this.node(action.to);
        if (action.background) {
          // Sent, not waited for: the step goes on while it is in progress; how it ended is told when it does.
          const what = `${describeOp(action.op)}${target === null ? '' : ` at ${target}`}`;
          this.send(action.op, target, action.client, (o) => this.events.push(`${what} (in the background): ${o.type}`));
          this.events.push(`${what}: sent, in the background`);
          return;
        }
        const outcome = this.operation(action.op, target, action.client);
        this.events.push(`${describeOp(action.op)}${target === null ? '' : ` at ${target}`}: ${outcome.type}${outcome.type === 'ok' && action.op.f === 'read' ? ` ${show(outcome.value)}` : ''}`);
        return;
      }
      case 'workload':
        this.sim.setWorkloadRunning(action.running);
        this.events.push(action.running ? 'workload started' : 'workload stopped');
        return;
      case 'wait':
        this.sim.runFor(action.ms);
        this.events.push(`waited ${action.ms} ms`);
        return;
      case 'pause':
        this.events.push(action.message === '' ? 'a lesson waits here for you' : `a lesson waits here for you: ${action.message}`);
        return;
    }
  }

  private fault(fault: ScenarioFault): void {
    const sim = this.sim;
    let resolved: Fault;
    switch (fault.kind) {
      case 'crash':
      case 'restart':
      case 'pause':
      case 'resume':
        resolved = { kind: fault.kind, node: this.node(fault.node) };
        break;
      case 'isolate': {
        const node = this.node(fault.node);
        resolved = { kind: 'partition', groups: [[node], sim.nodeIds.filter((id) => id !== node)] };
        break;
      }
      case 'cut':
      case 'uncut':
        resolved = { kind: fault.kind, from: this.node(fault.from), to: this.node(fault.to) };
        break;
      case 'partition':
        resolved = { kind: 'partition', groups: fault.groups.map((g) => g.map((ref) => this.node(ref))) };
        break;
      case 'heal':
        resolved = { kind: 'heal' };
        break;
      case 'network':
        resolved = { kind: 'network', rule: fault.rule };
        break;
      case 'clock-skew':
        resolved = { kind: 'clock-skew', node: this.node(fault.node), offsetMs: fault.offsetMs, drift: fault.drift };
        break;
      case 'link':
        resolved = { kind: 'link', from: this.node(fault.from), to: this.node(fault.to), rule: fault.rule };
        break;
      case 'add-node':
        if (!this.algorithm.membership) throw new StepError(`${this.algorithm.title} has a fixed membership: no node can be added`);
        resolved = { kind: 'add-node', node: fault.node };
        break;
      case 'command': {
        const node = this.node(fault.node);
        const action = this.algorithm.actions.find((a) => a.id === fault.action);
        if (action === undefined) throw new StepError(`${this.algorithm.title} has no command ${JSON.stringify(fault.action)} (commands: ${this.algorithm.actions.map((a) => a.id).join(', ') || 'none'})`);
        if (action.needsPeer !== undefined && fault.peer === null) throw new StepError(`${action.id} is about another node: name it with peer (command: { node, action: ${action.id}, peer: n4 })`);
        if (action.needsPeer === undefined && fault.peer !== null) throw new StepError(`${action.id} takes no peer`);
        const receiver = action.sendTo === 'leader' ? this.node('leader') : node;
        // Without a peer the command is about the node itself (transfer leadership here).
        resolved = { kind: 'admin', node: receiver, command: action.command(fault.peer === null ? node : this.node(fault.peer)) };
        break;
      }
    }
    if ((resolved.kind === 'crash' || resolved.kind === 'pause') && !sim.isUp(resolved.node)) throw new StepError(`${resolved.node} is down already`);
    if (resolved.kind === 'restart' && sim.isUp(resolved.node)) throw new StepError(`${resolved.node} is running: crash it first`);
    const answered = sim.adminReplies.length;
    try {
      void applyFault(sim, resolved);
    } catch (error) {
      throw new StepError(`${describeFault(resolved)}: ${(error as Error).message}`);
    }
    this.events.push(describeFault(resolved));
    // A command refused at once (not the leader, a change in progress) is said, not left silent.
    for (const { node, reply } of sim.adminReplies.slice(answered)) if (reply.kind === 'admin') this.events.push(`${node} ${reply.ok ? 'answered' : 'refused'}: ${reply.message}`);
  }

  /** Sends an operation, waits for it, and says how it ended (info: no end within the limit). */
  private operation(op: KvOp, to: NodeId | null, client: number | null = null): SubmittedOutcome {
    let outcome: SubmittedOutcome | null = null;
    this.send(op, to, client, (o) => (outcome = o));
    this.sim.runUntil(() => outcome !== null, OPERATION_LIMIT_MS);
    return outcome ?? { type: 'info', value: null };
  }

  private send(op: KvOp, to: NodeId | null, client: number | null, done: (outcome: SubmittedOutcome) => void): void {
    // A moment after whatever ended last: an operation that begins as another ends would overlap
    // it in real time, and the checker could order them either way.
    this.sim.runFor(1);
    try {
      this.sim.submit(op, to, done, client ?? undefined);
    } catch (error) {
      throw new StepError((error as Error).message);
    }
  }

  /**
   * Every node up and the network whole, a quiet period, then every key the history touched read
   * at every node (final reads): what convergence and lost writes are judged by. Once per run:
   * the clients stop for good.
   */
  private settle(): void {
    const sim = this.sim;
    for (const id of sim.nodeIds) {
      if (!sim.isUp(id)) applyFault(sim, { kind: 'restart', node: id });
      else if (sim.isPaused(id)) applyFault(sim, { kind: 'resume', node: id });
    }
    applyFault(sim, { kind: 'heal' });
    if (sim.finalReads(QUIET_MS, undefined, keysOf(sim.history())) > 0) this.events.push('healed, quiet, then every key read at every node (final reads)');
  }

  private check(expectation: Expectation): CheckResult {
    const sim = this.sim;
    switch (expectation.kind) {
      case 'model': {
        // Convergence is judged by reads at every node after the faults healed and a quiet period.
        if (expectation.model === 'convergent') this.settle();
        const history = sim.history();
        const verdict = judgePromise(history, inferDataType(history), expectation.model, 10_000);
        const ok = verdict.verdict === (expectation.holds ? 'true' : 'false');
        const why = verdict.witness ? ` (${verdict.witness.anomaly}: ${verdict.witness.why})` : verdict.reason ? ` (${verdict.reason})` : '';
        return { ok, text: `${expectation.model} ${expectation.holds ? 'holds' : 'breaks'}: the history is ${verdict.verdict === 'true' ? '' : verdict.verdict === 'false' ? 'not ' : 'perhaps '}${expectation.model}${verdict.verdict === 'true' ? '' : why}` };
      }
      case 'read': {
        const at = expectation.at === null ? null : this.node(expectation.at);
        const outcome = this.operation({ f: 'read', key: expectation.key }, at, expectation.client);
        const got: OpValue = outcome.value;
        const ok = outcome.type === 'ok' && sameValue(got, expectation.returns as KvValue);
        return { ok, text: `a read of ${expectation.key}${at === null ? '' : ` at ${at}`} returns ${show(expectation.returns)}: ${outcome.type === 'ok' ? `it returned ${show(got)}` : `it ended ${outcome.type}`}` };
      }
      case 'monitor': {
        const violations = this.monitor.violations();
        const ok = (violations.length === 0) === expectation.holds;
        return { ok, text: `the safety monitors ${expectation.holds ? 'hold' : 'catch a violation'}: ${violations.length === 0 ? 'none caught' : violations.map((v) => v.message).slice(0, 3).join('; ')}` };
      }
      case 'status': {
        const node = this.node(expectation.node);
        const value = sim.status(node)?.[expectation.field];
        const wanted: string[] = [];
        let ok = true;
        if (expectation.equals !== undefined) {
          wanted.push(`is ${show(expectation.equals)}`);
          ok &&= sameValue(value, expectation.equals);
        }
        if (expectation.above !== undefined) {
          wanted.push(`is above ${expectation.above}`);
          ok &&= typeof value === 'number' && value > expectation.above;
        }
        if (expectation.below !== undefined) {
          wanted.push(`is below ${expectation.below}`);
          ok &&= typeof value === 'number' && value < expectation.below;
        }
        return { ok, text: `${node}'s ${expectation.field} ${wanted.join(' and ')}: it is ${show(value ?? null)}` };
      }
      case 'lostWrites': {
        // Lost is only known once every node has been read after the faults healed.
        this.settle();
        const history = sim.history();
        const measures = measureHistory(history, { promises: null });
        const lost = measures.lostWrites;
        return { ok: lost !== null && lost >= expectation.atLeast, text: `at least ${expectation.atLeast} acknowledged write${expectation.atLeast === 1 ? '' : 's'} lost: ${lost === null ? 'not known (no final reads answered)' : `${lost} lost`}` };
      }
    }
  }
}

function keysOf(history: readonly HistoryEvent[]): string[] {
  return [...new Set(history.map((e) => e.key).filter((k): k is string => k !== undefined))].sort();
}

function describeCondition(condition: Condition): string {
  switch (condition.kind) {
    case 'leader':
      return 'a leader';
    case 'leaderAmong':
      return `a leader among ${condition.nodes.join(', ')}`;
    case 'status':
      return `${condition.node}'s ${condition.field} to be ${show(condition.equals)}`;
    case 'acknowledged':
      return `${condition.count} acknowledged operations`;
    case 'operations':
      return `${condition.count} operations done`;
  }
}

function describeOp(op: KvOp): string {
  return formatRequest({ clientId: 0, seq: 0, op }).replace(/^c0#0 /, '');
}
