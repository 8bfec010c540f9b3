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
  {
    files: ['src/main/electron/**'],
    rules: {
      'no-restricted-imports': forbid([['**/renderer/**', '**/preload/**'], 'src/main does not import the window or the preload']),
    },
  },
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
