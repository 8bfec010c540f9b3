// Runs a scenario file step by step, each at its time or once its condition holds, its faults
// done through applyFault (as the window and the CLI do them), its client operations sent and
// waited for, what it asks of the person at the window waited for, then its expectations checked.
// On the simulator by default; on any ScenarioCluster (target.ts): the CLI's live cluster, the
// window's. What happened and what held are reported per step, with the file's line, for the CLI
// and for lessons.

import { getAlgorithm, algorithmNames } from '../../nodes/index.ts';
import type { Algorithm } from '../../nodes/types.ts';
import { standardMonitor } from '../../nodes/progress-monitor.ts';
import { checkOptions, OptionError, relationProblem } from '../../shared/algorithm.ts';
import type { Fault } from '../../shared/fault.ts';
import { describeFault } from '../../shared/fault.ts';
import type { KvValue, OpValue } from '../../shared/history.ts';
import type { KvOp, NodeId } from '../../shared/protocol.ts';
import { formatRequest } from '../../nodes/describe.ts';
import { inferDataType, judgePromise, measureHistory } from '../checker/measures.ts';
import type { Action, Condition, Expectation, NodeRef, Scenario, ScenarioFault, ScenarioStep } from './file.ts';
import { settleCluster, SimScenarioCluster, type ClusterSetup, type ScenarioCluster, type SubmittedOutcome } from './target.ts';

export interface CheckResult {
  ok: boolean;
  text: string;
  /** What broke, by name, where something did: the properties the safety monitors found violated, or the model the history does not keep. */
  found?: string[];
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

/**
 * Someone at the window, following a lesson. Without one (the CLI, tests) the runner does what a
 * step asks itself, and does not stop where a lesson pauses.
 */
export interface Person {
  /**
   * The step asks the person to do `faults` (resolved: "the leader" is a node by now). Resolves
   * once they did, with the faults they left to the lesson to do ("do it for me").
   */
  asked(faults: readonly Fault[], step: StepResult): Promise<Fault[]>;
  /** A pause in the lesson: resolves when the person goes on. */
  paused(message: string, step: StepResult): Promise<void>;
  /** The step so far, as it happens (the window shows what a step did before it asks). */
  progress?(step: StepResult): void;
}

export interface RunOptions {
  onStep?: (result: StepResult) => void;
  /** Runs this algorithm object instead of the registered one the file names (a planted mutant of it). */
  algorithm?: Algorithm<unknown>;
  /** The cluster to run on (default: a simulator of the file's cluster). */
  cluster?: (setup: ClusterSetup) => Promise<ScenarioCluster>;
  person?: Person;
  /** Asked between steps: true stops the run (the person left the lesson). */
  cancelled?: () => boolean;
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

export async function runScenario(scenario: Scenario, options: RunOptions = {}): Promise<ScenarioResult> {
  const algorithm = options.algorithm ?? getAlgorithm(scenario.algorithm);
  if (algorithm === undefined) throw new ScenarioSetupError(`${scenario.file}: no algorithm ${JSON.stringify(scenario.algorithm)} (algorithms: ${algorithmNames().join(', ')})`);
  const setup: ClusterSetup = {
    algorithm,
    options: checkedOptions(scenario, algorithm),
    nodes: scenario.nodes,
    seed: scenario.seed,
    network: scenario.network,
    workload: scenario.workload,
    monitor: standardMonitor(algorithm),
  };
  let cluster: ScenarioCluster;
  try {
    cluster = options.cluster === undefined ? new SimScenarioCluster(setup) : await options.cluster(setup);
  } catch (error) {
    // A workload of a data type the algorithm does not serve, a node that cannot start: the file's cluster cannot run.
    throw new ScenarioSetupError(`${scenario.file}: the cluster cannot start: ${(error as Error).message}`);
  }
  const run = new StepRunner(cluster, algorithm, options.person ?? null);
  const steps: StepResult[] = [];
  try {
    for (const [index, step] of scenario.steps.entries()) {
      if (options.cancelled?.() === true) break;
      const result = await run.step(step, index);
      steps.push(result);
      options.onStep?.(result);
      // A step that could not run leaves the cluster somewhere the rest was not written for.
      if (result.error !== null) break;
    }
  } finally {
    await cluster.close();
  }
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
  private readonly cluster: ScenarioCluster;
  private readonly algorithm: Algorithm<unknown>;
  private readonly person: Person | null;
  private events: string[] = [];
  private current: StepResult | null = null;
  private settled = false;

  constructor(cluster: ScenarioCluster, algorithm: Algorithm<unknown>, person: Person | null) {
    this.cluster = cluster;
    this.algorithm = algorithm;
    this.person = person;
  }

  async step(step: ScenarioStep, index: number): Promise<StepResult> {
    this.events = [];
    const cluster = this.cluster;
    const result: StepResult = { index, line: step.line, narrate: step.narrate, atMs: 0, events: this.events, checks: [], error: null };
    // Someone watching sees the step's narration as it begins, and what it does as it happens.
    this.current = result;
    this.person?.progress?.(result);
    try {
      if (step.atMs !== null && cluster.nowMs() < step.atMs) await cluster.runFor(step.atMs - cluster.nowMs());
      result.atMs = Math.round(cluster.nowMs());
      if (step.when !== null) {
        const condition = step.when;
        if (!(await cluster.runUntil(() => this.holds(condition), step.withinMs))) throw new StepError(`waited ${step.withinMs} ms for ${describeCondition(condition)}, in vain`);
        result.atMs = Math.round(cluster.nowMs());
        if (condition.kind === 'leader' || condition.kind === 'leaderAmong') {
          const leader = condition.kind === 'leader' ? (cluster.leader() as NodeId) : (condition.nodes.map((ref) => this.node(ref)).find((id) => cluster.status(id)?.role === 'leader') as NodeId);
          const term = cluster.status(leader)?.term;
          this.say(`${leader} leads${term === undefined ? '' : ` (term ${term})`}`);
        }
      }
      for (const action of step.actions) await this.act(action, result);
      if (step.asks.length > 0) await this.ask(step.asks, result);
      for (const expectation of step.expect) {
        result.checks.push(await this.check(expectation));
        this.person?.progress?.(result);
      }
    } catch (error) {
      if (!(error instanceof StepError)) throw error;
      result.error = error.message;
    }
    this.current = null;
    return result;
  }

  /** Something the step did (or an operation in the background that ended during it). */
  private say(event: string): void {
    this.events.push(event);
    if (this.current !== null) this.person?.progress?.(this.current);
  }

  private node(ref: NodeRef): NodeId {
    const cluster = this.cluster;
    if (ref === 'leader') {
      const leader = cluster.leader();
      if (leader === null) throw new StepError('no node leads now');
      return leader;
    }
    if (ref === 'follower') {
      const leader = cluster.leader();
      const follower = cluster.nodeIds.find((id) => id !== leader && cluster.isUp(id));
      if (follower === undefined) throw new StepError('no node is up but the leader');
      return follower;
    }
    if (!cluster.nodeIds.includes(ref)) throw new StepError(`there is no node ${ref} (nodes: ${cluster.nodeIds.join(', ')})`);
    return ref;
  }

  private holds(condition: Condition): boolean {
    const cluster = this.cluster;
    switch (condition.kind) {
      case 'leader':
        return cluster.leader() !== null;
      case 'leaderAmong':
        return condition.nodes.some((ref) => cluster.status(this.node(ref))?.role === 'leader');
      case 'status': {
        if (condition.node === 'leader' && cluster.leader() === null) return false;
        const status = cluster.status(this.node(condition.node));
        return status !== null && sameValue(status[condition.field], condition.equals);
      }
      case 'acknowledged':
        return cluster.operations().ok >= condition.count;
      case 'operations': {
        const ops = cluster.operations();
        return ops.ok + ops.fail + ops.info >= condition.count;
      }
    }
  }

  private async act(action: Action, result: StepResult): Promise<void> {
    switch (action.kind) {
      case 'fault':
        await this.fault(this.resolve(action.fault));
        return;
      case 'op': {
        const target = action.to === null ? null : this.node(action.to);
        if (action.background) {
          // Sent, not waited for: the step goes on while it is in progress; how it ended is told when it does.
          const what = `${describeOp(action.op)}${target === null ? '' : ` at ${target}`}`;
          await this.send(action.op, target, action.client, (o) => this.say(`${what} (in the background): ${o.type}`));
          this.say(`${what}: sent, in the background`);
          return;
        }
        const outcome = await this.operation(action.op, target, action.client);
        this.say(`${describeOp(action.op)}${target === null ? '' : ` at ${target}`}: ${outcome.type}${outcome.type === 'ok' && action.op.f === 'read' ? ` ${show(outcome.value)}` : ''}`);
        return;
      }
      case 'workload':
        await this.cluster.setWorkloadRunning(action.running);
        this.say(action.running ? 'workload started' : 'workload stopped');
        return;
      case 'wait':
        await this.cluster.runFor(action.ms);
        this.say(`waited ${action.ms} ms`);
        return;
      case 'pause':
        if (this.person === null) {
          this.say(action.message === '' ? 'a lesson waits here for you' : `a lesson waits here for you: ${action.message}`);
          return;
        }
        this.person.progress?.(result);
        await this.person.paused(action.message, result);
        this.say('you went on');
        return;
    }
  }

  /**
   * Faults the step asks the person for: done by them (and checked: the runner waits until each
   * was done), or by the runner when no one is at the window or they asked it to.
   */
  private async ask(asks: readonly ScenarioFault[], result: StepResult): Promise<void> {
    const faults = asks.map((f) => this.resolve(f));
    if (this.person === null) {
      for (const fault of faults) {
        await this.fault(fault);
        this.say(`(a lesson asks you to do this: ${describeFault(fault)})`);
      }
      return;
    }
    this.person.progress?.(result);
    const left = await this.person.asked(faults, result);
    for (const fault of faults) if (!left.includes(fault)) this.say(`you did it: ${describeFault(fault)}`);
    for (const fault of left) await this.fault(fault);
  }

  private resolve(fault: ScenarioFault): Fault {
    const cluster = this.cluster;
    switch (fault.kind) {
      case 'crash':
      case 'restart':
      case 'pause':
      case 'resume':
        return { kind: fault.kind, node: this.node(fault.node) };
      case 'isolate': {
        const node = this.node(fault.node);
        return { kind: 'partition', groups: [[node], cluster.nodeIds.filter((id) => id !== node)] };
      }
      case 'cut':
      case 'uncut':
        return { kind: fault.kind, from: this.node(fault.from), to: this.node(fault.to) };
      case 'partition':
        return { kind: 'partition', groups: fault.groups.map((g) => g.map((ref) => this.node(ref))) };
      case 'heal':
        return { kind: 'heal' };
      case 'network':
        return { kind: 'network', rule: fault.rule };
      case 'clock-skew':
        return { kind: 'clock-skew', node: this.node(fault.node), offsetMs: fault.offsetMs, drift: fault.drift };
      case 'link':
        return { kind: 'link', from: this.node(fault.from), to: this.node(fault.to), rule: fault.rule };
      case 'add-node':
        if (!this.algorithm.membership) throw new StepError(`${this.algorithm.title} has a fixed membership: no node can be added`);
        return { kind: 'add-node', node: fault.node };
      case 'command': {
        const node = this.node(fault.node);
        const action = this.algorithm.actions.find((a) => a.id === fault.action);
        if (action === undefined) throw new StepError(`${this.algorithm.title} has no command ${JSON.stringify(fault.action)} (commands: ${this.algorithm.actions.map((a) => a.id).join(', ') || 'none'})`);
        if (action.needsPeer !== undefined && fault.peer === null) throw new StepError(`${action.id} is about another node: name it with peer (command: { node, action: ${action.id}, peer: n4 })`);
        if (action.needsPeer === undefined && fault.peer !== null) throw new StepError(`${action.id} takes no peer`);
        const receiver = action.sendTo === 'leader' ? this.node('leader') : node;
        // Without a peer the command is about the node itself (transfer leadership here).
        return { kind: 'admin', node: receiver, command: action.command(fault.peer === null ? node : this.node(fault.peer)) };
      }
    }
  }

  private async fault(resolved: Fault): Promise<void> {
    const cluster = this.cluster;
    if ((resolved.kind === 'crash' || resolved.kind === 'pause') && !cluster.isUp(resolved.node)) throw new StepError(`${resolved.node} is down already`);
    if (resolved.kind === 'restart' && cluster.isUp(resolved.node)) throw new StepError(`${resolved.node} is running: crash it first`);
    const answered = cluster.commandAnswers?.().length ?? 0;
    try {
      await cluster.fault(resolved);
    } catch (error) {
      throw new StepError(`${describeFault(resolved)}: ${(error as Error).message}`);
    }
    this.say(describeFault(resolved));
    // A command refused at once (not the leader, a change in progress) is said, not left silent.
    for (const { node, ok, message } of cluster.commandAnswers?.().slice(answered) ?? []) this.say(`${node} ${ok ? 'answered' : 'refused'}: ${message}`);
  }

  /** Sends an operation, waits for it, and says how it ended (info: no end within the limit). */
  private async operation(op: KvOp, to: NodeId | null, client: number | null = null): Promise<SubmittedOutcome> {
    let outcome: SubmittedOutcome | null = null;
    await this.send(op, to, client, (o) => (outcome = o));
    await this.cluster.runUntil(() => outcome !== null, OPERATION_LIMIT_MS);
    return outcome ?? { type: 'info', value: null };
  }

  private async send(op: KvOp, to: NodeId | null, client: number | null, done: (outcome: SubmittedOutcome) => void): Promise<void> {
    // A moment after whatever ended last: an operation that begins as another ends would overlap
    // it in real time, and the checker could order them either way.
    await this.cluster.runFor(1);
    try {
      this.cluster.submit(op, to, done, client);
    } catch (error) {
      throw new StepError((error as Error).message);
    }
  }

  /**
   * Every node up and the network whole, a quiet period, then every key the history touched read
   * at every node (final reads): what convergence and lost writes are judged by. Once per run:
   * the clients stop for good.
   */
  private async settle(): Promise<void> {
    if (this.settled) return;
    this.settled = true;
    if ((await settleCluster(this.cluster, { quietMs: QUIET_MS })) > 0) this.say('healed, quiet, then every key read at every node (final reads)');
  }

  private async check(expectation: Expectation): Promise<CheckResult> {
    const cluster = this.cluster;
    switch (expectation.kind) {
      case 'model': {
        // Convergence is judged by reads at every node after the faults healed and a quiet period.
        if (expectation.model === 'convergent') await this.settle();
        const history = cluster.history();
        const verdict = judgePromise(history, inferDataType(history), expectation.model, 10_000);
        const ok = verdict.verdict === (expectation.holds ? 'true' : 'false');
        const why = verdict.witness ? ` (${verdict.witness.anomaly}: ${verdict.witness.why})` : verdict.reason ? ` (${verdict.reason})` : '';
        return { ok, text: `${expectation.model} ${expectation.holds ? 'holds' : 'breaks'}: the history is ${verdict.verdict === 'true' ? '' : verdict.verdict === 'false' ? 'not ' : 'perhaps '}${expectation.model}${verdict.verdict === 'true' ? '' : why}`, ...(verdict.verdict === 'false' ? { found: [expectation.model] } : {}) };
      }
      case 'read': {
        const at = expectation.at === null ? null : this.node(expectation.at);
        const outcome = await this.operation({ f: 'read', key: expectation.key }, at, expectation.client);
        const got: OpValue = outcome.value;
        const ok = outcome.type === 'ok' && sameValue(got, expectation.returns as KvValue);
        return { ok, text: `a read of ${expectation.key}${at === null ? '' : ` at ${at}`} returns ${show(expectation.returns)}: ${outcome.type === 'ok' ? `it returned ${show(got)}` : `it ended ${outcome.type}`}` };
      }
      case 'monitor': {
        const violations = cluster.violations();
        const ok = (violations.length === 0) === expectation.holds;
        return { ok, text: `the safety monitors ${expectation.holds ? 'hold' : 'catch a violation'}: ${violations.length === 0 ? 'none caught' : violations.map((v) => v.message).slice(0, 3).join('; ')}`, ...(violations.length === 0 ? {} : { found: [...new Set(violations.map((v) => v.property))] }) };
      }
      case 'status': {
        const node = this.node(expectation.node);
        const value = cluster.status(node)?.[expectation.field];
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
        await this.settle();
        const history = cluster.history();
        const measures = measureHistory(history, { promises: null });
        const lost = measures.lostWrites;
        return { ok: lost !== null && lost >= expectation.atLeast, text: `at least ${expectation.atLeast} acknowledged write${expectation.atLeast === 1 ? '' : 's'} lost: ${lost === null ? 'not known (no final reads answered)' : `${lost} lost`}` };
      }
    }
  }
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
