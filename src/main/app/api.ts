// The one door into the service from outside this process: the Electron IPC handler and the
// browser-mode WebSocket both call `dispatch`. Every payload is checked against a schema before
// anything runs, and every failure comes back as a value with a message a person can act on.

import * as z from 'zod';
import { API_METHODS, MAX_CALL_BYTES, type ApiMethod, type Result } from '../../shared/bridge.ts';
import { clusterSettingsSchema, comparisonFaultSchema, kvOpSchema as op, limited, linkRuleSchema as linkRule, nodeIdSchema as nodeId, workloadSchema as workload } from '../../shared/schemas.ts';
import { PlaygroundService, UserError } from './service.ts';
import { ClusterError } from '../cluster/cluster.ts';
import { algorithmNames } from '../../nodes/index.ts';
import { MAX_DRIFT, MAX_OFFSET_MS, MIN_DRIFT } from '../runtime/clock.ts';
import { MAX_RETENTION_BYTES, MIN_RETENTION_BYTES, formatBytes } from '../record/retention.ts';
import { LESSON_ID } from './lessons.ts';

// The shapes live in src/shared/schemas.ts, where the window checks its forms with them too; the
// algorithm's name is checked here against the registry.
const settings = clusterSettingsSchema.extend({ algorithm: z.enum(algorithmNames() as [string, ...string[]]) });

// A session is named by its file in the data folder, never by a path: the window cannot reach
// anything else on the disk.
const sessionName = z.string().regex(/^[\w.-]{1,200}\.session\.sqlite$/, 'a session is named by its .session.sqlite file in the data folder').refine((name) => !name.includes('..'), 'a session name cannot contain ..');
/**
 * As many names as fit in one call over browser mode's socket (MAX_CALL_BYTES): a name is at most
 * 215 characters of [\w.-], 218 bytes as a JSON list item.
 */
export const MAX_SESSIONS_PER_CALL = Math.floor((MAX_CALL_BYTES - 1024) / 218 / 100) * 100;
const moment = z.number().min(0, 'a moment cannot be negative').max(365 * 24 * 3_600_000, 'that moment is past any session');

const schemas: Record<ApiMethod, z.ZodType<unknown[]>> = {
  getState: z.tuple([]),
  newCluster: z.tuple([settings]),
  nodeAction: z.tuple([nodeId, z.enum(['kill', 'restart', 'pause', 'resume', 'remove'])]),
  nodeCommand: z.tuple([nodeId, z.string().min(1).max(100)]),
  skewClock: z.tuple([nodeId, z.number().min(-MAX_OFFSET_MS, 'at most an hour behind').max(MAX_OFFSET_MS, 'at most an hour ahead'), z.number().min(MIN_DRIFT, `a drift of at least ${MIN_DRIFT}`).max(MAX_DRIFT, `a drift of at most ${MAX_DRIFT}`)]),
  addNode: z.tuple([]),
  cutLink: z.tuple([nodeId, nodeId, z.boolean()]),
  healLink: z.tuple([nodeId, nodeId, z.boolean()]),
  partition: z.tuple([z.array(z.array(nodeId).max(15)).min(1).max(15)]),
  heal: z.tuple([]),
  setLinkRule: z.tuple([nodeId.nullable(), nodeId.nullable(), linkRule.nullable()]),
  clock: z.tuple([z.enum(['play', 'pause', 'step'])]),
  setSpeed: z.tuple([limited('speed')]),
  clientOperation: z.tuple([z.union([nodeId, z.literal('leader')]), op, z.number().min(10).max(60_000)]),
  setWorkload: z.tuple([workload.nullable()]),
  inspectNode: z.tuple([nodeId, z.number().int().min(0), z.number().int().min(0).max(5000)]),
  listSessions: z.tuple([]),
  replayMoment: z.tuple([sessionName, moment]),
  replayInspect: z.tuple([sessionName, nodeId, moment, z.number().int().min(0), z.number().int().min(0).max(5000)]),
  forkReplay: z.tuple([sessionName, moment]),
  exportSession: z.tuple([sessionName]),
  deleteSessions: z.tuple([z.array(sessionName).min(1, 'name at least one session').max(MAX_SESSIONS_PER_CALL, `at most ${MAX_SESSIONS_PER_CALL} sessions at once`)]),
  getRetention: z.tuple([]),
  setRetention: z.tuple([z.number().int('a whole number of bytes').min(MIN_RETENTION_BYTES, `at least ${formatBytes(MIN_RETENTION_BYTES)}`).max(MAX_RETENTION_BYTES, `at most ${formatBytes(MAX_RETENTION_BYTES)}`)]),
  startComparison: z.tuple([settings, settings, workload]),
  comparisonFault: z.tuple([comparisonFaultSchema({ maxOffsetMs: MAX_OFFSET_MS, minDrift: MIN_DRIFT, maxDrift: MAX_DRIFT })]),
  stopComparison: z.tuple([]),
  comparisonState: z.tuple([]),
  describeChoice: z.tuple([z.string().max(100), z.record(z.string().max(100), z.unknown())]),
  listChallenges: z.tuple([]),
  startChallenge: z.tuple([z.string().min(1).max(200), z.number().int().min(0).max(100)]),
  challengeState: z.tuple([]),
  judgeChallenge: z.tuple([]),
  leaveChallenge: z.tuple([]),
  // Lessons
  listLessons: z.tuple([]),
  startLesson: z.tuple([z.string().regex(LESSON_ID, 'a lesson is named by its file in the library, without .yaml')]),
  lessonState: z.tuple([]),
  lessonAction: z.tuple([z.enum(['continue', 'do-it-for-me', 'leave'])]),
};

function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((issue) => (issue.path.length > 0 ? `${issue.path.join('.')}: ${issue.message}` : issue.message))
    .join('; ');
}

/** A call's arguments as the schema of its method accepts them, or why it does not. */
export function validateCall(method: unknown, args: unknown): { ok: true; method: ApiMethod; args: unknown[] } | { ok: false; error: string } {
  if (typeof method !== 'string' || !(API_METHODS as readonly string[]).includes(method)) return { ok: false, error: `unknown operation ${JSON.stringify(method)?.slice(0, 100)}` };
  const parsed = schemas[method as ApiMethod].safeParse(args);
  if (!parsed.success) return { ok: false, error: `invalid ${method}: ${describeIssues(parsed.error)}` };
  return { ok: true, method: method as ApiMethod, args: parsed.data };
}

/** Runs one call from the window. Never throws: a bad call is an error value. */
export async function dispatch(service: PlaygroundService, method: unknown, args: unknown): Promise<Result<unknown>> {
  const valid = validateCall(method, args);
  if (!valid.ok) return valid;
  const a = valid.args as never[];
  try {
    const value = await call(service, valid.method, a);
    return { ok: true, value };
  } catch (error) {
    if (error instanceof UserError || error instanceof ClusterError) return { ok: false, error: error.message };
    // A bug of ours: the person still gets a message, and the app goes on.
    console.error(`${method} failed:`, error);
    return { ok: false, error: `${method} failed: ${(error as Error).message ?? String(error)}` };
  }
}

function call(service: PlaygroundService, method: ApiMethod, a: never[]): Promise<unknown> | unknown {
  switch (method) {
    case 'getState':
      return service.state();
    case 'newCluster':
      return service.newCluster(a[0]);
    case 'nodeAction':
      return service.nodeAction(a[0], a[1]);
    case 'nodeCommand':
      return service.nodeCommand(a[0], a[1]);
    case 'skewClock':
      return service.skewClock(a[0], a[1], a[2]);
    case 'addNode':
      return service.addNode();
    case 'cutLink':
      return service.cutLink(a[0], a[1], a[2]);
    case 'healLink':
      return service.healLink(a[0], a[1], a[2]);
    case 'partition':
      return service.partition(a[0]);
    case 'heal':
      return service.heal();
    case 'setLinkRule':
      return service.setLinkRule(a[0], a[1], a[2]);
    case 'clock':
      return service.clock(a[0]);
    case 'setSpeed':
      return service.setSpeed(a[0]);
    case 'clientOperation':
      return service.clientOperation(a[0], a[1], a[2]);
    case 'setWorkload':
      return service.setWorkload(a[0]);
    case 'inspectNode':
      return service.inspectNode(a[0], a[1], a[2]);
    case 'listSessions':
      return service.listSessions();
    case 'replayMoment':
      return service.replayMoment(a[0], a[1]);
    case 'replayInspect':
      return service.replayInspect(a[0], a[1], a[2], a[3], a[4]);
    case 'forkReplay':
      return service.forkReplay(a[0], a[1]);
    case 'exportSession':
      return service.exportSession(a[0]);
    case 'deleteSessions':
      return service.deleteSessions(a[0]);
    case 'getRetention':
      return service.getRetention();
    case 'setRetention':
      return service.setRetention(a[0]);
    case 'startComparison':
      return service.comparison.start(a[0], a[1], a[2]);
    case 'comparisonFault':
      return service.comparison.fault(a[0]);
    case 'stopComparison':
      return service.comparison.stop();
    case 'comparisonState':
      return service.comparison.state();
    case 'describeChoice':
      return service.describeChoice(a[0], a[1]);
    case 'listChallenges':
      return service.listChallenges();
    case 'startChallenge':
      return service.startChallenge(a[0], a[1]);
    case 'challengeState':
      return service.challengeState();
    case 'judgeChallenge':
      return service.judgeChallenge();
    case 'leaveChallenge':
      return service.leaveChallenge();
    case 'listLessons':
      return service.lessons.list();
    case 'startLesson':
      return service.lessons.start(a[0]);
    case 'lessonState':
      return service.lessons.view();
    case 'lessonAction':
      return service.lessons.act(a[0]);
  }
}
