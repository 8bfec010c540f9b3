// Browser mode: serves the built window on 127.0.0.1 only, behind a random token, so that the UI
// runs (and is tested) in a real Chromium where Electron cannot start. The same interface the
// preload gives the desktop window travels over a WebSocket at /bridge, behind the same checks.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { extname, join, normalize, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type WebSocket } from 'ws';
import type { UpdateBatch } from '../../shared/bridge.ts';
import { dispatch } from '../app/api.ts';
import type { PlaygroundService } from '../app/service.ts';

/** A window further behind than this misses update batches until it catches up (each batch carries the whole state). */
const MAX_BUFFERED_BYTES = 2 * 2 ** 20;
const MAX_CALL_BYTES = 1 * 2 ** 20;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
};

const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'";
const COOKIE = 'playground_token';

export interface WebServer {
  server: Server;
  port: number;
  token: string;
  url: string;
  close(): Promise<void>;
}

function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined || given.length !== token.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(token));
}

function cookieToken(request: IncomingMessage): string | undefined {
  const header = request.headers.cookie ?? '';
  for (const part of header.split(';')) {
    const [name, value] = part.trim().split('=');
    if (name === COOKIE) return value;
  }
  return undefined;
}

export async function startWebServer(options: { root: string; port?: number; token?: string; service?: PlaygroundService }): Promise<WebServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const root = normalize(options.root);
  let port = 0;

  const refuse = (response: ServerResponse, status: number, why: string): void => {
    response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
    response.end(`${why}\n`);
  };

  /** Why a request may not reach the app, or null when it may. */
  const forbidden = (request: IncomingMessage): string | null => {
    // Only pages this server itself serves may talk to it: a page elsewhere in the user's browser
    // must not reach the cluster through DNS rebinding or a cross-site request.
    const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
    if (!allowedHosts.includes(request.headers.host ?? '')) return 'forbidden host';
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedHosts.map((h) => `http://${h}`).includes(origin)) return 'forbidden origin';
    const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
    const fromQuery = url.searchParams.get('token') ?? undefined;
    const authorized = sameToken(fromQuery, token) || sameToken(cookieToken(request), token);
    if (!authorized) return 'missing or wrong token: open the URL the server printed';
    return null;
  };

  const server = createServer((request, response) => {
    void (async () => {
      const why = forbidden(request);
      if (why !== null) return refuse(response, 403, why);
      const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
      const fromQuery = url.searchParams.get('token') ?? undefined;
      const headers: Record<string, string> = { 'Content-Security-Policy': CSP, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' };
      if (fromQuery !== undefined) headers['Set-Cookie'] = `${COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
      const path = url.pathname === '/' ? '/index.html' : decodeURIComponent(url.pathname);
      const file = normalize(join(root, path));
      if (!file.startsWith(root + sep)) return refuse(response, 403, 'outside the app');
      try {
        const body = await readFile(file);
        response.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream' });
        response.end(body);
      } catch {
        refuse(response, 404, 'not found');
      }
    })();
  });

  const sockets = new WebSocketServer({ noServer: true, maxPayload: MAX_CALL_BYTES });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const why = forbidden(request);
    const path = new URL(request.url ?? '/', 'http://x').pathname;
    if (why !== null || path !== '/bridge' || options.service === undefined) {
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\n\r\n${why ?? 'no bridge here'}\n`);
      return;
    }
    sockets.handleUpgrade(request, socket, head, (ws) => attachBridge(ws, options.service as PlaygroundService));
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    server,
    port,
    token,
    url: `http://127.0.0.1:${port}/?token=${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of sockets.clients) client.terminate();
        sockets.close();
        server.close(() => resolve());
      }),
  };
}

/** One window's connection: calls in, answers and update batches out. */
function attachBridge(ws: WebSocket, service: PlaygroundService): void {
  const stop = service.onUpdate((batch: UpdateBatch) => {
    if (ws.readyState !== ws.OPEN || ws.bufferedAmount > MAX_BUFFERED_BYTES) return;
    ws.send(JSON.stringify({ type: 'update', batch }));
  });
  ws.on('close', stop);
  ws.on('message', (data) => {
    let call: { id?: unknown; method?: unknown; args?: unknown };
    try {
      call = JSON.parse(String(data)) as typeof call;
    } catch {
      ws.send(JSON.stringify({ type: 'result', id: null, result: { ok: false, error: 'a call must be JSON' } }));
      return;
    }
    void dispatch(service, call.method, call.args).then((result) => {
      if (ws.readyState === ws.OPEN) ws.send(JSON.stringify({ type: 'result', id: call.id ?? null, result }));
    });
  });
}
