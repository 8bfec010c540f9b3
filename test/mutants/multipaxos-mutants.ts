// Known-bad Multi-Paxos nodes. Each breaks one rule of the protocol; the monitors and the property
// run must catch every one of them, which is how we know the checks can fail at all.

import type { EntryData } from '../../src/shared/protocol.ts';
import type { Ballot } from '../../src/nodes/multipaxos/ballot.ts';
import type { AcceptedValue } from '../../src/nodes/multipaxos/messages.ts';
import { makeMultiPaxosAlgorithm, MultiPaxosNode } from '../../src/nodes/multipaxos/multipaxos.ts';
import { NOOP } from '../../src/nodes/multipaxos/recovery.ts';
import { defaultFuzzOptions } from '../../src/main/sim/fuzz.ts';

/** After phase 1 proposes its own value (a no-op) in every open slot, whatever the promises reported. */
class IgnoresPromisedValues extends MultiPaxosNode {
  protected override recoverValue(_slot: number, _reports: readonly AcceptedValue[]): EntryData {
    return NOOP;
  }
}

/** Accepts in any ballot, even one below the promise it made (and wrote down). */
class AcceptsBelowPromise extends MultiPaxosNode {
  protected override canAccept(_ballot: Ballot): boolean {
    return true;
  }
}

export const multiPaxosMutants = {
  'ignores-promised-values': makeMultiPaxosAlgorithm(IgnoresPromisedValues, 'multipaxos-mutant-ignores-promised-values'),
  'accepts-below-promise': makeMultiPaxosAlgorithm(AcceptsBelowPromise, 'multipaxos-mutant-accepts-below-promise'),
};

/**
 * For the mutant bench (`npm run bench -- mutants`) and this algorithm's mutant tests: each mutant
 * with the violations its bug explains (a property of the monitors, or the model its run promised).
 */
export const catalogue = {
  'ignores-promised-values': { algorithm: multiPaxosMutants['ignores-promised-values'], caughtBy: ['one_value_per_slot', 'learned_unchosen', 'acknowledged_write_lost', 'linearizability'] },
  'accepts-below-promise': { algorithm: multiPaxosMutants['accepts-below-promise'], caughtBy: ['accepted_below_promise', 'one_value_per_slot', 'learned_unchosen', 'acknowledged_write_lost', 'linearizability'] },
};

/** The fuzz configuration the tests hold the catalogue to. */
export const catalogueFuzzOptions = { ...defaultFuzzOptions, seed: 1 };
