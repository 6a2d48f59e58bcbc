import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { EXTENSION_ID, eventually, note, offload } from './helpers';

const COMMANDS = [
  'offload.setApiKey',
  'offload.clearApiKey',
  'offload.runJobOnSelection',
  'offload.startAgentJob',
  'offload.cancelJob',
  'offload.showSpend',
  'offload.showJobs',
  'offload.copyMcpConfigCodex',
  'offload.copyMcpConfigClaudeCode',
  'offload.setLedgerPassword',
  'offload.runDoctor',
  'offload.tripBreaker',
  'offload.resetBreaker',
];

describe('activation in a real VS Code', () => {
  it('activates on startup and registers every Offload command', async () => {
    const api = await offload();
    assert.ok(vscode.extensions.getExtension(EXTENSION_ID)?.isActive);
    const registered = new Set(await vscode.commands.getCommands(true));
    for (const id of COMMANDS) assert.ok(registered.has(id), id);
    note(
      `      activation: ${api.activationMs.toFixed(1)} ms (bundle evaluation + activate), activate() alone ${api.activateMs.toFixed(1)} ms`,
    );
  });

  it('activates without the app or the ledger (sql.js WASM) in its bundle: they load after activate() returns', async () => {
    const api = await offload();
    const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
    const bundle = readFileSync(join(ext.extensionPath, 'dist', 'extension.js'), 'utf8');
    assert.doesNotMatch(bundle, /initSqlJs|sql-wasm/, 'sql.js is not bundled into the extension entry');
    assert.match(bundle, /app\.js/, 'the app bundle is loaded on demand (load-app.ts)');
    // The time itself is a benchmark figure (BENCHMARKS.md, Extension), not a pass/fail line on a shared machine.
    assert.ok(api.activationMs > 0 && api.activateMs <= api.activationMs);
  });

  it('shows the budget left and the breaker state in the status bar once the ledger is open', async () => {
    const api = await offload();
    const bar = await eventually('the budget item', async () => {
      await api.refreshStatusBar();
      const b = api.statusBar();
      return /\$\d+\.\d\d left/.test(b.budget) && b;
    });
    assert.match(bar.budget, /\$25\.00 left/);
    assert.match(bar.breaker, /Offload closed/);
    assert.match(bar.budgetTooltip, /monthly cap \| \$25\.00/);
  });

  it('copies an MCP config for Claude Code that runs the bundled worker without the API key', async () => {
    const text = await vscode.commands.executeCommand<string>('offload.copyMcpConfigClaudeCode');
    const entry = JSON.parse(text).mcpServers.offload;
    assert.match(entry.args[0], /dist[\\/]worker\.js$/);
    assert.equal(entry.env.OPENAI_API_KEY, undefined, 'no key, not even a placeholder for one');
    assert.match(entry.env.OPENAI_API_KEY_COMMAND, /^<a command that prints your key/);
    assert.equal(await vscode.env.clipboard.readText(), text);
  });
});
