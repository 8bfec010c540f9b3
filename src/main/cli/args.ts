// Every subcommand's arguments, through Node's own parser (node:util parseArgs, strict): `--name
// value`, `--name=value`, switches, repeatable options and positional arguments. Every mistake
// becomes a UsageError naming the option, which the CLI prints as one line and turns into exit
// code 2.

import { parseArgs as parseNodeArgs } from 'node:util';

export class UsageError extends Error {}

export interface OptionSpec {
  /** 'string' takes a value; 'boolean' is a switch. */
  type: 'string' | 'boolean';
  /** Short alias without the dash, e.g. 'n'. */
  short?: string;
  /** May be given more than once (`--set a=1 --set b=2`): every value is kept, in order. */
  multiple?: boolean;
}

export interface ParsedArgs {
  /** The last value of each option given (true for a switch). */
  options: Map<string, string | true>;
  /** Every value of each repeatable option, in order. */
  lists: Map<string, string[]>;
  positionals: string[];
}

export function parseArgs(argv: string[], spec: Record<string, OptionSpec>): ParsedArgs {
  let parsed: ReturnType<typeof parseNodeArgs>;
  try {
    parsed = parseNodeArgs({ args: argv, options: spec, allowPositionals: true, strict: true });
  } catch (error) {
    throw new UsageError(usageMessage(error as Error & { code?: string }, argv, spec));
  }
  const options = new Map<string, string | true>();
  const lists = new Map<string, string[]>();
  for (const [name, value] of Object.entries(parsed.values)) {
    if (Array.isArray(value)) {
      const strings = value.filter((v): v is string => typeof v === 'string');
      lists.set(name, strings);
      const last = strings[strings.length - 1];
      if (last !== undefined) options.set(name, last);
    } else if (typeof value === 'string') options.set(name, value);
    else if (value === true) options.set(name, true);
  }
  return { options, lists, positionals: parsed.positionals };
}

/** Node's messages name the rule; ours name the option and what to do, as before. */
function usageMessage(error: Error & { code?: string }, argv: string[], spec: Record<string, OptionSpec>): string {
  const quoted = /'(-{1,2}[^' ]+)/.exec(error.message)?.[1];
  const name = quoted?.replace(/^-+/, '');
  const long = name !== undefined && name.length === 1 ? (Object.entries(spec).find(([, s]) => s.short === name)?.[0] ?? name) : name;
  switch (error.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION':
      return `unknown option ${quoted ?? argv.find((a) => a.startsWith('-')) ?? ''}`.trim();
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE':
      if (long !== undefined && spec[long]?.type === 'boolean') return `--${long} takes no value`;
      return long !== undefined ? `--${long} needs a value (write --${long}=VALUE for one that starts with a dash)` : error.message;
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return error.message;
    default:
      return error.message;
  }
}

export function intOption(args: ParsedArgs, name: string, fallback: number, min: number, max: number): number {
  const raw = args.options.get(name);
  if (raw === undefined) return fallback;
  if (raw === true || !/^-?\d+$/.test(raw)) throw new UsageError(`--${name} must be a whole number, got ${JSON.stringify(raw)}`);
  const value = Number(raw);
  if (value < min || value > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

export function numberOption(args: ParsedArgs, name: string, fallback: number, min: number, max: number): number {
  const raw = args.options.get(name);
  if (raw === undefined) return fallback;
  const value = raw === true ? NaN : Number(raw);
  if (!Number.isFinite(value)) throw new UsageError(`--${name} must be a number, got ${JSON.stringify(raw)}`);
  if (value < min || value > max) throw new UsageError(`--${name} must be between ${min} and ${max}, got ${value}`);
  return value;
}

/** Durations like `30s`, `500ms`, `2m`, or a bare number of seconds; returns milliseconds. */
export function durationOption(args: ParsedArgs, name: string, fallbackMs: number): number {
  const raw = args.options.get(name);
  if (raw === undefined) return fallbackMs;
  const match = raw === true ? null : /^(\d+(?:\.\d+)?)(ms|s|m)?$/.exec(raw);
  if (!match) throw new UsageError(`--${name} must be a duration such as 500ms, 30s or 2m, got ${JSON.stringify(raw)}`);
  const unit = match[2] ?? 's';
  const factor = unit === 'ms' ? 1 : unit === 's' ? 1000 : 60_000;
  return Number(match[1]) * factor;
}

/** A seed is a non-negative integer below 2^32, so that it prints and re-enters unchanged. */
export function seedOption(args: ParsedArgs, name: string, fallback: number): number {
  const raw = args.options.get(name);
  if (raw === undefined) return fallback;
  if (raw === true || !/^\d+$/.test(raw) || Number(raw) > 0xffffffff) {
    throw new UsageError(`--${name} must be a whole number from 0 to 4294967295, got ${JSON.stringify(raw)}`);
  }
  return Number(raw);
}

export function stringOption(args: ParsedArgs, name: string): string | undefined {
  const raw = args.options.get(name);
  if (raw === true) throw new UsageError(`--${name} needs a value`);
  return raw;
}

export function choiceOption<T extends string>(args: ParsedArgs, name: string, choices: readonly T[], fallback: T): T {
  const raw = args.options.get(name);
  if (raw === undefined) return fallback;
  if (raw === true || !(choices as readonly string[]).includes(raw)) {
    throw new UsageError(`--${name} must be one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
  }
  return raw as T;
}
