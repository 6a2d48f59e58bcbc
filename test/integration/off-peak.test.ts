import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { startAppFixture, toolError, toolJson, type AppFixture } from '../support/app-fixture';
import type { Reply } from '../support/scripted-gateway';
import { fakeTimers, type FakeClock } from '../unit/fake-clock';

// The scripted gateway is a stand-in for the model provider (test/support/scripted-gateway.ts).
const ANSWER: Reply = { text: 'done', usage: { prompt_tokens: 100, completion_tokens: 10 } };
const PEAK = { input_mtok: 0.27, output_mtok: 1.1 };
const OFF_PEAK = { input_mtok: 0.135, output_mtok: 0.55 };
const TEN_UTC = Date.parse('2026-12-03T10:00:00Z');
const MINUTE = 60_000;

describe('off-peak scheduling through MCP (real app, fake clock, scripted gateway)', () => {
  let fx: AppFixture;
  let clock: FakeClock;
  beforeEach(async () => {
    clock = fakeTimers(TEN_UTC);
    fx = await startAppFixture(() => ANSWER, { agents: { 'mini-worker': 'deepseek-chat' } }, { timers: clock });
  });
  afterEach(async () => {
    await fx.close();
  });

  const call = async (name: string, args: Record<string, unknown>) => fx.client.callTool({ name, arguments: args });

  it('keeps a when:"cheapest" DeepSeek job queued, reserving nothing, until 16:30 UTC, then runs it', async () => {
    const queued = toolJson(await call('run_job', { agent: 'mini-worker', task: 'Summarize', when: 'cheapest' }));
    assert.equal(queued.job_status, 'queued');
    assert.equal(queued.scheduled_for, '2026-12-03T16:30:00.000Z');
    assert.deepEqual(queued.schedule.price_now, PEAK);
    assert.deepEqual(queued.schedule.price_scheduled, OFF_PEAK);
    assert.equal(queued.schedule.not_after, '2026-12-04T10:00:00.000Z');
    assert.ok(queued.schedule.forecast_scheduled.high_usd < queued.schedule.forecast_now.high_usd);
    assert.ok(
      Math.abs(queued.schedule.forecast_scheduled.high_usd * 2 - queued.schedule.forecast_now.high_usd) <= 2e-6,
      'off-peak is half price',
    );
    assert.equal((await fx.app.ledger.spendStats()).reserved, 0);

    clock.tick(6 * 60 * MINUTE + 29 * MINUTE); // 16:29: one minute early
    const waiting = toolJson(await call('get_job_status', { job_id: queued.job_id }));
    assert.equal(waiting.job_status, 'queued');
    assert.equal(waiting.scheduled_for, '2026-12-03T16:30:00.000Z');
    assert.equal(fx.gateway.requests.length, 0);
    assert.equal((await fx.app.ledger.spendStats()).reserved, 0);

    clock.tick(MINUTE); // 16:30: the window opens
    const done = toolJson(await call('wait', { job_id: queued.job_id, timeout_ms: 1000 }));
    assert.equal(done.job_status, 'completed');
    assert.equal(done.output, 'done');
    assert.equal(done.scheduled_for, '2026-12-03T16:30:00.000Z');
    assert.deepEqual(done.schedule.price_scheduled, OFF_PEAK);
    assert.equal(fx.gateway.requests.length, 1);
    assert.equal((await fx.app.ledger.spendStats()).reserved, 0);
  });

  it('runs at once when the window opens after not_after', async () => {
    const done = toolJson(
      await call('run_job', { agent: 'mini-worker', task: 'Summarize', not_after: '2026-12-03T16:00:00Z' }),
    );
    assert.equal(done.job_status, 'completed');
    assert.equal(done.scheduled_for, '2026-12-03T10:00:00.000Z');
    assert.deepEqual(done.schedule.price_now, PEAK);
    assert.deepEqual(done.schedule.price_scheduled, PEAK);
  });

  it('runs at once a model with one flat price (balanced-worker, gpt-4o)', async () => {
    const done = toolJson(await call('run_job', { agent: 'balanced-worker', task: 'Summarize', when: 'cheapest' }));
    assert.equal(done.job_status, 'completed');
    assert.equal(done.scheduled_for, '2026-12-03T10:00:00.000Z');
  });

  it('queues a batch whose items wait, and cancels a waiting one without spend', async () => {
    const { jobs } = toolJson(
      await call('queue_batch', {
        jobs: [
          { agent: 'mini-worker', task: 'one', not_after: '2026-12-03T18:00:00Z' },
          { agent: 'mini-worker', task: 'two', when: 'cheapest' },
        ],
      }),
    );
    assert.deepEqual(
      jobs.map((j: { job_status: string; scheduled_for: string }) => [j.job_status, j.scheduled_for]),
      [
        ['queued', '2026-12-03T16:30:00.000Z'],
        ['queued', '2026-12-03T16:30:00.000Z'],
      ],
    );
    const cancelled = toolJson(await call('cancel', { job_id: jobs[0].job_id }));
    assert.equal(cancelled.job_status, 'cancelled');
    assert.equal((await fx.app.ledger.spendStats()).reserved, 0);

    clock.tick(7 * 60 * MINUTE);
    const done = toolJson(await call('wait', { job_id: jobs[1].job_id, timeout_ms: 1000 }));
    assert.equal(done.job_status, 'completed');
    assert.equal(fx.gateway.requests.length, 1, 'the cancelled job never called the gateway');
    assert.equal(toolJson(await call('get_job_status', { job_id: jobs[0].job_id })).job_status, 'cancelled');
  });

  it('retries a cancelled waiting job at once, without its schedule', async () => {
    const queued = toolJson(await call('run_job', { agent: 'mini-worker', task: 'Summarize', when: 'cheapest' }));
    assert.equal(toolJson(await call('cancel', { job_id: queued.job_id })).job_status, 'cancelled');
    const again = await fx.app.jobs.retry(queued.job_id);
    const done = toolJson(await call('wait', { job_id: again.id, timeout_ms: 1000 }));
    assert.equal(done.job_status, 'completed');
    assert.equal(done.scheduled_for, undefined);
    assert.equal(fx.gateway.requests.length, 1);
  });

  const refusals: { name: string; args: Record<string, unknown>; says: RegExp }[] = [
    {
      name: 'a not_after in the past',
      args: { not_after: '2026-12-03T09:00:00Z' },
      says: /not_after.*not in the future/,
    },
    {
      name: 'a not_after more than 7 days ahead',
      args: { not_after: '2026-12-11T10:00:00Z' },
      says: /not_after.*within 7 days/,
    },
    {
      name: 'a not_after without Z',
      args: { not_after: '2026-12-03T18:00:00' },
      says: /not_after must be an ISO 8601 UTC time/,
    },
    {
      name: 'not_after with when:"now"',
      args: { not_after: '2026-12-03T18:00:00Z', when: 'now' },
      says: /not_after.*drop one/,
    },
    { name: 'an unknown when', args: { when: 'later' }, says: /when must be one of now, cheapest/ },
  ];
  for (const r of refusals) {
    it(`refuses ${r.name}, naming the field, and stores nothing`, async () => {
      const text = toolError(await call('run_job', { agent: 'mini-worker', task: 'x', ...r.args }));
      assert.match(text, r.says);
      assert.equal((await fx.app.ledger.listJobs()).length, 0);
    });
  }

  it('refuses a batch with one bad item, naming jobs[1].not_after, and queues none', async () => {
    const text = toolError(
      await call('queue_batch', {
        jobs: [
          { agent: 'mini-worker', task: 'one', when: 'cheapest' },
          { agent: 'mini-worker', task: 'two', not_after: '2026-12-01T00:00:00Z' },
        ],
      }),
    );
    assert.match(text, /jobs\[1\]\.not_after/);
    assert.equal((await fx.app.ledger.listJobs()).length, 0);
  });
});
