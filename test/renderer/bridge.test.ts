// @vitest-environment happy-dom
// Browser mode's token on the page's side: read from the fragment once, kept for this tab, gone
// from the address bar, and shown to the socket in its handshake; without one, a clear answer.
import { afterEach, describe, expect, it, vi } from 'vitest';
import { browserBridge, NO_TOKEN_MESSAGE, takeToken } from '../../src/renderer/src/bridge.ts';

describe('the browser-mode token', () => {
  afterEach(() => {
    sessionStorage.clear();
    vi.unstubAllGlobals();
  });

  it('moves the token from the fragment into sessionStorage and out of the address bar', () => {
    history.replaceState(null, '', '/index.html?x=1#token=abc_DEF-123');
    expect(takeToken()).toBe('abc_DEF-123');
    expect(location.hash).toBe('');
    expect(location.pathname + location.search).toBe('/index.html?x=1');
    expect(sessionStorage.getItem('playground-token')).toBe('abc_DEF-123');
    // A reload finds it in the tab's storage.
    expect(takeToken()).toBe('abc_DEF-123');
    expect(document.cookie).toBe('');
  });

  it('survives a malformed fragment', () => {
    history.replaceState(null, '', '/#token=%E0%A4%A');
    expect(takeToken()).toBe('%E0%A4%A');
    history.replaceState(null, '', '/#other=1');
    expect(takeToken()).toBe('%E0%A4%A');
  });

  it('offers the token as a subprotocol, and answers every call with how to get in when there is none', async () => {
    const opened: Array<{ url: string; protocols: string[] }> = [];
    vi.stubGlobal(
      'WebSocket',
      class {
        constructor(url: string, protocols: string[]) {
          opened.push({ url, protocols });
        }
        addEventListener(): void {}
      },
    );
    browserBridge('ws://127.0.0.1:1/bridge', 'tok');
    expect(opened).toEqual([{ url: 'ws://127.0.0.1:1/bridge', protocols: ['playground', 'token.tok'] }]);
    const none = browserBridge('ws://127.0.0.1:1/bridge', null);
    expect(opened).toHaveLength(1);
    await expect(none.getState()).resolves.toEqual({ ok: false, error: NO_TOKEN_MESSAGE });
  });
});
