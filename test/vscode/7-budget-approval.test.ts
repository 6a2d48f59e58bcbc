import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ScriptedGateway } from '../support/scripted-gateway';
import { eventually, offload, useScriptedGateway } from './helpers';

const KEY = 'sk-scripted-gateway-key-0003';
const COST_RANGE = /Estimated cost \$[\d.]+–\$[\d.]+/;

/** Sets a user setting and waits until the app has it (non-cap settings restart the app). */
async function setSetting(
  name: string,
  value: unknown,
  applied: (config: Record<string, unknown>) => boolean,
): Promise<void> {
  await vscode.workspace.getConfiguration('offload').update(name, value, vscode.ConfigurationTarget.Global);
  const api = await offload();
  await eventually(`offload.${name} to reach the app`, async () =>
    applied((await api.app()).config as unknown as Record<string, unknown>),
  );
}

/** An MCP client of the extension's server that does not declare elicitation. */
async function connect(): Promise<Client> {
  const { url, token } = await (await offload()).mcpServer();
  const client = new Client({ name: 'offload-vscode-test-no-elicitation', version: '0.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers: { Authorization: `Bearer ${token}` } } }),
  );
  return client;
}

describe('premium approval through the VS Code modal, and budget warnings', () => {
  let gateway: ScriptedGateway;
  const asked: string[] = [];
  let answer = false;

  before(async () => {
    // The scripted gateway: a stand-in for the model provider. Each call reports 20k + 2k tokens.
    gateway = await useScriptedGateway(KEY, () => ({
      text: 'Reviewed.',
      usage: { prompt_tokens: 20_000, completion_tokens: 2_000 },
    }));
    // Stands in for the modal: records the question and answers with `answer`.
    (await offload()).setApprover(async (question) => {
      asked.push(question);
      return answer;
    });
  });
  beforeEach(() => {
    asked.length = 0;
  });
  after(async () => {
    const api = await offload();
    api.setApprover(undefined);
    for (const name of ['openaiBaseUrl', 'approvalThresholdUsd', 'monthlyBudgetUsd']) {
      await vscode.workspace.getConfiguration('offload').update(name, undefined, vscode.ConfigurationTarget.Global);
    }
    await vscode.commands.executeCommand('offload.resetBreaker');
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    await gateway?.close();
  });

  it('asks in the modal when the MCP client cannot elicit: "no" rejects the job, "yes" runs it', async () => {
    const api = await offload();
    const client = await connect();
    try {
      answer = false;
      const declined = JSON.parse(
        (
          (await client.callTool({
            name: 'run_job',
            arguments: { agent: 'premium-worker', task: 'Review this design' },
          })) as { content: { text: string }[] }
        ).content[0]!.text,
      );
      assert.equal(declined.job_status, 'rejected', JSON.stringify(declined));
      assert.match(declined.error, /the user declined/);
      assert.equal(asked.length, 1);
      assert.match(asked[0]!, /premium-worker job on o1-mini\?/);
      assert.match(asked[0]!, COST_RANGE);
      assert.equal(gateway.requests.length, 0, 'a declined job never reaches the provider');

      answer = true;
      const approved = JSON.parse(
        (
          (await client.callTool({
            name: 'run_job',
            arguments: { agent: 'premium-worker', task: 'Review this design' },
          })) as { content: { text: string }[] }
        ).content[0]!.text,
      );
      assert.equal(approved.job_status, 'completed', JSON.stringify(approved));
      assert.equal(approved.output, 'Reviewed.');
      assert.equal(asked.length, 2);
      assert.equal(gateway.requests.length, 1);
      assert.equal((await (await api.app()).ledger.getJob(approved.job_id))?.status, 'completed');
    } finally {
      await client.close();
    }
  });

  it('asks before Run Job on Selection runs a job over the approval threshold', async () => {
    await setSetting('approvalThresholdUsd', 0.000001, (c) => c.approvalThresholdUsd === 0.000001);
    const doc = await vscode.workspace.openTextDocument({
      language: 'typescript',
      content: 'export const answer = 42;\n',
    });
    await vscode.window.showTextDocument(doc);
    const app = await (await offload()).app();

    answer = false;
    await vscode.commands.executeCommand('offload.runJobOnSelection', { preset: 'summarize' });
    const [declined] = await app.ledger.listJobs(1);
    assert.equal(declined?.status, 'rejected');
    assert.match(declined!.error ?? '', /exceeds the approval threshold.*the user declined/s);
    assert.equal(asked.length, 1);
    assert.match(asked[0]!, /mini-worker job on gpt-4o-mini\?/);
    assert.match(asked[0]!, COST_RANGE);

    answer = true;
    const before = gateway.requests.length;
    await vscode.commands.executeCommand('offload.runJobOnSelection', { preset: 'summarize' });
    const [approved] = await app.ledger.listJobs(1);
    assert.equal(approved?.status, 'completed');
    assert.equal(asked.length, 2);
    assert.equal(gateway.requests.length, before + 1);
  });

  it('warns once at 80% and raises an error once at 95% of the monthly budget', async () => {
    const api = await offload();
    await api.forgetBudgetWarnings();
    const shownBefore = api.budgetWarnings().length;
    const spent = (await (await api.app()).ledger.spendStats()).current_month;
    assert.ok(spent > 0, 'the jobs above spent something');

    // Caps that put this month's spend at 85%, then 97%, of the budget.
    for (const [pct, threshold, level] of [
      [85, 80, 'warning'],
      [97, 95, 'error'],
    ] as const) {
      const cap = Number((spent / (pct / 100)).toFixed(6));
      await vscode.workspace
        .getConfiguration('offload')
        .update('monthlyBudgetUsd', cap, vscode.ConfigurationTarget.Global);
      await eventually(
        'the cap to reach the ledger',
        async () => (await api.app()).ledger.caps.monthlyMicros === Math.round(cap * 1e6),
      );
      await api.refreshStatusBar();
      const notice = api.budgetWarnings().find((n) => n.threshold === threshold);
      assert.equal(notice?.level, level, `the ${threshold}% notice`);
      assert.match(notice!.message, new RegExp(`^Offload: ${threshold}% of the \\d{4}-\\d{2} budget is spent`));
    }
    assert.deepEqual(
      api
        .budgetWarnings()
        .slice(shownBefore)
        .map((n) => n.threshold),
      [80, 95],
    );

    // Refreshing again (as every job event and the one-minute poll do) repeats neither.
    await api.refreshStatusBar();
    await api.refreshStatusBar();
    assert.equal(api.budgetWarnings().length, shownBefore + 2);
  });
});
