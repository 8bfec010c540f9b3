// A datadriven scenario file (test/scenarios/...) replayed on any algorithm, a planted mutant
// included, with the algorithm's own monitors watching: what each mutant test asks of the
// interleaving that exposes its bug.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { InteractionEnv, parseScenario } from '../../src/main/scenario/interaction.ts';
import type { Algorithm, ConsensusNode } from '../../src/nodes/types.ts';

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- any algorithm's options
type AnyAlgorithm = Algorithm<any, ConsensusNode>;

/** `file` under test/scenarios/ (e.g. `multipaxos/06-promise-survives-restart.txt`): what it printed, and the properties the monitors found broken. */
export function replayScenario(file: string, algorithm: AnyAlgorithm): { output: string; violations: string[] } {
  const monitor = algorithm.createMonitor();
  let step = 0;
  const env = new InteractionEnv({
    algorithm,
    onReady: (node, ready, status) => monitor.onReady?.(node, ready, status, ++step),
    onStart: (node, { storage, status }) => monitor.onNodeStart?.(node, storage.load(), status, ++step),
    onCrash: (node) => monitor.onNodeCrash?.(node, ++step),
  });
  const text = readFileSync(join(import.meta.dirname, '..', 'scenarios', file), 'utf8');
  const output = parseScenario(text).map((c) => env.run(c.command, c.args));
  monitor.finalCheck();
  return { output: output.join('\n'), violations: monitor.violations().map((v) => v.property) };
}
