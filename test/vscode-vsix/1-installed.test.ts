import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, realpathSync } from 'node:fs';
import { basename, join, sep } from 'node:path';
import * as vscode from 'vscode';
import { vsixRun } from './page';

const ID = 'offload.offload';

describe('the packaged .vsix, installed into a fresh profile', () => {
  it('Offload runs from the fresh extensions dir, not from this checkout, in production mode (no test API)', async () => {
    const run = vsixRun();
    const ext = vscode.extensions.getExtension(ID);
    assert.ok(ext, `${ID} is installed`);
    const path = realpathSync(ext.extensionPath);
    assert.ok(path.startsWith(realpathSync(run.extensionsDir) + sep), `${path} is under ${run.extensionsDir}`);
    assert.equal(basename(path), `${ID}-${String(ext.packageJSON.version)}`);
    assert.ok(!path.startsWith(realpathSync(run.repo)), 'not the checkout');
    // The window is an extension-development host only for the empty stand-in extension.
    const host = vscode.extensions.getExtension('offload-test.vsix-test-host');
    assert.equal(host && realpathSync(host.extensionPath), realpathSync(run.devHost));
    const exports = await ext.activate();
    assert.equal(ext.isActive, true);
    assert.equal(exports, undefined, 'a production install hands out no test API');
  });

  it('holds the icons and the panel bundle, and no sources, tests or source maps', () => {
    const root = vscode.extensions.getExtension(ID)!.extensionPath;
    const png = readFileSync(join(root, 'media/icon.png'));
    assert.deepEqual(
      [...png.subarray(0, 8)],
      [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
      'media/icon.png is a PNG',
    );
    assert.match(readFileSync(join(root, 'media/offload.svg'), 'utf8'), /^<svg[\s\S]*<\/svg>\s*$/);
    assert.ok(readFileSync(join(root, 'dist/webview.js'), 'utf8').length > 10_000, 'dist/webview.js, the panel bundle');
    for (const f of ['dist/extension.js', 'dist/app.js', 'dist/worker.js', 'dist/sql-wasm.wasm', 'dist/webview.css'])
      assert.ok(existsSync(join(root, f)), f);
    for (const f of ['src', 'test', 'node_modules', 'webview', 'dist/extension.js.map', 'dist/scripted-gateway.js'])
      assert.ok(!existsSync(join(root, f)), `${f} is not packaged`);
  });
});
