import { strict as assert } from 'node:assert';
import { execFile } from 'node:child_process';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { openLedger } from '../../src/ledger/sqlite-ledger';
import { toolError, toolJson } from '../support/app-fixture';
import { startScriptedGateway, type ScriptedGateway } from '../support/scripted-gateway';
import { connectWorker, WORKER } from '../support/worker-client';

const run = promisify(execFile);

describe('dist/worker.js mcp over stdio (real MCP SDK client)', () => {
  let gateway: ScriptedGateway;
  let client: Client;
  let dir: string;

  before(async () => {
    gateway = await startScriptedGateway({
      script: () => ({ text: 'A tidy summary.', usage: { prompt_tokens: 500, completion_tokens: 50 } }),
    });
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'offload-stdio-')));
    ({ client } = await connectWorker({
      OPENAI_BASE_URL: gateway.url,
      OPENAI_API_KEY: 'k',
      OFFLOAD_LEDGER: join(dir, 'ledger.sqlite'),
      SANDBOX_ROOT: dir,
    }));
  });
  after(async () => {
    await client?.close();
    await gateway?.close();
  });

  it('lists the tools', async () => {
    const names = (await client.listTools()).tools.map((t) => t.name);
    for (const name of [
      'run_job',
      'start',
      'wait',
      'tail',
      'cancel',
      'get',
      'get_job_status',
      'get_spend_stats',
      'apply',
      'discard',
    ])
      assert.ok(names.includes(name), name);
  });

  it('runs a job whose spend lands in the ledger file, readable by another process', async () => {
    const raw = await client.callTool({
      name: 'run_job',
      arguments: { agent: 'mini-worker', task: 'Summarize the repo' },
    });
    const result = toolJson(raw);
    assert.equal(result.job_status, 'completed');
    assert.equal(
      (raw.content as unknown[]).length,
      1,
      "the stdio worker adds no chat link (only VS Code's own server does)",
    );
    assert.equal(result.output, 'A tidy summary.');
    const ledger = await openLedger(join(dir, 'ledger.sqlite'), { caps: { monthlyMicros: 25e6, dailyMicros: null } });
    try {
      const job = await ledger.getJob(result.job_id);
      assert.equal(job?.status, 'completed');
      assert.equal(job?.costMicros, Math.round(result.cost_usd * 1e6));
      assert.ok(job!.costMicros > 0);
    } finally {
      await ledger.close();
    }
  });

  it('returns a tool error naming the field for bad input', async () => {
    assert.match(
      toolError(await client.callTool({ name: 'run_job', arguments: { agent: 'nobody', task: 'x' } })),
      /agent/,
    );
  });

  it('refuses to start with an invalid variable, naming it', async () => {
    await assert.rejects(
      run(process.execPath, [WORKER, 'mcp'], { env: { ...process.env, MONTHLY_BUDGET: 'lots' } }),
      (err: { code: number; stderr: string }) => err.code === 2 && /MONTHLY_BUDGET/.test(err.stderr),
    );
  });
});
