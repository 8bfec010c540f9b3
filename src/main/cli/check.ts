import { readFile } from 'node:fs/promises';
import { checkOperations, HistoryError, parseHistory, renderExplanation, type ModelName } from '../checker/index.ts';
import { choiceOption, durationOption, parseArgs, UsageError } from './args.ts';
import type { CliIo, CommandMain } from './cli.ts';

const HELP = `usage: consensus-playground check --model register|kv FILE... [--timeout 30s] [--json]

Checks client histories (JSON Lines, one operation event per line) for linearizability.
'-' reads standard input. For each file one line:
  FILE: linearizable: true|false|unknown, ops: N, keys: K, ms: T
then, for a history that is not linearizable, why. An empty history is linearizable, with a
warning on standard error.

exit codes: 0 all linearizable, 1 any not, 3 any unknown and none not, 2 bad input`;

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
    help: { type: 'boolean', short: 'h' },
  });
  if (args.options.has('help')) {
    io.out(HELP);
    return 0;
  }
  if (!args.options.has('model')) throw new UsageError('--model is required (register or kv)');
  const model = choiceOption<ModelName>(args, 'model', ['register', 'kv'], 'kv');
  const timeoutMs = durationOption(args, 'timeout', 30_000);
  const json = args.options.has('json');
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
    const result = checkOperations(parsed.operations, { timeoutMs });
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
