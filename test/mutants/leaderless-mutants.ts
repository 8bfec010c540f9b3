// Known-bad leaderless nodes. Each breaks one rule of the design; the monitors and the property
// run must catch both, which is how we know the checks can fail at all.

import type { NodeId } from '../../src/shared/protocol.ts';
import { LeaderlessNode, makeLeaderlessAlgorithm, type Operation } from '../../src/nodes/leaderless/leaderless.ts';
import type { Version } from '../../src/nodes/leaderless/versions.ts';
import { defaultFuzzOptions } from '../../src/main/sim/fuzz.ts';
import { FAULT_KINDS } from '../../src/main/sim/faults.ts';

/**
 * Counts a replica towards W when the put leaves for it, not when the replica says it stored the
 * versions: "sent to W replicas" taken for "on W disks", as a fire-and-forget write path does.
 */
class CountsQuorumBeforePersisted extends LeaderlessNode {
  protected override putSent(op: Operation, target: NodeId): void {
    this.onStored(op, target);
  }
}

/**
 * Read repair (and anti-entropy's last step) overwrites the replica's versions with what the
 * repair carries instead of merging them: a repair that arrives after a newer write puts the older
 * version back.
 */
class RepairOverwrites extends LeaderlessNode {
  protected override applyRepair(key: string, versions: Version[]): void {
    this.store.replace(key, versions);
  }
}

/**
 * Runs a two-phase write's first phase and then stamps the write by its clock anyway: with a
 * clock behind, a write that begins after another was acknowledged gets a lower timestamp and
 * loses to it (ABD needs the version from the quorum).
 */
class StampsByClockAfterQuery extends LeaderlessNode {
  protected override writeStamp(_highest: number): number {
    return this.clockReading;
  }
}

export const leaderlessMutants = {
  'counts-quorum-before-persisted': makeLeaderlessAlgorithm(CountsQuorumBeforePersisted, 'leaderless-mutant-counts-quorum-before-persisted'),
  'repair-overwrites': makeLeaderlessAlgorithm(RepairOverwrites, 'leaderless-mutant-repair-overwrites'),
  'stamps-by-clock-after-query': makeLeaderlessAlgorithm(StampsByClockAfterQuery, 'leaderless-mutant-stamps-by-clock-after-query'),
};

/**
 * For the mutant bench (`npm run bench -- mutants`) and this algorithm's mutant tests: each mutant
 * with the violations its bug explains (a property of the monitors, or the model its run promised).
 */
export const catalogue = {
  'counts-quorum-before-persisted': { algorithm: leaderlessMutants['counts-quorum-before-persisted'], caughtBy: ['acknowledged_below_quorum', 'linearizability', 'convergent'] },
  'repair-overwrites': { algorithm: leaderlessMutants['repair-overwrites'], caughtBy: ['version_regressed', 'linearizability', 'convergent'] },
  'stamps-by-clock-after-query': { algorithm: leaderlessMutants['stamps-by-clock-after-query'], caughtBy: ['linearizability', 'convergent'] },
};

/** The fuzz configuration the tests hold the catalogue to. */
export const catalogueFuzzOptions = { ...defaultFuzzOptions, seed: 1, faults: FAULT_KINDS, durationMs: 8000 };
