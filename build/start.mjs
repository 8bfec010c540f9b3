// `npm start` runs the desktop app; where Electron cannot start it says so in one line and opens
// browser mode. `npm run web` (--web) goes to browser mode directly. [--port N] [--data-dir DIR]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { homedir } from 'node:os';
import { findElectronBinary } from './electron-binary.mjs';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const webOnly = args.includes('--web');
const portIndex = args.indexOf('--port');
const port = portIndex >= 0 ? Number(args[portIndex + 1]) : 0;
const dataDirIndex = args.indexOf('--data-dir');
// Where the desktop app keeps its clusters on Linux (userData), so both modes share one place.
const dataDir =
  dataDirIndex >= 0
    ? args[dataDirIndex + 1]
    : join(process.env.XDG_CONFIG_HOME ?? join(homedir(), '.config'), 'consensus-playground', 'clusters');

function newestMtime(dir) {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const stat = statSync(path);
    newest = Math.max(newest, stat.isDirectory() ? newestMtime(path) : stat.mtimeMs);
  }
  return newest;
}

function buildIfStale() {
  const built = join(root, 'out', 'renderer', 'index.html');
  // The Electron bundle carries main and the node host too (out/main/index.js, out/main/worker.js).
  const sources = ['renderer', 'shared', 'preload', 'main', 'nodes'].map((dir) => join(root, 'src', dir));
  const stale = !existsSync(built) || sources.some((dir) => newestMtime(dir) > statSync(built).mtimeMs);
  if (!stale) return;
  console.log('Building the app...');
  const result = spawnSync(process.execPath, [join(root, 'node_modules', 'electron-vite', 'bin', 'electron-vite.js'), 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'inherit'] });
  if (result.status !== 0) {
    console.error('The build failed; see the errors above.');
    process.exit(1);
  }
}

async function browserMode() {
  buildIfStale();
  const { startWebServer } = await import('../src/main/web/server.ts');
  const { PlaygroundService } = await import('../src/main/app/service.ts');
  const { builtThreadScripts } = await import('../src/main/app/threads.ts');
  const { DEFAULT_SETTINGS } = await import('../src/main/app/cluster-settings.ts');
  // Threads start from the build just checked: a bundled script loads in a third of the time its
  // TypeScript sources take (a node's restart 135 -> 67 ms, five nodes' start 460 -> 195 ms).
  const service = new PlaygroundService(dataDir, { threads: builtThreadScripts(join(root, 'out', 'main')) });
  // Something alive to look at from the first second.
  await service.newCluster(DEFAULT_SETTINGS);
  const web = await startWebServer({ root: join(root, 'out', 'renderer'), port, service });
  console.log(`Open ${web.url}`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void Promise.all([web.close(), service.close()]).then(() => process.exit(0));
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

if (webOnly) {
  await browserMode();
} else {
  const electron = findElectronBinary(root);
  if (electron.path === null) {
    console.log(`Electron cannot start here (${electron.reason}); opening browser mode instead.`);
    await browserMode();
  } else {
    buildIfStale();
    // The main process routes every message between nodes: the same small young generation as
    // browser mode's (see "Speed" in README.md).
    const child = spawn(electron.path, ['--js-flags=--max-semi-space-size=8', root], { stdio: 'inherit' });
    child.on('exit', (code) => process.exit(code ?? 0));
  }
}
