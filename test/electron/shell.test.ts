// The Electron shell with `electron` mocked (its binary cannot be downloaded here): the window's
// security settings, the app:// protocol and its headers, the IPC door and its sender check,
// permissions, the guard on every web contents, the external-link allow-list, the installed
// app's menu, File > Export, and a quit that waits for the workers and files to close.
// The shell is loaded as an installed (packaged) app with ELECTRON_RENDERER_URL set, so every
// check below is the one a user's copy runs.
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { CSP, serveAppFile } from '../../src/main/electron/app-protocol.ts';
import { DOCUMENTATION_LINKS, isDocumentationLink } from '../../src/main/electron/links.ts';

type Listener = (...args: never[]) => unknown;
type MenuItem = { label?: string; role?: string; type?: string; click?: () => void; submenu?: MenuItem[] };
type Frame = { url: string; parent: Frame | null };

const userData = mkdtempSync(join(tmpdir(), 'electron-shell-'));
const DEV_URL = 'http://localhost:5173/';
const h = vi.hoisted(() => ({
  packaged: true,
  windows: [] as Array<{ options: Record<string, unknown>; loaded?: string }>,
  handlers: new Map<string, (...args: unknown[]) => unknown>(),
  appEvents: new Map<string, (...args: never[]) => unknown>(),
  schemes: [] as Array<{ scheme: string; privileges: Record<string, boolean> }>,
  protocols: new Map<string, (request: Request) => Promise<Response> | Response>(),
  menu: [] as Array<{ label?: string; role?: string; submenu?: Array<{ label?: string; role?: string; click?: () => void }> }>,
  permission: null as null | ((c: unknown, p: string, cb: (ok: boolean) => void) => void),
  permissionCheck: null as null | ((...args: unknown[]) => boolean),
  headers: null as null | ((d: { responseHeaders: Record<string, string[]> }, cb: (r: { responseHeaders: Record<string, string[]> }) => void) => void),
  messages: [] as Array<{ type: string; message: string; detail: string }>,
  quit: vi.fn(),
  openExternal: vi.fn(),
}));

vi.mock('electron', () => {
  class BrowserWindow {
    static getAllWindows = () => h.windows;
    webContents = { send: () => undefined };
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
      get isPackaged() {
        return h.packaged;
      },
      whenReady: () => Promise.resolve(),
      getPath: () => userData,
      on: (name: string, f: Listener) => h.appEvents.set(name, f),
      quit: h.quit,
    },
    BrowserWindow,
    ipcMain: { handle: (channel: string, f: (...args: unknown[]) => unknown) => h.handlers.set(channel, f) },
    Menu: { buildFromTemplate: (t: typeof h.menu) => (h.menu = t), setApplicationMenu: () => undefined },
    protocol: {
      registerSchemesAsPrivileged: (schemes: typeof h.schemes) => h.schemes.push(...schemes),
      handle: (scheme: string, f: (request: Request) => Promise<Response>) => h.protocols.set(scheme, f),
    },
    session: {
      defaultSession: {
        setPermissionRequestHandler: (f: typeof h.permission) => (h.permission = f),
        setPermissionCheckHandler: (f: typeof h.permissionCheck) => (h.permissionCheck = f),
        webRequest: { onHeadersReceived: (f: typeof h.headers) => (h.headers = f) },
      },
    },
    shell: { openExternal: h.openExternal, showItemInFolder: vi.fn() },
    dialog: { showMessageBox: async (options: { type: string; message: string; detail: string }) => (h.messages.push(options), { response: 1 }) },
  };
});

const savedRendererUrl = process.env.ELECTRON_RENDERER_URL;
afterAll(() => {
  rmSync(userData, { recursive: true, force: true });
  if (savedRendererUrl === undefined) delete process.env.ELECTRON_RENDERER_URL;
  else process.env.ELECTRON_RENDERER_URL = savedRendererUrl;
});

async function until(what: string, probe: () => boolean, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function topFrame(url: string): { senderFrame: Frame } {
  return { senderFrame: { url, parent: null } };
}

/** A stand-in web contents that keeps what the shell attaches to it. */
function fakeContents() {
  const listeners = new Map<string, (event: { url?: string; preventDefault(): void }) => void>();
  let openHandler: ((details: { url: string }) => unknown) | null = null;
  return {
    on: (name: string, f: (event: { url?: string; preventDefault(): void }) => void) => listeners.set(name, f),
    setWindowOpenHandler: (f: (details: { url: string }) => unknown) => (openHandler = f),
    /** Whether the shell stopped the event (an event with no listener is not stopped). */
    fire(name: string, url?: string): boolean {
      const event = { url, preventDefault: vi.fn() };
      listeners.get(name)?.(event);
      return event.preventDefault.mock.calls.length > 0;
    },
    open: (url: string) => openHandler?.({ url }),
  };
}

function allItems(items: MenuItem[]): MenuItem[] {
  return items.flatMap((item) => [item, ...allItems(item.submenu ?? [])]);
}

describe('the Electron shell, installed', () => {
  beforeAll(async () => {
    process.env.ELECTRON_RENDERER_URL = DEV_URL;
    await import('../../src/main/electron/index.ts');
    await until('the window', () => h.windows.length === 1 && h.menu.length > 0);
  }, 60_000);

  it('opens one locked-down window on app://, never on ELECTRON_RENDERER_URL', () => {
    const window = h.windows[0]!;
    expect(window.options.webPreferences).toMatchObject({ contextIsolation: true, sandbox: true, nodeIntegration: false, devTools: false });
    expect(String((window.options.webPreferences as { preload: string }).preload)).toMatch(/preload[/\\]index\.cjs$/);
    expect(window.loaded).toBe('app://playground/index.html');
    expect(h.schemes).toContainEqual({ scheme: 'app', privileges: expect.objectContaining({ standard: true, secure: true, supportFetchAPI: true }) });
  });

  it('answers app:// with the CSP and safety headers, and refuses paths outside the renderer and bad encodings', async () => {
    const handle = h.protocols.get('app')!;
    expect(handle).toBeTypeOf('function');
    // Run from source, the renderer folder is src/main/renderer: absent, so a 404 that still carries the headers.
    const missing = await handle(new Request('app://playground/index.html'));
    expect(missing.status).toBe(404);
    expect(missing.headers.get('Content-Security-Policy')).toContain("frame-ancestors 'none'");
    expect(missing.headers.get('Content-Security-Policy')).toContain("base-uri 'none'");
    expect(missing.headers.get('Referrer-Policy')).toBe('no-referrer');
    expect(missing.headers.get('X-Content-Type-Options')).toBe('nosniff');
    // Three levels up from src/main/renderer is the repository, whose package.json exists.
    const escape = await handle(new Request('app://playground/..%2F..%2F..%2Fpackage.json'));
    expect(escape.status).toBe(403);
    expect(await escape.text()).not.toContain('consensus-playground');
    const malformed = await handle(new Request('app://playground/%E0%A4%A'));
    expect(malformed.status).toBe(400);
  });

  it('serves files from the renderer folder with their content types, and nothing beside it', async () => {
    const root = mkdtempSync(join(tmpdir(), 'app-protocol-'));
    try {
      mkdirSync(join(root, 'renderer', 'assets'), { recursive: true });
      writeFileSync(join(root, 'renderer', 'index.html'), '<!doctype html><title>p</title>');
      writeFileSync(join(root, 'renderer', 'assets', 'index-1.js'), 'export {};');
      writeFileSync(join(root, 'renderer', 'assets', 'index-1.css'), 'body{}');
      writeFileSync(join(root, 'secret.txt'), 'secret');
      const serve = (url: string) => serveAppFile(join(root, 'renderer'), url);

      const page = await serve('app://playground/');
      expect(page.status).toBe(200);
      expect(page.headers.get('Content-Type')).toMatch(/^text\/html/);
      expect(page.headers.get('Content-Security-Policy')).toBe(CSP);
      expect(await page.text()).toContain('<title>p</title>');
      expect((await serve('app://playground/assets/index-1.js')).headers.get('Content-Type')).toMatch(/^text\/javascript/);
      expect((await serve('app://playground/assets/index-1.css')).headers.get('Content-Type')).toMatch(/^text\/css/);
      expect((await serve('app://playground/assets/nothing.js')).status).toBe(404);
      expect((await serve('app://playground/assets')).status).toBe(404);

      for (const sneaky of ['app://playground/..%2Fsecret.txt', 'app://playground/assets/..%2F..%2Fsecret.txt', `app://playground/${encodeURIComponent(join(root, 'secret.txt'))}`]) {
        const response = await serve(sneaky);
        expect([403, 404], sneaky).toContain(response.status);
        expect(await response.text(), sneaky).not.toBe('secret');
      }
      expect((await serve('app://playground/..%2Fsecret.txt')).status).toBe(403);
      expect((await serve('app://playground/%ZZ')).status).toBe(400);
      expect((await serve('app://playground/index.html%00.js')).status).toBe(400);
      expect((await serve('app://elsewhere/index.html')).status).toBe(400);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  it('gives the dev server CSP with the new directives through onHeadersReceived too', () => {
    let headers: Record<string, string[]> = {};
    h.headers?.({ responseHeaders: {} }, (r) => (headers = r.responseHeaders));
    expect(headers['Content-Security-Policy']?.[0]).toMatch(/default-src 'self'; script-src 'self'/);
    for (const directive of ["object-src 'none'", "form-action 'none'", "base-uri 'none'", "frame-ancestors 'none'"]) expect(headers['Content-Security-Policy']?.[0]).toContain(directive);
    expect(headers['X-Content-Type-Options']).toEqual(['nosniff']);
  });

  it('answers IPC only from the app origin’s top frame; the dev server only while developing', async () => {
    const call = h.handlers.get('playground:call')!;
    const refused = { ok: false, error: expect.stringMatching(/refused/) };
    expect(await call(topFrame('app://playground/index.html'), 'getState', [])).toMatchObject({ ok: true, value: { nodes: expect.any(Array) } });
    expect(await call(topFrame('app://playground/index.html'), 'newCluster', [{ nodes: 0 }])).toMatchObject({ ok: false, error: expect.stringMatching(/invalid newCluster/) });

    const subframe = { senderFrame: { url: 'app://playground/index.html', parent: topFrame('app://playground/index.html').senderFrame } };
    for (const event of [
      topFrame('https://evil.example/'),
      topFrame('app://elsewhere/index.html'),
      topFrame('file:///app/out/renderer/index.html'),
      topFrame('not a url'),
      subframe,
      { senderFrame: null },
      topFrame(DEV_URL),
    ]) {
      expect(await call(event, 'getState', []), JSON.stringify(event)).toMatchObject(refused);
    }

    h.packaged = false;
    try {
      expect(await call(topFrame(`${DEV_URL}index.html`), 'getState', [])).toMatchObject({ ok: true });
      expect(await call(topFrame('http://localhost:5174/'), 'getState', [])).toMatchObject(refused);
    } finally {
      h.packaged = true;
    }
  });

  it('denies every permission request and every permission check', () => {
    const denied = vi.fn();
    h.permission?.(null, 'camera', denied);
    expect(denied).toHaveBeenCalledWith(false);
    expect(h.permissionCheck).toBeTypeOf('function');
    expect(h.permissionCheck!(null, 'clipboard-read', 'app://playground', {})).toBe(false);
    expect(h.permissionCheck!(null, 'notifications', 'app://playground', {})).toBe(false);
  });

  it('guards every web contents: no webviews, no new windows, no navigation away', () => {
    const created = h.appEvents.get('web-contents-created') as ((event: unknown, contents: unknown) => void) | undefined;
    expect(created).toBeTypeOf('function');
    const contents = fakeContents();
    created!({}, contents);
    h.openExternal.mockClear();

    expect(contents.fire('will-attach-webview')).toBe(true);
    expect(contents.open('https://evil.example/')).toEqual({ action: 'deny' });
    expect(contents.open('app://playground/index.html')).toEqual({ action: 'deny' });
    expect(h.openExternal).not.toHaveBeenCalled();
    // A documentation link opens in the user's browser, never in a window of ours.
    expect(contents.open(DOCUMENTATION_LINKS[0]!)).toEqual({ action: 'deny' });
    expect(h.openExternal).toHaveBeenCalledWith(DOCUMENTATION_LINKS[0]);

    expect(contents.fire('will-navigate', 'https://evil.example/')).toBe(true);
    expect(contents.fire('will-navigate', DEV_URL)).toBe(true);
    expect(contents.fire('will-redirect', 'https://evil.example/')).toBe(true);
    expect(contents.fire('will-navigate', 'app://playground/index.html')).toBe(false);
    expect(h.openExternal).toHaveBeenCalledTimes(1);
  });

  it('opens outside only the documentation links', () => {
    for (const link of DOCUMENTATION_LINKS) expect(isDocumentationLink(link), link).toBe(true);
    expect(isDocumentationLink(`${DOCUMENTATION_LINKS[0]}#install`)).toBe(true);
    const base = new URL(DOCUMENTATION_LINKS[0]!);
    for (const link of [
      'https://example.com/',
      `http://${base.host}${base.pathname}`,
      `https://user@${base.host}${base.pathname}`,
      `https://${base.host}.evil.example${base.pathname}`,
      `${DOCUMENTATION_LINKS[0]}/../../someone-else`,
      `${DOCUMENTATION_LINKS[0]}-fork`,
      'file:///etc/passwd',
      'javascript:alert(1)',
      'smb://host/share',
      'not a url',
    ]) {
      expect(isDocumentationLink(link), link).toBe(false);
    }
  });

  it('has no DevTools or force reload in the installed menu', () => {
    const items = allItems(h.menu as MenuItem[]);
    const roles = items.map((item) => item.role?.toLowerCase());
    expect(roles).not.toContain('toggledevtools');
    expect(roles).not.toContain('forcereload');
    expect(roles).not.toContain('viewmenu');
    expect(items.find((item) => item.label === 'View')?.submenu?.map((item) => item.role)).toContain('zoomIn');
  });

  it('exports, and quits only after the service has closed', async () => {
    const file = h.menu.find((m) => m.label === 'File')!;
    const exportItem = file.submenu!.find((i) => i.label?.startsWith('Export This Session'))!;
    exportItem.click!();
    await until('the export dialog', () => h.messages.length > 0);
    expect(h.messages[0]).toMatchObject({ type: 'info', message: 'Data set written' });
    expect(existsSync(join(h.messages[0]!.detail, 'dataset.md'))).toBe(true);

    // Quitting waits for the service: workers ended, files closed, the recording summarized.
    const quitting = { preventDefault: vi.fn() };
    (h.appEvents.get('before-quit') as (event: typeof quitting) => void)(quitting);
    expect(quitting.preventDefault).toHaveBeenCalled();
    expect(h.quit).not.toHaveBeenCalled();
    await until('the quit after closing', () => h.quit.mock.calls.length > 0);
  }, 60_000);
});
