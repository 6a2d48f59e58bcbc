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
import { appendFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { format } from 'node:util';
import Mocha from 'mocha';
import * as vscode from 'vscode';

async function requestScreenshot(dir: string): Promise<void> {
  if (!existsSync(join(dir, 'fixture.json'))) return; // not started by run.mjs (e.g. @vscode/test-electron)
  writeFileSync(join(dir, 'screenshot.request'), String(Date.now()));
  for (let i = 0; i < 150 && !existsSync(join(dir, 'screenshot.done')); i++)
    await new Promise((r) => setTimeout(r, 100));
}

/** Where phase 1 leaves its failure count before it reloads the window (see run()). */
const PHASE_FILE = 'reload-phase.json';

/**
 * Runs the tests in two phases when there are `*.after-reload.test.js` files: phase 1 runs every
 * other `*.test.js`, writes `<fixture>/reload-phase.json` with its failure count and reloads the
 * window (`workbench.action.reloadWindow`). The reload starts a new extension host, and VS Code's
 * test contract (the `payload` still in the page's URL) calls run() again: phase 2 finds the file
 * and runs only the after-reload tests, with whatever phase 1 left open (a panel, an editor).
 * Both phases print their mocha summary; the run fails if either had a failure.
 */
export function run(): Promise<void> {
  const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const dir = workspace && existsSync(join(dirname(workspace), 'fixture.json')) ? dirname(workspace) : undefined;
  const results = dir ? join(dir, 'results.txt') : undefined;
  const phaseFile = dir ? join(dir, PHASE_FILE) : undefined;
  const phase1 =
    phaseFile && existsSync(phaseFile)
      ? (JSON.parse(readFileSync(phaseFile, 'utf8')) as { failures: number })
      : undefined;
  const all = readdirSync(__dirname)
    .filter((f) => f.endsWith('.test.js'))
    .sort();
  const afterReload = all.filter((f) => f.endsWith('.after-reload.test.js'));
  const willReload = !phase1 && dir !== undefined && afterReload.length > 0;
  const files = phase1 ? afterReload : all.filter((f) => dir === undefined || !afterReload.includes(f));
  const mocha = new Mocha({ ui: 'bdd', timeout: 60_000, color: false, reporter: 'spec' });
  for (const file of files) mocha.addFile(join(__dirname, file));
  // Mocha's reporters print through Base.consoleLog (captured at load), not console.log.
  const base = Mocha.reporters.Base as unknown as { consoleLog: (...args: unknown[]) => void };
  const log = base.consoleLog;
  if (results)
    base.consoleLog = (...args: unknown[]) => {
      appendFileSync(results, `${format(...args)}\n`);
      log(...args);
    };
  if (results && phase1) appendFileSync(results, `\n(after the window reload: ${afterReload.join(', ')})\n`);
  return new Promise((resolve, reject) => {
    mocha.run((failures) => {
      base.consoleLog = log;
      if (willReload && phaseFile) {
        writeFileSync(phaseFile, JSON.stringify({ failures }));
        // The window reloads and this extension host stops: this run() never settles, phase 2 does.
        void vscode.commands.executeCommand('workbench.action.reloadWindow');
        return;
      }
      const total = failures + (phase1?.failures ?? 0);
      void (dir ? requestScreenshot(dir) : Promise.resolve()).then(() => {
        if (total > 0) reject(new Error(`${total} extension-host test(s) failed`));
        else resolve();
      });
    });
  });
}
