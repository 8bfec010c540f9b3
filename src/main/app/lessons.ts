// Lessons in the window: the scenario library's files, run on the window's own cluster with a
// person at the window. A lesson starts a cluster the way the window starts any (recorded like any
// session), drives it step by step, shows each step's narration, what it did and what held, waits
// where it asks the person to break something and checks they broke exactly that, and ends in
// free play on the same cluster. How far each lesson got is kept in the data folder (lessons.json).

import { existsSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as z from 'zod';
import { DEFAULT_NETWORK_DELAY_MS, type AskedFaultView, type ClusterSettings, type LessonAction, type LessonList, type LessonListItem, type LessonProgress, type LessonStepView, type LessonView } from '../../shared/bridge.ts';
import { describeFault, type Fault } from '../../shared/fault.ts';
import type { NodeId } from '../../shared/protocol.ts';
import type { SafetyMonitor } from '../../nodes/monitor.ts';
import type { Cluster } from '../cluster/cluster.ts';
import { getAlgorithm } from '../../nodes/index.ts';
import { parseScenario, ScenarioFileError, type Scenario, type ScenarioFault } from '../scenario/file.ts';
import { runScenario, ScenarioSetupError, type Person, type StepResult } from '../scenario/runner.ts';
import { LiveScenarioCluster } from '../scenario/live-target.ts';
import { applyFault } from '../runtime/faults.ts';
import { ScenarioClusterWrapper, type ScenarioCluster } from '../scenario/target.ts';
import { UserError } from './user-error.ts';
import { DEFAULT_SETTINGS } from './cluster-settings.ts';

/** A lesson is named by its file in the library, without .yaml: never a path. */
export const LESSON_ID = /^[a-z0-9][a-z0-9_-]{0,99}$/i;
export const PROGRESS_FILE = 'lessons.json';
/** Past this the progress file is not read: nothing this app writes comes near it. */
const MAX_PROGRESS_BYTES = 1 << 20;

/**
 * The library: beside the scenario runner when running from source; beside the bundle in a build
 * (electron.vite.config.ts copies the files there).
 */
export function defaultLibraryDir(): string {
  for (const url of [new URL('../scenario/library/', import.meta.url), new URL('./library/', import.meta.url)]) {
    const dir = fileURLToPath(url);
    if (existsSync(dir)) return dir;
  }
  return fileURLToPath(new URL('../scenario/library/', import.meta.url));
}

/** What the lesson service needs of the window's service: its way of starting clusters, the cluster, its monitor, its way of doing faults. */
export interface LessonHost {
  startCluster(settings: ClusterSettings): Promise<unknown>;
  cluster(): Cluster;
  monitor(): SafetyMonitor;
}

const progressEntry = z.strictObject({
  stepsDone: z.number().int().min(0).max(10_000),
  steps: z.number().int().min(0).max(10_000),
  passed: z.boolean(),
  last: z.enum(['passed', 'failed', 'left']).nullable(),
  at: z.string().max(40),
});
// The lessons' entries are read from JSON.parse's own object, key by key: a record schema would copy
// a "__proto__" key into its prototype and let it pass unseen.
const progressFile = z.strictObject({ version: z.literal(1), lessons: z.custom<object>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'lessons is not an object') });

/** The lesson was left (or its cluster replaced) while it waited on the cluster: the run ends here. */
class LessonLeft extends Error {}

/** Which fault the lesson asks for, as the step wrote it ("the leader") and as it resolved (n2). */
interface Asked {
  fault: Fault;
  ref: ScenarioFault | null;
  /** What the node the lesson called "the leader" is called by its algorithm (its roleLabels: a primary, say). */
  role: string | null;
  done: boolean;
}

class LessonRun {
  readonly id: string;
  readonly scenario: Scenario;
  status: LessonView['status'] = 'running';
  left = false;
  readonly finished: StepResult[] = [];
  /** The step running now, as the runner fills it in (its events grow as it goes). */
  current: StepResult | null = null;
  waiting: { kind: 'ask'; asked: Asked[]; resolve: (left: Fault[]) => void } | { kind: 'pause'; message: string; resolve: () => void } | null = null;
  notice: string | null = null;
  result: string | null = null;
  version = 0;

  constructor(id: string, scenario: Scenario) {
    this.id = id;
    this.scenario = scenario;
  }

  changed(): void {
    this.version++;
  }

  /** Ends the waits and makes every later wait on the cluster throw LessonLeft. */
  leave(): void {
    this.left = true;
    const waiting = this.waiting;
    this.waiting = null;
    if (waiting?.kind === 'ask') waiting.resolve([]);
    else if (waiting?.kind === 'pause') waiting.resolve();
    this.changed();
  }
}

export class LessonService {
  private readonly dataDir: string;
  private readonly libraryDir: string;
  private readonly host: LessonHost;
  private run: LessonRun | null = null;
  /** Bumped when the window's lesson changes (another started, one left): what the update batches compare. */
  private generation = 0;
  private progress = new Map<string, LessonProgress>();
  private progressMessage: string | null = null;
  private readonly runs = new Set<Promise<void>>();

  constructor(dataDir: string, host: LessonHost, options: { libraryDir?: string } = {}) {
    this.dataDir = dataDir;
    this.host = host;
    this.libraryDir = options.libraryDir ?? defaultLibraryDir();
    this.loadProgress();
  }

  // -------------------------------------------------------------------------------------------
  // The list, and each lesson's progress

  list(): LessonList {
    const lessons: LessonListItem[] = [];
    for (const id of this.ids()) {
      let scenario: Scenario;
      try {
        scenario = this.load(id);
      } catch (error) {
        lessons.push({ id, title: id, summary: null, algorithm: '', steps: 0, handsOn: 0, progress: null, problem: (error as Error).message });
        continue;
      }
      // Written for interleavings only the simulator's exact stops reach: not a lesson for a live cluster.
      if (scenario.simulatorOnly !== null) continue;
      lessons.push({ id, title: scenario.title, summary: scenario.summary, algorithm: scenario.algorithm, steps: scenario.steps.length, handsOn: scenario.steps.filter((s) => s.asks.length > 0 || s.actions.some((a) => a.kind === 'pause')).length, progress: this.progress.get(id) ?? null, problem: null });
    }
    return { lessons, message: this.progressMessage };
  }

  private ids(): string[] {
    let files: string[];
    try {
      files = readdirSync(this.libraryDir);
    } catch (error) {
      throw new UserError(`the lesson library cannot be read: ${(error as Error).message}`);
    }
    return files
      .filter((f) => f.endsWith('.yaml'))
      .map((f) => f.slice(0, -'.yaml'.length))
      .filter((id) => LESSON_ID.test(id))
      .sort();
  }

  private load(id: string): Scenario {
    if (!LESSON_ID.test(id) || !this.ids().includes(id)) throw new UserError(`there is no lesson ${JSON.stringify(id.slice(0, 100))}`);
    const file = join(this.libraryDir, `${id}.yaml`);
    try {
      return parseScenario(readFileSync(file, 'utf8'), `${id}.yaml`);
    } catch (error) {
      if (error instanceof ScenarioFileError) throw new UserError(`the lesson ${id} cannot be read: ${error.message}`);
      throw new UserError(`the lesson ${id} cannot be read: ${(error as Error).message}`);
    }
  }

  private loadProgress(): void {
    const path = join(this.dataDir, PROGRESS_FILE);
    if (!existsSync(path)) return;
    const startOver = (why: string): void => {
      this.progress = new Map();
      this.progressMessage = `${PROGRESS_FILE} in the data folder could not be read (${why}): lesson progress starts over`;
    };
    try {
      if (statSync(path).size > MAX_PROGRESS_BYTES) return startOver(`larger than ${MAX_PROGRESS_BYTES / 2 ** 20} MiB`);
      const raw = JSON.parse(readFileSync(path, 'utf8')) as { lessons?: object };
      const parsed = progressFile.safeParse(raw);
      if (!parsed.success) return startOver(parsed.error.issues[0]?.message ?? 'not a progress file');
      const progress = new Map<string, LessonProgress>();
      for (const [id, value] of Object.entries(raw.lessons as object)) {
        const entry = progressEntry.safeParse(value);
        if (!LESSON_ID.test(id) || !entry.success) return startOver(`its entry ${JSON.stringify(id.slice(0, 40))} is not a lesson's progress`);
        progress.set(id, entry.data);
      }
      this.progress = progress;
    } catch (error) {
      startOver(error instanceof SyntaxError ? 'not JSON' : (error as Error).message);
    }
  }

  private record(run: LessonRun, last: LessonProgress['last']): void {
    const before = this.progress.get(run.id);
    const stepsDone = run.finished.filter((s) => s.error === null).length;
    this.progress.set(run.id, {
      stepsDone: Math.max(before?.stepsDone ?? 0, stepsDone),
      steps: run.scenario.steps.length,
      passed: (before?.passed ?? false) || last === 'passed',
      last: last ?? before?.last ?? null,
      at: new Date().toISOString(),
    });
    const path = join(this.dataDir, PROGRESS_FILE);
    const body = JSON.stringify({ version: 1, lessons: Object.fromEntries(this.progress) }, null, 1);
    try {
      // Whole or not at all: a crash mid-write leaves the last good file.
      writeFileSync(`${path}.tmp`, body);
      renameSync(`${path}.tmp`, path);
      this.progressMessage = null;
    } catch (error) {
      this.progressMessage = `lesson progress could not be saved in ${PROGRESS_FILE}: ${(error as Error).message}`;
    }
  }

  // -------------------------------------------------------------------------------------------
  // Running one

  /** Starts the lesson on a new cluster of its file's settings; the lesson running before ends. */
  async start(id: string): Promise<LessonView> {
    const scenario = this.load(id);
    if (scenario.simulatorOnly !== null) throw new UserError(`the lesson ${id} runs on the simulator only (${scenario.simulatorOnly}): run it with \`npx consensus-playground scenario run\``);
    this.end();
    await this.host.startCluster(settingsOf(scenario));
    const run = new LessonRun(id, scenario);
    this.run = run;
    this.generation++;
    const extra = networkRuleOf(scenario);
    if (extra !== null) await applyFault(this.host.cluster(), { kind: 'network', rule: extra });
    const running = this.drive(run);
    this.runs.add(running);
    void running.finally(() => this.runs.delete(running));
    return this.view() as LessonView;
  }

  private async drive(run: LessonRun): Promise<void> {
    const person: Person = {
      asked: (faults, step) => {
        run.current = step;
        const asks = run.scenario.steps[step.index]?.asks ?? [];
        return new Promise<Fault[]>((resolve) => {
          if (run.left) return resolve([]);
          const roleOf = (fault: Fault): string | null => {
            const node = 'node' in fault ? fault.node : fault.kind === 'partition' && fault.groups[0]?.length === 1 ? fault.groups[0][0] : undefined;
            const role = node === undefined ? undefined : this.host.cluster().status(node)?.role;
            return role === undefined ? null : (getAlgorithm(run.scenario.algorithm)?.roleLabels?.[role] ?? role);
          };
          run.waiting = { kind: 'ask', asked: faults.map((fault, i) => ({ fault, ref: asks[i] ?? null, role: roleOf(fault), done: false })), resolve };
          run.notice = null;
          run.changed();
        });
      },
      paused: (message, step) => {
        run.current = step;
        return new Promise<void>((resolve) => {
          if (run.left) return resolve();
          run.waiting = { kind: 'pause', message, resolve };
          run.changed();
        });
      },
      progress: (step) => {
        run.current = step;
        run.changed();
      },
    };
    try {
      const result = await runScenario(run.scenario, {
        person,
        cancelled: () => run.left,
        cluster: async (setup) => new LessonCluster(new LiveScenarioCluster(this.host.cluster(), { ...setup, monitor: this.host.monitor() }, { owned: false }), run),
        onStep: (step) => {
          // A step that ended because the person left it (a pause let go) is not a step done.
          if (run.left) return;
          run.finished.push(step);
          run.current = null;
          run.changed();
          this.record(run, null);
        },
      });
      if (run.left) {
        this.record(run, 'left');
        return;
      }
      run.status = result.passed ? 'passed' : 'failed';
      run.result = result.passed ? 'Passed: every step ran and everything it expected held.' : failureOf(result.steps, run.scenario.steps.length);
      this.record(run, result.passed ? 'passed' : 'failed');
    } catch (error) {
      if (run.left || error instanceof LessonLeft) {
        this.record(run, 'left');
        return;
      }
      run.status = 'failed';
      run.result = error instanceof ScenarioSetupError ? `The lesson could not start: ${error.message}` : `The lesson stopped: ${(error as Error).message}`;
      this.record(run, 'failed');
    } finally {
      run.waiting = null;
      run.current = null;
      run.changed();
    }
  }

  /** Ends the lesson shown (running or over): the cluster stays, for free play. */
  private end(): void {
    const run = this.run;
    if (run === null) return;
    if (run.status === 'running') run.leave();
    this.run = null;
    this.generation++;
  }

  /** The window's cluster is about to be replaced: the lesson on it ends. */
  clusterChanging(): void {
    this.end();
  }

  act(action: LessonAction): LessonView | null {
    const run = this.run;
    if (run === null) throw new UserError('no lesson is running: pick one in Lessons');
    switch (action) {
      case 'leave':
        this.end();
        return null;
      case 'continue': {
        const waiting = run.waiting;
        if (waiting?.kind !== 'pause') throw new UserError('the lesson is not waiting for you to go on');
        run.waiting = null;
        run.changed();
        waiting.resolve();
        return this.view();
      }
      case 'do-it-for-me': {
        const waiting = run.waiting;
        if (waiting?.kind !== 'ask') throw new UserError('the lesson is not asking you to do anything');
        run.waiting = null;
        run.notice = null;
        run.changed();
        waiting.resolve(waiting.asked.filter((a) => !a.done).map((a) => a.fault));
        return this.view();
      }
    }
  }

  /**
   * A fault the person did by hand in the window. While the lesson asks for faults, the one it
   * matches counts as done; any other is said, and the lesson keeps waiting.
   */
  observed(fault: Fault): void {
    const run = this.run;
    const waiting = run?.waiting;
    if (run === null || waiting?.kind !== 'ask') return;
    const match = waiting.asked.find((a) => !a.done && sameFault(a.fault, fault));
    if (match === undefined) {
      const open = waiting.asked.filter((a) => !a.done);
      run.notice = `That was: ${faultInWords(fault, null)}. The lesson asks you to ${open.map((a) => faultInWords(a.fault, a.ref, a.role)).join(', then ')}.`;
      run.changed();
      return;
    }
    match.done = true;
    run.notice = null;
    run.changed();
    if (waiting.asked.every((a) => a.done)) {
      run.waiting = null;
      waiting.resolve([]);
    }
  }

  /** The lesson shown in the window (null: none), as it is now. */
  view(): LessonView | null {
    const run = this.run;
    if (run === null) return null;
    const steps: LessonStepView[] = run.finished.map((s) => stepView(s, 'done'));
    if (run.status === 'running') {
      const index = run.current?.index ?? run.finished.length;
      const planned = run.scenario.steps[index];
      if (run.current !== null) steps.push(stepView(run.current, 'running'));
      else if (planned !== undefined) steps.push({ index, line: planned.line, narrate: planned.narrate, events: [], checks: [], error: null, state: 'running' });
    }
    const waiting = run.waiting;
    return {
      id: run.id,
      title: run.scenario.title,
      summary: run.scenario.summary,
      algorithm: run.scenario.algorithm,
      totalSteps: run.scenario.steps.length,
      status: run.status,
      steps,
      waiting: waiting === null ? null : waiting.kind === 'pause' ? { kind: 'pause', message: waiting.message } : { kind: 'ask', faults: waiting.asked.map(askedView) },
      notice: run.notice,
      result: run.result,
      version: this.generation * 1_000_000 + run.version,
    };
  }

  /** Bumped whenever view() would answer differently: the service sends the view when it changed. */
  viewVersion(): number {
    return this.generation * 1_000_000 + (this.run?.version ?? 0);
  }

  /** The app closes: the lesson ends, and its run finishes before the cluster stops. */
  async close(): Promise<void> {
    this.end();
    await Promise.all([...this.runs]);
  }

  /** For tests: once the lesson running now has finished. */
  async settled(): Promise<void> {
    await Promise.all([...this.runs]);
  }
}

/** The window's cluster as a lesson's: once the lesson is left, every wait on it ends the run. */
class LessonCluster extends ScenarioClusterWrapper {
  private readonly run: LessonRun;

  constructor(inner: LiveScenarioCluster, run: LessonRun) {
    super(inner);
    this.run = run;
  }

  private check(): void {
    if (this.run.left) throw new LessonLeft('the lesson was left');
  }

  override async runFor(ms: number): Promise<void> {
    await this.runUntil(() => false, ms);
  }

  override async runUntil(predicate: () => boolean, limitMs: number): Promise<boolean> {
    this.check();
    return this.inner.runUntil(() => {
      this.check();
      return predicate();
    }, limitMs);
  }

  override async fault(fault: Fault): Promise<void> {
    this.check();
    await this.inner.fault(fault);
  }

  override async setWorkloadRunning(running: boolean): Promise<void> {
    this.check();
    await this.inner.setWorkloadRunning(running);
  }

  override submit(...args: Parameters<ScenarioCluster['submit']>): void {
    this.check();
    this.inner.submit(...args);
  }

  override async finalReads(quietMs: number, keys: readonly string[]): Promise<number> {
    this.check();
    return this.inner.finalReads(quietMs, keys);
  }
}

/** The window's settings for a lesson's cluster: its file's algorithm, options, nodes and seed, at a speed to watch. */
export function settingsOf(scenario: Scenario): ClusterSettings {
  const delay = scenario.network.delayMs;
  return { ...DEFAULT_SETTINGS, algorithm: scenario.algorithm, options: scenario.options, nodes: scenario.nodes, seed: scenario.seed, networkDelayMs: typeof delay === 'number' ? delay : DEFAULT_NETWORK_DELAY_MS };
}

/** The rest of the file's network (jitter, drops...), beyond the delay every cluster starts with; null when there is none. */
function networkRuleOf(scenario: Scenario): Record<string, number> | null {
  const rest = Object.entries(scenario.network).filter(([key]) => key !== 'delayMs');
  return rest.length === 0 ? null : Object.fromEntries(rest);
}

function stepView(step: StepResult, state: LessonStepView['state']): LessonStepView {
  return { index: step.index, line: step.line, narrate: step.narrate, events: [...step.events], checks: step.checks.map((c) => ({ ...c })), error: step.error, state };
}

function failureOf(steps: readonly StepResult[], total: number): string {
  const broken = steps.find((s) => s.error !== null);
  if (broken) return `Failed at step ${broken.index + 1}: ${broken.error}`;
  const failed = steps.flatMap((s) => s.checks.filter((c) => !c.ok).map((c) => `step ${s.index + 1}: ${c.text}`));
  if (failed.length > 0) return `Failed: ${failed.join('; ')}`;
  return `Stopped after ${steps.length} of ${total} steps`;
}

function askedView(asked: Asked): AskedFaultView {
  return { text: describeFault(asked.fault), words: faultInWords(asked.fault, asked.ref, asked.role), how: howTo(asked.fault, asked.ref), done: asked.done };
}

// -------------------------------------------------------------------------------------------
// Faults compared, and said in words

const groupKey = (groups: readonly (readonly NodeId[])[]): string =>
  JSON.stringify(
    groups
      .filter((g) => g.length > 0)
      .map((g) => [...new Set(g)].sort())
      .sort((a, b) => (a.join() < b.join() ? -1 : 1)),
  );

/** A rule matches when every setting the lesson names is the one done. */
function sameRule(asked: Record<string, unknown> | null, done: Record<string, unknown> | null): boolean {
  if (asked === null || done === null) return asked === done;
  return Object.entries(asked).every(([key, value]) => done[key] === value);
}

/** Whether the person did the fault asked: the same kind, on the same nodes (a partition's groups as sets). */
export function sameFault(asked: Fault, done: Fault): boolean {
  switch (asked.kind) {
    case 'crash':
    case 'restart':
    case 'pause':
    case 'resume':
    case 'add-node':
      return done.kind === asked.kind && done.node === asked.node;
    case 'cut':
    case 'uncut':
      return done.kind === asked.kind && done.from === asked.from && done.to === asked.to;
    case 'partition':
      return done.kind === 'partition' && groupKey(done.groups) === groupKey(asked.groups);
    case 'heal':
      return done.kind === 'heal';
    case 'link':
      return done.kind === 'link' && done.from === asked.from && done.to === asked.to && sameRule(asked.rule, done.rule);
    case 'network':
      return done.kind === 'network' && sameRule(asked.rule, done.rule);
    case 'clock-skew':
      return done.kind === 'clock-skew' && done.node === asked.node && done.offsetMs === asked.offsetMs && done.drift === asked.drift;
    case 'admin':
      return done.kind === 'admin' && done.node === asked.node && JSON.stringify(done.command) === JSON.stringify(asked.command);
  }
}

/** "the leader, n2" (or "the primary, n2") where the lesson named the node by what it is; "n2" otherwise. */
function named(node: NodeId, ref: string | undefined, role: string | null): string {
  if (ref === 'leader') return `the ${role !== null && /^[a-z-]{1,30}$/.test(role) ? role : 'leader'}, ${node}`;
  if (ref === 'follower') return `a follower, ${node}`;
  return node;
}

const set = (group: readonly NodeId[]): string => `{${group.join(', ')}}`;

function ruleWords(rule: Record<string, unknown> | null): string {
  if (rule === null) return 'the rule every link has';
  return Object.entries(rule)
    .map(([key, value]) => `${key} ${String(value)}`)
    .join(', ');
}

/** A fault as a sentence to a person: "kill the leader, n2". `role`: what the algorithm calls the node the lesson calls the leader. */
export function faultInWords(fault: Fault, ref: ScenarioFault | null, role: string | null = null): string {
  const node = ref !== null && 'node' in ref ? ref.node : undefined;
  switch (fault.kind) {
    case 'crash':
      return `kill ${named(fault.node, node, role)}`;
    case 'restart':
    case 'pause':
    case 'resume':
      return `${fault.kind} ${named(fault.node, node, role)}`;
    case 'add-node':
      return `add a node (${fault.node})`;
    case 'cut':
      return `cut the link ${fault.from} → ${fault.to}`;
    case 'uncut':
      return `heal the link ${fault.from} → ${fault.to}`;
    case 'partition': {
      if (ref?.kind === 'isolate' && fault.groups[0]?.length === 1) return `cut ${named(fault.groups[0][0] as NodeId, ref.node, role)} off from the others`;
      return `split the network into ${fault.groups.filter((g) => g.length > 0).map(set).join(' and ')}`;
    }
    case 'heal':
      return 'heal the network';
    case 'link':
      return fault.rule === null ? `take the link ${fault.from} → ${fault.to} back to the rule every link has` : `give the link ${fault.from} → ${fault.to} ${ruleWords(fault.rule)}`;
    case 'network':
      return fault.rule === null ? 'set every link back to how the cluster started' : `give every link ${ruleWords(fault.rule)}`;
    case 'clock-skew':
      return `set ${named(fault.node, node, role)}'s clock ${fault.offsetMs} ms off, running ${Math.round(fault.drift * 100)}% fast`;
    case 'admin':
      return `send ${fault.node} the command ${fault.command.type}`;
  }
}

/** Where in the window the person does it. */
function howTo(fault: Fault, ref: ScenarioFault | null): string | null {
  switch (fault.kind) {
    case 'crash':
      return `Kill on ${fault.node}'s card`;
    case 'restart':
      return `Restart on ${fault.node}'s card`;
    case 'pause':
      return `Pause on ${fault.node}'s card`;
    case 'resume':
      return `Resume on ${fault.node}'s card`;
    case 'partition': {
      const side = ref?.kind === 'isolate' ? fault.groups[0] : fault.groups.find((g) => g.length > 0);
      return side === undefined ? null : `pick ${side.join(' and ')} (⋯ on the card, then Pick for partition), then Partition in the top bar`;
    }
    case 'heal':
      return 'Heal in the top bar';
    case 'cut':
    case 'uncut':
      return 'the link between them in the ring, one way';
    case 'clock-skew':
      return `⋯ on ${fault.node}'s card, then Skew clock`;
    case 'admin':
      return `⋯ on the card of the node it is about`;
    case 'link':
    case 'network':
      return 'the Network panel';
    case 'add-node':
      return 'Add node in the top bar';
  }
}
