import { readdirSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import type { Plugin } from 'vite';
import vue from '@vitejs/plugin-vue';

/** The lesson library beside the bundle (out/main/library), where src/main/app/lessons.ts looks for it in a build. */
const lessonLibrary: Plugin = {
  name: 'lesson-library',
  generateBundle() {
    const dir = resolve(import.meta.dirname, 'src/main/scenario/library');
    for (const file of readdirSync(dir).filter((f) => f.endsWith('.yaml'))) this.emitFile({ type: 'asset', fileName: `library/${file}`, source: readFileSync(resolve(dir, file), 'utf8') });
  },
};

export default defineConfig({
  main: {
    plugins: [lessonLibrary],
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
