#!/usr/bin/env -S node --max-semi-space-size=8
// The CLI is TypeScript run by Node's own type stripping, so it needs the project's Node 24
// (npm scripts and npx put node_modules/.bin, which holds it, first on PATH). The flag: the thread
// that routes a live cluster's messages runs best with a small young generation (see "Speed" in
// README.md).
const major = Number(process.versions.node.split('.')[0]);
if (major < 24) {
  console.error(
    `consensus-playground needs Node 24 or newer, this is ${process.version}. ` +
      'Run it as `npx consensus-playground` from the project folder, which uses the Node the project installs.',
  );
  process.exit(2);
}
// Node caches what it compiled (type stripping included) on disk, keyed by each file's content:
// a command starts in about half the time from the second run on (0.42 s -> 0.17-0.23 s for
// `check` on a small file, measured on this project's 2-core machine).
const { enableCompileCache } = await import('node:module');
enableCompileCache?.();
// Output piped into a reader that stops early (`| head`): the reader has what it wanted, so the
// command ends quietly instead of dying on the broken pipe (a live cluster's threads with it).
process.stdout.on('error', (error) => {
  if (error.code === 'EPIPE') process.exit(process.exitCode ?? 0);
  throw error;
});
const { main } = await import('./cli.ts');
process.exitCode = await main(process.argv.slice(2), {
  out: (line) => process.stdout.write(line + '\n'),
  err: (line) => process.stderr.write(line + '\n'),
  stdin: process.stdin,
});
