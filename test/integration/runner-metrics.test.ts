import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { MetricsRecord } from '../../src/adapter/metrics';
import { startAppFixture, toolJson, type AppFixture } from '../support/app-fixture';

/** WORKER_METRICS_FILE for the one-call runners: run_job, queue_batch and analyze write the adapter's line shape (one meteredCall). */
describe('WORKER_METRICS_FILE lines of run_job, queue_batch and analyze (real app, scripted gateway)', () => {
  let fx: AppFixture;
  let dir: string;
  let open: boolean;
  beforeEach(async () => {
    dir = mkdtempSync(join(tmpdir(), 'offload-runner-metrics-'));
    // The first request of each test gets a 429 with retry-after-ms 0 once, then every request is answered.
    let failed = false;
    fx = await startAppFixture(
      () => {
        if (!failed) {
          failed = true;
          return { error: { status: 429, message: 'slow down', retryAfterMs: 0 } };
        }
        return { text: 'done', usage: { prompt_tokens: 200, completion_tokens: 20 } };
      },
      { metricsFile: join(dir, 'metrics.jsonl') },
    );
    open = true;
  });
  afterEach(async () => {
    if (open) await fx.close();
    rmSync(dir, { recursive: true, force: true });
  });
  /** Closes the app, which flushes the metrics sink. */
  const close = async () => {
    open = false;
    await fx.close();
  };

  const lines = (): MetricsRecord[] =>
    readFileSync(join(dir, 'metrics.jsonl'), 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
  const wait = async (job_id: string) =>
    toolJson(await fx.client.callTool({ name: 'wait', arguments: { job_id, timeout_ms: 10_000 } }));

  it('run_job: one line for the retried attempt and one for the billed call, whose cost is the ledger’s', async () => {
    const result = toolJson(
      await fx.client.callTool({ name: 'run_job', arguments: { agent: 'mini-worker', task: 'Summarize' } }),
    );
    assert.equal(result.job_status, 'completed');
    await close();
    const [retried, billed] = lines();
    assert.deepEqual(
      [retried?.job, retried?.status, retried?.cost_micros, retried?.input_tokens],
      [result.job_id, 'http_429', 0, 0],
    );
    assert.deepEqual(
      [billed?.job, billed?.model, billed?.route, billed?.status, billed?.input_tokens, billed?.output_tokens],
      [result.job_id, 'gpt-4o-mini', 'primary', 'ok', 200, 20],
    );
    assert.equal(billed?.cost_usd, result.cost_usd);
    assert.equal(lines().length, 2);
  });

  it('queue_batch and analyze: one ok line per billed call, naming its job', async () => {
    const dir = join(fx.sandbox, 'proj');
    mkdirSync(dir);
    writeFileSync(join(dir, 'a.ts'), 'export const a = 1;\n');
    const queued = toolJson(
      await fx.client.callTool({
        name: 'queue_batch',
        arguments: {
          jobs: [
            { agent: 'mini-worker', task: 'one' },
            { agent: 'mini-worker', task: 'two' },
          ],
        },
      }),
    );
    for (const { job_id } of queued.jobs) assert.equal((await wait(job_id)).job_status, 'completed');
    const analyzed = toolJson(
      await fx.client.callTool({ name: 'analyze', arguments: { question: 'What does this export?', paths: [dir] } }),
    );
    assert.equal(analyzed.job_status, 'completed');
    await close();
    const ok = lines().filter((l) => l.status === 'ok');
    assert.deepEqual(
      ok.map((l) => l.job).sort(),
      [...queued.jobs.map((j: { job_id: string }) => j.job_id), analyzed.job_id].sort(),
    );
    assert.ok(ok.every((l) => l.output_tokens === 20 && l.cost_micros > 0));
    assert.deepEqual(
      lines()
        .filter((l) => l.status !== 'ok')
        .map((l) => l.status),
      ['http_429'],
    );
  });
});
