// A data folder's recorded sessions as files on disk: what each keeps there and how to remove it
// all. The window's service and `consensus-playground prune` both go through here, so they agree
// on what a session is made of.

import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { SESSION_SUFFIX } from './session-file.ts';

/** A session's file with SQLite's companions, and the folder of node files it ran on. */
export function sessionDiskPaths(dataDir: string, name: string): { files: string[]; nodes: string } {
  const file = join(dataDir, name);
  return { files: ['', '-wal', '-shm'].map((suffix) => `${file}${suffix}`), nodes: join(dataDir, name.slice(0, -SESSION_SUFFIX.length)) };
}

/** What deleting a session frees. */
export function sessionDiskBytes(dataDir: string, name: string): number {
  const { files, nodes } = sessionDiskPaths(dataDir, name);
  let bytes = 0;
  // The -shm file is SQLite's index of the WAL while the file is open, not data the session keeps.
  for (const file of files) if (!file.endsWith('-shm') && existsSync(file)) bytes += statSync(file).size;
  if (existsSync(nodes) && statSync(nodes).isDirectory()) for (const entry of readdirSync(nodes)) bytes += statSync(join(nodes, entry)).size;
  return bytes;
}

export interface SessionOnDisk {
  name: string;
  /** The session file's: a session being recorded is touched as it goes, so this is when it was last written. */
  mtimeMs: number;
  bytes: number;
}

/** Every session file in the folder (none when the folder is not there yet). */
export function sessionsOnDisk(dataDir: string): SessionOnDisk[] {
  if (!existsSync(dataDir)) return [];
  const found: SessionOnDisk[] = [];
  for (const name of readdirSync(dataDir)) {
    if (!name.endsWith(SESSION_SUFFIX)) continue;
    try {
      found.push({ name, mtimeMs: statSync(join(dataDir, name)).mtimeMs, bytes: sessionDiskBytes(dataDir, name) });
    } catch {
      // Deleted between listing and looking: it is not there to keep or to delete.
    }
  }
  return found;
}

export function removeSessionFromDisk(dataDir: string, name: string): void {
  const { files, nodes } = sessionDiskPaths(dataDir, name);
  for (const file of files) rmSync(file, { force: true });
  if (existsSync(nodes) && statSync(nodes).isDirectory()) rmSync(nodes, { recursive: true, force: true });
}
