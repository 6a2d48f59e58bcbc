#!/usr/bin/env node
// The same extension-host tests (out/test) in desktop VS Code through @vscode/test-electron, for
// machines that can download VS Code (it fetches a build into .vscode-test/ on first run; offline
// CI uses run.mjs with code-server instead). Uses the same throwaway profile as run.mjs.
import { resolve } from 'node:path';
import { runTests } from '@vscode/test-electron';
import { createFixture, testEnv } from './fixture.mjs';

const repo = resolve(import.meta.dirname, '../..');
const fx = createFixture();
try {
  const code = await runTests({
    version: process.env.OFFLOAD_VSCODE_VERSION ?? 'stable',
    extensionDevelopmentPath: repo,
    extensionTestsPath: resolve(repo, 'out/test/index.js'),
    extensionTestsEnv: testEnv(fx.results),
    launchArgs: [fx.workspace, '--user-data-dir', fx.userData, '--extensions-dir', fx.extensions, '--disable-workspace-trust', '--skip-welcome'],
  });
  process.exit(code);
} catch (err) {
  console.error(`vscode-test (electron): ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
}
