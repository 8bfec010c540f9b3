// Summaries of measured values, as the window's charts and a replay's show them.

/** The value at fraction `p` (0 to 1) of values sorted ascending; null when there are none. */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))] as number;
}
