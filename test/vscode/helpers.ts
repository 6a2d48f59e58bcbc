import { appendFileSync, existsSync } from 'node:fs';
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
export async function eventually<T>(what: string, probe: () => T | Promise<T>, timeoutMs = 20_000): Promise<Exclude<NonNullable<T>, false>> {
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
  const body = JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } } });
  return new Promise((resolve, reject) => {
    const req = request({ host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
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
  await vscode.workspace.getConfiguration('offload').update('openaiBaseUrl', gateway.url, vscode.ConfigurationTarget.Global);
  await vscode.commands.executeCommand('offload.setApiKey', { slot: 'offload.openaiApiKey', value: key });
  const api = await offload();
  await eventually('the app to restart on the gateway with the key', async () => {
    const app = await api.app();
    return app.config.openaiBaseUrl === gateway.url && app.config.openaiApiKey === key;
  });
  return gateway;
}
