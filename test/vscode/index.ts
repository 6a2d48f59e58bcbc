/**
 * The extension-host test entry (VS Code's `extensionTestsPath` contract: a module exporting
 * `run()`): runs every bundled `*.test.js` beside it with mocha, in file-name order.
 *
 * Talks to scripts/vscode-test/run.mjs through files in the fixture folder (the workspace's
 * parent; the extension host does not inherit the runner's environment): the spec reporter's
 * output goes to `results.txt`, and before VS Code shuts the extension host down the entry asks
 * for a workbench screenshot (`screenshot.request`) and waits up to 15 s for `screenshot.done`.
 * Tests reach the page (webview text, clicks, screenshots) through the RPC in helpers.ts, which
 * scripts/vscode-test/rpc.mjs answers from `<fixture>/rpc/`.
 */
import { appendFileSync, existsSync, writeFileSync } from 'node:fs';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';
import * as vscode from 'vscode';

async function requestScreenshot(dir: string): Promise<void> {
  if (!existsSync(join(dir, 'fixture.json'))) return; // not started by run.mjs (e.g. @vscode/test-electron)
  writeFileSync(join(dir, 'screenshot.request'), String(Date.now()));
  for (let i = 0; i < 150 && !existsSync(join(dir, 'screenshot.done')); i++) await new Promise((r) => setTimeout(r, 100));
}

export function run(): Promise<void> {
  const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const dir = workspace ? dirname(workspace) : undefined;
  const results = dir && existsSync(join(dir, 'fixture.json')) ? join(dir, 'results.txt') : undefined;
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec' });
  for (const file of readdirSync(__dirname).filter((f) => f.endsWith('.test.js')).sort()) mocha.addFile(join(__dirname, file));
  // Mocha's reporters print through Base.consoleLog (captured at load), not console.log.
  const base = Mocha.reporters.Base as unknown as { consoleLog: (...args: unknown[]) => void };
  const log = base.consoleLog;
  if (results) base.consoleLog = (...args: unknown[]) => { appendFileSync(results, `${format(...args)}\n`); log(...args); };
  return new Promise((resolve, reject) => {
    mocha.run((failures) => {
      base.consoleLog = log;
      void (dir ? requestScreenshot(dir) : Promise.resolve()).then(() => {
        if (failures > 0) reject(new Error(`${failures} extension-host test(s) failed`));
        else resolve();
      });
    });
  });
}
