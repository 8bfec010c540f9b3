// How much of the disk recorded sessions may keep: the newest sessions stay, the oldest go once
// they all add up to more than a limit. One pure rule, so the window (on its own, while it runs)
// and `consensus-playground prune` (when asked) delete exactly the same sessions.

export const KIB = 1024;
export const MIB = KIB * 1024;
export const GIB = MIB * 1024;
export const TIB = GIB * 1024;

/** A window left open records about 2 MB a minute: 2 GiB is about 17 hours of it. */
export const DEFAULT_RETENTION_BYTES = 2 * GIB;
/** Below this, a single busy session could outgrow the limit within minutes and lose its neighbours. */
export const MIN_RETENTION_BYTES = 64 * MIB;
/** Far above any disk: a number past it is a typo, not a wish. */
export const MAX_RETENTION_BYTES = 1024 * TIB;

export interface RetentionCandidate {
  name: string;
  mtimeMs: number;
  bytes: number;
  /** Never deleted (the session being recorded, one open for replay); it still counts towards the total. */
  protected: boolean;
}

export interface RetentionPlan {
  /** Oldest first, the order to delete them in. */
  delete: string[];
  freedBytes: number;
  /** What all sessions keep before deleting. */
  usedBytes: number;
  /** What is left; above the limit only when protected sessions alone exceed it. */
  keptBytes: number;
}

/**
 * The oldest unprotected sessions to delete so that all of them together fit in `limitBytes`.
 * Sessions of the same time go in name order, so the answer never depends on the listing's order.
 */
export function planRetention(sessions: readonly RetentionCandidate[], limitBytes: number): RetentionPlan {
  const oldestFirst = [...sessions].sort((a, b) => a.mtimeMs - b.mtimeMs || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const usedBytes = sessions.reduce((sum, s) => sum + s.bytes, 0);
  let kept = usedBytes;
  const doomed: string[] = [];
  for (const s of oldestFirst) {
    if (kept <= limitBytes) break;
    if (s.protected) continue;
    doomed.push(s.name);
    kept -= s.bytes;
  }
  return { delete: doomed, freedBytes: usedBytes - kept, usedBytes, keptBytes: kept };
}

const UNITS: Record<string, number> = { '': 1, b: 1, k: KIB, kb: KIB, kib: KIB, m: MIB, mb: MIB, mib: MIB, g: GIB, gb: GIB, gib: GIB, t: TIB, tb: TIB, tib: TIB };

/**
 * `2GiB`, `500M`, `1.5 g`, `1073741824`: binary units whether or not the `i` is written, since
 * the sizes people compare with (the file manager's, `du -h`'s) are binary on Linux. Null when
 * the text is not a size.
 */
export function parseByteSize(text: string): number | null {
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(text);
  if (!match) return null;
  const unit = UNITS[(match[2] as string).toLowerCase()];
  if (unit === undefined) return null;
  return Math.round(Number(match[1]) * unit);
}

export function formatBytes(bytes: number): string {
  if (bytes >= GIB) return `${(bytes / GIB).toFixed(2)} GiB`;
  if (bytes >= MIB) return `${(bytes / MIB).toFixed(1)} MiB`;
  if (bytes >= KIB) return `${(bytes / KIB).toFixed(1)} KiB`;
  return `${bytes} B`;
}
