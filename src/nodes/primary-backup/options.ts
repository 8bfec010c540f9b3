import type { ConsistencyName } from '../../shared/consistency.ts';
import { DATA_TYPE_REQUESTS, type RequestFunction, type WorkloadDataType } from '../../shared/history.ts';

/** When the primary answers a write: once every in-sync backup has it, once one backup has it, or at once. */
export type AckMode = 'sync' | 'semi' | 'async';

/** Who answers a read: the primary only, or any replica from its own copy. */
export type ReadMode = 'primary' | 'any';

export interface PrimaryBackupOptions {
  acks: AckMode;
  /**
   * Every promotion takes a new epoch and replicas refuse (and tell) anyone of an older one. Off:
   * replicas take replication from whoever sends it, and a primary learns it was replaced only
   * when the new primary's heartbeat reaches it.
   */
  fencing: boolean;
  reads: ReadMode;
  /**
   * The lease: a backup that has not heard its primary for this long may stand for promotion, and
   * a primary that has not had a heartbeat round answered by a majority for this long steps down.
   */
  leaseTicks: number;
  heartbeatTicks: number;
}

export const defaultPrimaryBackupOptions: PrimaryBackupOptions = {
  acks: 'sync',
  fencing: true,
  reads: 'primary',
  leaseTicks: 15,
  heartbeatTicks: 5,
};

/** The most entries one append carries. */
export const MAX_ENTRIES_PER_APPEND = 64;

/**
 * With sync acks and fencing a committed entry is never taken back, so a replica's commit and
 * applied indexes only grow: the status reports them (and the standard progress monitor checks
 * them) only then. Otherwise a failover or a deposed primary can roll a replica's data back.
 */
export function keepsCommitted(options: Pick<PrimaryBackupOptions, 'acks' | 'fencing'>): boolean {
  return options.acks === 'sync' && options.fencing;
}

/**
 * The strongest model the clients' histories keep. Sync acks, fencing and reads at the primary:
 * linearizable (a write is acknowledged once a majority and every backup in sync hold it, which
 * every promotion keeps; a read waits for a heartbeat round a majority answered after it arrived,
 * which no newer primary can have got past). Reads from any replica with sync and fencing return
 * older prefixes of the one log, so only convergence is left. Semi or async acks lose
 * acknowledged writes when the primary fails, and without fencing a deposed primary overwrites
 * acknowledged writes: no model holds.
 */
export function promisedModel(options: PrimaryBackupOptions): ConsistencyName | null {
  if (!keepsCommitted(options)) return null;
  return options.reads === 'primary' ? 'linearizable' : 'convergent';
}

/**
 * What workloads send it. Every request is served in every mode; but where the promise is
 * convergence (reads from any replica), registers leave appends out: a key where appends and
 * overwrites mix has no final value the convergence check can hold a history to, and the promise
 * would go unjudged.
 */
export function servedRequests(options: PrimaryBackupOptions): Partial<Record<WorkloadDataType, readonly RequestFunction[]>> {
  if (promisedModel(options) !== 'convergent') return DATA_TYPE_REQUESTS;
  return { ...DATA_TYPE_REQUESTS, kv: DATA_TYPE_REQUESTS.kv.filter((f) => f !== 'append') };
}
