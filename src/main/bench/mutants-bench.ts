// How good the fuzzer is at finding bugs: every known-bad algorithm of the mutant catalogues in
// test/mutants, fuzzed from seed 1 upward until the first failure its bug explains. Figures: runs
// to catch each mutant, and caught / catalogue per algorithm, with swarm runs (a random subset of
// faults at extreme settings) against the baseline in the same run, every fault at moderate
// settings in every run.
//
// A catalogue is any test/mutants/*mutants*.ts module exporting `catalogue` (name -> { algorithm,
// caughtBy }) and `catalogueFuzzOptions`; the algorithm it belongs to is read from its mutants'
// names (`raft-mutant-...`).

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Algorithm } from '../../nodes/types.ts';
import { runsToCatch, type FuzzOptions } from '../sim/fuzz.ts';
import type { BenchFigure, BenchSuite } from './types.ts';

const WITHIN = 300;

interface CatalogueMutant {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- any algorithm's options
  algorithm: Algorithm<any>;
  caughtBy: readonly string[];
}

interface Catalogue {
  file: string;
  mutants: Record<string, CatalogueMutant>;
  options: Omit<FuzzOptions, 'runs' | 'onRun' | 'algorithm'>;
}

async function loadCatalogues(): Promise<Catalogue[]> {
  const dir = join(import.meta.dirname, '..', '..', '..', 'test', 'mutants');
  const files = readdirSync(dir).filter((f) => /mutants.*\.ts$/.test(f) && !f.endsWith('.test.ts')).sort();
  const out: Catalogue[] = [];
  for (const file of files) {
    const module = (await import(pathToFileURL(join(dir, file)).href)) as { catalogue?: Record<string, CatalogueMutant>; catalogueFuzzOptions?: Catalogue['options'] };
    if (module.catalogue === undefined || module.catalogueFuzzOptions === undefined) continue;
    out.push({ file, mutants: module.catalogue, options: module.catalogueFuzzOptions });
  }
  return out;
}

export const mutantsBench: BenchSuite = {
  name: `fuzzer: runs to catch each known-bad algorithm (seeds from 1, at most ${WITHIN}), swarm runs against every fault in every run`,
  async run(progress) {
    const figures: BenchFigure[] = [];
    const perAlgorithm = new Map<string, { total: number; swarm: number; plain: number }>();
    for (const catalogue of await loadCatalogues()) {
      for (const [name, mutant] of Object.entries(catalogue.mutants)) {
        const family = mutant.algorithm.name.split('-mutant-')[0] ?? mutant.algorithm.name;
        progress(`${family} ${name}`);
        const counts = (run: { violation: { property: string } | null }): boolean => mutant.caughtBy.includes(run.violation?.property ?? '');
        const swarm = runsToCatch({ ...catalogue.options, swarm: true, algorithm: mutant.algorithm }, counts, WITHIN);
        const plain = runsToCatch({ ...catalogue.options, swarm: false, algorithm: mutant.algorithm }, counts, WITHIN);
        const tally = perAlgorithm.get(family) ?? { total: 0, swarm: 0, plain: 0 };
        tally.total++;
        if (swarm.runs !== null) tally.swarm++;
        if (plain.runs !== null) tally.plain++;
        perAlgorithm.set(family, tally);
        // Not caught counts as WITHIN + 1, so that a miss still reads as worse than any catch.
        const value = swarm.runs ?? WITHIN + 1;
        const base = plain.runs ?? WITHIN + 1;
        const how = swarm.caught?.violation?.property ?? `not caught in ${WITHIN}`;
        figures.push({
          name: `mutants.${family}.${name}`,
          label: `${family} ${name}: runs to catch (${how})`,
          value,
          unit: 'runs',
          baseline: { label: plain.runs === null ? `every fault, not caught in ${WITHIN}` : `every fault (${plain.caught?.violation?.property})`, value: base },
          ratio: base / value,
          better: 'lower',
          target: { text: `<= ${WITHIN}`, met: swarm.runs !== null },
        });
      }
    }
    for (const [family, tally] of perAlgorithm) {
      figures.push({
        name: `mutants.${family}.caught`,
        label: `${family}: mutants caught within ${WITHIN} runs, of ${tally.total}`,
        value: tally.swarm,
        unit: 'mutants',
        baseline: { label: 'every fault in every run', value: tally.plain },
        ratio: tally.swarm / Math.max(1, tally.plain),
        better: 'higher',
        target: { text: `all ${tally.total}`, met: tally.swarm === tally.total },
      });
    }
    return figures;
  },
};
