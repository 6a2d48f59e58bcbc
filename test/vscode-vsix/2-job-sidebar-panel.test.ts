import { strict as assert } from 'node:assert';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { summaryReply } from '../support/demo-script';
import { eventually } from '../vscode/helpers';
import { screenshot, vsixRun, webviewAttrs, webviewTexts, workbenchClick, workbenchTexts } from './page';

const ID = 'offload.offload';
/** What the scripted gateway's `summary` script answers (run-vsix.mjs starts it). */
const SUMMARY = 'text' in summaryReply ? summaryReply.text : '';
/** The Offload view's welcome text, or '' when the view shows its tree. */
const welcome = async () => (await workbenchTexts('.sidebar .welcome-view-content', 500)).join(' ');
/** Text of every row in the sidebar's tree (group headers and jobs). */
const sidebarRows = () => workbenchTexts('.sidebar .monaco-list-row', 500);

describe('a job in the installed Offload: the sidebar and the jobs panel', () => {
  let jobId = '';
  after(() => vscode.commands.executeCommand('workbench.action.closeAllEditors'));

  it('the Offload activity-bar item opens the Jobs view, which asks for an API key in a fresh profile', async () => {
    await workbenchClick('.activitybar .action-item a[aria-label="Offload"]');
    const title = await workbenchTexts('.sidebar .composite.title h2');
    assert.match(title.join(' '), /Offload: Jobs/i);
    assert.match(await eventually('the welcome text', welcome), /No API key is set\./);
  });

  it('Set API Key, then Run Job on Selection: the scripted gateway answers, the answer opens beside, the sidebar lists the job', async () => {
    const run = vsixRun();
    await vscode.commands.executeCommand('offload.setApiKey', { slot: 'offload.openaiApiKey', value: run.gatewayKey });
    // The tree reads the restarted app: the welcome turns from "no key" to "no jobs".
    assert.match(
      await eventually('the Jobs view to see the key', async () => /No jobs yet/.test(await welcome()) && welcome()),
      /No jobs yet/,
    );

    const readme = vscode.Uri.file(join(vscode.workspace.workspaceFolders![0]!.uri.fsPath, 'README.md'));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(readme));
    await vscode.commands.executeCommand('offload.runJobOnSelection', { preset: 'summarize' });
    const answer = vscode.workspace.textDocuments.find((d) => SUMMARY !== '' && d.getText() === SUMMARY);
    assert.ok(answer, "the gateway's answer opened in an editor");
    assert.equal(answer.languageId, 'markdown');

    const rows = await eventually('the sidebar to list the job', async () => {
      const r = await sidebarRows();
      return r.some((t) => t.includes('mini-worker')) && r;
    });
    const job = rows.find((t) => t.includes('mini-worker'))!;
    assert.match(job, /^llm · mini-worker\s*\$0\.\d{2,6} · \d+s$/, JSON.stringify(rows));
    assert.ok(
      rows.some((t) => /^Recent$/.test(t.trim())),
      `the job is under Recent: ${JSON.stringify(rows)}`,
    );
  });

  it('the worker CLI bundled in the package reads the same job and its spend from the shared ledger', () => {
    const run = vsixRun();
    const worker = join(vscode.extensions.getExtension(ID)!.extensionPath, 'dist/worker.js');
    const r = spawnSync(process.execPath, [worker, 'spend'], {
      encoding: 'utf8',
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', OFFLOAD_LEDGER: run.ledger },
    });
    assert.equal(r.status, 0, r.stderr);
    const stats = JSON.parse(r.stdout) as { jobs: { total: number }; current_month: number };
    assert.equal(stats.jobs.total, 1);
    assert.ok(stats.current_month > 0, `the job was charged: ${r.stdout.slice(0, 300)}`);
  });

  it("Open Jobs Panel shows the job in the panel's queue", async () => {
    await vscode.commands.executeCommand('offload.openPanel');
    const rows = await webviewTexts('#queue .row');
    assert.equal(rows.length, 1, JSON.stringify(rows));
    assert.match(rows[0]!, /^llmmini-worker\$0\.\d\d\d+s/);
    const ids = await webviewAttrs('#queue .row', 'data-job-id');
    assert.equal(ids.length, 1);
    jobId = ids[0]!;
    assert.match(jobId, /\S/);
  });

  it('clicking the job in the sidebar opens its detail in the panel', async () => {
    assert.ok(jobId, 'the previous test found the job');
    await workbenchClick('.sidebar .monaco-list-row[aria-level="2"]');
    assert.deepEqual(
      await eventually("the job's detail", async () => {
        const s = await webviewTexts('#detail [data-field="status"]', 500);
        return s.length > 0 && s;
      }),
      ['completed'],
    );
    assert.deepEqual(await webviewAttrs('#detail [data-action="cancel"]', 'aria-label'), [`Cancel job ${jobId}`]);
    const prompt = (await webviewTexts('#detail pre')).join('\n');
    assert.match(prompt, /Scratch workspace for Offload extension tests/, 'the prompt holds the README it ran on');
    await screenshot('vscode-vsix-job-detail');
  });

  it('the budget item in the status bar shows the spend and opens the panel on Spend', async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    const item = '.statusbar [id="offload.offload.offload.budget"]';
    const shown = await eventually('the budget item to show the spend', async () => {
      const t = await workbenchTexts(item, 500);
      return t[0]?.includes('$24.99') && t;
    });
    assert.deepEqual(
      shown.map((t) => t.trim()),
      ['$24.99 left'],
    );
    assert.deepEqual(await webviewTexts('#spend-body [data-field="month"]', 300), [], 'no panel is open');
    await workbenchClick(`${item} a`);
    const spend = await webviewTexts('#spend-body [data-field="month"]');
    assert.match(spend[0] ?? '', /^\$0\.\d{2,6} of \$25\.00 \(\d+\.\d%\)$/, JSON.stringify(spend));
    assert.deepEqual(await webviewAttrs('body[data-view]', 'data-view'), ['spend']);
  });
});
