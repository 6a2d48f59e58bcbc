import { strict as assert } from 'node:assert';
import * as vscode from 'vscode';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ScriptedGateway } from '../support/scripted-gateway';
import { eventually, offload, useScriptedGateway } from './helpers';

const KEY = 'sk-scripted-gateway-key-0001';

describe('a tool call through the extension MCP server spends through the ledger', () => {
  let gateway: ScriptedGateway;

  before(async () => {
    // The scripted gateway: a stand-in for the model provider, started by this test.
    gateway = await useScriptedGateway(KEY, () => ({
      text: 'A short summary.',
      usage: { prompt_tokens: 20_000, completion_tokens: 2_000 },
    }));
  });
  after(async () => {
    await vscode.workspace
      .getConfiguration('offload')
      .update('openaiBaseUrl', undefined, vscode.ConfigurationTarget.Global);
    await gateway?.close();
  });

  it('creates a completed job in the ledger and the status bar shows the new budget left', async () => {
    const api = await offload();
    await api.refreshStatusBar();
    const before = api.statusBar();
    assert.match(before.budget, /\$25\.00 left/);

    const { url, token } = await api.mcpServer();
    const client = new Client({ name: 'offload-vscode-test', version: '0.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    try {
      const result = await client.callTool({
        name: 'run_job',
        arguments: { agent: 'mini-worker', task: 'Summarize this repository' },
      });
      const body = JSON.parse((result.content as { text: string }[])[0]!.text);
      assert.equal(body.job_status, 'completed', JSON.stringify(body));
      assert.equal(body.output, 'A short summary.');
      const job = await (await api.app()).ledger.getJob(body.job_id);
      assert.equal(job?.status, 'completed');
      assert.ok(job!.costMicros > 0, 'the job was charged');
      assert.equal(gateway.requests.length, 1);
      assert.equal(
        gateway.requests[0]!.headers.authorization,
        `Bearer ${KEY}`,
        'the key from SecretStorage reached the gateway',
      );

      // gpt-4o-mini: 20k input + 2k output tokens ≈ $0.0042 → the glance rounds down to $24.99.
      const after = await eventually('the status bar to show the spend', () => {
        const s = api.statusBar();
        return s.budget !== before.budget && s;
      });
      assert.match(after.budget, /\$24\.99 left/);
      assert.match(after.budgetTooltip, /\$0\.00\d\d/);
    } finally {
      await client.close();
    }
  });
});
