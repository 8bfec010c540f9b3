// The Electron shell with `electron` mocked (its binary cannot be downloaded here): the window's
// security settings, the IPC door and its sender check, permissions, the CSP, File > Export, and
// a quit that waits for the workers and files to close.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';

const userData = mkdtempSync(join(tmpdir(), 'electron-shell-'));
const h = vi.hoisted(() => ({
  windows: [] as Array<{ options: Record<string, unknown>; openHandler?: (d: { url: string }) => unknown; navigate?: (e: { preventDefault(): void }) => void; loaded?: string }>,
  handlers: new Map<string, (...args: unknown[]) => unknown>(),
  appEvents: new Map<string, (event: { preventDefault(): void }) => void>(),
  menu: [] as Array<{ label?: string; role?: string; submenu?: Array<{ label?: string; click?: () => void }> }>,
  permission: null as null | ((c: unknown, p: string, cb: (ok: boolean) => void) => void),
  headers: null as null | ((d: { responseHeaders: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void),
  messages: [] as Array<{ type: string; message: string; detail: string }>,
  quit: vi.fn(),
}));

vi.mock('electron', () => {
  class BrowserWindow {
    static getAllWindows = () => h.windows;
    webContents = {
      setWindowOpenHandler: (f: (d: { url: string }) => unknown) => (this.record.openHandler = f),
      on: (name: string, f: (e: { preventDefault(): void }) => void) => name === 'will-navigate' && (this.record.navigate = f),
      send: () => undefined,
    };
    record: (typeof h.windows)[number];
    constructor(options: Record<string, unknown>) {
      this.record = { options };
      h.windows.push(this.record);
    }
    on() {}
    isDestroyed = () => false;
    loadFile = (file: string) => (this.record.loaded = file);
    loadURL = (url: string) => (this.record.loaded = url);
  }
  return {
    app: {
      whenReady: () => Promise.resolve(),
      getPath: () => userData,
      on: (name: string, f: (event: { preventDefault(): void }) => void) => h.appEvents.set(name, f),
      quit: h.quit,
    },
    BrowserWindow,
    ipcMain: { handle: (channel: string, f: (...args: unknown[]) => unknown) => h.handlers.set(channel, f) },
    Menu: { buildFromTemplate: (t: typeof h.menu) => (h.menu = t), setApplicationMenu: () => undefined },
    session: { defaultSession: { setPermissionRequestHandler: (f: typeof h.permission) => (h.permission = f), webRequest: { onHeadersReceived: (f: typeof h.headers) => (h.headers = f) } } },
    shell: { openExternal: vi.fn(), showItemInFolder: vi.fn() },
    dialog: { showMessageBox: async (options: { type: string; message: string; detail: string }) => (h.messages.push(options), { response: 1 }) },
  };
});

afterAll(() => rmSync(userData, { recursive: true, force: true }));

async function until(what: string, probe: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe('the Electron shell', () => {
  it('opens one locked-down window over a running cluster, checks every caller, exports, and quits cleanly', async () => {
    await import('../../src/main/electron/index.ts');
    await until('the window', () => h.windows.length === 1 && h.menu.length > 0);
    const window = h.windows[0]!;
    expect(window.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false });
    expect(String((window.options.webPreferences as { preload: string }).preload)).toMatch(/preload[/\\]index\.cjs$/);
    expect(window.openHandler?.({ url: 'https://example.com' })).toEqual({ action: 'deny' });
    const navigation = { preventDefault: vi.fn() };
    window.navigate?.(navigation);
    expect(navigation.preventDefault).toHaveBeenCalled();

    const denied = vi.fn();
    h.permission?.(null, 'camera', denied);
    expect(denied).toHaveBeenCalledWith(false);
    let headers: Record<string, string[]> = {};
    h.headers?.({ responseHeaders: {} }, (r) => (headers = r.responseHeaders));
    expect(headers['Content-Security-Policy']?.[0]).toMatch(/default-src 'self'; script-src 'self'/);

    const call = h.handlers.get('playground:call')!;
    const fromApp = { senderFrame: { url: 'file:///app/out/renderer/index.html' } };
    const fromElsewhere = { senderFrame: { url: 'https://evil.example/' } };
    expect(await call(fromElsewhere, 'getState', [])).toMatchObject({ ok: false, error: expect.stringMatching(/refused/) });
    expect(await call(fromApp, 'getState', [])).toMatchObject({ ok: true, value: { nodes: expect.any(Array) } });
    expect(await call(fromApp, 'newCluster', [{ nodes: 0 }])).toMatchObject({ ok: false, error: expect.stringMatching(/invalid newCluster/) });

    const file = h.menu.find((m) => m.label === 'File')!;
    const exportItem = file.submenu!.find((i) => i.label?.startsWith('Export This Session'))!;
    exportItem.click!();
    await until('the export dialog', () => h.messages.length > 0);
    expect(h.messages[0]).toMatchObject({ type: 'info', message: 'Data set written' });
    expect(existsSync(join(h.messages[0]!.detail, 'dataset.md'))).toBe(true);

    // Quitting waits for the service: workers ended, files closed, the recording summarized.
    const quitting = { preventDefault: vi.fn() };
    h.appEvents.get('before-quit')!(quitting);
    expect(quitting.preventDefault).toHaveBeenCalled();
    await until('the quit after closing', () => h.quit.mock.calls.length > 0);
  }, 60_000);
});
