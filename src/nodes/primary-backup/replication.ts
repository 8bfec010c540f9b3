// What a primary knows of its backups: how far each one's log matches its own, which ones are in
// sync (a sync write waits for each of them), and which lease round each one answered last. From
// these come the commit index each ack mode allows and the lease: a round a majority answered.

import type { NodeId } from '../../shared/protocol.ts';
import type { AckMode } from './options.ts';

export const NEVER = -1_000_000_000;

export interface BackupProgress {
  /** The highest index known to match this primary's log on the backup, durably. */
  match: number;
  /** The next index to send it (sending runs ahead of answers). */
  next: number;
  /** When the primary last heard from it in this epoch: a backup silent for a lease drops out of sync. */
  heardTick: number;
  /** When an append to it last made progress, or was last sent again. */
  progressTick: number;
  /** A sync write waits for this backup. */
  inSync: boolean;
  /** The newest lease round it answered (-1: none). */
  round: number;
}

export class Replication {
  readonly backups = new Map<NodeId, BackupProgress>();
  /** The newest lease round sent; round 0 is the canvass that won the promotion. */
  round = 0;
  /** The newest round a majority (this primary included) answered, and when it was sent. */
  confirmedRound = 0;
  confirmedTick: number;
  private readonly sentTicks = new Map<number, number>();
  private readonly quorum: number;

  /**
   * `voters`: the backups that voted for this promotion. They answered round 0, are alive, and
   * start in sync; the others join once they have caught up to the commit index.
   */
  constructor(backups: readonly NodeId[], voters: ReadonlySet<NodeId>, canvassTick: number, nowTick: number, nextIndex: number) {
    this.quorum = Math.floor((backups.length + 1) / 2) + 1;
    for (const id of backups) {
      const voted = voters.has(id);
      this.backups.set(id, { match: 0, next: nextIndex, heardTick: voted ? nowTick : NEVER, progressTick: NEVER, inSync: voted, round: voted ? 0 : -1 });
    }
    this.sentTicks.set(0, canvassTick);
    this.confirmedTick = canvassTick;
  }

  /** The lease ends here, unless a newer round is answered by a majority before. */
  leaseExpiry(leaseTicks: number): number {
    return this.confirmedTick + leaseTicks;
  }

  startRound(tick: number): number {
    this.round++;
    this.sentTicks.set(this.round, tick);
    this.updateConfirmed();
    return this.round;
  }

  /** A backup answered lease round `round`. Returns whether the confirmed round moved. */
  answered(peer: NodeId, round: number, tick: number): boolean {
    const backup = this.backups.get(peer);
    if (backup === undefined) return false;
    backup.heardTick = tick;
    if (round <= backup.round) return false;
    backup.round = round;
    return this.updateConfirmed();
  }

  private updateConfirmed(): boolean {
    // The primary answers every round it sends itself: the quorum-th highest round answered.
    const rounds = [this.round, ...[...this.backups.values()].map((b) => b.round)].sort((a, b) => b - a);
    const confirmed = rounds[this.quorum - 1] ?? -1;
    if (confirmed <= this.confirmedRound) return false;
    this.confirmedRound = confirmed;
    this.confirmedTick = this.sentTicks.get(confirmed) ?? this.confirmedTick;
    for (const r of [...this.sentTicks.keys()]) if (r < confirmed) this.sentTicks.delete(r);
    return true;
  }

  /**
   * A backup's log matches up to `match` (durably). It comes back in sync once it holds
   * everything acknowledged so far: from then on a sync write waits for it again.
   */
  matched(peer: NodeId, match: number, commit: number, tick: number): void {
    const backup = this.backups.get(peer);
    if (backup === undefined) return;
    backup.heardTick = tick;
    backup.progressTick = tick;
    if (match > backup.match) backup.match = match;
    if (backup.next <= backup.match) backup.next = backup.match + 1;
    if (!backup.inSync && backup.match >= commit) backup.inSync = true;
  }

  /** Backups silent for a whole lease leave the in-sync set: sync writes stop waiting for them. */
  dropSilent(tick: number, leaseTicks: number): boolean {
    let dropped = false;
    for (const backup of this.backups.values()) {
      if (backup.inSync && tick - backup.heardTick >= leaseTicks) {
        backup.inSync = false;
        dropped = true;
      }
    }
    return dropped;
  }

  inSync(): NodeId[] {
    return [...this.backups].filter(([, b]) => b.inSync).map(([id]) => id);
  }

  /**
   * The highest index the ack mode lets this primary acknowledge, its own log ending at
   * `lastIndex` (written before any answer it counts arrives). sync: every in-sync backup holds it
   * and so does a majority, which is what every later promotion hears from; semi: one backup
   * holds it; async: the primary alone. The caller still checks the entry is of its own epoch.
   */
  ackable(acks: AckMode, lastIndex: number): number {
    const backups = [...this.backups.values()];
    if (acks === 'async' || backups.length === 0) return lastIndex;
    if (acks === 'semi') return Math.min(lastIndex, Math.max(...backups.map((b) => b.match)));
    const matches = [lastIndex, ...backups.map((b) => b.match)].sort((a, b) => b - a);
    let index = matches[this.quorum - 1] as number;
    for (const b of backups) if (b.inSync && b.match < index) index = b.match;
    return index;
  }
}
