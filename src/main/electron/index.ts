// The thin Electron shell: one window with Electron's security defaults on. Everything else runs in
// plain Node (src/main) and in the window (src/renderer).
import { join } from 'node:path';
import { app, BrowserWindow, dialog, ipcMain, Menu, session, shell, type IpcMainInvokeEvent } from 'electron';
import { DEFAULT_SETTINGS } from '../../shared/bridge.ts';
import { dispatch } from '../app/api.ts';
import { PlaygroundService } from '../app/service.ts';
import { builtThreadScripts } from '../app/threads.ts';

const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'";

let service: PlaygroundService | null = null;

/** Only our own page may call: a frame that navigated elsewhere (it cannot, but still) gets nothing. */
function trustedSender(event: IpcMainInvokeEvent): boolean {
  const url = event.senderFrame?.url ?? '';
  const devUrl = process.env.ELECTRON_RENDERER_URL;
  return url.startsWith('file://') || (devUrl !== undefined && url.startsWith(devUrl));
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
    },
  });
  // Links open in the user's browser; the window itself never navigates away or opens others.
  window.webContents.setWindowOpenHandler(({ url }) => {
    if (url.startsWith('https://')) void shell.openExternal(url);
    return { action: 'deny' };
  });
  window.webContents.on('will-navigate', (event) => event.preventDefault());
  const stopUpdates = service?.onUpdate((batch) => {
    if (!window.isDestroyed()) window.webContents.send('playground:update', batch);
  });
  window.on('closed', () => stopUpdates?.());
  const devUrl = process.env.ELECTRON_RENDERER_URL;
  if (devUrl) void window.loadURL(devUrl);
  else void window.loadFile(join(import.meta.dirname, '../renderer/index.html'));
}

void app.whenReady().then(async () => {
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
  session.defaultSession.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.defaultSession.webRequest.onHeadersReceived((details, callback) => {
    callback({ responseHeaders: { ...details.responseHeaders, 'Content-Security-Policy': [CSP] } });
  });
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
      { role: 'viewMenu' },
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
