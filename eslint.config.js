// Lint, and the architecture's layer arrows as errors (the way VS Code's code-layering rule keeps
// common, node, browser and electron-main apart): see ARCHITECTURE in README.md.
import tseslint from 'typescript-eslint';
import pluginVue from 'eslint-plugin-vue';

const nodeBuiltins = ['node:*', 'fs', 'path', 'os', 'child_process', 'worker_threads', 'crypto', 'http', 'net', 'url', 'events', 'stream'];
const nativeAndShell = ['better-sqlite3', 'electron', 'ws'];

/** A no-restricted-imports rule: `groups` are forbidden module patterns, each with a reason. */
function forbid(...rules) {
  return ['error', { patterns: rules.map(([group, message]) => ({ group, message })) }];
}

// The arrows between src/main's folders, bottom up: a folder imports only the folders listed for
// it (and src/nodes, src/shared). Type-only imports count too, so that the picture stays simple.
export const MAIN_LAYERS = {
  runtime: [],
  checker: [],
  sim: ['runtime', 'checker'],
  scenario: ['runtime', 'sim', 'cluster', 'checker'],
  cluster: ['runtime', 'sim', 'checker'],
  record: ['runtime', 'sim', 'cluster', 'checker'],
  app: ['runtime', 'record', 'cluster', 'scenario', 'sim', 'checker'],
  web: ['runtime', 'app', 'record', 'cluster', 'sim', 'checker'],
  electron: ['runtime', 'app', 'web', 'record', 'cluster', 'sim', 'checker'],
  cli: ['runtime', 'app', 'record', 'cluster', 'scenario', 'sim', 'checker'],
  bench: ['runtime', 'cli', 'web', 'app', 'record', 'cluster', 'scenario', 'sim', 'checker'],
};

function mainLayer(folder) {
  const forbidden = Object.keys(MAIN_LAYERS).filter((f) => f !== folder && !MAIN_LAYERS[folder].includes(f));
  const patterns = [{ group: ['**/renderer/**', '**/preload/**'], message: 'src/main does not import the window or the preload' }];
  if (folder !== 'electron') patterns.push({ group: ['electron'], message: "only src/main/electron may import 'electron': everything else must run in plain Node" });
  if (forbidden.length > 0) {
    patterns.push({
      regex: `^(?:\\.\\./)+(?:${forbidden.join('|')})/`,
      message: `src/main/${folder} imports only ${MAIN_LAYERS[folder].map((f) => `src/main/${f}`).join(', ') || 'nothing else in src/main'} (the layers in eslint.config.js)`,
    });
  }
  return { files: [`src/main/${folder}/**`], rules: { 'no-restricted-imports': ['error', { patterns }] } };
}

const pureTimeAndChance = {
  'no-restricted-properties': [
    'error',
    { object: 'Math', property: 'random', message: 'nodes are deterministic: use the seeded rng in the node context' },
    { object: 'Date', property: 'now', message: 'nodes have no clock: count ticks' },
    { object: 'performance', property: 'now', message: 'nodes have no clock: count ticks' },
  ],
  'no-restricted-globals': [
    'error',
    { name: 'setTimeout', message: 'nodes have no timers: count ticks' },
    { name: 'setInterval', message: 'nodes have no timers: count ticks' },
    { name: 'queueMicrotask', message: 'nodes run synchronously' },
  ],
};

export default tseslint.config(
  { ignores: ['out/**', 'dist/**', 'node_modules/**', 'bench-results/**', '.tmp/**', 'test-results/**'] },
  ...tseslint.configs.recommended,
  ...pluginVue.configs['flat/recommended'],
  {
    files: ['**/*.vue'],
    languageOptions: { parserOptions: { parser: tseslint.parser, extraFileExtensions: ['.vue'] } },
  },
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'vue/multi-word-component-names': 'off',
      'vue/max-attributes-per-line': 'off',
      'vue/singleline-html-element-content-newline': 'off',
      'vue/html-self-closing': 'off',
    },
  },
  {
    files: ['src/shared/**'],
    rules: {
      'no-restricted-imports': forbid(
        [nodeBuiltins, 'src/shared is plain TypeScript shared by every layer: no Node APIs'],
        [nativeAndShell, 'src/shared imports nothing outside itself'],
        [['**/nodes/**', '**/main/**', '**/renderer/**', '**/preload/**'], 'src/shared imports nothing outside itself'],
      ),
    },
  },
  {
    files: ['src/nodes/**'],
    ignores: ['src/nodes/host/**'],
    rules: {
      'no-restricted-imports': forbid(
        [nodeBuiltins, 'nodes are pure state machines: the host does all I/O'],
        [nativeAndShell, 'nodes are pure state machines: the host does all I/O'],
        [['**/main/**', '**/renderer/**', '**/preload/**'], 'src/nodes imports only src/nodes and src/shared'],
      ),
      ...pureTimeAndChance,
    },
  },
  {
    files: ['src/nodes/host/**'],
    rules: {
      'no-restricted-imports': forbid(
        [['electron', 'ws'], 'the worker host runs in plain Node'],
        [['**/main/**', '**/renderer/**', '**/preload/**'], 'the worker host imports only src/nodes and src/shared'],
      ),
    },
  },
  {
    files: ['src/main/**'],
    ignores: ['src/main/electron/**'],
    rules: {
      'no-restricted-imports': forbid(
        [['electron'], "only src/main/electron may import 'electron': everything else must run in plain Node"],
        [['**/renderer/**', '**/preload/**'], 'src/main does not import the window or the preload'],
      ),
    },
  },
  ...Object.keys(MAIN_LAYERS).map(mainLayer),
  {
    files: ['src/renderer/**'],
    rules: {
      'no-restricted-imports': forbid(
        [nodeBuiltins, 'the window talks to the cluster only through the bridge'],
        [nativeAndShell, 'the window talks to the cluster only through the bridge'],
        [['**/main/**', '**/nodes/**', '**/preload/**'], 'the window imports only src/renderer, src/shared and the bridge type'],
      ),
    },
  },
  {
    files: ['src/preload/**'],
    rules: {
      'no-restricted-imports': forbid(
        [nodeBuiltins, 'the sandboxed preload has no Node APIs beyond electron'],
        [['**/main/**', '**/nodes/**', '**/renderer/**'], 'the preload imports only electron and src/shared'],
      ),
    },
  },
);
