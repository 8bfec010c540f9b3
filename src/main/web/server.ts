// Browser mode: serves the built window on 127.0.0.1 only, so that the UI runs (and is tested) in
// a real Chromium where Electron cannot start. The same interface the preload gives the desktop
// window travels over a WebSocket at /bridge, and only a connection that shows the random token
// printed at start-up gets it.
//
// Anything on this machine can send this server bytes: other users' programs, and pages of any
// site open in the user's browser (through the browser). So no request, upgrade or frame, whatever
// its bytes, may end the process (it holds the running cluster and its recording): each gets an
// answer or a closed connection.
//
// The token is not a cookie: a cookie for 127.0.0.1 goes to every port of it, and so to any other
// local server, and a page that server serves could make the browser send requests here with it.
// The page takes the token from the URL's fragment (never sent in a request), keeps it in
// sessionStorage (this tab only), clears it from the address bar, and shows it in the WebSocket's
// subprotocol list. The static files are served without it: they are the public build, and the
// cluster is reachable only through the socket.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile, stat } from 'node:fs/promises';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { extname, join, normalize, sep } from 'node:path';
import type { Duplex } from 'node:stream';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';
import { BRIDGE_PROTOCOL, MAX_CALL_BYTES, TOKEN_PROTOCOL_PREFIX, type UpdateBatch } from '../../shared/bridge.ts';
import { dispatch } from '../app/api.ts';
import { SECURITY_HEADERS } from '../app/security-headers.ts';
import type { PlaygroundService } from '../app/service.ts';

/** A window further behind than this misses update batches until it catches up (each batch carries the whole state). */
const MAX_BUFFERED_BYTES = 2 * 2 ** 20;
/** Calls one connection may have waiting for an answer; past it, a call is refused at once. */
const MAX_CALLS_IN_FLIGHT = 64;

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.json': 'application/json',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export interface WebServer {
  server: Server;
  port: number;
  token: string;
  /** What to open: the token rides in the fragment, which the browser never sends to a server. */
  url: string;
  close(): Promise<void>;
}

function sameToken(given: string | undefined, token: string): boolean {
  if (given === undefined || given.length !== token.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(token));
}

/** The token a WebSocket handshake shows among its subprotocols, if any. */
function protocolToken(request: IncomingMessage): string | undefined {
  const header = request.headers['sec-websocket-protocol'];
  if (typeof header !== 'string') return undefined;
  return header
    .split(',')
    .map((p) => p.trim())
    .find((p) => p.startsWith(TOKEN_PROTOCOL_PREFIX))
    ?.slice(TOKEN_PROTOCOL_PREFIX.length);
}

/**
 * The decoded path of a request in origin form (`/a/b?c`), or null for anything else: an absolute
 * or authority form, a malformed percent-encoding, a NUL byte. Never throws.
 */
export function requestPath(raw: string | undefined): string | null {
  if (raw === undefined || !raw.startsWith('/')) return null;
  const end = raw.search(/[?#]/);
  try {
    const path = decodeURIComponent(end >= 0 ? raw.slice(0, end) : raw);
    return path.includes('\0') ? null : path;
  } catch {
    return null;
  }
}

export async function startWebServer(options: { root: string; port?: number; token?: string; service?: PlaygroundService }): Promise<WebServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const root = normalize(options.root);
  let port = 0;

  const refuse = (response: ServerResponse, status: number, why: string): void => {
    if (response.headersSent) return void response.destroy();
    response.writeHead(status, { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' });
    response.end(`${why}\n`);
  };

  /**
   * Why a request may not reach this server, or null when it may. Only pages this server itself
   * serves may talk to it: a page elsewhere must not reach the cluster through DNS rebinding (the
   * Host check) or a cross-site request (the Origin check).
   */
  const foreign = (request: IncomingMessage): string | null => {
    const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
    if (!allowedHosts.includes(request.headers.host ?? '')) return 'forbidden host';
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedHosts.map((h) => `http://${h}`).includes(origin)) return 'forbidden origin';
    return null;
  };

  const serveFile = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const why = foreign(request);
    if (why !== null) return refuse(response, 403, why);
    if (request.method !== 'GET' && request.method !== 'HEAD') return refuse(response, 405, 'only GET and HEAD');
    const path = requestPath(request.url);
    if (path === null) return refuse(response, 400, 'bad request path');
    const file = normalize(join(root, path === '/' ? '/index.html' : path));
    if (!file.startsWith(root + sep)) return refuse(response, 403, 'outside the app');
    let body: Buffer;
    try {
      if (!(await stat(file)).isFile()) return refuse(response, 404, 'not found');
      body = await readFile(file);
    } catch {
      return refuse(response, 404, 'not found');
    }
    response.writeHead(200, { ...SECURITY_HEADERS, 'Content-Type': TYPES[extname(file)] ?? 'application/octet-stream', 'Content-Length': body.length });
    response.end(request.method === 'HEAD' ? undefined : body);
  };

  const server = createServer({ maxHeaderSize: 16 * 1024, requestTimeout: 30_000, headersTimeout: 10_000 }, (request, response) => {
    serveFile(request, response).catch(() => refuse(response, 500, 'could not serve that'));
  });
  // A request Node cannot parse: a plain 400 and the connection closed, never an exception.
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
    else socket.destroy();
  });

  const upgradeRefusal = (request: IncomingMessage): string | null => {
    const why = foreign(request);
    if (why !== null) return why;
    if (requestPath(request.url) !== '/bridge' || options.service === undefined) return 'no bridge here';
    return sameToken(protocolToken(request), token) ? null : 'missing or wrong token: open the URL the server printed';
  };

  const sockets = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_CALL_BYTES,
    perMessageDeflate: false,
    handleProtocols: (protocols) => (protocols.has(BRIDGE_PROTOCOL) ? BRIDGE_PROTOCOL : false),
  });
  server.on('upgrade', (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const why = upgradeRefusal(request);
    if (why !== null) {
      socket.end(`HTTP/1.1 403 Forbidden\r\nContent-Type: text/plain\r\nConnection: close\r\n\r\n${why}\n`);
      return;
    }
    try {
      sockets.handleUpgrade(request, socket, head, (ws) => attachBridge(ws, options.service as PlaygroundService));
    } catch {
      socket.destroy();
    }
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
    url: `http://127.0.0.1:${port}/#token=${token}`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const client of sockets.clients) client.terminate();
        sockets.close();
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

type CallId = number | string | null;

/** The call a frame carries, or why it is not one. */
function parseCall(data: RawData): { id: CallId; method: unknown; args: unknown } | { id: CallId; error: string } {
  let call: unknown;
  try {
    call = JSON.parse(String(data));
  } catch {
    return { id: null, error: 'a call must be JSON' };
  }
  if (typeof call !== 'object' || call === null || Array.isArray(call)) return { id: null, error: 'a call must be an object {id, method, args}' };
  const { id, method, args } = call as Record<string, unknown>;
  const callId: CallId = (typeof id === 'number' && Number.isFinite(id)) || (typeof id === 'string' && id.length <= 100) ? id : null;
  return { id: callId, method, args };
}

/** One window's connection: calls in, answers and update batches out. */
function attachBridge(ws: WebSocket, service: PlaygroundService): void {
  let inFlight = 0;
  const send = (message: unknown): void => {
    if (ws.readyState !== ws.OPEN) return;
    try {
      ws.send(JSON.stringify(message));
    } catch {
      ws.terminate();
    }
  };
  const stop = service.onUpdate((batch: UpdateBatch) => {
    if (ws.bufferedAmount > MAX_BUFFERED_BYTES) return;
    send({ type: 'update', batch });
  });
  ws.on('close', stop);
  // A frame over the limit, bad framing, a reset: the connection goes, the server stays.
  ws.on('error', () => ws.terminate());
  ws.on('message', (data) => {
    const call = parseCall(data);
    if ('error' in call) return send({ type: 'result', id: call.id, result: { ok: false, error: call.error } });
    if (inFlight >= MAX_CALLS_IN_FLIGHT) return send({ type: 'result', id: call.id, result: { ok: false, error: `too many calls at once (at most ${MAX_CALLS_IN_FLIGHT})` } });
    inFlight++;
    void dispatch(service, call.method, call.args).then((result) => {
      inFlight--;
      send({ type: 'result', id: call.id, result });
    });
  });
}
