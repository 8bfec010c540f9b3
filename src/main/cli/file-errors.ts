// A file the user named that cannot be used is the user's mistake to fix, not a bug: the CLI says
// so in one line and exits 2, as it does for a bad option. What counts as such a mistake is the
// operating system's refusals below and a session file the reader refused (SessionFileError);
// anything else is a bug and keeps its stack trace.

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or folder',
  ENOTDIR: 'a part of the path is not a folder',
  EISDIR: 'is a folder, not a file',
  EEXIST: 'already exists',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ELOOP: 'is a symbolic link (or a loop of them)',
  ENOSPC: 'no space left on the device',
  EROFS: 'the file system is read-only',
  ENAMETOOLONG: 'the name is too long',
};

/** One line for a file error, or null when `error` is not one (a bug, which should show its trace). */
export function fileErrorMessage(error: unknown): string | null {
  if (!(error instanceof Error)) return null;
  // Checked by name: importing session-file.ts here would load SQLite for every command.
  if (error.name === 'SessionFileError') return error.message;
  const { code, path } = error as NodeJS.ErrnoException;
  if (code === undefined || !(code in REASONS)) return null;
  // Our own refusals carry a code and a sentence of their own; Node's start with the code.
  if (!error.message.startsWith(`${code}:`)) return error.message;
  return path === undefined ? `${REASONS[code]}` : `${path}: ${REASONS[code]}`;
}
