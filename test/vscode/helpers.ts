import { appendFileSync, existsSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { request } from 'node:http';
import * as vscode from 'vscode';
import type { OffloadTestApi } from '../../src/vscode/test-api';
import { startScriptedGateway, type Script, type ScriptedGateway } from '../support/scripted-gateway';

/** The extension under test (package.json publisher.name). */
export const EXTENSION_ID = 'offload.offload';

/** Activates the extension (if VS Code has not yet) and returns its test API. */
export async function offload(): Promise<OffloadTestApi> {
  const ext = vscode.extensions.getExtension<OffloadTestApi>(EXTENSION_ID);
  if (!ext) throw new Error(`${EXTENSION_ID} is not installed in this VS Code`);
  const api = await ext.activate();
  if (!api) throw new Error('no test API: the extension host is not in ExtensionMode.Test');
  return api;
}

/**
 * Polls `probe` until it returns a truthy value or `timeoutMs` passes (then throws with `what`).
 * Used only where VS Code offers no event to await (its MCP client, status-bar redraws).
 */
export async function eventually<T>(
  what: string,
  probe: () => T | Promise<T>,
  timeoutMs = 20_000,
): Promise<Exclude<NonNullable<T>, false>> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const value = await probe();
      if (value) return value as Exclude<NonNullable<T>, false>;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ''}`);
}

/** A raw MCP initialize POST with arbitrary headers (a foreign Host, a wrong token). */
export function rawInitialize(url: string, headers: Record<string, string>): Promise<number> {
  const u = new URL(url);
  const body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
  });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve(res.statusCode ?? 0));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

/** Prints a test's note (a timing, what VS Code sent) into the runner's output as well. */
export function note(line: string): void {
  console.log(line);
  const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const results = workspace ? join(dirname(workspace), 'results.txt') : undefined;
  if (results && existsSync(join(dirname(results), 'fixture.json'))) appendFileSync(results, `${line}\n`);
}

/**
 * Starts a scripted gateway (a stand-in for the model provider) that requires `key`, points
 * `offload.openaiBaseUrl` at it, stores `key` through the Set API Key command, and waits until the
 * app has restarted on both. Undo with `offload.openaiBaseUrl` reset and `gateway.close()`.
 */
export async function useScriptedGateway(key: string, script: Script): Promise<ScriptedGateway> {
  const gateway = await startScriptedGateway({ apiKey: key, script });
  await vscode.workspace
    .getConfiguration('offload')
    .update('openaiBaseUrl', gateway.url, vscode.ConfigurationTarget.Global);
  await vscode.commands.executeCommand('offload.setApiKey', { slot: 'offload.openaiApiKey', value: key });
  const api = await offload();
  await eventually('the app to restart on the gateway with the key', async () => {
    const app = await api.app();
    return app.config.openaiBaseUrl === gateway.url && app.config.openaiApiKey === key;
  });
  return gateway;
}

/** The runner's fixture folder (the workspace's parent, holding fixture.json), or undefined outside run.mjs. */
export function fixtureDir(): string | undefined {
  const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const dir = workspace ? dirname(workspace) : undefined;
  return dir && existsSync(join(dir, 'fixture.json')) ? dir : undefined;
}

/** The file in the fixture folder where 8-panel.test.ts leaves `{ jobId }` for 8-panel.after-reload.test.ts. */
export const PANEL_JOB_FILE = 'panel-job.json';

let rpcSeq = 0;

/**
 * One request to scripts/vscode-test/rpc.mjs (which holds the playwright page): writes
 * `<fixture>/rpc/<id>.req.json` and waits for `<id>.res.json`. Throws when not run by run.mjs,
 * when the op fails (with the runner's message) or when no answer comes within `waitMs`.
 */
async function rpc<T>(op: string, args: unknown[], waitMs: number): Promise<T> {
  const dir = fixtureDir();
  if (!dir) throw new Error(`${op}: needs the runner's page; run through scripts/vscode-test/run.mjs`);
  const id = `${process.pid}-${Date.now()}-${++rpcSeq}`;
  const req = join(dir, 'rpc', `${id}.req.json`);
  writeFileSync(`${req}.tmp`, JSON.stringify({ id, op, args }));
  renameSync(`${req}.tmp`, req);
  const res = join(dir, 'rpc', `${id}.res.json`);
  const answer = await eventually(
    `the runner to answer ${op}`,
    () => existsSync(res) && readFileSync(res, 'utf8'),
    waitMs,
  );
  rmSync(res, { force: true });
  const body = JSON.parse(answer) as { ok: true; value: T } | { ok: false; error: string };
  if (!body.ok) throw new Error(`${op}: ${body.error}`);
  return body.value;
}

/**
 * textContent of every element matching `selector` (CSS) in any webview frame of the workbench,
 * waiting until at least one matches; resolves [] once `timeoutMs` passes without a match.
 */
export function webviewTexts(selector: string, timeoutMs = 10_000): Promise<string[]> {
  return rpc('webviewTexts', [selector, timeoutMs], timeoutMs + 15_000);
}

/** Clicks the first element matching `selector` in a webview frame; throws when none appears within `timeoutMs`. */
export async function webviewClick(selector: string, timeoutMs = 10_000): Promise<void> {
  await rpc('webviewClick', [selector, timeoutMs], timeoutMs + 15_000);
}

/** Scrolls the first element matching `selector` in a webview frame into view (its top at the frame's top); throws when none appears within `timeoutMs`. */
export async function webviewScroll(selector: string, timeoutMs = 10_000): Promise<void> {
  await rpc('webviewScroll', [selector, timeoutMs], timeoutMs + 15_000);
}

/**
 * Screenshot to .test-artifacts/<name>.png (name sanitized to letters, digits, - and _): the whole
 * page, or with `webview: true` only the visible webview editor; resolves with the file's path.
 */
export function screenshot(name: string, options: { webview?: boolean } = {}): Promise<string> {
  return rpc('screenshot', [name, options], 30_000);
}

/** The built-in themes the screenshots use, with the kind VS Code reports for each. */
export const THEMES = {
  'Default Dark Modern': vscode.ColorThemeKind.Dark,
  'Default Light Modern': vscode.ColorThemeKind.Light,
  'Default High Contrast': vscode.ColorThemeKind.HighContrast,
} as const;

/** Sets `workbench.colorTheme` (user settings) to `label` and waits until the active theme's kind matches. */
export async function setTheme(label: keyof typeof THEMES): Promise<void> {
  await vscode.workspace.getConfiguration('workbench').update('colorTheme', label, vscode.ConfigurationTarget.Global);
  await eventually(`the ${label} theme to apply`, () => vscode.window.activeColorTheme.kind === THEMES[label]);
}
