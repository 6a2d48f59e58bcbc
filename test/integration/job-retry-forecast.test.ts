import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../src/core/errors';
import { forecastOf } from '../../src/core/forecast';
import type { JobRecord } from '../../src/core/jobs';
import { startAppFixture, toolJson, type AppFixture } from '../support/app-fixture';

const REPLY = { text: 'done', usage: { prompt_tokens: 100, completion_tokens: 10 } };

describe('stored forecast and retry (real app, scripted gateway stand-in)', () => {
  let fx: AppFixture;
  beforeEach(async () => {
    fx = await startAppFixture(() => REPLY);
  });
  afterEach(async () => {
    await fx.close();
  });

  /** Every record the engine announces from now on, in order. */
  function recordsOf(): { seen: JobRecord[] } {
    const seen: JobRecord[] = [];
    fx.app.engine.on('job', (j) => seen.push(j));
    return { seen };
  }

  it('keeps the forecast given at submission in the stored job while queued, running and after it ended', async () => {
    const { seen } = recordsOf();
    const queued = toolJson(
      await fx.client.callTool({
        name: 'queue_batch',
        arguments: { jobs: [{ agent: 'mini-worker', task: 'Rename x to y' }] },
      }),
    ).jobs[0];
    assert.ok(queued.forecast.high_usd > queued.forecast.low_usd && queued.forecast.low_usd > 0);
    const done = await fx.app.engine.wait(queued.job_id, 10_000);
    assert.equal(done.status, 'completed');
    const mine = seen.filter((j) => j.id === queued.job_id);
    assert.deepEqual(
      mine.map((j) => j.status),
      ['queued', 'running', 'completed'],
    );
    for (const j of mine) assert.deepEqual(forecastOf(j), queued.forecast, `forecast while ${j.status}`);
    assert.deepEqual(forecastOf((await fx.app.ledger.getJob(queued.job_id))!), queued.forecast);
  });

  it('has the forecast of run_job and of a refused start, and none for analyze', async () => {
    const ran = toolJson(
      await fx.client.callTool({ name: 'run_job', arguments: { agent: 'mini-worker', task: 'Summarize' } }),
    );
    assert.equal(ran.job_status, 'completed');
    assert.deepEqual(forecastOf((await fx.app.ledger.getJob(ran.job_id))!), ran.forecast);
    const refused = toolJson(
      await fx.client.callTool({
        name: 'start',
        arguments: { prompt: 'fix', allowed_dirs: [fx.sandbox], max_cost_usd: 0.000001 },
      }),
    );
    assert.equal(refused.job_status, 'budget_exceeded');
    assert.deepEqual(forecastOf((await fx.app.ledger.getJob(refused.job_id))!), {
      low_usd: refused.forecast.low_usd,
      high_usd: 0.000001,
    });
    writeFileSync(join(fx.sandbox, 'a.txt'), 'hello\n');
    const asked = toolJson(
      await fx.client.callTool({
        name: 'analyze',
        arguments: { question: 'what?', paths: [join(fx.sandbox, 'a.txt')] },
      }),
    );
    assert.equal(forecastOf((await fx.app.ledger.getJob(asked.job_id))!), null);
  });

  it('forecastOf ignores a missing or malformed stored forecast', () => {
    assert.equal(forecastOf({ result: null }), null);
    assert.equal(forecastOf({ result: { forecast: { low_usd: 'x', high_usd: 1 } } }), null);
    assert.deepEqual(forecastOf({ result: { forecast: { low_usd: 0.1, high_usd: 2 }, output: 'o' } }), {
      low_usd: 0.1,
      high_usd: 2,
    });
  });

  it('retries an ended run_job as a new queued job with the same request, which then runs', async () => {
    const first = toolJson(
      await fx.client.callTool({ name: 'run_job', arguments: { agent: 'mini-worker', task: 'Summarize the file' } }),
    );
    const again = await fx.app.jobs.retry(first.job_id);
    assert.notEqual(again.id, first.job_id);
    assert.equal(again.status, 'queued');
    assert.deepEqual(again.request, (await fx.app.ledger.getJob(first.job_id))!.request);
    assert.deepEqual(forecastOf(again), first.forecast);
    assert.equal((await fx.app.engine.wait(again.id, 10_000)).status, 'completed');
    assert.equal(fx.gateway.requests.length, 2);
  });

  it('retries an analyze job through the analyze checks', async () => {
    writeFileSync(join(fx.sandbox, 'a.txt'), 'hello\n');
    const first = toolJson(
      await fx.client.callTool({
        name: 'analyze',
        arguments: { question: 'what is in it?', paths: [join(fx.sandbox, 'a.txt')] },
      }),
    );
    const again = await fx.app.jobs.retry(first.job_id);
    assert.equal(again.kind, 'analyze');
    assert.equal((await fx.app.engine.wait(again.id, 10_000)).status, 'completed');
    assert.match(JSON.stringify(fx.gateway.requests[1]!.body.messages), /what is in it\?/);
  });

  it('applies the rules of a fresh submission: the budget refusal and premium approval', async () => {
    const refused = toolJson(
      await fx.client.callTool({
        name: 'start',
        arguments: { prompt: 'fix', allowed_dirs: [fx.sandbox], max_cost_usd: 0.000001 },
      }),
    );
    const again = await fx.app.jobs.retry(refused.job_id);
    assert.notEqual(again.id, refused.job_id);
    assert.equal(again.kind, 'claude-code');
    assert.equal(again.status, 'budget_exceeded');
    assert.match(again.error ?? '', /forecast's low end .* exceeds its cap/);

    const premium = toolJson(
      await fx.client.callTool({ name: 'run_job', arguments: { agent: 'premium-worker', task: 'Review' } }),
    );
    assert.equal(premium.job_status, 'rejected');
    const asked: string[] = [];
    const declined = await fx.app.jobs.retry(premium.job_id, async (q) => {
      asked.push(q);
      return false;
    });
    assert.equal(declined.status, 'rejected');
    assert.match(declined.error ?? '', /the user declined/);
    const approved = await fx.app.jobs.retry(premium.job_id, async (q) => {
      asked.push(q);
      return true;
    });
    assert.equal(asked.length, 2);
    assert.match(asked[1]!, /premium-worker job on o1-mini/);
    assert.equal((await fx.app.engine.wait(approved.id, 10_000)).status, 'completed');
    assert.equal(fx.gateway.requests.length, 1, 'only the approved retry called the model');
  });

  it('refuses an unknown job, one not ended, and one whose stored request no longer validates, naming job_id', async () => {
    await assert.rejects(
      fx.app.jobs.retry('no-such-job'),
      (e: unknown) => e instanceof InputError && e.field === 'job_id' && /no job no-such-job/.test(e.message),
    );
    await fx.app.ledger.createJob({
      id: 'live',
      kind: 'llm',
      model: 'gpt-4o-mini',
      request: { agent: 'mini-worker', task: 't' },
    });
    await assert.rejects(
      fx.app.jobs.retry('live'),
      (e: unknown) =>
        e instanceof InputError && e.field === 'job_id' && /live is queued; only an ended job/.test(e.message),
    );
    await fx.app.ledger.createJob({
      id: 'odd',
      kind: 'llm',
      model: 'gpt-4o-mini',
      request: { task: 'no agent' },
      status: 'rejected',
    });
    await assert.rejects(
      fx.app.jobs.retry('odd'),
      (e: unknown) =>
        e instanceof InputError && e.field === 'job_id' && /stored request cannot be submitted again/.test(e.message),
    );
    const session = await fx.app.ledger.createJob({
      id: 'session',
      kind: 'claude-code',
      model: 'm',
      request: { source: 'offload-worker adapter' },
      status: 'rejected',
    });
    await assert.rejects(
      fx.app.jobs.retry(session.id),
      /job_id: job session's stored request cannot be submitted again/,
    );
    assert.equal((await fx.app.ledger.listJobs()).length, 3, 'no job was created');
  });
});
