import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import Anthropic from '@anthropic-ai/sdk';
import { openLedger } from '../../src/ledger/sqlite-ledger';
import { startScriptedGateway } from '../support/scripted-gateway';
import { WORKER } from '../support/worker-client';

describe('offload-worker adapter (standalone, built dist/worker.js)', function () {
  this.timeout(60_000);

  it('meters every call made with its key to one session job, and completes that job on SIGTERM', async () => {
    const gateway = await startScriptedGateway({
      script: () => ({ text: 'Hello from the stand-in.', usage: { prompt_tokens: 300, completion_tokens: 20 } }),
    });
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'offload-adapter-cmd-')));
    const ledgerPath = join(dir, 'ledger.sqlite');
    const child = spawn(process.execPath, [WORKER, 'adapter', '--port', '0'], {
      env: {
        ...process.env,
        OPENAI_BASE_URL: gateway.url,
        OPENAI_API_KEY: 'k',
        OFFLOAD_LEDGER: ledgerPath,
        SANDBOX_ROOT: dir,
        OFFLOAD_ADAPTER_KEY: '',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      const lines = createInterface({ input: child.stdout! });
      let url = '';
      let jobId = '';
      let key = '';
      for await (const line of lines) {
        const listening = /^adapter listening on (\S+) \(ledger job (\S+)\)$/.exec(line);
        if (listening) [, url, jobId] = listening as unknown as [string, string, string];
        const printed = /^OFFLOAD_ADAPTER_KEY=(\S+)$/.exec(line);
        if (printed) {
          key = printed[1]!;
          break;
        }
      }
      assert.ok(url && jobId && key.length >= 32, 'printed its URL, its session job and a generated key');

      const wrong = new Anthropic({ baseURL: url, apiKey: 'not-the-key', maxRetries: 0 });
      await assert.rejects(
        wrong.messages.create({
          model: 'claude-sonnet-5',
          max_tokens: 50,
          messages: [{ role: 'user', content: 'hi' }],
        }),
        (e: { status?: number }) => e.status === 401,
      );
      const client = new Anthropic({ baseURL: url, apiKey: key, maxRetries: 0 });
      const message = await client.messages.create({
        model: 'claude-sonnet-5',
        max_tokens: 50,
        messages: [{ role: 'user', content: 'hi' }],
      });
      assert.equal((message.content[0] as { text: string }).text, 'Hello from the stand-in.');
      assert.equal(message.model, 'claude-sonnet-5', 'the requested model name is kept');
      assert.equal(gateway.requests[0]!.body.model, 'gpt-4o-mini', 'sent to CLAUDE_MODEL');

      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
      const ledger = await openLedger(ledgerPath, { caps: { monthlyMicros: 25e6, dailyMicros: null } });
      const job = await ledger.getJob(jobId);
      await ledger.close();
      assert.equal(job?.status, 'completed');
      assert.deepEqual(job?.usage, { input_tokens: 300, output_tokens: 20, cache_read_tokens: 0 });
      assert.ok(job!.costMicros > 0);
    } finally {
      child.kill('SIGKILL');
      await gateway.close();
    }
  });
});
