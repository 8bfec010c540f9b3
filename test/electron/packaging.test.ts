// The desktop package, as far as it can be checked without Electron's binary: the config as
// electron-builder itself reads and validates it, its targets and fuses, every file it names, the
// icons (valid containers, and the ones build/make-icons.mjs draws today from the source), a real
// pack of the app into app.asar with a stand-in Electron, and the release workflows.
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32, inflateSync } from 'node:zlib';
import { FuseV1Options } from '@electron/fuses';
import type { Configuration } from 'electron-builder';
import { beforeAll, describe, expect, it } from 'vitest';

const root = join(import.meta.dirname, '..', '..');
const CONFIG = join(root, 'build', 'electron-builder.config.mjs');
const requireHere = createRequire(import.meta.url);
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { main: string; scripts: Record<string, string> };

function newestMtime(path: string): number {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.mtimeMs;
  return Math.max(0, ...readdirSync(path).map((name) => newestMtime(join(path, name))));
}

/** Builds only when out/ is missing or older than the sources, so that another test's fresh build is reused, not raced. */
function ensureBuilt(): void {
  const built = [join(root, 'out', 'main', 'index.js'), join(root, 'out', 'preload', 'index.cjs'), join(root, 'out', 'renderer', 'index.html')];
  const sources = newestMtime(join(root, 'src'));
  if (built.every((file) => existsSync(file) && statSync(file).mtimeMs >= sources)) return;
  const build = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: root, encoding: 'utf8' });
  expect(build.status, build.stderr).toBe(0);
}

async function loadConfig(): Promise<Configuration> {
  const { getConfig, validateConfiguration } = requireHere('app-builder-lib/out/util/config/config.js');
  const { DebugLogger } = requireHere('builder-util');
  const config = (await getConfig(root, CONFIG, null)) as Configuration;
  await validateConfiguration(config, new DebugLogger(false));
  return config;
}

/** Width and height of a PNG after checking its signature, every chunk's CRC and the pixel data's length. */
function checkPng(bytes: Buffer, what: string): { width: number; height: number } {
  expect(bytes.subarray(0, 8).equals(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a])), `${what}: PNG signature`).toBe(true);
  let offset = 8;
  let width = 0;
  let height = 0;
  const data: Buffer[] = [];
  let ended = false;
  while (offset < bytes.length) {
    const length = bytes.readUInt32BE(offset);
    const type = bytes.toString('latin1', offset + 4, offset + 8);
    const body = bytes.subarray(offset + 8, offset + 8 + length);
    expect(bytes.readUInt32BE(offset + 8 + length), `${what}: ${type} CRC`).toBe(crc32(bytes.subarray(offset + 4, offset + 8 + length)));
    if (type === 'IHDR') {
      width = body.readUInt32BE(0);
      height = body.readUInt32BE(4);
      expect([body[8], body[9]], `${what}: 8-bit RGBA`).toEqual([8, 6]);
    }
    if (type === 'IDAT') data.push(body);
    if (type === 'IEND') ended = true;
    offset += 12 + length;
  }
  expect(ended, `${what}: IEND`).toBe(true);
  expect(offset, `${what}: nothing after IEND`).toBe(bytes.length);
  expect(inflateSync(Buffer.concat(data)).length, `${what}: pixel data`).toBe((width * 4 + 1) * height);
  return { width, height };
}

/** A files option's glob patterns, as given or as electron-builder normalizes them ({ filter: [...] }). */
function patterns(files: Configuration['files']): string[] {
  const list = Array.isArray(files) ? files : files == null ? [] : [files];
  return list.flatMap((item) => (typeof item === 'string' ? [item] : [item.filter ?? []].flat()));
}

type AsarEntry = { files?: Record<string, AsarEntry>; unpacked?: boolean; size?: number };

/** The paths in an app.asar (its header is a JSON table after two small pickles), unpacked ones marked. */
function asarListing(file: string): Map<string, AsarEntry> {
  const bytes = readFileSync(file);
  const jsonLength = bytes.readUInt32LE(12);
  const header = JSON.parse(bytes.toString('utf8', 16, 16 + jsonLength)) as AsarEntry;
  const out = new Map<string, AsarEntry>();
  const walk = (entry: AsarEntry, path: string): void => {
    for (const [name, child] of Object.entries(entry.files ?? {})) {
      out.set(`${path}/${name}`, child);
      walk(child, `${path}/${name}`);
    }
  };
  walk(header, '');
  return out;
}

describe('the desktop package', () => {
  let config: Configuration;

  beforeAll(async () => {
    ensureBuilt();
    config = await loadConfig();
  }, 120_000);

  it('is a configuration electron-builder accepts, run by npm run dist', () => {
    expect(config).toMatchObject({ appId: 'org.consensusplayground.app', productName: 'Consensus Playground', directories: { output: 'dist' } });
    expect(pkg.scripts.dist).toBe('electron-vite build && electron-builder --config build/electron-builder.config.mjs --publish never');
  });

  it('builds an AppImage and a deb, a dmg for Intel and Apple silicon, and an NSIS installer', () => {
    const names = (targets: unknown): string[] => (Array.isArray(targets) ? targets : [targets]).map((t) => (typeof t === 'string' ? t : (t as { target: string }).target));
    expect(names(config.linux?.target).sort()).toEqual(['AppImage', 'deb']);
    expect(config.linux?.maintainer).toMatch(/<.+@.+>/);
    expect(config.linux?.category).toBe('Development');
    expect(config.mac?.target).toEqual([{ target: 'dmg', arch: ['x64', 'arm64'] }]);
    expect(names(config.win?.target)).toEqual(['nsis']);
  });

  it('flips the fuses that close the ways around the app', () => {
    const expected = {
      runAsNode: false,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      onlyLoadAppFromAsar: true,
      enableEmbeddedAsarIntegrityValidation: true,
      enableCookieEncryption: true,
      grantFileProtocolExtraPrivileges: false,
    };
    expect(config.electronFuses).toEqual(expected);
    // Each one names a fuse this version of @electron/fuses (the one electron-builder flips them with) knows.
    for (const name of Object.keys(expected)) expect(FuseV1Options, name).toHaveProperty(name[0]!.toUpperCase() + name.slice(1));
  });

  it('packs only the bundles into an asar, better-sqlite3 left outside it', () => {
    expect(config.asar).toBe(true);
    expect(config.asarUnpack).toContain('**/node_modules/better-sqlite3/**');
    expect(patterns(config.files)).toEqual(expect.arrayContaining(['out/**', 'package.json']));
    for (const pattern of patterns(config.files)) expect(pattern, 'no sources, tests or build scripts').not.toMatch(/^(src|test|build|docs)\b/);
  });

  it('names only files that exist after the build: entries, preload, page and icons', () => {
    const named = [pkg.main, 'out/preload/index.cjs', 'out/renderer/index.html', config.mac!.icon!, config.win!.icon!, config.linux!.icon!];
    for (const path of named) expect(existsSync(join(root, path)), path).toBe(true);
    // The window's preload and page are where src/main/electron/index.ts looks for them, beside out/main.
    const source = readFileSync(join(root, 'src', 'main', 'electron', 'index.ts'), 'utf8');
    expect(source).toContain("'../preload/index.cjs'");
    expect(source).toContain("join(import.meta.dirname, '../renderer')");
    expect(readFileSync(join(root, 'out', 'preload', 'index.cjs'), 'utf8'), 'a sandboxed preload is CommonJS').toMatch(/require\("electron"\)/);
  });

  it('has valid icons: PNGs per size for Linux, PNG-holding .ico and .icns', () => {
    const linuxDir = join(root, config.linux!.icon!);
    const pngs = readdirSync(linuxDir).filter((name) => name.endsWith('.png'));
    expect(pngs.length).toBeGreaterThanOrEqual(5);
    for (const name of pngs) {
      const [w, h] = name.replace('.png', '').split('x').map(Number);
      expect(checkPng(readFileSync(join(linuxDir, name)), name)).toEqual({ width: w, height: h });
    }
    expect(pngs).toContain('512x512.png');
    expect(checkPng(readFileSync(join(root, 'build', 'icon.png')), 'icon.png')).toEqual({ width: 1024, height: 1024 });

    const ico = readFileSync(join(root, config.win!.icon!));
    expect([ico.readUInt16LE(0), ico.readUInt16LE(2)], 'ICO header').toEqual([0, 1]);
    const count = ico.readUInt16LE(4);
    expect(count).toBeGreaterThanOrEqual(5);
    const icoSizes: number[] = [];
    for (let i = 0; i < count; i++) {
      const entry = 6 + 16 * i;
      const size = ico[entry] === 0 ? 256 : ico[entry]!;
      const length = ico.readUInt32LE(entry + 8);
      const offset = ico.readUInt32LE(entry + 12);
      expect(offset + length).toBeLessThanOrEqual(ico.length);
      expect(checkPng(ico.subarray(offset, offset + length), `ico ${size}`)).toEqual({ width: size, height: size });
      icoSizes.push(size);
    }
    expect(icoSizes).toEqual(expect.arrayContaining([16, 32, 48, 256]));

    const icns = readFileSync(join(root, config.mac!.icon!));
    expect(icns.toString('latin1', 0, 4)).toBe('icns');
    expect(icns.readUInt32BE(4)).toBe(icns.length);
    const elements: Record<string, number> = {};
    for (let offset = 8; offset < icns.length; ) {
      const type = icns.toString('latin1', offset, offset + 4);
      const length = icns.readUInt32BE(offset + 4);
      expect(length).toBeGreaterThan(8);
      elements[type] = checkPng(icns.subarray(offset + 8, offset + length), type).width;
      offset += length;
    }
    expect(elements).toEqual({ ic07: 128, ic08: 256, ic09: 512, ic10: 1024 });
  });

  it('has the icons build/make-icons.mjs draws from build/icon-source.svg today', () => {
    const out = mkdtempSync(join(tmpdir(), 'icons-'));
    try {
      const run = spawnSync(process.execPath, [join(root, 'build', 'make-icons.mjs'), '--out', out], { encoding: 'utf8' });
      expect(run.status, run.stderr).toBe(0);
      const files = ['icon.png', 'icon.ico', 'icon.icns', ...readdirSync(join(out, 'icons')).map((name) => join('icons', name))];
      for (const file of files) expect(readFileSync(join(out, file)).equals(readFileSync(join(root, 'build', file))), `${file} is stale: run npm run icons`).toBe(true);
      expect(readdirSync(join(out, 'icons')).sort()).toEqual(readdirSync(join(root, 'build', 'icons')).sort());
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('packs into an app.asar with the bundles and nothing of the sources (Electron stood in for)', async () => {
    const work = mkdtempSync(join(tmpdir(), 'pack-'));
    try {
      // electron-builder copies this folder as "Electron"; fuses need the real binary, so they are left to npm run dist.
      const fakeElectron = join(work, 'electron-dist');
      mkdirSync(join(fakeElectron, 'resources'), { recursive: true });
      writeFileSync(join(fakeElectron, 'electron'), '#!/bin/sh\n');
      chmodSync(join(fakeElectron, 'electron'), 0o755);
      // A copy of the build to pack from, so that another test rebuilding out/ meanwhile cannot empty it under the packer.
      const project = join(work, 'project');
      mkdirSync(project);
      for (const name of ['out', 'package.json', 'package-lock.json']) cpSync(join(root, name), join(project, name), { recursive: true });
      symlinkSync(join(root, 'node_modules'), join(project, 'node_modules'), 'junction');
      const { build, Platform } = requireHere('electron-builder');
      await build({
        projectDir: project,
        targets: Platform.LINUX.createTarget('dir'),
        publish: 'never',
        config: { ...config, electronFuses: null, electronDist: fakeElectron, directories: { ...config.directories, output: join(work, 'dist') } },
      });
      const resources = join(work, 'dist', 'linux-unpacked', 'resources');
      const asar = asarListing(join(resources, 'app.asar'));
      for (const path of ['/package.json', `/${pkg.main.replace(/^\.\//, '')}`, '/out/main/worker.js', '/out/preload/index.cjs', '/out/renderer/index.html']) expect(asar.has(path), path).toBe(true);
      const top = [...asar.keys()].filter((path) => path.lastIndexOf('/') === 0);
      expect(top.sort()).toEqual(['/node_modules', '/out', '/package.json']);
      const natives = [...asar].filter(([path]) => path.startsWith('/node_modules/better-sqlite3/') && path.endsWith('.node'));
      expect(natives.length).toBeGreaterThan(0);
      for (const [path, entry] of natives) {
        expect(entry.unpacked, path).toBe(true);
        expect(existsSync(join(resources, 'app.asar.unpacked', path)), path).toBe(true);
      }
      expect([...asar.keys()].some((path) => path.startsWith('/node_modules/better-sqlite3/deps/')), "SQLite's C sources").toBe(false);
    } finally {
      rmSync(work, { recursive: true, force: true });
    }
  }, 120_000);

  it('releases from the workflows: npm run dist on Linux, macOS and Windows; CI runs .ci/run', () => {
    const release = readFileSync(join(root, '.github', 'workflows', 'release.yml'), 'utf8');
    expect(release).toMatch(/tags:\s*\[\s*'v\*'\s*\]/);
    for (const os of ['ubuntu-latest', 'macos-latest', 'windows-latest']) expect(release).toContain(os);
    expect(release).toMatch(/run: npm ci --no-audit --no-fund\n\s+- run: npm run dist/);
    expect(release).toContain('softprops/action-gh-release');
    const ci = readFileSync(join(root, '.github', 'workflows', 'ci.yml'), 'utf8');
    expect(ci).toMatch(/on:\s*\n\s+push:\s*\n\s+pull_request:/);
    expect(ci).toContain('run: bash .ci/run');
    expect(ci).toMatch(/node:24/);
  });
});
