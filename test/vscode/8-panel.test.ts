/**
 * The sidebar and the jobs panel with a real agent job: the real Claude Code CLI, driven by the
 * scripted gateway (a stand-in for the model provider) through Offload's adapter, edits a file in
 * the workspace. The panel (opened by the budget status-bar item's own command) lists the job,
 * shows its diff, opens it in VS Code's diff editor (`offload-job:` documents) and discards it.
 * Screenshots of the queue, the detail and Spend go to .test-artifacts/ in three themes.
 * The panel is left open: 8-panel.after-reload.test.ts checks that it comes back after the reload.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ScriptedGateway } from '../support/scripted-gateway';
import { planScript } from '../support/plan-script';
import {
  eventually,
  fixtureDir,
  offload,
  PANEL_JOB_FILE,
  screenshot,
  setTheme,
  THEMES,
  useScriptedGateway,
  webviewClick,
  webviewScroll,
  webviewTexts,
} from './helpers';

const KEY = 'sk-scripted-gateway-key-0008';
const FILE = 'notes.txt';
const PRE = 'Notes kept by the panel test.\nThe answer is 41.\n';
const POST = 'Notes kept by the panel test.\nThe answer is 42.\n';
const PROMPT = 'Panel job: set the answer in notes.txt to 42.';

interface ToolResult {
  content: { text: string }[];
}
const json = (r: unknown) => JSON.parse((r as ToolResult).content[0]!.text) as Record<string, unknown>;
const row = (id: string) => `#queue [role=row][data-job-id="${id}"]`;

/** The diff editor tabs (any group) whose sides are `offload-job:` documents. */
const jobDiffTabs = () =>
  vscode.window.tabGroups.all
    .flatMap((g) => g.tabs)
    .filter(
      (t): t is vscode.Tab & { input: vscode.TabInputTextDiff } =>
        t.input instanceof vscode.TabInputTextDiff && t.input.original.scheme === 'offload-job',
    );

describe('the sidebar and the jobs panel, with a real agent job', function () {
  this.timeout(180_000);
  let gateway: ScriptedGateway;
  let dir: string;
  let jobId: string;

  before(async () => {
    const workspace = vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
    assert.ok(workspace, 'a workspace folder');
    dir = join(workspace, 'panel-job');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, FILE), PRE);
    // The scripted gateway (stand-in for the model provider) plays Read + Edit to the real CLI.
    gateway = await useScriptedGateway(
      KEY,
      planScript({
        'Panel job': [
          { tool: 'Read', file: FILE },
          { tool: 'Edit', file: FILE, from: 'The answer is 41.', to: 'The answer is 42.' },
        ],
      }),
    );
    // 7-budget-approval.test.ts ends on a tiny monthly cap that trips the velocity rule; its
    // after() reverts the cap without waiting for it to apply. Wait for the default cap, then reset.
    const api = await offload();
    await eventually(
      'the default $25 monthly cap',
      async () => (await api.app()).ledger.caps.monthlyMicros === 25_000_000,
    );
    await vscode.commands.executeCommand('offload.resetBreaker');
    assert.equal((await (await api.app()).breaker.status()).state, 'closed');
  });
  after(async () => {
    // Only the diff editors close: the panel stays open for the reload (8-panel.after-reload.test.ts).
    await vscode.window.tabGroups.close(jobDiffTabs());
    await vscode.workspace
      .getConfiguration('workbench')
      .update('colorTheme', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace
      .getConfiguration('offload')
      .update('openaiBaseUrl', undefined, vscode.ConfigurationTarget.Global);
    await gateway?.close();
  });

  it('runs a `start` job that edits a workspace file; the sidebar lists it', async () => {
    const api = await offload();
    const { url, token } = await api.mcpServer();
    const client = new Client({ name: 'offload-vscode-test-panel', version: '0.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    try {
      const started = json(
        await client.callTool({ name: 'start', arguments: { prompt: PROMPT, allowed_dirs: [dir] } }),
      );
      jobId = String(started.job_id);
      let done: Record<string, unknown>;
      do
        done = json(
          await client.callTool({ name: 'wait', arguments: { job_id: jobId, timeout_ms: 20_000 } }, undefined, {
            timeout: 60_000,
          }),
        );
      while (done.job_status === 'running' || done.job_status === 'queued');
      assert.equal(done.job_status, 'completed', JSON.stringify(done));
      assert.deepEqual(done.changed_files, [FILE]);
    } finally {
      await client.close();
    }
    assert.equal(readFileSync(join(dir, FILE), 'utf8'), POST, 'the real CLI edited the file');
    const fx = fixtureDir();
    if (fx) writeFileSync(join(fx, PANEL_JOB_FILE), JSON.stringify({ jobId }));

    const rows = await eventually('the sidebar to list the job', async () =>
      (await api.sidebarJobs()).find((r) => r.id === jobId),
    );
    assert.match(rows.label, /^claude-code · /);
    assert.equal(rows.contextValue.split('.')[1], 'completed');
  });

  it("the budget status-bar item's own command opens the panel on Spend; the queue lists the job", async () => {
    const api = await offload();
    assert.equal(api.panelOpen(), false, 'no panel before the click');
    const cmd = api.statusBar().budgetCommand;
    assert.ok(cmd, 'the budget item has a command');
    await vscode.commands.executeCommand(cmd.command, ...cmd.arguments);
    assert.equal(api.panelOpen(), true);
    await eventually(
      'the panel page to be ready on Spend',
      async () => (await webviewTexts('body[data-ready="1"][data-view="spend"] #spend-body', 2_000)).length === 1,
    );
    const [spend] = await webviewTexts('#spend-body');
    assert.match(spend!, /Spent in \d{4}-\d\d\s*\$\d+\.\d\d of \$25\.00/);

    await webviewClick('[data-nav="queue"]');
    const texts = await eventually('the queue row of the job', async () => (await webviewTexts(row(jobId), 2_000))[0]);
    assert.match(texts, /claude-code/);
    assert.ok(texts.includes(PROMPT), `the row shows the prompt: ${texts}`);
  });

  it('a click on the row opens its detail with the diff of the changed line', async () => {
    await webviewClick(row(jobId));
    await eventually(
      'the detail of the job',
      async () =>
        (await webviewTexts(`body[data-open-job="${jobId}"] #detail [data-field=status]`, 2_000))[0] === 'completed',
    );
    const diff = await eventually('the diff', async () => (await webviewTexts('#detail .d2h-wrapper', 2_000))[0]);
    assert.ok(diff.includes('The answer is 42.'), `the diff shows the new line: ${diff.slice(0, 300)}`);
    assert.ok(diff.includes('The answer is 41.'), 'and the old one');
    assert.ok(diff.includes(FILE));
  });

  it('screenshots the queue, the detail with its diff and Spend in the dark, light and high-contrast themes', async () => {
    for (const theme of Object.keys(THEMES) as (keyof typeof THEMES)[]) {
      await setTheme(theme);
      await vscode.commands.executeCommand('notifications.clearAll'); // toasts (budget warnings of 7-*) would cover the panel
      const tag = theme.replace(/^Default /, '').toLowerCase();
      await webviewClick('[data-nav="queue"]');
      await webviewScroll('#tabs');
      const shots = [await screenshot(`panel-queue-${tag}`, { webview: true })];
      await webviewScroll('#detail');
      shots.push(await screenshot(`panel-detail-${tag}`, { webview: true }));
      await webviewClick('[data-nav="spend"]');
      assert.equal((await webviewTexts('body[data-view="spend"] #spend-body')).length, 1);
      shots.push(await screenshot(`panel-spend-${tag}`, { webview: true }));
      for (const s of shots) assert.ok(readFileSync(s).subarray(1, 4).toString() === 'PNG', `${s} is a PNG`);
    }
    await webviewClick('[data-nav="queue"]');
  });

  it('"Open in diff editor" opens VS Code\'s diff of the pre-job and post-job contents (offload-job: documents)', async () => {
    await webviewClick(`#detail [data-action=openDiff][data-file="${FILE}"]`);
    const tab = await eventually('an offload-job diff tab', () => jobDiffTabs()[0]);
    assert.equal(tab.input.modified.scheme, 'offload-job');
    const sides = [tab.input.original, tab.input.modified].map((u) => Object.fromEntries(new URLSearchParams(u.query)));
    assert.deepEqual(sides, [
      { job: jobId, side: 'pre' },
      { job: jobId, side: 'post' },
    ]);
    assert.equal(tab.input.modified.path, `/${FILE}`);
    const [original, modified] = await Promise.all([
      vscode.workspace.openTextDocument(tab.input.original),
      vscode.workspace.openTextDocument(tab.input.modified),
    ]);
    assert.equal(original.getText(), PRE);
    assert.equal(modified.getText(), POST);
  });

  it('Discard in the panel restores the file on disk and the panel shows the job discarded', async () => {
    const api = await offload();
    await vscode.window.tabGroups.close(jobDiffTabs());
    await vscode.commands.executeCommand('offload.openJob', jobId);
    assert.equal(api.panelOpen(), true);
    await eventually(
      'the detail with Discard enabled',
      async () =>
        (
          await webviewTexts(
            `body[data-open-job="${jobId}"] #detail [data-action=discard]:not([aria-disabled="true"])`,
            2_000,
          )
        ).length === 1,
    );
    await webviewClick('#detail [data-action=discard]');
    const result = await eventually('the action result', async () => (await webviewTexts('#action-result', 2_000))[0]);
    assert.equal(result, 'discard: discarded 1 file(s)');
    assert.equal(readFileSync(join(dir, FILE), 'utf8'), PRE, 'the file is back as it was before the job');
    const status = await eventually('the detail to show discarded', async () => {
      const s = (await webviewTexts('#detail [data-field=status]', 2_000))[0];
      return s?.includes('discarded') && s;
    });
    assert.match(status, /completed/);
    assert.equal(
      (await webviewTexts('#detail [data-action=discard][aria-disabled="true"]')).length,
      1,
      'Discard is disabled once discarded',
    );
    const job = await (await api.app()).ledger.getJob(jobId);
    assert.equal((job?.result as { undo?: { state?: string } }).undo?.state, 'discarded');
  });
});
