// Bundles the extension-host tests (test/vscode/*.ts) into out/test/, one file each; `vscode`
// and `mocha` stay external (the host provides vscode, mocha comes from node_modules).
import * as esbuild from 'esbuild';
import { readdirSync, rmSync } from 'node:fs';

rmSync('out/test', { recursive: true, force: true });
const entries = readdirSync('test/vscode').filter((f) => f.endsWith('.test.ts') || f === 'index.ts').map((f) => `test/vscode/${f}`);
await esbuild.build({
  entryPoints: entries,
  outdir: 'out/test',
  bundle: true,
  platform: 'node',
  target: 'node20',
  format: 'cjs',
  sourcemap: 'inline',
  logLevel: 'warning',
  external: ['vscode', 'mocha'],
});
