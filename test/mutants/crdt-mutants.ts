// Known-bad CRDT replicas. Each breaks the one rule its data type's merge rests on; the monitors
// and the property runs must catch both, which is how we know the checks can fail at all.

import { CrdtNode, makeCrdtAlgorithm } from '../../src/nodes/crdt/crdt.ts';
import { mergeStates, type CrdtState } from '../../src/nodes/crdt/datatypes.ts';
import { compareDots, mergeVectors, seen, type VersionVector } from '../../src/nodes/crdt/dots.ts';
import type { Tagged } from '../../src/nodes/crdt/dot-store.ts';
import { defaultFuzzOptions } from '../../src/main/sim/fuzz.ts';

const size = (vv: VersionVector): number => Object.values(vv).reduce((sum, n) => sum + n, 0);

/**
 * A counter whose merge keeps the newer of two states, the one that has seen more updates,
 * instead of their union (for a textbook G-counter: the newer vector instead of the element-wise
 * maximum). Increments made on both sides of a partition: one side's are lost.
 */
class CounterKeepsNewer extends CrdtNode {
  protected override merge(local: CrdtState, incoming: CrdtState): CrdtState {
    if (local.t !== 'g-counter' && local.t !== 'pn-counter') return mergeStates(local, incoming);
    return size(incoming.vv) > size(local.vv) ? incoming : local;
  }
}

/**
 * An OR-set whose merge treats a tag as seen by the other side once that side has heard from the
 * tag's replica at all, instead of checking the tag's own dot: a remove (or a replica that is
 * merely behind) takes away concurrent adds it never saw.
 */
class OrSetRemovesUnseenAdds extends CrdtNode {
  protected override merge(local: CrdtState, incoming: CrdtState): CrdtState {
    if (local.t !== 'or-set' || incoming.t !== 'or-set') return mergeStates(local, incoming);
    const heardFrom = (vv: VersionVector, t: Tagged): boolean => seen(vv, t.dot[0]) > 0;
    const has = (tags: readonly Tagged[], t: Tagged): boolean => tags.some((o) => o.dot[0] === t.dot[0] && o.dot[1] === t.dot[1]);
    const tagged = [...local.tagged.filter((t) => has(incoming.tagged, t) || !heardFrom(incoming.vv, t)), ...incoming.tagged.filter((t) => !has(local.tagged, t) && !heardFrom(local.vv, t))];
    return { t: 'or-set', vv: mergeVectors(local.vv, incoming.vv), tagged: tagged.sort((a, b) => compareDots(a.dot, b.dot)) };
  }
}

export const crdtMutants = {
  'counter-keeps-newer': makeCrdtAlgorithm(CounterKeepsNewer, 'crdt-mutant-counter-keeps-newer'),
  'or-set-removes-unseen-adds': makeCrdtAlgorithm(OrSetRemovesUnseenAdds, 'crdt-mutant-or-set-removes-unseen-adds'),
};

/**
 * For the mutant bench (`npm run bench -- mutants`) and this algorithm's mutant tests: each mutant
 * with the violations its bug explains (a property of the monitors, or the model its run promised).
 */
export const catalogue = {
  'counter-keeps-newer': { algorithm: crdtMutants['counter-keeps-newer'], caughtBy: ['merge_regressed', 'revealed_before_durable', 'never_invoked', 'counter_beyond_invoked', 'convergent'] },
  'or-set-removes-unseen-adds': { algorithm: crdtMutants['or-set-removes-unseen-adds'], caughtBy: ['removed_unseen_add', 'merge_regressed', 'convergent'] },
};

/** The fuzz configuration the tests hold the catalogue to. */
export const catalogueFuzzOptions = { ...defaultFuzzOptions, seed: 1 };
