import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';

/**
 * YAML files the main bundle reads at run time, beside it (out/main/<into>/): the lesson library
 * (src/main/app/lessons.ts) and the challenges (src/main/scenario/challenge.ts).
 */
function yamlFiles(from: string, into: string): Plugin {
  const dir = resolve(import.meta.dirname, from);
  return {
    name: `yaml-files-${into}`,
    generateBundle() {
      for (const name of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) this.emitFile({ type: 'asset', fileName: `${into}/${name}`, source: readFileSync(resolve(dir, name), 'utf8') });
    },
  };
}

export default defineConfig({
  main: {
    plugins: [yamlFiles('src/main/scenario/library', 'library'), yamlFiles('src/main/scenario/challenges', 'challenges')],
    build: {
      outDir: 'out/main',
      // Every script a thread starts from is an entry of its own (see src/main/app/threads.ts).
      rollupOptions: {
        input: {
          index: resolve(import.meta.dirname, 'src/main/electron/index.ts'),
          worker: resolve(import.meta.dirname, 'src/nodes/host/worker.ts'),
          'recorder-writer': resolve(import.meta.dirname, 'src/main/record/recorder-writer.ts'),
          'consistency-thread': resolve(import.meta.dirname, 'src/main/app/consistency-thread.ts'),
          'comparison-thread': resolve(import.meta.dirname, 'src/main/app/comparison-thread.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      // The window is sandboxed, and a sandboxed preload must be CommonJS.
      rollupOptions: {
        input: { index: resolve(import.meta.dirname, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(import.meta.dirname, 'src/renderer'),
    build: {
      outDir: resolve(import.meta.dirname, 'out/renderer'),
      rollupOptions: { input: { index: resolve(import.meta.dirname, 'src/renderer/index.html') } },
    },
    plugins: [vue()],
  },
});
