// The window's way to the app: the preload's object in the desktop app, or the same interface over
// a WebSocket in browser mode (the page was served with the token as a cookie, which the socket
// sends along).
import { API_METHODS, type ApiMethod, type PlaygroundApi, type PlaygroundBridge, type Result, type UpdateBatch } from '../../shared/bridge.ts';

export function browserBridge(url = `ws://${location.host}/bridge`): PlaygroundBridge {
  const listeners = new Set<(batch: UpdateBatch) => void>();
  const pending = new Map<number, (result: Result<unknown>) => void>();
  let nextId = 1;
  let socket: WebSocket;
  let opened: Promise<void>;

  const connect = (): void => {
    socket = new WebSocket(url);
    opened = new Promise((resolve) => socket.addEventListener('open', () => resolve(), { once: true }));
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
  connect();

  const call = async (method: ApiMethod, args: unknown[]): Promise<Result<unknown>> => {
    await opened;
    const id = nextId++;
    return new Promise((resolve) => {
      pending.set(id, (result) => {
        pending.delete(id);
        resolve(result);
      });
      socket.send(JSON.stringify({ id, method, args }));
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
