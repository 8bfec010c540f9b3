// A node's clock as the harness runs it. Nodes see time only as ticks, one per TICK_MS of the
// harness's time; a clock-skew fault makes one node's clock drift (it gets 1 + drift ticks per
// tick of the harness, so its timeouts fire early or late: a fast follower calls elections, a slow
// leader trusts a lease too long) and sets how far off its reading is (offsetMs: what
// algorithms that timestamp by their own clock, last-writer-wins, will read; kept here with the
// drift so that a fault means one thing in the simulator and the live cluster).

export interface NodeClock {
  offsetMs: number;
  drift: number;
  /** Ticks owed but not given yet (the fraction a drifting clock carries to the next tick). */
  credit: number;
  /** How far the drift has carried the clock's reading from the harness's time so far. */
  gainedMs: number;
}

/** The slowest clock still ticks (a tenth of the harness's rate); the fastest ten times as fast. */
export const MIN_DRIFT = -0.9;
export const MAX_DRIFT = 9;
export const MAX_OFFSET_MS = 3_600_000;

export function steadyClock(): NodeClock {
  return { offsetMs: 0, drift: 0, credit: 0, gainedMs: 0 };
}

export function setSkew(clock: NodeClock, offsetMs: number, drift: number): void {
  if (!Number.isFinite(drift) || drift < MIN_DRIFT || drift > MAX_DRIFT) throw new RangeError(`a clock's drift is from ${MIN_DRIFT} to ${MAX_DRIFT}, not ${drift}`);
  if (!Number.isFinite(offsetMs) || Math.abs(offsetMs) > MAX_OFFSET_MS) throw new RangeError(`a clock's offset is at most an hour either way, not ${offsetMs} ms`);
  clock.offsetMs = offsetMs;
  clock.drift = drift;
  if (drift === 0) clock.credit = 0;
}

/**
 * How many ticks the node gets at this tick of the harness (1 for a steady clock), each `tickMs`
 * long; the drift also moves the clock's reading.
 */
export function ticksDue(clock: NodeClock, tickMs: number): number {
  if (clock.drift === 0 && clock.credit === 0) return 1;
  clock.gainedMs += clock.drift * tickMs;
  clock.credit += 1 + clock.drift;
  const due = Math.floor(clock.credit);
  clock.credit -= due;
  return due;
}

/** What the node's clock reads when the harness's reads `harnessMs` (whole milliseconds). */
export function clockReading(clock: NodeClock, harnessMs: number): number {
  return Math.round(harnessMs + clock.offsetMs + clock.gainedMs);
}
