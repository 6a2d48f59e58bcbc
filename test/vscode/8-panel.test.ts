import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { offload } from './helpers';

describe('the sidebar and the jobs panel', () => {
  after(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  it('the sidebar lists the ledger\'s jobs (earlier suites ran real jobs), and the budget item\'s command opens the panel', async () => {
    const api = await offload();
    const app = await api.app();
    const newest = (await app.ledger.listJobs(1))[0];
    assert.ok(newest, 'earlier suites left jobs in the ledger');
    const rows = await api.sidebarJobs();
    const row = rows.find((r) => r.id === newest.id);
    assert.ok(row, `the sidebar lists ${newest.id}: ${JSON.stringify(rows.slice(0, 3))}`);
    assert.match(row.label, new RegExp(`^${newest.kind} · `));
    assert.match(row.description, /^\$\d+\.\d\d · /);
    assert.equal(row.contextValue.split('.')[1], newest.status);
    assert.equal(api.panelOpen(), false);
    await vscode.commands.executeCommand('offload.openPanel', { view: 'spend' });
    assert.equal(api.panelOpen(), true);
  });
});
