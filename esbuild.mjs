// Builds the three bundles: the extension host entry, the worker CLI and the webview.
import * as esbuild from 'esbuild';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const production = process.argv.includes('--production');
mkdirSync('dist', { recursive: true });
// sql.js loads its WASM at run time; it ships next to the bundles (see src/ledger/sqljs.ts).
copyFileSync(require.resolve('sql.js/dist/sql-wasm.wasm'), 'dist/sql-wasm.wasm');
// The panel's styles: codicons (CSS + font, loaded by the page) and one webview.css (our style.css
// followed by diff2html's bundled CSS).
copyFileSync('node_modules/@vscode/codicons/dist/codicon.css', 'dist/codicon.css');
copyFileSync('node_modules/@vscode/codicons/dist/codicon.ttf', 'dist/codicon.ttf');
writeFileSync('dist/webview.css', `${readFileSync('webview/style.css', 'utf8')}\n${readFileSync('node_modules/diff2html/bundles/css/diff2html.min.css', 'utf8')}`);

// Keeps dist/extension.js small and quick to load (BENCHMARKS.md "Extension"; target < 1.5 MB):
// - gpt-tokenizer (2.7 MB of BPE ranks; only /v1/messages/count_tokens uses it, never the hot path)
//   is built into dist/tokenizer.js and required on the first countTokens call;
// - zod's namespace re-exports every locale (258 kB); only English messages are ever configured.
const lean = {
  name: 'offload-lean',
  setup(build) {
    build.onResolve({ filter: /^gpt-tokenizer$/ }, (args) => (args.importer.endsWith('lazy-tokenizer.js') ? undefined : { path: 'lazy-tokenizer.js', namespace: 'offload-lean' }));
    build.onResolve({ filter: /^\.\/tokenizer\.js$/ }, () => ({ path: './tokenizer.js', external: true }));
    build.onLoad({ filter: /^lazy-tokenizer\.js$/, namespace: 'offload-lean' }, () => ({
      contents: 'let m; export function countTokens(...a) { m ??= require("./tokenizer.js"); return m.countTokens(...a); }',
      loader: 'js',
    }));
    build.onResolve({ filter: /\/locales\/index\.js$/ }, (args) => (/[\\/]zod[\\/]v4[\\/]/.test(args.importer) ? { path: 'zod-locales.js', namespace: 'offload-lean', pluginData: args.resolveDir } : undefined));
    build.onLoad({ filter: /^zod-locales\.js$/, namespace: 'offload-lean' }, (args) => ({
      contents: `export { default as en } from ${JSON.stringify(`${args.pluginData}/../locales/en.js`)};`,
      loader: 'js',
      resolveDir: args.pluginData,
    }));
  },
};

// The extension's glue loads the app on first use from its own bundle, dist/app.js
// (src/vscode/app-bundle.ts, through load-app.ts), so activation evaluates only the glue.
const appApart = {
  name: 'offload-app-apart',
  setup(build) {
    build.onResolve({ filter: /^\.\/app-bundle$/ }, () => ({ path: './app.js', external: true }));
  },
};

const node = {
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: !production,
  minify: production,
  logLevel: 'warning',
  external: ['vscode'],
  plugins: [lean],
};

await Promise.all([
  // The banner stamps when the bundle starts evaluating: activation time includes loading it.
  esbuild.build({ ...node, entryPoints: ['src/vscode/extension.ts'], outfile: 'dist/extension.js', plugins: [lean, appApart],
    supported: { 'dynamic-import': false }, banner: { js: 'globalThis.__offloadBundleStart = performance.now();' } }),
  esbuild.build({ ...node, entryPoints: ['src/vscode/app-bundle.ts'], outfile: 'dist/app.js' }),
  esbuild.build({ ...node, plugins: [], entryPoints: [require.resolve('gpt-tokenizer')], outfile: 'dist/tokenizer.js' }),
  esbuild.build({
    ...node,
    entryPoints: ['src/cli/main.ts'],
    outfile: 'dist/worker.js',
    banner: { js: '#!/usr/bin/env node' },
  }),
  // The ledger's compaction worker thread (src/ledger/compaction.ts), loaded beside app.js / worker.js.
  esbuild.build({ ...node, entryPoints: ['src/ledger/compaction-worker.ts'], outfile: 'dist/ledger-compaction.js' }),
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
