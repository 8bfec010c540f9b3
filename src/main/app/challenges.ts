// Challenges in the window: an attempt on the service's own live cluster (its faults by hand go
// through the budget here before they are done), judged by the checker on the attempt's client
// history, and the best scores kept in the data folder (challenges.json), which the app reads
// with suspicion: a file that is damaged, foreign or hostile is set aside with a message and the
// scores start over, never a crash.

import { lstatSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ChallengeInfo, ChallengeList, ChallengeScoreView, ChallengeVerdictView, ChallengeView } from '../../shared/bridge.ts';
import type { Fault } from '../../shared/fault.ts';
import type { HistoryEvent } from '../../shared/history.ts';
import type { SafetyMonitor } from '../../nodes/monitor.ts';
import type { Cluster } from '../cluster/cluster.ts';
import { betterScore, BudgetLedger, GOAL_TEXT, judgeGoal, judgedAsItGoes, QUIET_MS, workloadKeys, type Challenge, type ChallengeScore, type GoalJudgement } from '../scenario/challenge.ts';
import { LiveScenarioCluster } from '../scenario/live-target.ts';
import { keysOf, settleCluster } from '../scenario/target.ts';
import { UserError } from './user-error.ts';

export const SCORES_FILE = 'challenges.json';
/** A scores file larger than this is not one the app wrote. */
const MAX_SCORES_BYTES = 1 << 20;
/** What judging as the history grows may search each second: the main thread routes every message. */
const TICK_JUDGE_MS = 200;
/** What the verdict may search: still on the thread that routes every message. */
const JUDGE_MS = 1000;
/** How long the verdict waits for the final reads to come back through the journal. */
const JOURNAL_WAIT_MS = 2000;

const SCORE_LIMITS = { entries: 10_000, name: 200 };

/** The best score of every challenge and configuration, as challenges.json keeps them. */
export class ScoreBook {
  private readonly path: string;
  private readonly best = new Map<string, ChallengeScoreView>();
  /** Why the file could not be read or written (said beside the challenges), else null. */
  problem: string | null = null;

  constructor(dataDir: string) {
    this.path = join(dataDir, SCORES_FILE);
    this.load();
  }

  private static key(id: string, configuration: string): string {
    return JSON.stringify([id, configuration]);
  }

  get(id: string, configuration: string): ChallengeScoreView | null {
    return this.best.get(ScoreBook.key(id, configuration)) ?? null;
  }

  /** Keeps `score` when it beats the best; true when it did. */
  record(id: string, configuration: string, score: ChallengeScore): boolean {
    if (!betterScore(score, this.get(id, configuration))) return false;
    this.best.set(ScoreBook.key(id, configuration), { faults: score.faults, timeMs: score.timeMs, at: new Date().toISOString() });
    this.save();
    return true;
  }

  private load(): void {
    let text: string;
    try {
      const stat = lstatSync(this.path);
      if (!stat.isFile()) return this.startOver('it is not a regular file');
      if (stat.size > MAX_SCORES_BYTES) return this.startOver(`it is ${stat.size} bytes, more than the app ever writes`);
      text = readFileSync(this.path, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      return this.startOver((error as Error).message);
    }
    let raw: unknown;
    try {
      raw = JSON.parse(text);
    } catch (error) {
      return this.startOver(`it is not JSON (${(error as Error).message})`);
    }
    const problem = this.read(raw);
    if (problem !== null) {
      this.best.clear();
      this.startOver(problem);
    }
  }

  /** Reads the file's content into `best`, checking every field by hand: no key of it ever becomes a property of anything. */
  private read(raw: unknown): string | null {
    const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (!isObject(raw) || raw.version !== 1 || !isObject(raw.best)) return 'it is not a scores file of this app (version 1, best)';
    let entries = 0;
    for (const [id, configurations] of Object.entries(raw.best)) {
      if (!isObject(configurations) || id.length > SCORE_LIMITS.name) return `challenge ${JSON.stringify(id.slice(0, 50))}: not a list of configurations`;
      for (const [name, score] of Object.entries(configurations)) {
        if (++entries > SCORE_LIMITS.entries) return `more than ${SCORE_LIMITS.entries} scores`;
        const ok = isObject(score) && name.length <= SCORE_LIMITS.name && Number.isInteger(score.faults) && (score.faults as number) >= 0 && (score.faults as number) <= 1000 && typeof score.timeMs === 'number' && Number.isFinite(score.timeMs) && score.timeMs >= 0 && typeof score.at === 'string' && score.at.length <= 40;
        if (!ok) return `the score of ${JSON.stringify(id.slice(0, 50))}, ${JSON.stringify(name.slice(0, 50))} is not a score`;
        this.best.set(ScoreBook.key(id, name), { faults: score.faults as number, timeMs: score.timeMs as number, at: score.at as string });
      }
    }
    return null;
  }

  private startOver(why: string): void {
    const aside = `${this.path}.unreadable`;
    let moved = false;
    try {
      renameSync(this.path, aside);
      moved = true;
    } catch {
      // Left where it is: the next save will say if it cannot replace it.
    }
    this.problem = `the best scores in ${SCORES_FILE} could not be read (${why}); they start over${moved ? ` (the file was kept as ${SCORES_FILE}.unreadable)` : ''}`;
  }

  private save(): void {
    const best: Record<string, Record<string, ChallengeScoreView>> = Object.create(null) as Record<string, Record<string, ChallengeScoreView>>;
    for (const [key, score] of this.best) {
      const [id, name] = JSON.parse(key) as [string, string];
      best[id] ??= Object.create(null) as Record<string, ChallengeScoreView>;
      (best[id] as Record<string, ChallengeScoreView>)[name] = score;
    }
    const temporary = `${this.path}.${process.pid}.tmp`;
    try {
      // Written whole, then moved over the old one: a crash leaves the old file or the new, never half.
      writeFileSync(temporary, `${JSON.stringify({ version: 1, best }, null, 2)}\n`);
      renameSync(temporary, this.path);
    } catch (error) {
      this.problem = `the best scores could not be saved in ${SCORES_FILE}: ${(error as Error).message}`;
    }
  }

  info(challenge: Challenge): ChallengeInfo {
    return {
      id: challenge.id,
      title: challenge.title,
      summary: challenge.summary,
      goal: GOAL_TEXT[challenge.goal],
      budget: { ...challenge.budget },
      configurations: challenge.configurations.map((c) => ({ name: c.name, summary: c.summary, algorithm: c.algorithm, best: this.get(challenge.id, c.name) })),
    };
  }

  list(challenges: readonly Challenge[]): ChallengeList {
    return { challenges: challenges.map((c) => this.info(c)), problem: this.problem };
  }
}

/** What an attempt needs of the service: its cluster, and a way to stop the workload before the final reads. */
export interface ChallengeHost {
  cluster(): Cluster | null;
  monitor(): SafetyMonitor;
  stopWorkload(): Promise<void>;
}

/** One attempt at a challenge on the window's cluster. */
export class ChallengeAttempt {
  readonly challenge: Challenge;
  readonly index: number;
  private readonly cluster: Cluster;
  private readonly host: ChallengeHost;
  private readonly book: ScoreBook;
  private readonly ledger: BudgetLedger;
  private readonly startedMs: number;
  private readonly events: HistoryEvent[] = [];
  /** The history grew since the last judgement as it goes. */
  private grew = false;
  private status: ChallengeView['status'] = 'playing';
  private endedMs: number | null = null;
  private verdict: ChallengeVerdictView | null = null;
  private judging: Promise<void> | null = null;

  constructor(challenge: Challenge, index: number, cluster: Cluster, host: ChallengeHost, book: ScoreBook) {
    this.challenge = challenge;
    this.index = index;
    this.cluster = cluster;
    this.host = host;
    this.book = book;
    this.ledger = new BudgetLedger(challenge.budget);
    this.startedMs = cluster.virtualNow();
  }

  get playing(): boolean {
    return this.status === 'playing';
  }

  private get configurationName(): string {
    return this.challenge.configurations[this.index]?.name ?? '';
  }

  elapsedMs(): number {
    return this.endedMs ?? Math.round(Math.min(this.challenge.budget.timeMs, Math.max(0, this.cluster.virtualNow() - this.startedMs)));
  }

  /** Every client event of the attempt's cluster: the workload's and those by hand. */
  add(event: HistoryEvent): void {
    // Once judged, the cluster is free play: its history is no longer the attempt's.
    if (this.status !== 'playing' && this.status !== 'judging') return;
    this.events.push(event);
    this.grew = true;
  }

  /**
   * Before a fault by hand: refused (a UserError) past the budget or the time; otherwise the
   * function to call once it was done, which counts it. Outside play (judged), nothing counts.
   */
  gate(fault: Fault): () => void {
    if (!this.playing) return () => undefined;
    const refusal = this.ledger.refusal(fault, Math.max(0, this.cluster.virtualNow() - this.startedMs));
    if (refusal !== null) throw new UserError(refusal);
    return () => {
      if (this.playing) this.ledger.charge(fault);
    };
  }

  /** Each second: a goal the history decides is declared won at once; at the time limit, the attempt is judged as it stands. */
  tick(): void {
    if (!this.playing) return;
    if (this.cluster.virtualNow() - this.startedMs >= this.challenge.budget.timeMs) {
      void this.judge();
      return;
    }
    if (!judgedAsItGoes(this.challenge.goal) || !this.grew) return;
    this.grew = false;
    const judgement = judgeGoal(this.challenge.goal, this.events, TICK_JUDGE_MS, workloadKeys(this.challenge));
    if (judgement.reached) {
      this.endedMs = this.elapsedMs();
      this.finish(judgement);
    }
  }

  /** "I'm done": for a lost write, heal, restart, a quiet period and final reads first; then the checker's verdict. */
  judge(): Promise<void> {
    if (this.judging !== null) return this.judging;
    if (!this.playing) return Promise.resolve();
    this.endedMs = this.elapsedMs();
    this.status = 'judging';
    this.judging = this.judgeNow().catch((error: unknown) => {
      this.finish({ reached: false, text: `the attempt could not be judged: ${(error as Error).message}`, witness: null });
    });
    return this.judging;
  }

  private async judgeNow(): Promise<void> {
    if (!judgedAsItGoes(this.challenge.goal)) {
      await this.host.stopWorkload();
      if (this.host.cluster() !== this.cluster) throw new Error('the cluster was replaced before the attempt was judged');
      // Settling waits on the cluster's clock: a clock the person paused would wait for ever.
      if (this.cluster.clock.paused) this.cluster.resumeClock();
      const target = new LiveScenarioCluster(this.cluster, { workload: null, seed: 1, monitor: this.host.monitor() }, { owned: false });
      await settleCluster(target, { quietMs: QUIET_MS, resetLinkRules: true, keys: keysOf(this.events) });
      // The final reads are journaled, and come back here through the service's history like any
      // operation, a journal batch (50 ms) later: the verdict waits for them.
      const arrived = new Set(this.events);
      const reads = target.history();
      for (let waited = 0; reads.some((e) => !arrived.has(e)) && waited < JOURNAL_WAIT_MS; waited += 10) {
        await new Promise((resolve) => setTimeout(resolve, 10));
        for (const e of this.events.slice(arrived.size)) arrived.add(e);
      }
    }
    this.finish(judgeGoal(this.challenge.goal, this.events, JUDGE_MS, workloadKeys(this.challenge)));
  }

  private finish(judgement: GoalJudgement): void {
    const score = { faults: this.ledger.used, timeMs: this.elapsedMs() };
    const newBest = judgement.reached ? this.book.record(this.challenge.id, this.configurationName, score) : false;
    const witness = judgement.witness === null ? null : { anomaly: judgement.witness.anomaly, why: judgement.witness.why, operations: judgement.witness.operations.map((o) => `client ${o.process}: ${o.description}`) };
    const correct = !judgement.reached && this.challenge.configurations[this.index]?.winnable === false;
    this.verdict = { won: judgement.reached, text: judgement.text, witness, score, newBest, correct };
    this.status = judgement.reached ? 'won' : 'not won';
  }

  view(): ChallengeView {
    const c = this.challenge;
    return {
      id: c.id,
      title: c.title,
      summary: c.summary,
      goal: GOAL_TEXT[c.goal],
      configuration: this.index,
      configurationName: this.configurationName,
      budget: { ...c.budget },
      faults: [...this.ledger.faults],
      elapsedMs: Math.round(this.elapsedMs()),
      status: this.status,
      verdict: this.verdict,
      best: this.book.get(c.id, this.configurationName),
      notice: this.book.problem,
    };
  }
}

/** A challenge and configuration the window asked for, or why not. */
export function findConfiguration(challenges: readonly Challenge[], id: string, configuration: number): Challenge {
  const challenge = challenges.find((c) => c.id === id);
  if (challenge === undefined) throw new UserError(`no challenge ${JSON.stringify(id)} (challenges: ${challenges.map((c) => c.id).join(', ')})`);
  if (challenge.configurations[configuration] === undefined) throw new UserError(`${challenge.title} has ${challenge.configurations.length} configurations, numbered from 0: not ${configuration}`);
  return challenge;
}

