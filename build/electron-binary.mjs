// Where Electron's binary is, without touching `require('electron')`: since Electron 42 that
// require downloads the binary on first use, which hangs or fails on a machine without access
// to its download host. Returns the path, or null with the reason.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export function findElectronBinary(root = process.cwd()) {
  const dir = join(root, 'node_modules', 'electron');
  if (!existsSync(join(dir, 'package.json'))) return { path: null, reason: 'the electron package is not installed (run npm install)' };
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) return { path: null, reason: "Electron's binary is not installed and cannot be downloaded from here" };
  const relative = readFileSync(pathFile, 'utf8').trim();
  const base = process.env.ELECTRON_OVERRIDE_DIST_PATH ?? join(dir, 'dist');
  const binary = join(base, relative);
  if (!existsSync(binary)) return { path: null, reason: `Electron's binary is missing at ${binary}` };
  return { path: binary, reason: null };
}
