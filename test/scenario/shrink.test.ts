// `fuzz --shrink`: a planted bug the fuzz catches comes back as a small scenario file that still
// breaks the same property with the mutant, and not with the real algorithm; ddmin on its own
// finds exactly what a synthetic failure needs.

import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ddmin } from '../../src/main/scenario/ddmin.ts';
import { parseScenario, type Scenario, type ScenarioStep } from '../../src/main/scenario/file.ts';
import { runScenario } from '../../src/main/scenario/runner.ts';
import { scenarioProperty, shrinkFuzzRun, type ShrinkResult } from '../../src/main/scenario/shrink.ts';
import { fuzzOne, type FuzzOptions, type FuzzRunResult } from '../../src/main/sim/fuzz.ts';
import { shrinkFirst } from '../../src/main/cli/fuzz.ts';
import { main } from '../../src/main/cli/cli.ts';
import type { Algorithm } from '../../src/nodes/types.ts';
import { getAlgorithm } from '../../src/nodes/index.ts';
import { catalogue, catalogueFuzzOptions } from '../mutants/mutants.ts';
import { multiPaxosMutants } from '../mutants/multipaxos-mutants.ts';
import { crdtMutants } from '../mutants/crdt-mutants.ts';
import { primaryBackupMutants } from '../mutants/primary-backup-mutants.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any algorithm's options
type AnyAlgorithm = Algorithm<any>;

describe('ddmin', () => {
  const items = Array.from({ length: 100 }, (_, i) => i);

  it('finds exactly the items a failure needs, in their order, and says it is done', async () => {
    const asked: number[][] = [];
    const result = await ddmin(items, (subset) => (asked.push(subset), [3, 47, 80].every((i) => subset.includes(i))), { budget: 1000 });
    expect(result.items).toEqual([3, 47, 80]);
    expect(result.complete).toBe(true);
    expect(result.tests).toBe(asked.length);
    // Never the whole input again, and no subset twice.
    expect(asked.some((s) => s.length === items.length)).toBe(false);
    expect(new Set(asked.map((s) => s.join(','))).size).toBe(asked.length);
  });

  it('ends 1-minimal where the failure needs either of two pairs', async () => {
    const fails = (s: number[]): boolean => (s.includes(10) && s.includes(11)) || (s.includes(60) && s.includes(90));
    const result = await ddmin(items, fails, { budget: 1000 });
    expect(fails(result.items)).toBe(true);
    for (const left of result.items) expect(fails(result.items.filter((i) => i !== left))).toBe(false);
  });

  it('returns nothing when nothing is needed, after one question', async () => {
    const result = await ddmin(items, () => true, { budget: 1000 });
    expect(result).toEqual({ items: [], tests: 1, complete: true });
  });

  it('stops at its budget, with what it had and not complete', async () => {
    const result = await ddmin(items, (s) => s.includes(42) && s.includes(43), { budget: 5 });
    expect(result.tests).toBe(5);
    expect(result.complete).toBe(false);
    expect(result.items).toContain(42);
    expect(result.items).toContain(43);
  });
});

const fuzzOptions = (algorithm: AnyAlgorithm): FuzzOptions => ({ ...catalogueFuzzOptions, nodes: 5, durationMs: 5000, algorithm, runs: 1 });

/** Seeds from 1 up, the first few whose failure is `property`. */
function failing(options: FuzzOptions, property: RegExp, count: number): FuzzRunResult[] {
  const found: FuzzRunResult[] = [];
  for (let seed = 1; seed <= 40 && found.length < count; seed++) {
    const run = fuzzOne(options, seed);
    if (run.violation !== null && property.test(scenarioProperty(run) ?? '')) found.push(run);
  }
  return found;
}

/** What a scenario run broke, by name (monitor properties, broken models); null when a step could not run. */
async function broken(scenario: Scenario, algorithm?: AnyAlgorithm): Promise<string[] | null> {
  const result = await runScenario(scenario, algorithm === undefined ? {} : { algorithm: algorithm as Algorithm<unknown> });
  if (result.steps.some((s) => s.error !== null)) return null;
  return result.steps.flatMap((s) => s.checks.flatMap((c) => c.found ?? []));
}

type Action = ScenarioStep['actions'][number];
const faultOf = (a: Action) => (a.kind === 'fault' ? a.fault : null);

/** The scenario's faults, each with the one that undoes it (as the shrinker removes them): positions [step, action]. */
function faultUnits(scenario: Scenario): Array<Array<[number, number]>> {
  const units: Array<Array<[number, number]>> = [];
  const open = new Map<string, Array<[number, number]>>();
  scenario.steps.forEach((step, s) =>
    step.actions.forEach((action, a) => {
      const f = faultOf(action);
      if (f === null) return;
      const at: [number, number] = [s, a];
      const undo = f.kind === 'restart' ? `down ${f.node}` : f.kind === 'resume' ? `paused ${f.node}` : f.kind === 'heal' ? 'partition' : f.kind === 'uncut' ? `cut ${f.from}>${f.to}` : f.kind === 'network' && f.rule === null ? 'network' : f.kind === 'link' && f.rule === null ? `link ${f.from}>${f.to}` : null;
      const opens = f.kind === 'crash' ? `down ${f.node}` : f.kind === 'pause' ? `paused ${f.node}` : f.kind === 'partition' ? 'partition' : f.kind === 'cut' ? `cut ${f.from}>${f.to}` : f.kind === 'network' ? 'network' : f.kind === 'link' ? `link ${f.from}>${f.to}` : null;
      if (undo !== null && open.has(undo)) {
        (open.get(undo) as Array<[number, number]>).push(at);
        open.delete(undo);
        return;
      }
      const unit = [at];
      units.push(unit);
      if (opens !== null && undo === null) open.set(opens, unit);
    }),
  );
  return units;
}

function without(scenario: Scenario, unit: Array<[number, number]>): Scenario {
  return { ...scenario, steps: scenario.steps.map((step, s) => ({ ...step, actions: step.actions.filter((_, a) => !unit.some(([us, ua]) => us === s && ua === a)) })) };
}

const size = (r: ShrinkResult['before']): number => r.faults + r.operations;

/**
 * Catches the mutant with the fuzz, shrinks the failure, and holds the result to what it claims:
 * it parses, fails the same way with the mutant, is smaller, and the real algorithm passes it.
 */
async function shrinkAndCheck(mutant: AnyAlgorithm, real: string, property: RegExp): Promise<{ result: ShrinkResult; scenario: Scenario }> {
  const options = fuzzOptions(mutant);
  // As `fuzz --shrink` does: the next failing seed where one's scenario does not fail the same way.
  const tried: string[] = [];
  let result: ShrinkResult | null = null;
  let run: FuzzRunResult | null = null;
  for (const candidate of failing(options, property, 3)) {
    run = candidate;
    result = await shrinkFuzzRun(options, run.seed, { scenarioAlgorithm: real, budget: 150 });
    if (result.reproduced) break;
    tried.push(`seed ${run.seed}: found ${result.foundInstead.join(', ') || 'nothing'}; dropped ${result.dropped.join('; ')}`);
  }
  if (result === null || run === null || !result.reproduced) throw new Error(`no failing seed reproduced as a scenario: ${tried.join(' | ') || 'none failed'}`);
  expect(result.property).toBe(scenarioProperty(run));
  const scenario = parseScenario(result.text, 'shrunk.yaml');
  expect(scenario.algorithm).toBe(real);
  expect(scenario.summary).toContain(`seed ${run.seed}`);
  expect(scenario.summary).toContain(result.property);
  expect(await broken(scenario, mutant)).toContain(result.property);
  expect(size(result.after)).toBeLessThan(size(result.before));
  expect(result.after.nodes).toBeLessThanOrEqual(result.before.nodes);
  expect(result.after.simulatedMs).toBeLessThanOrEqual(result.before.simulatedMs);
  expect(result.candidates).toBeLessThanOrEqual(150);
  // The real algorithm runs the same steps, and every expectation holds.
  const withReal = await runScenario(scenario);
  expect(withReal.passed, JSON.stringify(withReal.steps.flatMap((s) => [s.error, ...s.checks.filter((c) => !c.ok).map((c) => c.text)]).filter(Boolean))).toBe(true);
  return { result, scenario };
}

describe('shrinking planted bugs', () => {
  it('Raft that votes without the log check: leader completeness, on fewer faults, each needed', async () => {
    const { result, scenario } = await shrinkAndCheck((catalogue['votes-without-log-check'] as { algorithm: AnyAlgorithm }).algorithm, 'raft', /^leader_completeness$/);
    expect(result.minimal, 'a shrink of a few faults and operations ends within its budget').toBe(true);
    // 1-minimal in faults: without any one of them (and what undoes it) the violation is gone.
    expect(faultUnits(scenario).length).toBe(result.after.faults);
    for (const unit of faultUnits(scenario)) expect((await broken(without(scenario, unit), (catalogue['votes-without-log-check'] as { algorithm: AnyAlgorithm }).algorithm)) ?? []).not.toContain(result.property);
  }, 60_000);

  it('Raft that trusts its lease blindly: a stale read, the history not linearizable', async () => {
    await shrinkAndCheck((catalogue['stale-lease-reads'] as { algorithm: AnyAlgorithm }).algorithm, 'raft', /^linearizable$/);
  }, 60_000);

  it('Multi-Paxos that ignores the values its promises report: two values in one slot', async () => {
    const mutant = multiPaxosMutants['ignores-promised-values'] as AnyAlgorithm;
    const { result, scenario } = await shrinkAndCheck(mutant, 'multipaxos', /^one_value_per_slot$/);
    expect(result.minimal, 'a shrink of a few faults and operations ends within its budget').toBe(true);
    expect(faultUnits(scenario).length).toBe(result.after.faults);
    for (const unit of faultUnits(scenario)) expect((await broken(without(scenario, unit), mutant)) ?? []).not.toContain(result.property);
  }, 60_000);

  it('an OR-set that removes adds it never saw', async () => {
    const mutant = crdtMutants['or-set-removes-unseen-adds'] as AnyAlgorithm;
    const { result } = await shrinkAndCheck(mutant, 'crdt', /^removed_unseen_add$/);
    expect(result.after.nodes).toBeLessThan(result.before.nodes);
  }, 60_000);

  it('primary-backup that promotes a backup that is behind', async () => {
    await shrinkAndCheck(primaryBackupMutants['promotes-behind'] as AnyAlgorithm, 'primary-backup', /./);
  }, 60_000);
});

describe('fuzz --shrink', () => {
  const dir = mkdtempSync(join(tmpdir(), 'shrink-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  async function cli(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), stdin: process.stdin });
    return { code, out, err };
  }

  it('writes the first failing seed as a scenario file that names the real algorithm, and never over a file', async () => {
    const mutant = multiPaxosMutants['ignores-promised-values'] as AnyAlgorithm;
    const options = fuzzOptions(mutant);
    const runs = [1, 2, 3].map((seed) => fuzzOne(options, seed));
    const file = join(dir, 'shrunk.yaml');
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: () => undefined, stdin: process.stdin };
    await shrinkFirst(runs, options, { algoName: 'multipaxos', out: file, budget: 100, argv: ['--algo', 'multipaxos', '--runs', '3', '--shrink'] }, io);
    // The first failing seed whose scenario fails the same way (an earlier one's may not: out says so).
    const shrunk = /^shrunk seed (\d+) \((\w+)\): \d+ faults?, \d+ operations?, 5 nodes, [\d.]+ s -> \d+ faults?, \d+ operations?, \d nodes?, [\d.]+ s, in \d+ scenario runs/m.exec(out.join('\n'));
    expect(shrunk, out.join('\n')).not.toBeNull();
    const first = runs.find((r) => r.seed === Number(shrunk?.[1])) as FuzzRunResult;
    expect(scenarioProperty(first)).toBe(shrunk?.[2]);
    for (const earlier of runs.filter((r) => r.seed < first.seed && scenarioProperty(r) !== null)) expect(out.join('\n')).toContain(`shrink: seed ${earlier.seed} written as a scenario did not break`);
    expect(out.at(-1)).toBe(`wrote ${file}; run it: consensus-playground scenario run ${file}`);
    const scenario = parseScenario(readFileSync(file, 'utf8'), file);
    expect(scenario.algorithm).toBe('multipaxos');
    expect(scenario.summary).toContain(`consensus-playground fuzz --algo multipaxos --seed ${first.seed} --runs 1`);
    expect(scenario.summary).toContain('This file runs multipaxos, which should keep it.');
    expect(await broken(scenario, mutant)).toContain(scenarioProperty(first));
    // `scenario run` runs the real algorithm, which keeps what the mutant broke.
    const run = await cli('scenario', 'run', file);
    expect(run.code, run.out.join('\n')).toBe(0);
    await expect(shrinkFirst(runs, options, { algoName: 'multipaxos', out: file, budget: 100, argv: [] }, io)).rejects.toThrow(/never overwrites/);
  }, 60_000);

  it('refuses an --out that exists before fuzzing, and --out without --shrink', async () => {
    const file = join(dir, 'taken.yaml');
    writeFileSync(file, 'mine');
    const taken = await cli('fuzz', '--runs', '1', '--duration', '1s', '--shrink', '--out', file);
    expect(taken.code).toBe(2);
    expect(taken.err.join('\n')).toMatch(/exists/);
    expect(readFileSync(file, 'utf8')).toBe('mine');
    const alone = await cli('fuzz', '--runs', '1', '--out', join(dir, 'x.yaml'));
    expect(alone.code).toBe(2);
    expect(existsSync(join(dir, 'x.yaml'))).toBe(false);
  });

  it('refuses a seed that does not fail, and a run a scenario file cannot hold (more than nine nodes)', async () => {
    const options = { ...fuzzOptions((catalogue['forgets-vote'] as { algorithm: AnyAlgorithm }).algorithm), nodes: 10 };
    const run = failing(options, /./, 1)[0] as FuzzRunResult;
    await expect(shrinkFuzzRun(options, run.seed)).rejects.toThrow(/ran 10 nodes; a scenario file has at most 9/);
    await expect(shrinkFuzzRun(fuzzOptions(getAlgorithm('raft') as AnyAlgorithm), 1)).rejects.toThrow(/seed 1 does not fail/);
  });

  it('says so when no run failed', async () => {
    const r = await cli('fuzz', '--runs', '2', '--duration', '1s', '--shrink');
    expect(r.code).toBe(0);
    expect(r.out).toContain('shrink: no run failed');
  });
});
