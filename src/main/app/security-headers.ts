// The headers every page of the app is served with, in the desktop window (its app:// protocol) and
// in browser mode alike, so that both modes make the same promises to the browser engine.

/**
 * Scripts, styles and connections from the app itself only; no framing (clickjacking), no <base>
 * that would move relative URLs elsewhere, no plugins, no form posts out of the page.
 */
export const APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  // Vue's transitions and the charts set style attributes at run time.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURITY_HEADERS: Readonly<Record<string, string>> = {
  'Content-Security-Policy': APP_CSP,
  // A link the user follows out of the app must not carry the page's address (or anything in it).
  'Referrer-Policy': 'no-referrer',
  'X-Content-Type-Options': 'nosniff',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
  'Cache-Control': 'no-store',
};
