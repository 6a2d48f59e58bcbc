import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { eventually, offload } from './helpers';

describe('circuit breaker commands and status bar', () => {
  it('trips by hand, shows open in the status bar, and resets to closed', async () => {
    const api = await offload();
    assert.equal(await vscode.commands.executeCommand('offload.tripBreaker', { detail: 'extension test' }), 'open');
    await eventually('the breaker item to show open', () => /Offload open/.test(api.statusBar().breaker));
    assert.equal((await (await api.app()).breaker.status()).state, 'open');
    assert.equal(await vscode.commands.executeCommand('offload.resetBreaker'), 'closed');
    await eventually('the breaker item to show closed', () => /Offload closed/.test(api.statusBar().breaker));
  });
});
