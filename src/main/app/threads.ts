// The scripts the app starts threads from: each node's host, the recorder's writer, the consistency
// checks. Run from source (plain Node, the CLI, tests) they are the .ts files beside their modules. A build
// (electron.vite.config.ts) bundles the app's modules into out/main/index.js, where those
// relative URLs lead nowhere, and emits each thread script as an entry of its own beside it.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

export interface ThreadScripts {
  /** src/nodes/host/worker.ts, built. */
  nodeHost?: URL;
  /** src/main/record/recorder-writer.ts, built. */
  recorderWriter?: URL;
  /** src/main/app/consistency-thread.ts, built. */
  consistencyChecker?: URL;
  /** src/main/app/comparison-thread.ts, built. */
  comparisonMeasures?: URL;
}

/** Where a build puts each thread script, relative to its out/main folder. */
export const BUILT_THREAD_SCRIPTS = { nodeHost: 'worker.js', recorderWriter: 'recorder-writer.js', consistencyChecker: 'consistency-thread.js', comparisonMeasures: 'comparison-thread.js' } as const;

/**
 * The built thread scripts in `dir` (a build's out/main). Started from a bundle, a missing one is
 * an incomplete build: said at once, rather than by every node failing to start.
 */
export function builtThreadScripts(dir: string): Required<ThreadScripts> {
  const scripts = Object.fromEntries(
    Object.entries(BUILT_THREAD_SCRIPTS).map(([thread, file]) => {
      const path = join(dir, file);
      if (!existsSync(path)) throw new Error(`the app's build is incomplete: ${path} is missing (rebuild with \`npx electron-vite build\`)`);
      return [thread, pathToFileURL(path)];
    }),
  );
  return scripts as Required<ThreadScripts>;
}
