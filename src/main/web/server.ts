// Browser mode: serves the built window on 127.0.0.1 only, behind a random token, so that the UI
// runs (and is tested) in a real Chromium where Electron cannot start. The WebSocket bridge that
// carries the same interface as the preload attaches to this server.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFile } from 'node:fs/promises';
import { randomBytes, timingSafeEqual } from 'node:crypto';
import { extname, join, normalize, sep } from 'node:path';

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

export async function startWebServer(options: { root: string; port?: number; token?: string }): Promise<WebServer> {
  const token = options.token ?? randomBytes(24).toString('base64url');
  const root = normalize(options.root);
  let port = 0;

  const refuse = (response: ServerResponse, status: number, why: string): void => {
    response.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8' });
    response.end(`${why}\n`);
  };

  const server = createServer((request, response) => {
    void (async () => {
      // Only pages this server itself serves may talk to it: a page elsewhere in the user's browser
      // must not reach the cluster through DNS rebinding or a cross-site request.
      const allowedHosts = [`127.0.0.1:${port}`, `localhost:${port}`];
      if (!allowedHosts.includes(request.headers.host ?? '')) return refuse(response, 403, 'forbidden host');
      const origin = request.headers.origin;
      if (origin !== undefined && !allowedHosts.map((h) => `http://${h}`).includes(origin)) return refuse(response, 403, 'forbidden origin');
      const url = new URL(request.url ?? '/', `http://${request.headers.host}`);
      const fromQuery = url.searchParams.get('token') ?? undefined;
      const authorized = sameToken(fromQuery, token) || sameToken(cookieToken(request), token);
      if (!authorized) return refuse(response, 403, 'missing or wrong token: open the URL the server printed');
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
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
