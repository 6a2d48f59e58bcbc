import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { offload } from './helpers';

describe('API keys in SecretStorage', () => {
  it('stores, reads back and clears a key through the commands', async () => {
    const api = await offload();
    const slot = 'offload.fallbackApiKey';
    await vscode.commands.executeCommand('offload.setApiKey', { slot, value: 'fallback-key-round-trip-42' });
    assert.deepEqual(await api.secret(slot), { value: 'fallback-key-round-trip-42', source: 'secret storage' });
    await vscode.commands.executeCommand('offload.clearApiKey', { slot });
    assert.deepEqual(await api.secret(slot), { source: 'not set' });
  });

  it('never writes a key into settings', () => {
    const all = JSON.stringify(vscode.workspace.getConfiguration('offload'));
    assert.ok(!all.includes('fallback-key-round-trip-42'));
    assert.ok(!all.includes('sk-scripted-gateway-key'));
  });
});
