import { strict as assert } from 'node:assert';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as vscode from 'vscode';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { TERMINAL_STATUSES, type JobStatus } from '../../src/core/jobs';
import type { ScriptedGateway } from '../support/scripted-gateway';
import { EXTENSION_ID, eventually, offload, useScriptedGateway } from './helpers';

const KEY = 'sk-scripted-gateway-key-0002';
const JOBS_EACH = 8;

/** Calls run_job on `client` and returns the job_id and status from its result. */
async function runJob(client: Client, i: number): Promise<{ job_id: string; job_status: JobStatus }> {
  const result = await client.callTool(
    { name: 'run_job', arguments: { agent: 'mini-worker', task: `task ${i}` } },
    undefined,
    { timeout: 60_000 },
  );
  return JSON.parse((result.content as { text: string }[])[0]!.text);
}

describe('one ledger for the extension host and a CLI worker', () => {
  let gateway: ScriptedGateway;

  before(async () => {
    // The scripted gateway: a stand-in for the model provider. Each call reports 20k + 2k tokens (≈ $0.0042 on gpt-4o-mini).
    gateway = await useScriptedGateway(KEY, () => ({
      text: 'ok',
      usage: { prompt_tokens: 20_000, completion_tokens: 2_000 },
      delayMs: 20,
    }));
  });
  after(async () => {
    await vscode.workspace
      .getConfiguration('offload')
      .update('openaiBaseUrl', undefined, vscode.ConfigurationTarget.Global);
    await vscode.workspace
      .getConfiguration('offload')
      .update('monthlyBudgetUsd', undefined, vscode.ConfigurationTarget.Global);
    await vscode.commands.executeCommand('offload.resetBreaker');
    await gateway?.close();
  });

  it('spend from both hosts at once loses no rows and never passes the shared cap', async () => {
    const api = await offload();
    let app = await api.app();
    const spentBefore = (await app.ledger.spendStats()).current_month;
    // Room for about five calls in all: the two hosts must share it, not each spend it.
    const cap = Number((spentBefore + 0.025).toFixed(6));
    await vscode.workspace
      .getConfiguration('offload')
      .update('monthlyBudgetUsd', cap, vscode.ConfigurationTarget.Global);
    await eventually(
      'the cap to reach the ledger',
      async () => (await api.app()).ledger.caps.monthlyMicros === Math.round(cap * 1e6),
    );
    app = await api.app();

    const { url, token } = await api.mcpServer();
    const inExtension = new Client({ name: 'offload-vscode-test', version: '0.0.0' });
    await inExtension.connect(
      new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    const worker = join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'dist', 'worker.js');
    const peerSandbox = mkdtempSync(join(tmpdir(), 'offload-cli-peer-'));
    const cli = new Client({ name: 'offload-cli-peer', version: '0.0.0' });
    await cli.connect(
      new StdioClientTransport({
        command: process.execPath,
        args: [worker, 'mcp'],
        env: {
          ...(process.env as Record<string, string>),
          OFFLOAD_LEDGER: app.config.ledgerPath,
          MONTHLY_BUDGET: String(cap),
          OPENAI_BASE_URL: gateway.url,
          OPENAI_API_KEY: KEY,
          SANDBOX_ROOT: peerSandbox,
        },
      }),
    );
    try {
      const results = await Promise.all([
        ...Array.from({ length: JOBS_EACH }, (_, i) => runJob(inExtension, i)),
        ...Array.from({ length: JOBS_EACH }, (_, i) => runJob(cli, JOBS_EACH + i)),
      ]);
      const completed = results.filter((r) => r.job_status === 'completed');
      assert.ok(completed.length >= 2, `some jobs ran: ${JSON.stringify(results.map((r) => r.job_status))}`);
      assert.ok(completed.length < results.length, 'the shared cap refused some jobs');
      for (const r of results) {
        const row = await app.ledger.getJob(r.job_id);
        assert.ok(row, `job ${r.job_id} is in the one ledger`);
        assert.ok(TERMINAL_STATUSES.has(row.status), `job ${r.job_id} ended (${row.status})`);
      }
      const stats = await app.ledger.spendStats();
      assert.ok(stats.current_month <= cap + 1e-9, `spent ${stats.current_month} of a ${cap} cap`);
      assert.equal(stats.reservations_in_flight, 0);
      assert.equal(
        gateway.requests.length,
        completed.length,
        'every call the gateway answered was settled to a completed job',
      );
    } finally {
      await inExtension.close();
      await cli.close();
      rmSync(peerSandbox, { recursive: true, force: true });
    }
  });
});
