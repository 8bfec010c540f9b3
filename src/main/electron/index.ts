// The thin Electron shell: one window with Electron's security defaults on. Everything else runs in
// plain Node (src/main) and in the window (src/renderer).
import { join } from 'node:path';
import {
  app,
  BrowserWindow,
  dialog,
  ipcMain,
  Menu,
  protocol,
  session,
  shell,
  type IpcMainInvokeEvent,
  type MenuItemConstructorOptions,
  type WebContents,
} from 'electron';
import { DEFAULT_SETTINGS } from '../app/cluster-settings.ts';
import { dispatch } from '../app/api.ts';
import { PlaygroundService } from '../app/service.ts';
import { builtThreadScripts } from '../app/threads.ts';
import { APP_INDEX, APP_ORIGIN, APP_SCHEME, SECURITY_HEADERS, serveAppFile } from './app-protocol.ts';
import { isDocumentationLink } from './links.ts';

const RENDERER_DIR = join(import.meta.dirname, '../renderer');

// Only before `ready` can a scheme be made standard and secure: standard gives app://playground a
// real origin (for CSP 'self' and the sender check), secure makes it a secure context like https.
protocol.registerSchemesAsPrivileged([{ scheme: APP_SCHEME, privileges: { standard: true, secure: true, supportFetchAPI: true } }]);

let service: PlaygroundService | null = null;

/**
 * Vite's dev server, while developing only: an installed app must not load whatever page an
 * environment variable names, since anything that can set the variable would get the IPC door.
 */
function devServerUrl(): string | null {
  if (app.isPackaged) return null;
  return process.env.ELECTRON_RENDERER_URL || null;
}

/** Scheme, host and port, compared as parsed; Node's URL gives custom schemes an opaque origin, so `.origin` will not do. */
function sameOrigin(url: string, origin: string): boolean {
  try {
    const a = new URL(url);
    const b = new URL(origin);
    return a.protocol === b.protocol && a.host === b.host;
  } catch {
    return false;
  }
}

function isAppPage(url: string): boolean {
  const dev = devServerUrl();
  return sameOrigin(url, APP_ORIGIN) || (dev !== null && sameOrigin(url, dev));
}

/** Only our own page's top frame may call: not an iframe inside it, not a page it was navigated to. */
function trustedSender(event: IpcMainInvokeEvent): boolean {
  const frame = event.senderFrame;
  if (frame === null || frame.parent !== null) return false;
  return isAppPage(frame.url);
}

/** Every web contents, the window's and any a bug or an attacker manages to create. */
function guardWebContents(contents: WebContents): void {
  contents.on('will-attach-webview', (event) => event.preventDefault());
  contents.setWindowOpenHandler(({ url }) => {
    openDocumentationLink(url);
    return { action: 'deny' };
  });
  const stayHome = (event: { url: string; preventDefault(): void }): void => {
    if (isAppPage(event.url)) return;
    event.preventDefault();
    openDocumentationLink(event.url);
  };
  contents.on('will-navigate', stayHome);
  contents.on('will-redirect', stayHome);
}

function openDocumentationLink(url: string): void {
  if (isDocumentationLink(url)) void shell.openExternal(url);
  else console.warn(`not opened (not one of the documentation links): ${url}`);
}

function createWindow(): void {
  const window = new BrowserWindow({
    width: 1280,
    height: 800,
    title: 'Consensus Playground',
    webPreferences: {
      preload: join(import.meta.dirname, '../preload/index.cjs'),
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      webviewTag: false,
      devTools: !app.isPackaged,
    },
  });
  const stopUpdates = service?.onUpdate((batch) => {
    if (!window.isDestroyed()) window.webContents.send('playground:update', batch);
  });
  window.on('closed', () => stopUpdates?.());
  void window.loadURL(devServerUrl() ?? APP_INDEX);
}

/** The View menu without DevTools or a cache-bypassing reload once installed; the full one while developing. */
function viewMenu(): MenuItemConstructorOptions {
  if (!app.isPackaged) return { role: 'viewMenu' };
  return {
    label: 'View',
    submenu: [{ role: 'resetZoom' }, { role: 'zoomIn' }, { role: 'zoomOut' }, { type: 'separator' }, { role: 'togglefullscreen' }],
  };
}

app.on('web-contents-created', (_event, contents) => guardWebContents(contents));

void app.whenReady().then(async () => {
  protocol.handle(APP_SCHEME, (request) => serveAppFile(RENDERER_DIR, request.url));
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.setPermissionCheckHandler(() => false);
  // The dev server's pages do not pass through serveAppFile; this gives them the same headers.
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    const headers = Object.fromEntries(Object.entries(SECURITY_HEADERS).map(([name, value]) => [name, [value]]));
    callback({ responseHeaders: { ...details.responseHeaders, ...headers } });
  });
  // Node files live with the user's data, like any app's. Run from source (the shell's unit test)
  // this file is not in a bundle, and the service starts threads from the sources.
  const bundled = import.meta.url.endsWith('.js');
  service = new PlaygroundService(join(app.getPath('userData'), 'clusters'), { threads: bundled ? builtThreadScripts(import.meta.dirname) : {} });
  const running = service;
  ipcMain.handle('playground:call', (event, method: unknown, args: unknown) => {
    if (!trustedSender(event)) return { ok: false, error: 'refused: the call did not come from the app window' };
    return dispatch(running, method, args);
  });
  await running.newCluster(DEFAULT_SETTINGS).catch((error: unknown) => console.error('the first cluster did not start:', error));
  Menu.setApplicationMenu(
    Menu.buildFromTemplate([
      {
        label: 'File',
        submenu: [
          {
            label: 'Export This Session as a Data Set…',
            accelerator: 'CmdOrCtrl+E',
            click: () => void exportCurrentSession(),
          },
          { type: 'separator' },
          process.platform === 'darwin' ? { role: 'close' } : { role: 'quit' },
        ],
      },
      { role: 'editMenu' },
      viewMenu(),
      { role: 'windowMenu' },
      { role: 'help', submenu: [{ role: 'about' }] },
    ]),
  );
  createWindow();
  app.on('activate', () => {
    if (BrowserWindow.getAllWindows().length === 0) createWindow();
  });
});

/** File > Export: the running session's transitions, events, history and data card, then where they went. */
async function exportCurrentSession(): Promise<void> {
  if (service === null) return;
  try {
    const dir = await service.exportCurrentSession();
    const { response } = await dialog.showMessageBox({ type: 'info', message: 'Data set written', detail: dir, buttons: ['Show in Folder', 'OK'], defaultId: 1 });
    if (response === 0) shell.showItemInFolder(join(dir, 'dataset.md'));
  } catch (error) {
    await dialog.showMessageBox({ type: 'error', message: 'The data set could not be written', detail: (error as Error).message });
  }
}

app.on('window-all-closed', () => {
  if (process.platform !== 'darwin') app.quit();
});

// Workers ended and files closed before the process goes: a quit waits for the service.
let closing = false;
app.on('before-quit', (event) => {
  if (closing || service === null) return;
  closing = true;
  event.preventDefault();
  void service.close().finally(() => app.quit());
});
