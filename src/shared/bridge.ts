// Everything the window may ask of the app, and everything it hears back. The preload exposes
// exactly this interface in the desktop app; browser mode serves the same over a WebSocket. Every
// call answers with a Result: an error is a value with a message for people, never a throw across
// the bridge.

import { CONSISTENCY_NAMES, weakerThan, type ConsistencyName, type ConsistencyVerdict } from './consistency.ts';
import type { AlgorithmInfo } from './algorithm.ts';
import type { HistoryEvent, OpValue, RequestFunction, WorkloadDataType } from './history.ts';
import type { JournalEvent } from './journal.ts';
import type { KvOp, LogEntry, NodeId, NodeStatus } from './protocol.ts';

export type AppMode = 'electron' | 'browser';

export type Result<T> = { ok: true; value: T } | { ok: false; error: string };

export interface ClusterSettings {
  /** A name from the algorithm registry (AppState.algorithms). */
  algorithm: string;
  /**
   * The algorithm's own options, by the keys of its option fields (AlgorithmInfo.options; times in
   * ticks of TICK_MS). Missing ones take their defaults; the running cluster's state shows them all.
   */
  options: Record<string, unknown>;
  /** 1 to 15 */
  nodes: number;
  seed: number;
  sync: 'full' | 'normal';
  /** Delay of every link, so that messages can be watched crossing it. */
  networkDelayMs: number;
  /** 0.01 to 100 */
  speed: number;
}

/** A new cluster's delay on every link: slow enough to watch messages cross. */
export const DEFAULT_NETWORK_DELAY_MS = 20;

/** The bounds of every harness setting, checked by the app and by the window's forms alike. */
export const SETTING_LIMITS = {
  nodes: { min: 1, max: 15, integer: true },
  seed: { min: 0, max: 4_294_967_295, integer: true },
  networkDelayMs: { min: 0, max: 10_000, integer: false },
  speed: { min: 0.01, max: 100, integer: false },
} as const;

export type NumericSetting = keyof typeof SETTING_LIMITS;

/** The speeds the time bar offers and the + and - keys step through. */
export const SPEEDS: readonly number[] = [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 100];

/** The longest delay or jitter a link may be given. */
export const MAX_LINK_DELAY_MS = 60_000;

export interface LinkRuleView {
  /** 0 to 1 */
  drop: number;
  delayMs: number;
  jitterMs: number;
  /** 0 to 1 */
  duplicate: number;
  /** 0 to 1 */
  reorder: number;
}

/** Every link's rule when a cluster with these settings starts: delay as set, jitter a quarter of it. */
export function startingLinkRule(settings: Pick<ClusterSettings, 'networkDelayMs'>): LinkRuleView {
  return { drop: 0, delayMs: settings.networkDelayMs, jitterMs: settings.networkDelayMs / 4, duplicate: 0, reorder: 0 };
}

export function sameLinkRule(a: LinkRuleView, b: LinkRuleView): boolean {
  return a.drop === b.drop && a.delayMs === b.delayMs && a.jitterMs === b.jitterMs && a.duplicate === b.duplicate && a.reorder === b.reorder;
}

/** The rule messages from `from` to `to` travel under. */
export function linkRuleOf(network: NetworkView, from: NodeId, to: NodeId): LinkRuleView {
  return network.links.find((l) => l.from === from && l.to === to)?.rule ?? network.defaultRule;
}

export type NodeState = 'up' | 'paused' | 'down' | 'failed';

export interface NodeView {
  id: NodeId;
  state: NodeState;
  /** The last status the node reported; null before it first started. */
  status: NodeStatus | null;
  /** Why a failed node cannot run (a corrupt file, an algorithm that threw). */
  failure: string | null;
  file: string;
  /** Its clock, when a clock-skew fault moved it: how far off it reads, how much faster it runs. */
  clock?: { offsetMs: number; drift: number };
}

export interface NetworkView {
  /** Cut links, one way each: [from, to]. */
  cuts: Array<[NodeId, NodeId]>;
  defaultRule: LinkRuleView;
  /** Links with a rule of their own. */
  links: Array<{ from: NodeId; to: NodeId; rule: LinkRuleView }>;
}

export interface ClockView {
  virtualMs: number;
  speed: number;
  paused: boolean;
}

export interface ExplainedOperationView {
  id: number;
  process: number;
  description: string;
  /** Nanoseconds from the start of the history. */
  start: number;
  end: number | null;
}

/** One operation of a witness, with what the window needs to find it among the client events it shows. */
export interface WitnessOperationView {
  id: number;
  process: number;
  description: string;
  /**
   * The `time` of the operation's invoke and completion events (HistoryEvent.time, nanoseconds);
   * end null when it never completed. A process has one operation open at a time, so (process,
   * start) names one invoke and (process, end) its completion.
   */
  start: number | null;
  end: number | null;
}

/** One consistency model's verdict on the client history so far. */
export interface ModelVerdictView {
  model: ConsistencyName;
  verdict: ConsistencyVerdict;
  /** The verdict follows through the hierarchy from this model's; its own search did not run. */
  impliedBy: ConsistencyName | null;
  /** With 'unknown': why (not checked yet, out of budget, no check in this build...). */
  reason: string | null;
  /** With 'false': the anomaly, the operations that form it, and why they do. */
  witness: null | { anomaly: string; why: string; operations: WitnessOperationView[] };
}

export interface HealthView {
  violations: Array<{ property: string; message: string; time: number }>;
  linearizable: 'true' | 'false' | 'unknown';
  operations: number;
  /** The model the algorithm promises its clients; null when the algorithm is not known here. */
  promises: ConsistencyName | null;
  /** Every model of CONSISTENCY_NAMES, in that order. */
  models: ModelVerdictView[];
  /** The models that hold with no stronger one holding. */
  strongest: ConsistencyName[];
  /** Present when linearizable is false: the failing key's operations, drawn as bars. */
  explanation: null | {
    key: string;
    processes: Array<{ process: number; operations: ExplainedOperationView[] }>;
    longestPrefix: number[];
    cannotPlace: number[];
    text: string;
  };
}

/** Every model, none checked yet: what the window shows before the first round of checks. */
export function modelsNotChecked(reason = 'not checked yet'): ModelVerdictView[] {
  return CONSISTENCY_NAMES.map((model) => ({ model, verdict: 'unknown', impliedBy: null, reason, witness: null }));
}

/**
 * How a model stands to the one an algorithm promises: the promise itself and every model it
 * implies must hold (breaking one is a bug); any other model may break by design.
 */
export function promiseRelation(model: ConsistencyName, promised: ConsistencyName | null): 'promised' | 'implied' | 'not promised' {
  if (promised === null) return 'not promised';
  if (model === promised) return 'promised';
  return weakerThan(promised).has(model) ? 'implied' : 'not promised';
}

/** One second of the cluster's life, for the charts. */
export interface MetricsPoint {
  /** Seconds since the cluster (or the replayed session) started (real time). */
  t: number;
  commits: number;
  latencyP50: number | null;
  latencyP99: number | null;
  elections: number;
  /** Messages sent, by type (none in a replay of a session recorded before they were counted). */
  messages: Record<string, number>;
}

export interface WorkloadSettings {
  /** Operations per second, all clients together; 0 stops the workload. */
  rate: number;
  clients: number;
  keys: number;
  /** What the keys hold (default: registers). */
  dataType?: WorkloadDataType;
  /** Weights of the data type's requests; absent ones get none (or the data type's default mix, when none is named). */
  mix: Partial<Record<RequestFunction, number>>;
}

export interface AppState {
  settings: ClusterSettings;
  /** Every algorithm the app can run, as its descriptor describes it (the first is the default). */
  algorithms: AlgorithmInfo[];
  /** The harness's tick: an option in ticks lasts this many milliseconds each. */
  tickMs: number;
  nodes: NodeView[];
  network: NetworkView;
  clock: ClockView;
  health: HealthView;
  workload: WorkloadSettings | null;
  /** The data types the running cluster serves, each with the requests it takes (its algorithm with its options). */
  serves: Partial<Record<WorkloadDataType, readonly RequestFunction[]>>;
  dataDir: string;
}

/** What the window receives, at most a few times a second. */
export interface UpdateBatch {
  state: AppState;
  /** Journal events since the last batch, oldest first, at most MAX_EVENTS_PER_BATCH. */
  events: JournalEvent[];
  /** Events left out of this batch because there were too many to draw. */
  skipped: number;
  metrics: MetricsPoint[];
  /** While a comparison runs (and once after it stops): both sides as they are now. */
  comparison?: ComparisonBatch;
  /** The lesson shown, when it changed since the last batch (null: it ended). */
  lesson?: LessonView | null;
}

export const MAX_EVENTS_PER_BATCH = 400;

/**
 * The largest call (method and arguments as JSON) the app takes over a socket. Every call the API's
 * schemas accept fits in it, so a valid call is never cut off by the transport (test/app/api.test.ts).
 */
export const MAX_CALL_BYTES = 1 * 2 ** 20;

/** Browser mode's WebSocket subprotocol; the page's token travels beside it as `token.<token>`. */
export const BRIDGE_PROTOCOL = 'playground';
export const TOKEN_PROTOCOL_PREFIX = 'token.';

/** What the harness does to a node, whatever the algorithm; its own commands go by nodeCommand. */
export type NodeAction = 'kill' | 'restart' | 'pause' | 'resume' | 'remove';

export type ClientTarget = NodeId | 'leader';

export interface ClientOutcome {
  type: 'ok' | 'fail' | 'info';
  /** The value read, or the value written. */
  value: OpValue;
  /** The node that answered last. */
  node: NodeId | null;
  error: string | null;
  ms: number;
}

export interface TableView {
  name: string;
  columns: string[];
  rows: unknown[][];
  total: number;
}

export interface NodeInspection {
  node: NodeView;
  progress: Array<{ peer: NodeId; match: number; next: number; state: string }>;
  kv: Array<[string, unknown]>;
  log: { first: number; last: number; entries: LogEntry[] };
  tables: TableView[];
}

/** A recorded session as the list of recent sessions shows it. */
export interface SessionListItem {
  /** The file's name in the data folder: how the window refers to a session. */
  name: string;
  mode: 'live' | 'sim';
  algorithm: string;
  nodes: number;
  seed: number;
  startedAt: string;
  /** Null while the session is still being recorded or if it was never closed. */
  durationMs: number | null;
  faults: string[];
  /** e.g. "linearizable, no violations"; "recording" for the cluster running now. */
  verdict: string;
  /** The strongest consistency models that held when the session closed; null if it kept none (older sessions). */
  strongest: ConsistencyName[] | null;
  recording: boolean;
  /** On disk: the session file and its node files, what deleting it frees. */
  bytes: number;
}

/** How much disk the recorded sessions may keep, and what they keep now. */
export interface RetentionView {
  /** Past this the oldest sessions are deleted (never the one being recorded, nor one open for replay). */
  limitBytes: number;
  /** Every session's file and node files together. */
  usedBytes: number;
  minBytes: number;
  maxBytes: number;
  /** The last sessions deleted to stay under the limit, and when (ISO); null before any. */
  lastPruned: { at: string; sessions: string[]; freedBytes: number } | null;
  /** Why the saved setting was not used (a broken settings file), or null. */
  message: string | null;
}

/** A recorded session at one moment, shaped like the live state so every view can draw it. */
export interface ReplayFrame {
  name: string;
  durationMs: number;
  firstViolationMs: number | null;
  state: AppState;
  events: JournalEvent[];
  inFlight: Array<{ src: NodeId; dest: NodeId; type: string; sentAt: number }>;
  /** The newest client operation events up to the moment, newest last, with their times. */
  history: Array<{ time: number; event: HistoryEvent }>;
  /** The minute before the moment, second by second, as far as the recording holds it. */
  metrics: MetricsPoint[];
  /** False for a session recorded before messages were counted: its metrics have none. */
  countsMessages: boolean;
  previousEventMs: number | null;
  nextEventMs: number | null;
}

/**
 * What a comparison does to both of its clusters at once, at the same node positions (n2 of A and
 * n2 of B): the faults of src/shared/fault.ts that mean the same thing whatever the algorithm.
 */
export type ComparisonFault =
  | { kind: 'crash'; node: NodeId }
  | { kind: 'restart'; node: NodeId }
  | { kind: 'pause'; node: NodeId }
  | { kind: 'resume'; node: NodeId }
  | { kind: 'cut'; from: NodeId; to: NodeId }
  | { kind: 'uncut'; from: NodeId; to: NodeId }
  | { kind: 'partition'; groups: NodeId[][] }
  | { kind: 'heal' }
  | { kind: 'clock-skew'; node: NodeId; offsetMs: number; drift: number };

/** One side's client history, measured: what the comparison panel shows for it. */
export interface ComparisonMeasures {
  /** Operations invoked, and how those that ended ended. */
  ops: number;
  ok: number;
  fail: number;
  info: number;
  /** Acknowledged writes the final reads no longer hold; null until final reads tell (at stop). */
  lostWrites: number | null;
  /** Every model of CONSISTENCY_NAMES, in that order, as the consistency map draws them. */
  models: ModelVerdictView[];
  strongest: ConsistencyName[];
  /** Whether the model the algorithm promises still holds (true while it is not known to break). */
  kept: boolean;
  p50Ms: number | null;
  p99Ms: number | null;
  /** ok over tried, all along; null before any operation ended. */
  availability: number | null;
  /** ok and tried per bucket of ComparisonView.bucketMs, from the workload's start. */
  series: Array<{ startMs: number; ok: number; tried: number }>;
  /** ComparisonView.elapsedMs when these were measured. */
  atMs: number;
}

export interface ComparisonSideView {
  label: 'A' | 'B';
  settings: ClusterSettings;
  /** The algorithm's title, as its descriptor gives it. */
  title: string;
  promises: ConsistencyName | null;
  nodes: NodeView[];
  network: NetworkView;
  clock: ClockView;
  /** The algorithm's own invariants that broke (its safety monitor's findings). */
  violations: Array<{ property: string; message: string; time: number }>;
  /** Null until the first measures come. */
  measures: ComparisonMeasures | null;
  dataDir: string;
}

/** Two clusters run side by side: one workload, one schedule of faults. */
export interface ComparisonView {
  running: boolean;
  /** Milliseconds since the workload started (frozen once stopped). */
  elapsedMs: number;
  workload: WorkloadSettings;
  /** Every fault done to both sides, oldest first, at the comparison's times. */
  faults: Array<{ timeMs: number; text: string }>;
  sides: [ComparisonSideView, ComparisonSideView];
  /** The width of the availability chart's buckets. */
  bucketMs: number;
  tickMs: number;
  /** Why the measures, or a side, stopped; null while all is well. */
  error: string | null;
}

/** A comparison as each update batch carries it: both sides now, and the journal events since the last batch. */
export interface ComparisonBatch {
  view: ComparisonView;
  events: [JournalEvent[], JournalEvent[]];
}

export interface PlaygroundApi extends LessonsApi {
  getState(): Promise<Result<AppState>>;
  newCluster(settings: ClusterSettings): Promise<Result<AppState>>;
  nodeAction(node: NodeId, action: NodeAction): Promise<Result<string>>;
  /** One of the algorithm's node actions (AlgorithmInfo.actions), by id, on that node's card. */
  nodeCommand(node: NodeId, action: string): Promise<Result<string>>;
  /** A clock-skew fault: the node's clock reads `offsetMs` off and runs `drift` faster (0.1: 10%); 0 and 0 set it right. */
  skewClock(node: NodeId, offsetMs: number, drift: number): Promise<Result<string>>;
  addNode(): Promise<Result<NodeId>>;
  cutLink(from: NodeId, to: NodeId, bothWays: boolean): Promise<Result<NetworkView>>;
  healLink(from: NodeId, to: NodeId, bothWays: boolean): Promise<Result<NetworkView>>;
  partition(groups: NodeId[][]): Promise<Result<NetworkView>>;
  heal(): Promise<Result<NetworkView>>;
  /**
   * A rule for one link (from and to given), or for every link (both null). A null rule takes the
   * link back to the every-link rule, or every link back to how the cluster started.
   */
  setLinkRule(from: NodeId | null, to: NodeId | null, rule: Partial<LinkRuleView> | null): Promise<Result<NetworkView>>;
  clock(action: 'play' | 'pause' | 'step'): Promise<Result<ClockView>>;
  setSpeed(speed: number): Promise<Result<ClockView>>;
  clientOperation(target: ClientTarget, op: KvOp, timeoutMs: number): Promise<Result<ClientOutcome>>;
  setWorkload(workload: WorkloadSettings | null): Promise<Result<WorkloadSettings | null>>;
  inspectNode(node: NodeId, logFrom: number, logCount: number): Promise<Result<NodeInspection>>;
  listSessions(): Promise<Result<SessionListItem[]>>;
  replayMoment(session: string, timeMs: number): Promise<Result<ReplayFrame>>;
  replayInspect(session: string, node: NodeId, timeMs: number, logFrom: number, logCount: number): Promise<Result<NodeInspection>>;
  /** Starts a live cluster from every node's durable state at that moment of the session. */
  forkReplay(session: string, timeMs: number): Promise<Result<AppState>>;
  /** Writes the session's data set into the data folder; answers with the folder. */
  exportSession(session: string): Promise<Result<string>>;
  /** Deletes recorded sessions and their node files (never the one being recorded); answers with the list left. */
  deleteSessions(sessions: string[]): Promise<Result<SessionListItem[]>>;
  getRetention(): Promise<Result<RetentionView>>;
  /** Saves the limit and deletes the oldest sessions past it now. */
  setRetention(limitBytes: number): Promise<Result<RetentionView>>;
  /**
   * Starts two clusters side by side (stopping a comparison already running): each its algorithm
   * and options, the same harness settings (nodes, seed, delay, speed, sync), the same workload.
   */
  startComparison(a: ClusterSettings, b: ClusterSettings, workload: WorkloadSettings): Promise<Result<ComparisonView>>;
  /** A fault done to both sides at the same node positions; answers with what happened on each. */
  comparisonFault(fault: ComparisonFault): Promise<Result<string>>;
  /** Stops both sides; answers with their last picture and final measures (null: none ran). */
  stopComparison(): Promise<Result<ComparisonView | null>>;
  /** The comparison running or last stopped; null when none ran. */
  comparisonState(): Promise<Result<ComparisonView | null>>;
  /** What an algorithm with these options promises and serves, for a form to say before anything starts. */
  describeChoice(algorithm: string, options: Record<string, unknown>): Promise<Result<ChoiceDescription>>;

  // Challenges (src/main/app/challenges.ts)
  /** The built-in challenges, each configuration with its best score. */
  listChallenges(): Promise<Result<ChallengeList>>;
  /** A new cluster as the challenge's configuration (0-based) says, its workload running, and the budget watching every fault by hand. */
  startChallenge(id: string, configuration: number): Promise<Result<ChallengeView>>;
  /** The challenge being played or last judged; null when none (or it was left). */
  challengeState(): Promise<Result<ChallengeView | null>>;
  /** "I'm done": settles (for a lost write) and judges the attempt. */
  judgeChallenge(): Promise<Result<ChallengeView>>;
  /** Leaves the challenge; the cluster keeps running, free of any budget. */
  leaveChallenge(): Promise<Result<null>>;
}

/** A best score kept in the data folder (challenges.json). */
export interface ChallengeScoreView {
  faults: number;
  /** Milliseconds of the cluster's time the attempt took. */
  timeMs: number;
  /** When it was made (ISO 8601). */
  at: string;
}

export interface ChallengeInfo {
  id: string;
  title: string;
  /** Markdown: what to try. */
  summary: string;
  /** What wins, in words. */
  goal: string;
  budget: { faults: number; timeMs: number };
  configurations: Array<{ name: string; summary: string | null; algorithm: string; best: ChallengeScoreView | null }>;
}

export interface ChallengeList {
  challenges: ChallengeInfo[];
  /** Why the kept best scores could not be read (they start over), else null. */
  problem: string | null;
}

export interface ChallengeVerdictView {
  won: boolean;
  /** What the checker found, in words. */
  text: string;
  /** The checker's witness: the anomaly, the operations that make it, why. */
  witness: { anomaly: string; why: string; operations: string[] } | null;
  score: { faults: number; timeMs: number };
  /** This attempt is the configuration's best score now. */
  newBest: boolean;
  /** Not won, on a configuration no faults can win: the lesson. */
  correct: boolean;
}

export interface ChallengeView {
  id: string;
  title: string;
  summary: string;
  goal: string;
  /** 0-based, into ChallengeInfo.configurations. */
  configuration: number;
  configurationName: string;
  budget: { faults: number; timeMs: number };
  /** The faults that counted so far, as sentences. */
  faults: string[];
  /** Milliseconds of the cluster's time since the challenge started (at most the limit). */
  elapsedMs: number;
  status: 'playing' | 'judging' | 'won' | 'not won';
  verdict: ChallengeVerdictView | null;
  best: ChallengeScoreView | null;
  /** Something to tell the person beside the challenge (the scores file could not be read or written). */
  notice: string | null;
}

export interface ChoiceDescription {
  /** The consistency model it keeps with those options (null: none). */
  promises: string | null;
  /** The data types it serves, each with the requests it takes. */
  serves: Partial<Record<WorkloadDataType, readonly RequestFunction[]>>;
}

// -------------------------------------------------------------------------------------------
// Lessons (src/main/app/lessons.ts)

export interface LessonsApi {
  /** The library's lessons, each with how far the person got. */
  listLessons(): Promise<Result<LessonList>>;
  /** Starts a new cluster as the lesson's file says and runs the lesson on it (ending any other). */
  startLesson(id: string): Promise<Result<LessonView>>;
  /** The lesson shown now; null when none. */
  lessonState(): Promise<Result<LessonView | null>>;
  /** Continue at a pause, Do it for me where it asks, or Leave (the cluster stays: free play). */
  lessonAction(action: LessonAction): Promise<Result<LessonView | null>>;
}

export type LessonAction = 'continue' | 'do-it-for-me' | 'leave';

/** How far a lesson got, kept in the data folder. */
export interface LessonProgress {
  /** The most steps done in one run. */
  stepsDone: number;
  steps: number;
  /** Some run reached the end with everything it expected holding. */
  passed: boolean;
  /** How the last run ended (null: it has not ended). */
  last: 'passed' | 'failed' | 'left' | null;
  /** When this last changed (ISO). */
  at: string;
}

export interface LessonListItem {
  /** The lesson's file in the library, without .yaml. */
  id: string;
  title: string;
  /** Markdown. */
  summary: string | null;
  algorithm: string;
  steps: number;
  /** Steps where the lesson waits for the person: to break something, or to go on. */
  handsOn: number;
  progress: LessonProgress | null;
  /** Why the file cannot be run (a broken file), or null. */
  problem: string | null;
}

export interface LessonList {
  lessons: LessonListItem[];
  /** Why the kept progress was not used (a broken file), or null. */
  message: string | null;
}

export interface LessonStepView {
  index: number;
  line: number;
  /** Markdown, from the lesson's file. */
  narrate: string | null;
  events: string[];
  checks: Array<{ ok: boolean; text: string }>;
  error: string | null;
  state: 'running' | 'done';
}

export interface AskedFaultView {
  /** As the event log says it: "crash n2". */
  text: string;
  /** As a person says it: "kill the leader, n2". */
  words: string;
  /** Where in the window to do it. */
  how: string | null;
  done: boolean;
}

export interface LessonView {
  id: string;
  title: string;
  summary: string | null;
  algorithm: string;
  totalSteps: number;
  /** Running, or over (free play on the same cluster). */
  status: 'running' | 'passed' | 'failed';
  /** The steps done, and the one running. */
  steps: LessonStepView[];
  waiting: null | { kind: 'ask'; faults: AskedFaultView[] } | { kind: 'pause'; message: string };
  /** A fault done that is not the one asked for, said. */
  notice: string | null;
  /** At the end: passed, or what failed. */
  result: string | null;
  /** Changes whenever anything above does. */
  version: number;
}

export type ApiMethod = keyof PlaygroundApi;

export interface PlaygroundBridge extends PlaygroundApi {
  readonly mode: AppMode;
  readonly version: string;
  /** Calls `listener` with every update batch; returns a function that stops it. */
  onUpdate(listener: (batch: UpdateBatch) => void): () => void;
}

export const API_METHODS: readonly ApiMethod[] = [
  'getState',
  'newCluster',
  'nodeAction',
  'nodeCommand',
  'skewClock',
  'addNode',
  'cutLink',
  'healLink',
  'partition',
  'heal',
  'setLinkRule',
  'clock',
  'setSpeed',
  'clientOperation',
  'setWorkload',
  'inspectNode',
  'listSessions',
  'replayMoment',
  'replayInspect',
  'forkReplay',
  'exportSession',
  'deleteSessions',
  'getRetention',
  'setRetention',
  'startComparison',
  'comparisonFault',
  'stopComparison',
  'comparisonState',
  'describeChoice',
  'listChallenges',
  'startChallenge',
  'challengeState',
  'judgeChallenge',
  'leaveChallenge',
  'listLessons',
  'startLesson',
  'lessonState',
  'lessonAction',
];

declare global {
  interface Window {
    /** Present in the Electron window; absent in browser mode. */
    playground?: PlaygroundBridge;
  }
}
