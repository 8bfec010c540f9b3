// Known-bad primary-backup nodes. Each breaks one rule of the design; the monitors, the scenarios
// and the property run must catch every one of them, which is how we know the checks can fail.

import type { NodeId } from '../../src/shared/protocol.ts';
import type { Ready } from '../../src/nodes/types.ts';
import type { LogPosition } from '../../src/nodes/primary-backup/log.ts';
import { makePrimaryBackupAlgorithm, PrimaryBackupNode } from '../../src/nodes/primary-backup/primary-backup.ts';
import { defaultFuzzOptions } from '../../src/main/sim/fuzz.ts';

/** Votes for any candidate, however far behind, and a candidate never gives way to one ahead of it. */
class PromotesBehind extends PrimaryBackupNode {
  protected override refusesAsAhead(_candidate: NodeId, _theirs: LogPosition): boolean {
    return false;
  }

  protected override yieldsToAhead(): boolean {
    return false;
  }
}

/**
 * A backup's append replies leave while its write of the entries is still under way (persistFirst
 * false): the primary counts a sync ack for entries the backup has not written down, and a crash
 * of the backup then loses what the primary already acknowledged.
 */
class AcksBeforeDurable extends PrimaryBackupNode {
  protected override shapeReady(ready: Ready): Ready {
    const acks = ready.messages.some((m) => m.body.type === 'append_ack');
    return acks && ready.persist !== null ? { ...ready, persistFirst: false } : ready;
  }
}

/**
 * Answers a read at once from the lease it believes it holds, without waiting for a round sent
 * after the read arrived: a primary that slept through its lease (a pause) answers from a state a
 * newer primary has moved past.
 */
class ReadsFromBelievedLease extends PrimaryBackupNode {
  protected override readRound(): number {
    return this.replication?.confirmedRound ?? 0;
  }
}

export const primaryBackupMutants = {
  'promotes-behind': makePrimaryBackupAlgorithm(PromotesBehind, 'primary-backup-mutant-promotes-behind'),
  'acks-before-durable': makePrimaryBackupAlgorithm(AcksBeforeDurable, 'primary-backup-mutant-acks-before-durable'),
  'reads-from-believed-lease': makePrimaryBackupAlgorithm(ReadsFromBelievedLease, 'primary-backup-mutant-reads-from-believed-lease'),
};

/**
 * For the mutant bench (`npm run bench -- mutants`) and this algorithm's mutant tests: each mutant
 * with the violations its bug explains (a property of the monitors, or the model its run promised).
 */
export const catalogue = {
  'promotes-behind': { algorithm: primaryBackupMutants['promotes-behind'], caughtBy: ['primary_missing_acknowledged', 'acknowledged_write_lost', 'applied_diverged', 'linearizability'] },
  'acks-before-durable': { algorithm: primaryBackupMutants['acks-before-durable'], caughtBy: ['revealed_before_durable', 'acknowledged_write_lost', 'linearizability'] },
  'reads-from-believed-lease': { algorithm: primaryBackupMutants['reads-from-believed-lease'], caughtBy: ['linearizability'] },
};

/** The fuzz configuration the tests hold the catalogue to. */
export const catalogueFuzzOptions = { ...defaultFuzzOptions, seed: 1 };
