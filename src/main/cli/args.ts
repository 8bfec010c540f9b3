// A small argument parser shared by every subcommand: `--name value`, `--name=value`, boolean
// switches and positional arguments. Every mistake becomes a UsageError naming the option, which
// the CLI prints as one line and turns into exit code 2.

export class UsageError extends Error {}

export interface OptionSpec {
  /** 'string' takes a value; 'boolean' is a switch. */
  type: 'string' | 'boolean';
  /** Short alias without the dash, e.g. 'n'. */
  short?: string;
  /** A string option that may be given many times; every value is kept, in order, in `lists`. */
  repeatable?: boolean;
}

export interface ParsedArgs {
  options: Map<string, string | true>;
  positionals: string[];
  /** The values of repeatable options. */
  lists: Map<string, string[]>;
}

export function parseArgs(argv: string[], spec: Record<string, OptionSpec>): ParsedArgs {
  const options = new Map<string, string | true>();
  const lists = new Map<string, string[]>();
  const positionals: string[] = [];
  const byShort = new Map<string, string>();
  for (const [name, s] of Object.entries(spec)) if (s.short) byShort.set(s.short, name);
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--') {
      positionals.push(...argv.slice(i + 1));
      break;
    }
    if (arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    let name: string;
    let inline: string | undefined;
    if (arg.startsWith('--')) {
      const eq = arg.indexOf('=');
      name = eq >= 0 ? arg.slice(2, eq) : arg.slice(2);
      inline = eq >= 0 ? arg.slice(eq + 1) : undefined;
    } else {
      const long = byShort.get(arg.slice(1));
      if (long === undefined) throw new UsageError(`unknown option ${arg}`);
      name = long;
    }
    const s = spec[name];
    if (s === undefined) throw new UsageError(`unknown option --${name}`);
    if (s.type === 'boolean') {
      if (inline !== undefined) throw new UsageError(`--${name} takes no value`);
      options.set(name, true);
      continue;
    }
    const value = inline ?? argv[++i];
    if (value === undefined || (inline === undefined && value.startsWith('--'))) {
      throw new UsageError(`--${name} needs a value`);
    }
    options.set(name, value);
    if (s.repeatable) lists.set(name, [...(lists.get(name) ?? []), value]);
  }
  return { options, positionals, lists };
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
