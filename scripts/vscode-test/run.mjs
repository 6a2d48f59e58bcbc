#!/usr/bin/env node
// Runs the extension-host tests (out/test) in a real VS Code with this checkout as the
// extension-development path: code-server 4.103.2 (VS Code 1.103.2) on 127.0.0.1 driven by Debian
// Chromium (code-server.mjs). Needs scripts/vscode-test/setup.sh first. Saves a workbench
// screenshot to .test-artifacts/, prints the mocha spec output ("N passing" / "N failing") and
// exits with the tests' exit code. run-vsix.mjs runs the packaged .vsix instead.
import { join } from 'node:path';
import { createFixture, testEnv } from './fixture.mjs';
import { repo, requireInstalled, runSession } from './code-server.mjs';

const timeoutMs = Number(process.env.OFFLOAD_VSCODE_TEST_TIMEOUT_MS ?? 300_000);
requireInstalled([['the test bundle', join(repo, 'out/test/index.js')], ['the extension bundle', join(repo, 'dist/extension.js')]]);

const started = Date.now();
const fx = createFixture();
const code = await runSession({
  fx,
  env: testEnv(fx.results),
  payload: (remote) => [['extensionDevelopmentPath', remote(repo)], ['extensionTestsPath', remote(join(repo, 'out/test'))], ['skipWelcome', 'true']],
  label: 'extension development path',
  files: { screenshot: 'vscode-workbench.png', console: 'vscode-console.log' },
  timeoutMs,
  started,
});
process.exit(code === 0 ? 0 : 1);
