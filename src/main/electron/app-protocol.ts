// The window's files come from app://playground/, served by the main process out of the built
// renderer folder, instead of file://: a file:// page shares its origin with every local file, and
// a custom standard scheme gives the page an origin of its own that CSP 'self' and the IPC sender
// check can name exactly.
import { readFile } from 'node:fs/promises';
import { extname, isAbsolute, join, normalize, relative, sep } from 'node:path';
import { SECURITY_HEADERS } from '../app/security-headers.ts';

export const APP_SCHEME = 'app';
export const APP_HOST = 'playground';
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_INDEX = `${APP_ORIGIN}/index.html`;

// The same headers as browser mode's pages: both modes make the browser engine the same promises.
export { APP_CSP as CSP, SECURITY_HEADERS } from '../app/security-headers.ts';

// nosniff makes the browser trust these, so a wrong one breaks the page rather than guessing.
const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.cjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentTypeOf(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

function refusal(status: number, text: string): Response {
  return new Response(text, { status, headers: { ...SECURITY_HEADERS, 'Content-Type': 'text/plain; charset=utf-8' } });
}

/**
 * The response to one app:// request: a file under `root`, or 400 (not a URL of ours, or a
 * percent-encoding that does not decode), 403 (a path that leaves `root`), 404 (no such file).
 * Never throws: a throw in a protocol handler becomes a net error with no explanation.
 */
export async function serveAppFile(root: string, requestUrl: string): Promise<Response> {
  let url: URL;
  try {
    url = new URL(requestUrl);
  } catch {
    return refusal(400, 'bad request: not a URL');
  }
  if (url.protocol !== `${APP_SCHEME}:` || url.host !== APP_HOST) return refusal(400, 'bad request: not an app URL');
  let path: string;
  try {
    // %2F and %5C decode to separators here, after the URL parser has already resolved the dot
    // segments it could see: the containment check below is what stops `..%2F..%2F`.
    path = decodeURIComponent(url.pathname);
  } catch {
    return refusal(400, 'bad request: malformed percent-encoding');
  }
  if (path.includes('\0')) return refusal(400, 'bad request: NUL in path');
  const base = normalize(root);
  const file = normalize(join(base, path === '/' || path === '' ? 'index.html' : path));
  const inside = relative(base, file);
  if (inside === '' || inside === '..' || inside.startsWith(`..${sep}`) || isAbsolute(inside)) return refusal(403, 'forbidden: outside the app');
  try {
    const body = await readFile(file);
    return new Response(body, { status: 200, headers: { ...SECURITY_HEADERS, 'Content-Type': contentTypeOf(file) } });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR' || code === 'ENOTDIR') return refusal(404, 'not found');
    return refusal(500, 'the file could not be read');
  }
}
