// One data set made on many machines: `generate --shard I/N` makes the I-th share with the seeds
// and names the whole run would give, and `merge` joins the shares into exactly the data set one
// `generate` makes, refusing shares that do not belong together.
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/main/cli/cli.ts';
import { shardRange, type Manifest } from '../../src/main/record/manifest.ts';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l), stdin: process.stdin });
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const SETTINGS = ['--sim', '--runs', '6', '--duration', '2s', '--fault-interval', '1s', '--seed', '70'];
const DATA_SET = ['transitions.jsonl', 'events.jsonl', 'history.jsonl', 'dataset.md', 'manifest.json'];
const manifest = (dir: string): Manifest => JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as Manifest;

describe('generate --shard and merge', () => {
  const root = mkdtempSync(join(tmpdir(), 'shards-'));
  const whole = join(root, 'whole');
  const share = (i: number): string => join(root, `share-${i}`);

  beforeAll(async () => {
    const one = await cli('generate', ...SETTINGS, '--out', whole);
    expect(one.code, one.err).toBe(0);
    for (const i of [3, 1, 2]) {
      const r = await cli('generate', ...SETTINGS, '--shard', `${i}/3`, '--out', share(i));
      expect(r.code, r.err).toBe(0);
      expect(r.out).toMatch(new RegExp(`^generated 2 session\\(s\\) \\(shard ${i}/3: runs ${2 * i - 1} to ${2 * i} of 6\\)`));
    }
  }, 120_000);
  afterAll(() => {
    rmSync(root, { recursive: true, force: true });
  });

  it('splits the runs into contiguous blocks, each run in exactly one', () => {
    for (const [runs, count] of [[6, 3], [7, 3], [2, 5], [100, 7]] as const) {
      const covered: number[] = [];
      for (let index = 1; index <= count; index++) {
        const { first, end } = shardRange(runs, { index, count });
        for (let i = first; i < end; i++) covered.push(i);
      }
      expect(covered, `${runs}/${count}`).toEqual(Array.from({ length: runs }, (_, i) => i));
    }
  });

  it('makes each share with the seeds and names of the whole run', () => {
    expect(manifest(share(2)).shard).toEqual({ index: 2, count: 3 });
    expect(manifest(share(2)).sessions.map((s) => [s.index, s.name, s.seed])).toEqual([[2, 'run-3-seed72', 72], [3, 'run-4-seed73', 73]]);
    expect(readdirSync(join(share(2), 'sessions')).sort()).toEqual(['run-3-seed72.session.sqlite', 'run-4-seed73.session.sqlite']);
  });

  it('merges three shares into the same data set as one run, byte for byte', async () => {
    const merged = join(root, 'merged');
    // Given in any order: joined in shard order.
    const r = await cli('merge', share(2), share(3), share(1), '--out', merged);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/^merged 3 share\(s\), 6 session\(s\), into /);
    for (const file of DATA_SET) expect(readFileSync(join(merged, file)).equals(readFileSync(join(whole, file))), file).toBe(true);
    expect(readdirSync(join(merged, 'sessions')).sort()).toEqual(readdirSync(join(whole, 'sessions')).sort());
    const m = manifest(merged);
    expect(m.shard).toBeNull();
    expect(m.sessions.map((s) => s.seed)).toEqual([70, 71, 72, 73, 74, 75]);
    expect(m.files['transitions.jsonl']?.sha256).toMatch(/^[0-9a-f]{64}$/);
    // No wall-clock date in the card: what makes it differ from run to run would be that alone.
    expect(readFileSync(join(merged, 'dataset.md'), 'utf8')).toMatch(/Made by Consensus Playground [\d.]+ from 6 recorded session\(s\)/);
  });

  it('refuses shares that do not make one data set, with the reason, before writing anything', async () => {
    const refused = async (why: RegExp, ...dirs: string[]): Promise<void> => {
      const out = join(root, `refused-${Math.random().toString(36).slice(2)}`);
      const r = await cli('merge', ...dirs, '--out', out);
      expect(r.code, r.out).toBe(2);
      expect(r.err).toMatch(why);
      expect(r.err.split('\n')).toHaveLength(1);
      expect(existsSync(join(out, 'transitions.jsonl'))).toBe(false);
    };
    await refused(/shard 2\/3 missing: give all 3 shares/, share(1), share(3));
    await refused(/shard 1\/3 is given twice/, share(1), share(1), share(2), share(3));
    await refused(/is a whole data set/, whole, share(1));
    await refused(/has no manifest\.json/, root, share(1));

    const other = join(root, 'other-settings');
    cpSync(share(2), other, { recursive: true });
    const m = manifest(other);
    writeFileSync(join(other, 'manifest.json'), JSON.stringify({ ...m, generate: { ...m.generate, settings: { ...m.generate.settings, rate: 50 } } }));
    await refused(/other-settings was generated with other settings than .*share-1: rate 100 vs 50/, share(1), other, share(3));

    const cut = join(root, 'cut-short');
    cpSync(share(3), cut, { recursive: true });
    truncateSync(join(cut, 'events.jsonl'), 1000);
    await refused(/cut-short\/events\.jsonl is not what its manifest says \(1000 bytes/, share(1), share(2), cut);
  });

  it('says what is wrong with --shard in one line, exit 2', async () => {
    for (const bad of ['0/3', '4/3', '1/0', 'two', '1-3']) {
      const r = await cli('generate', ...SETTINGS, '--shard', bad, '--out', join(root, 'bad'));
      expect(r.code, bad).toBe(2);
      expect(r.err).toMatch(/^consensus-playground generate: --shard must be I\/N/);
    }
  });
});
