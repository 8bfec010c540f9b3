// manifest.json: what a generated data set holds and how it was made, so that shares of one data
// set made on many machines (`generate --shard I/N`) can be checked and joined (`merge`). A whole
// data set's manifest depends only on the generate settings and what the sessions did, never on
// where or when they ran: one run and N joined shards write the same one, byte for byte.

import { createHash, type Hash } from 'node:crypto';
import { createReadStream, readFileSync } from 'node:fs';
import { join } from 'node:path';

export const MANIFEST_FILE = 'manifest.json';
export const MANIFEST_FORMAT = 'consensus-playground/dataset-manifest/1';

export interface ShardSpec {
  /** 1-based, as written on the command line: `--shard 2/3` is index 2 of count 3. */
  index: number;
  count: number;
}

export interface ManifestSession {
  /** Which run of the whole data set, 0-based: its seed is the first seed plus this. */
  index: number;
  name: string;
  seed: number;
  /** The recording, relative to the data set's folder. */
  recording: string;
  transitions: number;
  events: number;
  history: number;
}

export interface ManifestFile {
  bytes: number;
  sha256: string;
}

export interface Manifest {
  format: typeof MANIFEST_FORMAT;
  app: string;
  /** What every share must agree on: the runs of the whole data set, the first seed, the run settings. */
  generate: { runs: number; seed: number; settings: Record<string, unknown> };
  /** Null for a whole data set (one generate run, or merged shares). */
  shard: ShardSpec | null;
  sessions: ManifestSession[];
  files: Record<string, ManifestFile>;
}

/**
 * The runs (0-based, end excluded) of shard `index` of `count`: contiguous blocks that differ in
 * size by at most one, so joining the shards in order is appending them.
 */
export function shardRange(runs: number, shard: ShardSpec): { first: number; end: number } {
  return { first: Math.floor(((shard.index - 1) * runs) / shard.count), end: Math.floor((shard.index * runs) / shard.count) };
}

/** `I/N` with 1 <= I <= N; null when the text is not one. */
export function parseShard(text: string): ShardSpec | null {
  const match = /^(\d{1,6})\/(\d{1,6})$/.exec(text.trim());
  if (!match) return null;
  const index = Number(match[1]);
  const count = Number(match[2]);
  return count >= 1 && index >= 1 && index <= count ? { index, count } : null;
}

/** A file's digest as it is written, piece by piece, so nothing is read back. */
export class FileDigest {
  private readonly hash: Hash = createHash('sha256');
  private bytes = 0;
  update(piece: Uint8Array | string): void {
    this.hash.update(piece);
    this.bytes += typeof piece === 'string' ? Buffer.byteLength(piece) : piece.length;
  }
  finish(): ManifestFile {
    return { bytes: this.bytes, sha256: this.hash.digest('hex') };
  }
}

export async function digestFile(path: string): Promise<ManifestFile> {
  const digest = new FileDigest();
  for await (const chunk of createReadStream(path)) digest.update(chunk as Buffer);
  return digest.finish();
}

/** Keys in one order at every depth, so the same manifest is always the same bytes. */
function sorted(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sorted);
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.keys(value).sort().map((k) => [k, sorted((value as Record<string, unknown>)[k])]));
  return value;
}

export function manifestText(manifest: Manifest): string {
  return `${JSON.stringify(sorted(manifest), null, 2)}\n`;
}

export class ManifestError extends Error {}

export function readManifest(dir: string): Manifest {
  const path = join(dir, MANIFEST_FILE);
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    const missing = (error as NodeJS.ErrnoException).code === 'ENOENT';
    throw new ManifestError(missing ? `${dir} has no ${MANIFEST_FILE}: it was not made by generate (or by a version before manifests)` : `${path} cannot be read: ${(error as Error).message}`);
  }
  const m = raw as Partial<Manifest> | null;
  if (m === null || typeof m !== 'object' || m.format !== MANIFEST_FORMAT || !Array.isArray(m.sessions) || typeof m.files !== 'object' || m.generate === undefined) {
    throw new ManifestError(`${path} is not a data set manifest of this version (format ${JSON.stringify(m?.format ?? null)}, expected ${MANIFEST_FORMAT})`);
  }
  return m as Manifest;
}
