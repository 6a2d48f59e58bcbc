// Lint, and the layer rule of DESIGN.md: each folder may import only the layers below it.
// src/core does no I/O; only src/vscode imports `vscode`; src never imports test.
import eslintConfigPrettier from 'eslint-config-prettier/flat';
import tseslint from 'typescript-eslint';

const io = ['fs', 'node:fs', 'fs/promises', 'node:fs/promises', 'net', 'node:net', 'http', 'node:http',
  'https', 'node:https', 'child_process', 'node:child_process', 'dgram', 'node:dgram', 'execa', 'sql.js',
  'proper-lockfile', 'write-file-atomic', 'openai'];
// Anchored to relative climbs out of the importing folder, so src/core/jobs.ts is not mistaken for src/jobs.
const layer = (name) => ({ group: ['..', '../..', '../../..'].flatMap((up) => [`${up}/${name}`, `${up}/${name}/**`]), message: `this layer may not import src/${name} (see ARCHITECTURE.md)` });
const noVscode = { name: 'vscode', message: 'only src/vscode imports vscode' };
const noTest = { group: ['**/test/**'], message: 'src never imports test' };

function restrict(paths, layers) {
  return { 'no-restricted-imports': ['error', { paths, patterns: [noTest, ...layers.map(layer)] }] };
}

export default tseslint.config(
  { ignores: ['dist/**', 'out/**', 'node_modules/**', '.test-artifacts/**'] },
  ...tseslint.configs.recommended,
  {
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    // Type-aware rules: a promise nobody awaits loses its rejection (everywhere); an async function
    // with no await is a sync one in disguise (product code: tests' stand-ins of async interfaces
    // may answer with `async () => value`).
    files: ['src/**/*.ts', 'test/**/*.ts', 'webview/**/*.ts', 'bench/**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: { '@typescript-eslint/no-floating-promises': 'error' },
  },
  {
    files: ['src/**/*.ts', 'webview/**/*.ts'],
    rules: { 'require-await': 'off', '@typescript-eslint/require-await': 'error' },
  },
  {
    files: ['src/core/**/*.ts'],
    rules: restrict([noVscode, ...io.map((name) => ({ name, message: 'src/core does no I/O' }))],
      ['http', 'ledger', 'adapter', 'jobs', 'mcp', 'cli', 'vscode', 'app']),
  },
  { files: ['src/http/**/*.ts'], rules: restrict([noVscode], ['ledger', 'adapter', 'jobs', 'mcp', 'cli', 'vscode', 'app']) },
  { files: ['src/ledger/**/*.ts'], rules: restrict([noVscode], ['adapter', 'jobs', 'mcp', 'cli', 'vscode', 'app']) },
  { files: ['src/adapter/**/*.ts'], rules: restrict([noVscode], ['jobs', 'mcp', 'cli', 'vscode', 'app']) },
  { files: ['src/jobs/**/*.ts'], rules: restrict([noVscode], ['mcp', 'cli', 'vscode', 'app']) },
  { files: ['src/mcp/**/*.ts'], rules: restrict([noVscode], ['cli', 'vscode', 'app', 'ledger', 'adapter']) },
  { files: ['src/app.ts', 'src/cli/**/*.ts'], rules: restrict([noVscode], ['vscode']) },
  { files: ['src/shared/**/*.ts', 'webview/**/*.ts'], rules: restrict([noVscode], ['core', 'http', 'ledger', 'adapter', 'jobs', 'mcp', 'cli', 'vscode', 'app']) },
  { files: ['src/vscode/**/*.ts'], rules: restrict([], ['http', 'ledger', 'adapter', 'jobs', 'mcp', 'cli']) },
  eslintConfigPrettier, // formatting is Prettier's (.prettierrc.json), not a lint rule's
);
