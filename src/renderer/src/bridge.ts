// The window's way to the app: the preload's object in the desktop app, or the same interface over
// a WebSocket in browser mode. There the page is opened at the URL the server printed, whose
// fragment holds the token: the page keeps it for this tab and shows it to the socket only.
import { API_METHODS, BRIDGE_PROTOCOL, MAX_CALL_BYTES, TOKEN_PROTOCOL_PREFIX, type ApiMethod, type PlaygroundApi, type PlaygroundBridge, type Result, type UpdateBatch } from '../../shared/bridge.ts';

const TOKEN_KEY = 'playground-token';
export const NO_TOKEN_MESSAGE = 'this page has no token: open the address `npm run web` printed (it ends in #token=...)';

/**
 * The browser-mode token: taken from the address's fragment once, kept in sessionStorage (so a
 * reload still works, and no other tab or site sees it), and cleared from the address bar, where a
 * screenshot or a shared screen would show it.
 */
export function takeToken(where: Pick<Location, 'hash' | 'pathname' | 'search'> = location, storage: Pick<Storage, 'getItem' | 'setItem'> = sessionStorage, history: Pick<History, 'replaceState'> = window.history): string | null {
  const match = /^#(?:.*&)?token=([^&]*)/.exec(where.hash);
  if (match) {
    let given = match[1] as string;
    try {
      given = decodeURIComponent(given);
    } catch {
      // kept as written: the server will refuse it and the page says so
    }
    storage.setItem(TOKEN_KEY, given);
    history.replaceState(null, '', `${where.pathname}${where.search}`);
  }
  return storage.getItem(TOKEN_KEY);
}

export function browserBridge(url = `ws://${location.host}/bridge`, token: string | null = takeToken()): PlaygroundBridge {
  const listeners = new Set<(batch: UpdateBatch) => void>();
  const pending = new Map<number, (result: Result<unknown>) => void>();
  let nextId = 1;
  let socket: WebSocket;
  /** Whether the socket being connected opened (false: it closed first: the app is down, or refused the token). */
  let opened: Promise<boolean>;

  const connect = (): void => {
    socket = new WebSocket(url, [BRIDGE_PROTOCOL, `${TOKEN_PROTOCOL_PREFIX}${token}`]);
    opened = new Promise((resolve) => {
      socket.addEventListener('open', () => resolve(true), { once: true });
      socket.addEventListener('close', () => resolve(false), { once: true });
    });
    socket.addEventListener('message', (event: MessageEvent<string>) => {
      const message = JSON.parse(event.data) as { type: 'update'; batch: UpdateBatch } | { type: 'result'; id: number; result: Result<unknown> };
      if (message.type === 'update') for (const listener of listeners) listener(message.batch);
      else pending.get(message.id)?.(message.result);
    });
    socket.addEventListener('close', () => {
      for (const resolve of pending.values()) resolve({ ok: false, error: 'the connection to the app closed' });
      pending.clear();
      // The app may be restarting: try again shortly, like any live dashboard.
      setTimeout(connect, 1000);
    });
  };
  if (token !== null) connect();

  const call = async (method: ApiMethod, args: unknown[]): Promise<Result<unknown>> => {
    if (token === null) return { ok: false, error: NO_TOKEN_MESSAGE };
    if (!(await opened)) return { ok: false, error: 'cannot reach the app: is `npm run web` still running, and was this page opened at the address it printed?' };
    const id = nextId++;
    const message = JSON.stringify({ id, method, args });
    // The server closes a connection that sends more; better to refuse the one call here.
    if (new TextEncoder().encode(message).length > MAX_CALL_BYTES) return { ok: false, error: `${method}: the call is larger than the ${MAX_CALL_BYTES / 2 ** 20} MiB the app takes at once` };
    return new Promise((resolve) => {
      pending.set(id, (result) => {
        pending.delete(id);
        resolve(result);
      });
      socket.send(message);
    });
  };
  const api = Object.fromEntries(API_METHODS.map((method) => [method, (...args: unknown[]) => call(method, args)])) as unknown as PlaygroundApi;
  return {
    ...api,
    mode: 'browser',
    version: 'browser mode',
    onUpdate(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}

let bridge: PlaygroundBridge | null = null;

export function getBridge(): PlaygroundBridge {
  bridge ??= window.playground ?? browserBridge();
  return bridge;
}

/** For component tests: a bridge of their own. */
export function setBridge(next: PlaygroundBridge): void {
  bridge = next;
}
