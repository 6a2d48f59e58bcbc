/**
 * Phase 2 of the reload proof: runs in the extension host that the window reload started
 * (test/vscode/index.ts), in the same workspace, and still reaches the page through the RPC.
 */
import { strict as assert } from 'node:assert';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { fixtureDir, note, screenshot } from './helpers';

describe('the runner survives a window reload (phase 2)', () => {
  it('runs in a new extension host after the reload, with the RPC still answering', async () => {
    const dir = fixtureDir();
    assert.ok(dir && existsSync(join(dir, 'reload-probe.json')), 'phase 1 left no reload-probe.json');
    const before = JSON.parse(readFileSync(join(dir, 'reload-probe.json'), 'utf8')) as {
      pid: number;
      sessionId: string;
    };
    assert.ok(
      before.pid !== process.pid || before.sessionId !== vscode.env.sessionId,
      `still the same extension host (pid ${process.pid}, session ${vscode.env.sessionId})`,
    );
    note(
      `      reload: extension host pid ${before.pid} -> ${process.pid}, session ${before.sessionId === vscode.env.sessionId ? 'same' : 'new'}`,
    );
    assert.match(await screenshot('after-reload'), /after-reload\.png$/);
  });
});
