// `npm start` runs the desktop app; where Electron cannot start it says so in one line and opens
// browser mode. `npm run web` (--web) goes to browser mode directly. [--port N]
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { findElectronBinary } from './electron-binary.mjs';

const root = join(import.meta.dirname, '..');
const args = process.argv.slice(2);
const webOnly = args.includes('--web');
const portIndex = args.indexOf('--port');
const port = portIndex >= 0 ? Number(args[portIndex + 1]) : 0;

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
  const sources = [join(root, 'src', 'renderer'), join(root, 'src', 'shared'), join(root, 'src', 'preload'), join(root, 'src', 'main', 'electron')];
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
  const web = await startWebServer({ root: join(root, 'out', 'renderer'), port });
  console.log(`Open ${web.url}`);
  const stop = () => {
    void web.close().then(() => process.exit(0));
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
    const child = spawn(electron.path, [root], { stdio: 'inherit' });
    child.on('exit', (code) => process.exit(code ?? 0));
  }
}
