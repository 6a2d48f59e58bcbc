// Builds the three bundles: the extension host entry, the worker CLI and the webview.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');
mkdirSync('dist', { recursive: true });
// sql.js loads its WASM at run time; it ships next to the bundles (see src/ledger/sqljs.ts).
copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), 'dist/sql-wasm.wasm');

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  external: ['vscode'],
};

await Promise.all([
  esbuild.build({ ...node, entryPoints: ['src/vscode/extension.ts'], outfile: 'dist/extension.js' }),
  esbuild.build({
    ...node,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/worker.js',
    banner: { js: '#!/usr/bin/env node' },
  }),
  // Test support, not shipped: the scripted gateway (stand-in for the model provider) for the demo.
  esbuild.build({ ...node, entryPoints: ['test/support/gateway-main.ts'], outfile: 'dist/scripted-gateway.js' }),
  esbuild.build({
    bundle: true,
    platform: 'browser',
    format: 'iife',
    target: 'es2022',
    sourcemap: !production,
    minify: production,
    logLevel: 'warning',
    entryPoints: ['webview/main.ts'],
    outfile: 'dist/webview.js',
  }),
]);
