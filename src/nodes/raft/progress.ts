// What a leader knows about one follower's log, and how hard it may push entries at it
// (etcd's Progress: probe, replicate and snapshot states, with a window of in-flight appends).

export type ProgressState =
  /** We do not know where the follower's log matches ours: one append at a time, then wait. */
  | 'probe'
  /** The follower is keeping up: stream appends, up to `maxInflight` unacknowledged. */
  | 'replicate'
  /** The entries it needs are compacted away: a snapshot is on its way. */
  | 'snapshot';

export class Progress {
  match = 0;
  next: number;
  state: ProgressState = 'probe';
  /** In probe state: an append was sent and we wait for its answer or the next heartbeat. */
  probeSent = false;
  /** Last index of each append in flight, oldest first (replicate state). */
  private inflight: number[] = [];
  pendingSnapshot = 0;
  /** Heard from since the last CheckQuorum round. */
  recentActive = false;
  /** The commit index we last told this follower about. */
  sentCommit = 0;
  /** Highest heartbeat context the follower has answered (ReadIndex confirmation). */
  ackedContext = 0;
  /** Heartbeat responses seen since `match` last moved while appends were outstanding. */
  stalledHeartbeats = 0;

  constructor(next: number) {
    this.next = next;
  }

  /** Records an acknowledged match. Returns false for a stale or duplicate acknowledgement. */
  maybeUpdate(matchIndex: number): boolean {
    let updated = false;
    if (this.match < matchIndex) {
      this.match = matchIndex;
      this.probeSent = false;
      this.stalledHeartbeats = 0;
      updated = true;
    }
    if (this.next < matchIndex + 1) this.next = matchIndex + 1;
    this.freeUpTo(matchIndex);
    return updated;
  }

  /**
   * The follower rejected an append whose prevIndex was `rejectedIndex`; `hintNext` is where the
   * conflict hints say to retry. Returns false when the rejection is stale (we already moved past it).
   */
  rejected(rejectedIndex: number, hintNext: number): boolean {
    if (this.state === 'snapshot') return false;
    if (this.state === 'replicate') {
      if (rejectedIndex <= this.match) return false;
      this.becomeProbe();
    } else if (this.next - 1 !== rejectedIndex) {
      return false;
    }
    this.next = Math.max(this.match + 1, Math.min(hintNext, rejectedIndex));
    this.probeSent = false;
    return true;
  }

  becomeProbe(): void {
    if (this.state === 'snapshot') {
      this.next = Math.max(this.match + 1, this.pendingSnapshot + 1);
    } else {
      this.next = this.match + 1;
    }
    this.state = 'probe';
    this.probeSent = false;
    this.pendingSnapshot = 0;
    this.inflight.length = 0;
    this.stalledHeartbeats = 0;
  }

  becomeReplicate(): void {
    this.state = 'replicate';
    this.next = this.match + 1;
    this.probeSent = false;
    this.inflight.length = 0;
    this.stalledHeartbeats = 0;
  }

  becomeSnapshot(index: number): void {
    this.state = 'snapshot';
    this.pendingSnapshot = index;
    this.inflight.length = 0;
    this.stalledHeartbeats = 0;
  }

  /** Called after an append with entries up to `lastIndex` was sent. */
  sentEntries(lastIndex: number): void {
    if (this.state === 'replicate') {
      this.next = lastIndex + 1;
      this.inflight.push(lastIndex);
    } else if (this.state === 'probe') {
      this.probeSent = true;
    }
  }

  isPaused(maxInflight: number): boolean {
    switch (this.state) {
      case 'probe':
        return this.probeSent;
      case 'replicate':
        return this.inflight.length >= maxInflight;
      case 'snapshot':
        return true;
    }
  }

  hasInflight(): boolean {
    return this.inflight.length > 0;
  }

  private freeUpTo(index: number): void {
    let n = 0;
    while (n < this.inflight.length && (this.inflight[n] as number) <= index) n++;
    if (n > 0) this.inflight.splice(0, n);
  }
}
