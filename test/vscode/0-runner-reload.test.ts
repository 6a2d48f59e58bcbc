/**
 * Phase 1 of the reload proof (0-runner-reload.after-reload.test.ts is phase 2): records this
 * extension host's process and leaves a webview panel open; test/vscode/index.ts then reloads
 * the window once every phase-1 test has run.
 */
import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { fixtureDir, webviewTexts } from './helpers';

describe('the runner survives a window reload (phase 1)', () => {
  it('records the extension host before the reload', async () => {
    const dir = fixtureDir();
    assert.ok(dir, 'run through scripts/vscode-test/run.mjs');
    const panel = vscode.window.createWebviewPanel('offloadReloadProbe', 'Reload probe', vscode.ViewColumn.One, {});
    panel.webview.html = '<p id="before">before the reload</p>';
    assert.deepEqual(await webviewTexts('#before'), ['before the reload']);
    writeFileSync(
      join(dir, 'reload-probe.json'),
      JSON.stringify({ pid: process.pid, sessionId: vscode.env.sessionId }),
    );
  });
});
