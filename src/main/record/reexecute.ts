// Re-executing a recorded session: every node life is rebuilt from the state it recovered, with
// the same PRNG seed, and given the same input batches in the same order. Nodes are deterministic
// (see src/nodes/types.ts), so each Ready must come out exactly as recorded. `verifySession` checks
// that; `transitions` yields every step with the node's state before and after, for data sets.

import type Database from 'better-sqlite3';
import { getAlgorithm } from '../../nodes/index.ts';
import type { ConsensusNode, Input, PersistedState, Ready } from '../../nodes/types.ts';
import { toWireEnvelope } from '../../nodes/host/wire.ts';
import type { NodeId, NodeStatus } from '../../shared/protocol.ts';
import { createRng } from '../../shared/rng.ts';
import { countOutputs, parseChunk, readInputs, readOutputs, type OutputRecord } from './chunks.ts';
import { messagesDigest } from './digest.ts';
import { persistedFromJson } from './recorder.ts';
import type { LifeContext } from '../runtime/sink.ts';
import { SessionFileError } from './session-file.ts';

export interface LifeRecord {
  life: number;
  node: NodeId;
  time: number;
  context: LifeContext;
  /** Null when the node never started (a corrupt file, say): there is nothing to re-execute. */
  persisted: PersistedState | null;
}

export interface Divergence {
  node: NodeId;
  life: number;
  /** 1-based: the n-th Ready of this life. */
  output: number;
  time: number;
  field: 'status' | 'messages' | 'replies' | 'missing';
  expected: string;
  actual: string;
}

export interface VerifyResult {
  lives: number;
  batches: number;
  outputsChecked: number;
  divergence: Divergence | null;
}

export function readLives(db: Database.Database): LifeRecord[] {
  const rows = db.prepare('SELECT life, node, time, context, persisted FROM lives ORDER BY life').all() as Array<{ life: number; node: string; time: number; context: string; persisted: string | null }>;
  return rows.map((r) => ({
    life: r.life,
    node: r.node,
    time: r.time,
    context: parseChunk(r.context, `lives row ${r.life} (its context)`) as LifeContext,
    persisted: r.persisted === null ? null : startingState(r.persisted, r.life),
  }));
}

function startingState(text: string, life: number): PersistedState {
  try {
    return persistedFromJson(text);
  } catch (error) {
    if (error instanceof SyntaxError) throw new SessionFileError(`damaged: lives row ${life} (its starting state) is not valid JSON (${error.message})`);
    throw error;
  }
}

function createNode(life: LifeRecord): ConsensusNode {
  const algorithm = getAlgorithm(life.context.algorithm);
  if (algorithm === undefined) throw new Error(`the session uses algorithm ${JSON.stringify(life.context.algorithm)}, which this version does not have`);
  const rng = createRng(life.context.seed).fork(`${life.node}/${life.context.restarts}`);
  return algorithm.create({ id: life.node, bootstrapVoters: life.context.bootstrapVoters, rng, options: life.context.options }, life.persisted as PersistedState);
}

function drain(node: ConsensusNode): Ready[] {
  const out: Ready[] = [];
  while (node.hasReady()) out.push(node.ready());
  return out;
}

/** What a Ready looks like in the recording: status after it, its messages' digest, replies. */
function recorded(ready: Ready, status: NodeStatus): { status: string; messages: string; replies: string } {
  return { status: JSON.stringify(status), messages: messagesDigest(ready.messages.map(toWireEnvelope)), replies: JSON.stringify(ready.replies) };
}

/** Re-executes every life and compares each Ready with the recorded one; stops at the first difference. */
export function verifySession(db: Database.Database, progress?: (done: number, total: number) => void): VerifyResult {
  const lives = readLives(db).filter((l) => l.persisted !== null);
  const result: VerifyResult = { lives: lives.length, batches: 0, outputsChecked: 0, divergence: null };
  for (const [index, life] of lives.entries()) {
    progress?.(index, lives.length);
    const expected = readOutputs(db, life.life, life.node);
    let produced = 0;
    let lastStatus = '';
    const node = createNode(life);
    // Once every recorded Ready is matched, the rest were cut off by a crash or the recording's
    // end: a killed worker may have been handed inputs it never read.
    const check = (readies: Ready[], time: number): Divergence | null => {
      for (const ready of readies) {
        const want = expected[produced];
        produced++;
        if (want === undefined) return null;
        const got = recorded(ready, node.status());
        result.outputsChecked++;
        if (want.status !== null) lastStatus = want.status;
        const wanted = { status: lastStatus, messages: want.messages, replies: want.replies };
        for (const field of ['status', 'messages', 'replies'] as const) {
          if (got[field] !== wanted[field]) {
            const actual = field === 'messages' ? `${got.messages} ${JSON.stringify(ready.messages)}` : got[field];
            return { node: life.node, life: life.life, output: produced, time, field, expected: wanted[field], actual };
          }
        }
      }
      return null;
    };
    let divergence = check(drain(node), life.time);
    for (const batch of readInputs(db, life.life)) {
      if (divergence !== null || produced >= expected.length) break;
      result.batches++;
      for (const input of batch.inputs) node.step(input);
      divergence = check(drain(node), batch.time);
    }
    if (divergence === null && produced < expected.length) {
      const want = expected[produced] as OutputRecord;
      divergence = { node: life.node, life: life.life, output: produced + 1, time: want.time, field: 'missing', expected: `${expected.length} Readies recorded`, actual: `${produced} produced from the recorded inputs` };
    }
    if (divergence !== null) {
      result.divergence = divergence;
      return result;
    }
  }
  progress?.(lives.length, lives.length);
  return result;
}

/**
 * What a step wrote to storage, without the entries themselves (they are in the step's input or
 * messages already): the hard state, which log indexes were written, a snapshot's position.
 */
export interface PersistedSummary {
  hardState?: { term: number; vote: NodeId | null; commit: number };
  log?: { from: number; count: number };
  snapshot?: { index: number; term: number };
}

export function summarize(persist: NonNullable<Ready['persist']>): PersistedSummary {
  const out: PersistedSummary = {};
  if (persist.hardState) out.hardState = persist.hardState;
  if (persist.log) out.log = { from: persist.log.from, count: persist.log.entries.length };
  if (persist.snapshot) out.snapshot = { index: persist.snapshot.index, term: persist.snapshot.term };
  return out;
}

/** A node's state as a data set shows it: its status, and a leader's view of its followers. */
export type NodeState = { [field: string]: NodeStatus[string] | Array<{ peer: NodeId; match: number; next: number; state: string }> } & { progress?: Array<{ peer: NodeId; match: number; next: number; state: string }> };

type Progress = NonNullable<NodeState['progress']>;

function sameProgress(a: Progress | undefined, b: Progress | undefined): boolean {
  if (a === undefined || b === undefined) return a === b;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] as Progress[number];
    const y = b[i] as Progress[number];
    if (x.peer !== y.peer || x.match !== y.match || x.next !== y.next || x.state !== y.state) return false;
  }
  return true;
}

/**
 * The node's state now; `previous` itself when nothing in it changed (the algorithm hands back the
 * same status object then). Two steps in three change nothing, and an unchanged state is written
 * out by the JSON it already has (see export.ts).
 */
export function stateOf(node: ConsensusNode, previous: { status: NodeStatus; state: NodeState } | null): { status: NodeStatus; state: NodeState } {
  const fullStatus = node.status();
  // Only a leader keeps a view of its followers.
  const found = fullStatus.role === 'leader' ? node.inspect?.().progress : undefined;
  const progress = found && found.length > 0 ? found : undefined;
  if (previous !== null && previous.status === fullStatus && sameProgress(previous.state.progress, progress)) return previous;
  // The line names the node already.
  const { id: _id, ...status } = fullStatus;
  return { status: fullStatus, state: progress ? { ...status, progress } : status };
}

export type StepOutputs = { messages: Ready['messages']; replies: Ready['replies']; persisted: PersistedSummary[]; applied: number[] };

export interface Transition {
  node: NodeId;
  life: number;
  /** Virtual milliseconds since the session started. */
  time: number;
  before: NodeState;
  /** The inputs the node consumed in this step (the simulator gives one at a time, workers a batch). */
  input: Input[];
  outputs: StepOutputs;
  after: NodeState;
}

/** What a step's Readies produced, as a transition shows it. */
export function stepOutputs(readies: readonly Ready[]): StepOutputs {
  return {
    messages: readies.flatMap((r) => r.messages),
    replies: readies.flatMap((r) => r.replies),
    persisted: readies.flatMap((r) => (r.persist === null ? [] : [summarize(r.persist)])),
    applied: readies.flatMap((r) => r.applied.map((a) => a.entry.index)),
  };
}

/**
 * Every step of every life, in life order. A life that a crash ended keeps only the steps up to its
 * last recorded Ready: after that the recording cannot tell which inputs the node still read.
 */
export function* transitions(db: Database.Database): Generator<Transition> {
  const lives = readLives(db).filter((l) => l.persisted !== null);
  const lastLifeOf = new Map<NodeId, number>();
  for (const l of lives) lastLifeOf.set(l.node, l.life);
  const crashTimes = db.prepare("SELECT data, time FROM events WHERE notable = 1 AND kind IN ('fault', 'node')").all() as Array<{ data: string; time: number }>;
  const crashedAfter = (node: NodeId, time: number): boolean =>
    crashTimes.some((row) => row.time >= time && (row.data.includes(`"kill ${node}"`) || row.data.includes(`"crash ${node}"`) || (row.data.includes(`"node":"${node}"`) && /"event":"(crashed|failed)"/.test(row.data))));
  for (const life of lives) {
    const endedByCrash = lastLifeOf.get(life.node) !== life.life || crashedAfter(life.node, life.time);
    const recordedOutputs = countOutputs(db, life.life);
    const node = createNode(life);
    let produced = drain(node).length;
    // Between two steps nothing touches the node: one step's after is the next one's before.
    let now = stateOf(node, null);
    for (const batch of readInputs(db, life.life)) {
      if (endedByCrash && produced >= recordedOutputs) break;
      const before = now.state;
      const input = batch.inputs;
      for (const i of input) node.step(i);
      const readies = drain(node);
      produced += readies.length;
      yield {
        node: life.node,
        life: life.life,
        time: batch.time,
        before,
        input,
        outputs: stepOutputs(readies),
        after: (now = stateOf(node, now)).state,
      };
    }
  }
}
