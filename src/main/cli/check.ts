import { readFile } from 'node:fs/promises';
import { checkOperations, HistoryError, parseHistory, renderExplanation, type ModelName, type ParsedHistory } from '../checker/index.ts';
import { CONSISTENCY_NAMES, type ConsistencyName } from '../../shared/consistency.ts';
import type { ModelResult } from '../checker/consistency/contract.ts';
import type { ConsistencyReport } from '../checker/consistency/registry.ts';
import type { StalenessFigures } from '../checker/consistency/staleness.ts';
import { choiceOption, durationOption, parseArgs, stringOption, UsageError } from './args.ts';
import type { CliIo, CommandMain } from './cli.ts';

const HELP = `usage: consensus-playground check --model register|kv|counter|set FILE... [--consistency all|NAME,NAME...] [--timeout 30s] [--json]

Checks client histories (JSON Lines, one operation event per line) for linearizability.
--model says what they act on: one register, a key-value store (each key a register), counters
(add, read) or sets (add, remove, read of the whole set). '-' reads standard input. For each file one line:
  FILE: linearizable: true|false|unknown, ops: N, keys: K, ms: T
then, for a history that is not linearizable, why. An empty history is linearizable, with a
warning on standard error.

With --consistency, the models named (or all of them) instead: for each file
  FILE: strongest: NAME[, NAME...]       the models that hold with no stronger one holding
  then one line per model,   NAME: true|false|unknown
  each false one followed by its witness: the anomaly, the operations that form it (process,
  operation, value, line) and why. Models: ${CONSISTENCY_NAMES.join(', ')}.

--timeout bounds each file's check; past it the answer is unknown, never a guess.

exit codes: 0 every model asked for holds (without --consistency: linearizable), 1 one does
not, 3 one is unknown and none does not, 2 bad input`;

/** The checks behind --consistency, loaded only when asked for: plain `check` starts without them. */
async function consistencyTools(): Promise<typeof import('../checker/consistency/registry.ts') & typeof import('../checker/consistency/staleness.ts')> {
  return { ...(await import('../checker/consistency/registry.ts')), ...(await import('../checker/consistency/staleness.ts')) };
}

/** The models --consistency names: all of them, or a comma-separated list. */
function consistencyOption(value: string, available: readonly ConsistencyName[]): ConsistencyName[] {
  if (value === 'all') return [...available];
  const names = value.split(',').map((n) => n.trim()).filter((n) => n !== '');
  if (names.length === 0) throw new UsageError(`--consistency needs all or model names (${CONSISTENCY_NAMES.join(', ')})`);
  for (const name of names) {
    if (!(CONSISTENCY_NAMES as readonly string[]).includes(name)) throw new UsageError(`--consistency: unknown model ${JSON.stringify(name)} (models: ${CONSISTENCY_NAMES.join(', ')})`);
    if (!available.includes(name as ConsistencyName)) throw new UsageError(`--consistency: ${name} cannot be checked by this build (it checks ${available.join(', ')})`);
  }
  return [...new Set(names)] as ConsistencyName[];
}

/** How stale the reads were, in one line: how many, by how many versions, for how long. */
function renderStaleness(figures: StalenessFigures): string {
  const unit = figures.unit === 'ms' ? ' ms' : ' event(s)';
  const fixed = (n: number): string => (figures.unit === 'ms' ? n.toFixed(1) : String(n));
  if (figures.staleReads === 0) return `  staleness: none of ${figures.reads} reads judged was stale`;
  return `  staleness: ${figures.staleReads} of ${figures.reads} reads stale, by ${figures.versionsBehind.median} version(s) (median; max ${figures.versionsBehind.max}), ${fixed(figures.msBehind.median)}${unit} after the version missed was acknowledged (median; max ${fixed(figures.msBehind.max)}${unit})`;
}

/** The report as a person reads it: the strongest models, then each model, each failure's witness under it. */
export function renderConsistency(file: string, report: ConsistencyReport, stale?: StalenessFigures): string[] {
  const lines = [`${file}: strongest: ${report.strongest.length > 0 ? report.strongest.join(', ') : 'none'}`];
  if (stale !== undefined && stale.reads > 0) lines.push(renderStaleness(stale));
  for (const result of report.results) {
    lines.push(`  ${result.model}: ${result.verdict}`);
    if (result.impliedBy !== undefined) lines.push(`    ${result.verdict === 'true' ? 'holds since' : 'fails since'} ${result.impliedBy} ${result.verdict === 'true' ? 'holds' : 'does not'}`);
    if (result.verdict === 'unknown' && result.reason !== null) lines.push(`    why: ${result.reason}`);
    if (result.verdict === 'false' && result.witness !== null) {
      lines.push(`    anomaly: ${result.witness.anomaly}`);
      for (const op of result.witness.operations) lines.push(`    process ${op.process}: ${op.description} (line ${op.line})`);
      lines.push(`    why: ${result.witness.why}`);
    }
  }
  return lines;
}

function reportJson(file: string, parsed: ParsedHistory, report: ConsistencyReport, stale: StalenessFigures, ms: number): string {
  const models: Record<string, Omit<ModelResult, 'model'>> = {};
  for (const { model, ...rest } of report.results) models[model] = rest;
  return JSON.stringify({ file, strongest: report.strongest, models, staleness: stale, ops: parsed.invoked, ms });
}

/** What a file's checks may keep in memory together (estimated); past it, unknown. */
const CHECK_MEMORY_BYTES = 1024 * 2 ** 20;

async function readStdin(io: CliIo): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of io.stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Buffer));
  return Buffer.concat(chunks).toString('utf8');
}

/**
 * An exported data set keeps every session's history in one file, each line with a `session`
 * field; sessions are separate histories (their clients and keys are unrelated), checked apart
 * and reported as FILE#session.
 */
export function splitSessions(file: string, text: string): Array<{ file: string; text: string; lineNumbers?: number[] }> {
  const first = text.split('\n', 1)[0] ?? '';
  if (!first.includes('"session"')) return [{ file, text }];
  const bySession = new Map<string, string[]>();
  // Each session's lines keep their numbers in the file: an error or explanation cites the file.
  const numbers = new Map<string, number[]>();
  const all = text.split('\n');
  for (let i = 0; i < all.length; i++) {
    const line = all[i] as string;
    if (line.trim() === '') continue;
    let session = '';
    try {
      session = String((JSON.parse(line) as { session?: unknown }).session ?? '');
    } catch {
      // left for the parser, which names the line
    }
    const lines = bySession.get(session) ?? [];
    lines.push(line);
    bySession.set(session, lines);
    const lineNumbers = numbers.get(session) ?? [];
    lineNumbers.push(i + 1);
    numbers.set(session, lineNumbers);
  }
  if (bySession.size === 1 && bySession.has('')) return [{ file, text }];
  return [...bySession].map(([session, lines]) => ({ file: `${file}#${session}`, text: lines.join('\n') + '\n', lineNumbers: numbers.get(session) }));
}

export const checkCommand: CommandMain = async (argv, io) => {
  const args = parseArgs(argv, {
    model: { type: 'string' },
    timeout: { type: 'string' },
    json: { type: 'boolean' },
    consistency: { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  });
  if (args.options.has('help')) {
    io.out(HELP);
    return 0;
  }
  if (!args.options.has('model')) throw new UsageError('--model is required (register, kv, counter or set)');
  const model = choiceOption<ModelName>(args, 'model', ['register', 'kv', 'counter', 'set'], 'kv');
  const timeoutMs = durationOption(args, 'timeout', 30_000);
  const json = args.options.has('json');
  const consistencyValue = stringOption(args, 'consistency');
  const tools = consistencyValue === undefined ? null : await consistencyTools();
  const consistency = consistencyValue === undefined || tools === null ? null : consistencyOption(consistencyValue, tools.availableModels());
  if (args.positionals.length === 0) throw new UsageError('give at least one history file (or - for standard input)');
  let anyFalse = false;
  let anyUnknown = false;
  let anyBad = false;
  const histories: Array<{ file: string; text: string; lineNumbers?: number[] }> = [];
  for (const file of args.positionals) {
    try {
      const text = file === '-' ? await readStdin(io) : await readFile(file, 'utf8');
      histories.push(...splitSessions(file, text));
    } catch (error) {
      anyBad = true;
      io.out(json ? JSON.stringify({ file, error: (error as Error).message }) : `${file}: error: ${(error as Error).message}`);
    }
  }
  for (const { file, text, lineNumbers } of histories) {
    const started = performance.now();
    let parsed;
    try {
      parsed = parseHistory(text, model, lineNumbers);
    } catch (error) {
      if (!(error instanceof HistoryError)) throw error;
      anyBad = true;
      io.out(json ? JSON.stringify({ file, error: error.message, line: error.line }) : `${file}: error: ${error.message}`);
      continue;
    }
    // Nothing to check is not a pass: a wrong file, or a run whose clients never got going.
    if (parsed.events === 0) io.err(`${file}: warning: the history holds no operations`);
    if (consistency !== null && tools !== null) {
      const now = (): number => performance.now();
      const history = { dataType: model, operations: parsed.operations };
      const report = tools.checkConsistency(history, consistency, { now, deadline: now() + timeoutMs, memory: { used: 0, max: CHECK_MEMORY_BYTES } });
      const stale = tools.staleness(history, parsed.timed);
      const ms = Math.round(performance.now() - started);
      if (report.results.some((r) => r.verdict === 'false')) anyFalse = true;
      if (report.results.some((r) => r.verdict === 'unknown')) anyUnknown = true;
      if (json) io.out(reportJson(file, parsed, report, stale, ms));
      else for (const line of renderConsistency(file, report, stale)) io.out(line);
      continue;
    }
    const result = checkOperations(parsed.operations, { timeoutMs, dataType: model });
    const ms = Math.round(performance.now() - started);
    if (result.linearizable === 'false') anyFalse = true;
    if (result.linearizable === 'unknown') anyUnknown = true;
    if (json) {
      io.out(JSON.stringify({ file, linearizable: result.linearizable, ops: parsed.invoked, keys: result.keys, ms, explanation: result.explanation, unknownKeys: result.unknownKeys }));
      continue;
    }
    io.out(`${file}: linearizable: ${result.linearizable}, ops: ${parsed.invoked}, keys: ${result.keys}, ms: ${ms}`);
    if (result.explanation) io.out(renderExplanation(result.explanation, parsed.operations));
    if (result.linearizable === 'unknown') io.out(`  the search ran out of time on key(s) ${result.unknownKeys.map((k) => JSON.stringify(k)).join(', ')}`);
  }
  if (anyBad) return 2;
  if (anyFalse) return 1;
  return anyUnknown ? 3 : 0;
};
