// The only pages the app hands to the user's browser. A compromised or confused renderer could
// otherwise use shell.openExternal to launch any URL scheme the OS knows (file:, smb:, custom
// handlers), which is how several Electron apps turned an XSS into code execution.

/** The project's own documentation; a link is opened outside only when it is one of these (any #fragment). */
export const DOCUMENTATION_LINKS: readonly string[] = [
  'https://github.com/consensus-playground/consensus-playground',
  'https://github.com/consensus-playground/consensus-playground#readme',
  'https://github.com/consensus-playground/consensus-playground/releases',
];

const allowed = new Set(DOCUMENTATION_LINKS.map((link) => withoutFragment(new URL(link))));

function withoutFragment(url: URL): string {
  const copy = new URL(url.href);
  copy.hash = '';
  return copy.href;
}

/** Exact matches after URL normalization, so `..` segments, userinfo or a longer host cannot slip past a prefix. */
export function isDocumentationLink(candidate: string): boolean {
  let url: URL;
  try {
    url = new URL(candidate);
  } catch {
    return false;
  }
  return url.protocol === 'https:' && url.username === '' && url.password === '' && allowed.has(withoutFragment(url));
}
