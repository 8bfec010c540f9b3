// The form of an algorithm and its own options, generated from its descriptor (AlgorithmInfo):
// each option as typed (text for numbers, times shown in milliseconds), its problem next to it, and
// the values the app takes (ticks for times). New cluster uses one; a comparison uses one per side.
import { computed, reactive, ref, watch } from 'vue';
import { relationProblem, type AlgorithmInfo, type OptionField } from '../../shared/algorithm.ts';

/** Why a typed number is not acceptable, or null. */
export function numberProblem(text: string, min: number, max: number, integer: boolean): string | null {
  const trimmed = text.trim();
  if (trimmed === '') return 'required';
  const value = Number(trimmed);
  if (!Number.isFinite(value)) return 'a number, please';
  if (integer && !Number.isInteger(value)) return 'a whole number';
  if (value < min) return `at least ${min}`;
  if (value > max) return `at most ${max}`;
  return null;
}

/** An algorithm and its options, as a cluster's settings carry them. */
export interface AlgorithmChoice {
  algorithm: string;
  options: Record<string, unknown>;
}

/**
 * `initial`: the algorithm and options to start from (a running cluster's); an algorithm picked
 * later starts from its defaults.
 */
export function useAlgorithmForm(algorithms: () => AlgorithmInfo[], tickMs: () => number, initial: AlgorithmChoice | null) {
  const algorithmName = ref(initial?.algorithm ?? algorithms()[0]?.name ?? '');
  const algorithm = computed(() => algorithms().find((a) => a.name === algorithmName.value) ?? null);

  /** The options as typed: text for numbers (ticks shown in milliseconds), booleans, choices. */
  const options = reactive<Record<string, string | boolean>>({});
  function fillOptions(): void {
    for (const key of Object.keys(options)) delete options[key];
    const info = algorithm.value;
    if (info === null) return;
    const values = initial?.algorithm === info.name ? { ...info.defaults, ...initial.options } : info.defaults;
    for (const field of info.options) {
      const value = values[field.key];
      if (field.kind === 'boolean') options[field.key] = value === true;
      else if (field.kind === 'choice') options[field.key] = String(value);
      else options[field.key] = String(field.kind === 'ticks' ? Number(value) * tickMs() : value);
    }
  }
  fillOptions();
  watch(algorithmName, fillOptions);
  // The list may arrive after the form opened (the window still connecting).
  watch(algorithm, (now, before) => {
    if (before === null && now !== null) fillOptions();
  });

  function optionLabel(field: OptionField): string {
    if (field.kind === 'ticks') return `${field.label} (ms)`;
    if (field.kind === 'integer' && field.unit !== undefined) return `${field.label} (${field.unit})`;
    return field.label;
  }

  /** The option's value as the algorithm takes it (ticks for times), or undefined while it is invalid. */
  function optionValue(field: OptionField): unknown {
    const raw = options[field.key];
    if (field.kind === 'boolean' || field.kind === 'choice') return raw;
    if (numberProblem(String(raw), -Infinity, Infinity, false) !== null) return undefined;
    return field.kind === 'ticks' ? Math.round(Number(raw) / tickMs()) : Number(raw);
  }

  function optionProblem(field: OptionField): string | null {
    if (field.kind === 'boolean' || field.kind === 'choice') return null;
    const text = String(options[field.key] ?? '');
    const own = field.kind === 'ticks' ? numberProblem(text, field.min * tickMs(), field.max * tickMs(), false) : numberProblem(text, field.min, field.max, true);
    if (own !== null) return own;
    const info = algorithm.value;
    if (info === null || field.below === undefined) return null;
    const values = Object.fromEntries(info.options.map((f) => [f.key, optionValue(f)]));
    return relationProblem([field, ...info.options.filter((f) => f.key === field.below)], values);
  }

  const valid = computed(() => algorithm.value !== null && algorithm.value.options.every((f) => optionProblem(f) === null));

  /** Every option's value as the app takes it; meaningful once `valid`. */
  function values(): Record<string, unknown> {
    return Object.fromEntries((algorithm.value?.options ?? []).map((f) => [f.key, optionValue(f)]));
  }

  return reactive({ algorithmName, algorithm, options, valid, optionLabel, optionProblem, values });
}
