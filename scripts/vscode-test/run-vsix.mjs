#!/usr/bin/env node
// Runs the .vsix tests (test/vscode-vsix, bundled to out/test-vsix) against the packaged
// extension, installed the way a user installs a downloaded .vsix: `npm run package` builds
// dist/offload.vsix (production bundles, .vscodeignore applied), `code-server --install-extension`
// puts it into a fresh profile's extensions dir, and VS Code loads Offload from there.
//
// VS Code runs an `extensionTestsPath` only in an extension-development window, so the payload's
// `extensionDevelopmentPath` is an empty stand-in extension (dev-host/: a package.json with no
// code and no contributions), never this checkout; the tests check that Offload's extensionPath
// is under the fresh extensions dir. In a production install Offload hands out no test API, so
// the tests drive it as a user does (commands, the sidebar, the panel) and read the workbench
// page through workbench-rpc.mjs and the webviews through rpc.mjs. The model provider is the
// scripted gateway (a stand-in, dist/scripted-gateway.js), started here; the profile's settings
// point `offload.openaiBaseUrl` at it, and the tests store its key with Set API Key.
//
// Env: OFFLOAD_VSIX=path skips packaging and installs that file; OFFLOAD_VSIX_TEST_TIMEOUT_MS
// (default 120000). Prints the mocha output ("N passing" / "N failing"); exits 1 on a failure.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import * as esbuild from 'esbuild';
import { createFixture, testEnv } from './fixture.mjs';
import { fail, installExtension, repo, requireInstalled, runSession } from './code-server.mjs';
import { serveWorkbenchRpc } from './workbench-rpc.mjs';

const timeoutMs = Number(process.env.OFFLOAD_VSIX_TEST_TIMEOUT_MS ?? 120_000);
const GATEWAY_KEY = 'sk-vsix-scripted-gateway-0001';
const started = Date.now();
const since = () => `${((Date.now() - started) / 1000).toFixed(1)} s`;
requireInstalled();

// 1. The package, as `npm run package` builds it for users.
let vsix = process.env.OFFLOAD_VSIX;
if (!vsix) {
  const r = spawnSync('npm', ['run', '--silent', 'package'], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (r.status !== 0) fail(`npm run package failed (exit ${r.status}):\n${(r.stdout + r.stderr).slice(-3000)}`);
  vsix = join(repo, 'dist/offload.vsix');
  console.log(`vscode-test: packaged ${vsix} (${since()})`);
}

// 2. The tests, bundled like build-tests.mjs bundles test/vscode (vscode and mocha stay external).
const outDir = join(repo, 'out/test-vsix');
await esbuild.build({
  entryPoints: [join(repo, 'test/vscode-vsix/index.ts'), join(repo, 'test/vscode-vsix/*.test.ts')],
  outdir: outDir, bundle: true, platform: 'node', target: 'node20', format: 'cjs', sourcemap: 'inline', logLevel: 'warning', external: ['vscode', 'mocha'],
});

// 3. A fresh profile with the .vsix installed, and the stand-in development extension.
const fx = createFixture();
try {
  installExtension(vsix, { extensionsDir: fx.extensions, userDataDir: fx.userData, configFile: join(fx.root, 'config.yaml'), env: testEnv(fx.results) });
} catch (err) {
  fail(err.message);
}
console.log(`vscode-test: installed into ${fx.extensions} (${since()})`);
const devHost = join(fx.root, 'dev-host');
mkdirSync(devHost);
writeFileSync(join(devHost, 'package.json'), JSON.stringify({
  name: 'vsix-test-host', publisher: 'offload-test', version: '0.0.0', private: true, engines: { vscode: '*' },
  description: 'Empty extension-development path: makes the window run extensionTestsPath while Offload comes from the installed .vsix.',
}, null, 2));

// 4. The scripted gateway (stand-in for the model provider; `npm run package` builds it, not into the .vsix).
requireInstalled([['the scripted gateway bundle', join(repo, 'dist/scripted-gateway.js')]]);
const gateway = spawn(process.execPath, [join(repo, 'dist/scripted-gateway.js'), '--script', 'summary', '--port', '0', '--api-key', GATEWAY_KEY],
  { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '' } });
process.on('exit', () => { if (gateway.exitCode === null) gateway.kill('SIGTERM'); }); // also when fail() exits early
let gatewayLog = '';
gateway.stderr.on('data', (c) => { gatewayLog += c; });
const gatewayUrl = await new Promise((res) => {
  const lines = createInterface({ input: gateway.stdout });
  lines.once('line', (line) => { try { res(JSON.parse(line).url); } catch { res(undefined); } });
  gateway.once('exit', () => res(undefined));
});
if (!gatewayUrl) fail(`the scripted gateway did not start:\n${gatewayLog}`);
const settingsFile = join(fx.userData, 'User', 'settings.json');
writeFileSync(settingsFile, JSON.stringify({ ...JSON.parse(readFileSync(settingsFile, 'utf8')), 'offload.openaiBaseUrl': gatewayUrl }, null, 2));
// What the tests need to know (test/vscode-vsix/setup.ts reads it).
writeFileSync(join(fx.root, 'vsix.json'), JSON.stringify({ vsix, extensionsDir: fx.extensions, devHost, repo, gatewayUrl, gatewayKey: GATEWAY_KEY, ledger: join(fx.root, 'ledger.sqlite') }, null, 2));

const code = await runSession({
  fx,
  env: testEnv(fx.results),
  payload: (remote) => [['extensionDevelopmentPath', remote(devHost)], ['extensionTestsPath', remote(outDir)], ['skipWelcome', 'true']],
  label: 'packaged .vsix in a fresh profile',
  files: { screenshot: 'vscode-vsix-workbench.png', console: 'vscode-vsix-console.log' },
  timeoutMs,
  started,
  extraRpc: (getPage) => serveWorkbenchRpc(fx.root, getPage),
});
process.exit(code === 0 ? 0 : 1);
