// The app's own settings, kept beside its sessions in `<dataDir>/settings.json`. A file that
// cannot be read gives the defaults and a sentence saying so: a setting is never worth a crash.

import { existsSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DEFAULT_RETENTION_BYTES, MAX_RETENTION_BYTES, MIN_RETENTION_BYTES } from '../record/retention.ts';

export interface AppSettings {
  /** Recorded sessions together keep at most this much; the oldest go first. */
  retentionBytes: number;
}

export const DEFAULT_APP_SETTINGS: AppSettings = { retentionBytes: DEFAULT_RETENTION_BYTES };

export function settingsPath(dataDir: string): string {
  return join(dataDir, 'settings.json');
}

function validRetention(value: unknown): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= MIN_RETENTION_BYTES && value <= MAX_RETENTION_BYTES;
}

/** The settings, and a message when the file was there but not usable. */
export function loadAppSettings(dataDir: string): { settings: AppSettings; message: string | null } {
  const path = settingsPath(dataDir);
  if (!existsSync(path)) return { settings: { ...DEFAULT_APP_SETTINGS }, message: null };
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    return { settings: { ...DEFAULT_APP_SETTINGS }, message: `${path} cannot be read (${(error as Error).message}); using the default settings until they are changed` };
  }
  const retention = (raw as { retentionBytes?: unknown } | null)?.retentionBytes;
  if (retention === undefined) return { settings: { ...DEFAULT_APP_SETTINGS }, message: null };
  if (!validRetention(retention)) return { settings: { ...DEFAULT_APP_SETTINGS }, message: `${path}: retentionBytes ${JSON.stringify(retention)} is not a size from ${MIN_RETENTION_BYTES} to ${MAX_RETENTION_BYTES} bytes; using the default` };
  return { settings: { retentionBytes: retention }, message: null };
}

/**
 * Writes the settings, keeping any other fields of the file (a newer version's), through a
 * temporary file renamed over the old one: a crash mid-write leaves one or the other, whole.
 */
export function saveAppSettings(dataDir: string, settings: AppSettings): void {
  const path = settingsPath(dataDir);
  let others: Record<string, unknown> = {};
  try {
    const old: unknown = JSON.parse(readFileSync(path, 'utf8'));
    if (old !== null && typeof old === 'object' && !Array.isArray(old)) others = old as Record<string, unknown>;
  } catch {
    // No file or a broken one: nothing of it is worth keeping.
  }
  const temporary = `${path}.${process.pid}.tmp`;
  writeFileSync(temporary, `${JSON.stringify({ ...others, ...settings }, null, 2)}\n`);
  renameSync(temporary, path);
}
