/**
 * The runner RPC (test/vscode/helpers.ts ↔ scripts/vscode-test/rpc.mjs), proven without the
 * Offload panel: a tiny webview made here is read, clicked and photographed through the page.
 */
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import * as vscode from 'vscode';
import { screenshot, setTheme, webviewClick, webviewTexts } from './helpers';

const HTML = `<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'nonce-probe';"></head>
<body><p id="probe">hello</p><button id="send">send</button>
<script nonce="probe">const vscode = acquireVsCodeApi();
document.getElementById('send').addEventListener('click', () => vscode.postMessage({ clicked: document.getElementById('probe').textContent }));</script>
</body></html>`;

describe('the runner RPC (webviews and screenshots through the playwright page)', () => {
  let panel: vscode.WebviewPanel | undefined;
  afterEach(() => panel?.dispose());

  it('reads text from a webview, clicks in it and takes a PNG screenshot', async () => {
    panel = vscode.window.createWebviewPanel('offloadRpcProbe', 'RPC probe', vscode.ViewColumn.One, {
      enableScripts: true,
    });
    const received = new Promise<unknown>((resolve) => panel!.webview.onDidReceiveMessage(resolve));
    panel.webview.html = HTML;
    assert.deepEqual(await webviewTexts('#probe'), ['hello']);
    assert.deepEqual(await webviewTexts('#no-such-element', 500), []);
    await webviewClick('button');
    assert.deepEqual(await received, { clicked: 'hello' });
    await assert.rejects(webviewClick('#no-such-element', 500), /no element matches "#no-such-element"/);
    const path = await screenshot('rpc probe/../x');
    assert.match(path, /rpc-probe-x\.png$/);
    assert.deepEqual([...readFileSync(path).subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  });

  it('switches the color theme and waits for it to apply', async () => {
    await setTheme('Default Light Modern');
    assert.equal(vscode.window.activeColorTheme.kind, vscode.ColorThemeKind.Light);
    await setTheme('Default High Contrast');
    assert.equal(vscode.window.activeColorTheme.kind, vscode.ColorThemeKind.HighContrast);
    await setTheme('Default Dark Modern');
    assert.equal(vscode.window.activeColorTheme.kind, vscode.ColorThemeKind.Dark);
  });
});
