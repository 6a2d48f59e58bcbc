import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAppFixture, toolError, toolJson, type AppFixture } from '../support/app-fixture';

describe('queue_batch and analyze over InMemoryTransport (real app, scripted gateway)', () => {
  let fx: AppFixture;
  beforeEach(async () => {
    fx = await startAppFixture((req) => ({
      text: `answer to: ${String(req.body.messages.at(-1).content).slice(0, 40)}`,
      usage: { prompt_tokens: 200, completion_tokens: 20 },
    }));
  });
  afterEach(async () => {
    await fx.close();
  });

  it('queues a batch, returns job_ids at once, and every job completes and is billed', async () => {
    const queued = toolJson(
      await fx.client.callTool({
        name: 'queue_batch',
        arguments: {
          jobs: [
            { agent: 'mini-worker', task: 'rename foo to bar' },
            { agent: 'mini-worker', task: 'format this' },
            { agent: 'balanced-worker', task: 'summarize that' },
          ],
        },
      }),
    );
    assert.equal(queued.jobs.length, 3);
    assert.deepEqual(
      queued.jobs.map((j: { model: string }) => j.model),
      ['gpt-4o-mini', 'gpt-4o-mini', 'gpt-4o'],
    );
    for (const { job_id } of queued.jobs) {
      const done = toolJson(await fx.client.callTool({ name: 'wait', arguments: { job_id, timeout_ms: 10_000 } }));
      assert.equal(done.job_status, 'completed');
      assert.ok(done.cost_usd > 0);
    }
    assert.equal(fx.gateway.requests.length, 3);
    assert.equal((await fx.app.ledger.spendStats()).by_kind.llm?.jobs, 3);
  });

  it('queues nothing when one job of the batch is invalid, naming its index', async () => {
    const message = toolError(
      await fx.client.callTool({
        name: 'queue_batch',
        arguments: {
          jobs: [
            { agent: 'mini-worker', task: 'fine' },
            { agent: 'mini-worker', task: 'reads outside', input_refs: ['/etc/passwd'] },
          ],
        },
      }),
    );
    assert.match(message, /jobs\[1\]\.input_refs\[0\]/);
    assert.equal((await fx.app.ledger.listJobs()).length, 0);
  });

  it('analyzes a folder read-only: reads its files, skips node_modules and binaries, answers', async () => {
    const dir = join(fx.sandbox, 'proj');
    mkdirSync(join(dir, 'src'), { recursive: true });
    mkdirSync(join(dir, 'node_modules/dep'), { recursive: true });
    writeFileSync(join(dir, 'src/a.ts'), 'export const a = 1;\n');
    writeFileSync(join(dir, 'src/b.ts'), 'export const b = 2;\n');
    writeFileSync(join(dir, 'node_modules/dep/index.js'), 'secret dependency code');
    writeFileSync(join(dir, 'logo.png'), Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01]));
    const result = toolJson(
      await fx.client.callTool({ name: 'analyze', arguments: { question: 'What does this export?', paths: [dir] } }),
    );
    assert.equal(result.job_status, 'completed');
    assert.deepEqual(result.files_read, ['proj/src/a.ts', 'proj/src/b.ts']);
    const sent = JSON.stringify(fx.gateway.requests[0]!.body.messages);
    assert.match(sent, /export const a = 1/);
    assert.doesNotMatch(sent, /secret dependency code/);
    assert.ok(result.cost_usd > 0);
  });

  it('does not follow a symlink inside a folder to a file outside the sandbox', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'offload-outside-'));
    writeFileSync(join(outside, 'secret.txt'), 'TOP SECRET');
    const dir = join(fx.sandbox, 'linked');
    mkdirSync(dir);
    writeFileSync(join(dir, 'ok.txt'), 'fine');
    symlinkSync(join(outside, 'secret.txt'), join(dir, 'escape.txt'));
    const result = toolJson(await fx.client.callTool({ name: 'analyze', arguments: { question: 'q', paths: [dir] } }));
    assert.deepEqual(result.files_read, ['linked/ok.txt']);
    assert.doesNotMatch(JSON.stringify(fx.gateway.requests[0]!.body), /TOP SECRET/);
  });

  it('rejects analyze paths outside the sandbox, naming the field, with no job created', async () => {
    assert.match(
      toolError(await fx.client.callTool({ name: 'analyze', arguments: { question: 'q', paths: ['/etc'] } })),
      /paths\[0\]/,
    );
    assert.equal((await fx.app.ledger.listJobs()).length, 0);
  });
});
