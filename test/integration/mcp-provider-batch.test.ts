import assert from 'node:assert/strict';
import { setImmediate as loopTurn } from 'node:timers/promises';
import { afterEach, beforeEach, describe, it } from 'mocha';
import { TERMINAL_STATUSES } from '../../src/core/jobs';
import { startAppFixture, toolError, toolJson, type AppFixture } from '../support/app-fixture';
import type { Reply } from '../support/scripted-gateway';
import { fakeTimers, settleOn, type FakeClock } from '../unit/fake-clock';
import { createBatchClient } from '../../src/adapter/batch-client';
import { ProviderBatches } from '../../src/jobs/provider-batch';

// The scripted gateway is a stand-in for the model provider (test/support/scripted-gateway.ts, its Batch API in
// scripted-gateway-batch.ts: one more line answered per poll).
const USAGE = { prompt_tokens: 200, completion_tokens: 20 };
const script = (req: { body: { messages: { content: string }[] } }): Reply =>
  String(req.body.messages.at(-1)?.content).includes('FAIL')
    ? { error: { status: 400, message: 'bad item' } }
    : String(req.body.messages.at(-1)?.content).includes('NO USAGE')
      ? { text: 'unmetered', omitUsage: true }
      : { text: `answer ${req.body.messages.at(-1)?.content.slice(-5)}`, usage: USAGE };

describe('queue_batch mode "batch" through MCP (real app, fake clock, stand-in Batch API)', () => {
  let fx: AppFixture;
  let clock: FakeClock;
  beforeEach(async () => {
    clock = fakeTimers(Date.parse('2026-12-03T10:00:00Z'));
    fx = await startAppFixture(script, { batchPriceMultipliers: { primary: 0.5 } }, { timers: clock });
  });
  afterEach(async () => {
    await fx.close();
  });

  const call = async (name: string, args: Record<string, unknown>) =>
    toolJson(await fx.client.callTool({ name, arguments: args }));

  /** Fires the poll timers until every job is terminal (real HTTP between two polls). */
  const untilDone = (ids: string[]) =>
    settleOn(
      clock,
      (async () => {
        for (;;) {
          const jobs = await Promise.all(ids.map((id) => fx.app.ledger.getJob(id)));
          if (jobs.every((j) => j && TERMINAL_STATUSES.has(j.status))) return;
          await loopTurn();
        }
      })(),
    );

  it('sends one provider batch, settles each item at half price and releases the failed one', async () => {
    const queued = await call('queue_batch', {
      mode: 'batch',
      jobs: [
        { agent: 'mini-worker', task: 'say one' },
        { agent: 'mini-worker', task: 'FAIL two' },
        { agent: 'mini-worker', task: 'say three' },
      ],
    });
    assert.deepEqual(
      queued.jobs.map((j: { job_status: string }) => j.job_status),
      ['running', 'running', 'running'],
    );
    const ids: string[] = queued.jobs.map((j: { job_id: string }) => j.job_id);
    const held = await fx.app.ledger.spendStats();
    assert.equal(held.reservations_in_flight, 3, 'every item reserved before the batch was sent');
    assert.ok(held.reserved > 0);
    const running = await call('get_job_status', { job_id: ids[0] });
    assert.equal(running.job_status, 'running');

    await untilDone(ids);

    const [one, two, three] = await Promise.all(ids.map((id) => call('get_job_status', { job_id: id })));
    assert.equal(one!.job_status, 'completed');
    assert.equal(one!.output, 'answer y one');
    assert.equal(three!.output, 'answer three');
    assert.equal(two!.job_status, 'failed');
    assert.match(JSON.stringify(two), /HTTP 400: bad item/);

    const price = fx.app.prices.cost(
      'gpt-4o-mini',
      { input_tokens: 200, output_tokens: 20, cache_read_tokens: 0 },
      new Date(clock.now),
    );
    const stats = await fx.app.ledger.spendStats();
    assert.equal(stats.reservations_in_flight, 0);
    assert.equal(stats.reserved, 0);
    assert.equal(Math.round(stats.current_month * 1e6), 2 * Math.ceil(price * 0.5));
    assert.equal(stats.by_model['gpt-4o-mini']?.calls, 2);
    assert.equal(stats.by_model['gpt-4o-mini']?.input_tokens, 400);
    // Nothing went through chat completions: the three items went as one batch.
    assert.deepEqual(
      fx.gateway.requests.map((r) => r.path),
      ['/v1/batches', '/v1/batches', '/v1/batches'],
    );
    assert.equal(fx.gateway.batch.batchIds().length, 1);
  });

  it('charges an answer without usage its held worst case (fail closed)', async () => {
    const queued = await call('queue_batch', { mode: 'batch', jobs: [{ agent: 'mini-worker', task: 'NO USAGE' }] });
    const id: string = queued.jobs[0].job_id;
    const held = (await fx.app.ledger.spendStats()).reserved;
    assert.ok(held > 0);
    await untilDone([id]);
    assert.equal((await call('get_job_status', { job_id: id })).job_status, 'completed');
    const stats = await fx.app.ledger.spendStats();
    assert.equal(stats.reserved, 0);
    assert.equal(stats.current_month, held);
  });

  it('cancel cancels the provider batch and keeps the results answered before it', async () => {
    const queued = await call('queue_batch', {
      mode: 'batch',
      jobs: ['say one', 'say two', 'say three'].map((task) => ({ agent: 'mini-worker', task })),
    });
    const ids: string[] = queued.jobs.map((j: { job_id: string }) => j.job_id);
    // Polls until the stand-in has answered the first line (validating → in_progress → one line).
    await settleOn(
      clock,
      (async () => {
        while (fx.gateway.requests.length < 1) await loopTurn();
      })(),
    );
    const cancelled = await settleOn(clock, call('cancel', { job_id: ids[1] }));
    assert.equal(cancelled.cancelled, true);
    const [one, two, three] = await Promise.all(ids.map((id) => call('get_job_status', { job_id: id })));
    assert.equal(one!.job_status, 'completed');
    assert.equal(one!.output, 'answer y one');
    assert.equal(two!.job_status, 'cancelled');
    assert.equal(three!.job_status, 'cancelled');
    const price = fx.app.prices.cost(
      'gpt-4o-mini',
      { input_tokens: 200, output_tokens: 20, cache_read_tokens: 0 },
      new Date(clock.now),
    );
    const stats = await fx.app.ledger.spendStats();
    assert.equal(stats.reserved, 0);
    assert.equal(Math.round(stats.current_month * 1e6), Math.ceil(price * 0.5));
    assert.equal(fx.gateway.requests.length, 1, 'the cancelled lines never ran');
  });

  it('an expired batch settles the answered items at the batch price and releases the rest', async () => {
    const queued = await call('queue_batch', {
      mode: 'batch',
      jobs: ['say one', 'say two', 'say three'].map((task) => ({ agent: 'mini-worker', task })),
    });
    const ids: string[] = queued.jobs.map((j: { job_id: string }) => j.job_id);
    assert.equal((await fx.app.ledger.spendStats()).reservations_in_flight, 3);
    // Polls until the stand-in has answered the first line, then its 24 h window ends.
    await settleOn(
      clock,
      (async () => {
        while (fx.gateway.requests.length < 1) await loopTurn();
      })(),
    );
    const [batchId] = fx.gateway.batch.batchIds();
    const before = await call('get_job_status', { job_id: batchId });
    assert.equal(before.batch_status, 'in_progress');
    assert.deepEqual(before.counts, { running: 3 });
    fx.gateway.batch.expire(batchId!);
    await untilDone(ids);

    const [one, two, three] = await Promise.all(ids.map((id) => call('get_job_status', { job_id: id })));
    assert.equal(one!.job_status, 'completed');
    assert.equal(one!.output, 'answer y one');
    assert.deepEqual(one!.batch, { mode: 'batch', id: batchId, status: 'expired', item: 0 });
    for (const item of [two!, three!]) {
      assert.equal(item.job_status, 'failed');
      assert.equal(item.cost_usd, 0);
      assert.equal(item.batch.status, 'expired');
      assert.match(item.error, new RegExp(`provider batch ${batchId}: batch_expired`));
    }
    const price = fx.app.prices.cost(
      'gpt-4o-mini',
      { input_tokens: 200, output_tokens: 20, cache_read_tokens: 0 },
      new Date(clock.now),
    );
    assert.equal(Math.round(one!.cost_usd * 1e6), Math.ceil(price * 0.5));
    const stats = await fx.app.ledger.spendStats();
    assert.equal(stats.reservations_in_flight, 0, 'nothing is left reserved');
    assert.equal(stats.reserved, 0);
    assert.equal(Math.round(stats.current_month * 1e6), Math.ceil(price * 0.5));
    assert.equal(stats.by_model['gpt-4o-mini']?.calls, 1, 'the expired items made no model call');

    // The batch as a whole, by its provider id.
    const whole = await call('get_job_status', { job_id: batchId });
    assert.equal(whole.batch_id, batchId);
    assert.equal(whole.batch_status, 'expired');
    assert.deepEqual(whole.counts, { completed: 1, failed: 2 });
    assert.deepEqual(
      whole.items.map((i: { job_id: string; job_status: string }) => [i.job_id, i.job_status]),
      [
        [ids[0], 'completed'],
        [ids[1], 'failed'],
        [ids[2], 'failed'],
      ],
    );
    assert.equal(Math.round(whole.cost_usd * 1e6), Math.ceil(price * 0.5));
  });

  it('a restarted worker resumes the batch from the ledger and settles it', async () => {
    const queued = await call('queue_batch', {
      mode: 'batch',
      jobs: ['say one', 'say two'].map((task) => ({ agent: 'mini-worker', task })),
    });
    const ids: string[] = queued.jobs.map((j: { job_id: string }) => j.job_id);
    // The first worker's polls run on `clock`, which no longer fires: it stands for a process that stopped.
    const later = fakeTimers(clock.now);
    const client = createBatchClient({ baseURL: fx.gateway.url, apiKey: 'scripted-key', timeoutMs: 5_000 });
    const resumed = new ProviderBatches({
      ledger: fx.app.ledger,
      prices: fx.app.prices,
      client,
      multiplier: 0.5,
      pollMs: 60_000,
      timers: later,
      secrets: () => [],
      prompt: () => Promise.reject(new Error('resume sends nothing new')),
    });
    try {
      assert.equal(await resumed.resume(), 1);
      await settleOn(
        later,
        (async () => {
          for (;;) {
            const jobs = await Promise.all(ids.map((id) => fx.app.ledger.getJob(id)));
            if (jobs.every((j) => j && TERMINAL_STATUSES.has(j.status))) return;
            await loopTurn();
          }
        })(),
      );
    } finally {
      resumed.close();
      client.close();
    }
    const done = await Promise.all(ids.map((id) => call('get_job_status', { job_id: id })));
    assert.deepEqual(
      done.map((d) => d.job_status),
      ['completed', 'completed'],
    );
    const stats = await fx.app.ledger.spendStats();
    assert.equal(stats.reserved, 0);
    assert.equal(stats.by_model['gpt-4o-mini']?.calls, 2);
  });
});

describe('queue_batch mode "batch" on a gateway without a Batch API (DeepSeek-like stand-in)', () => {
  let fx: AppFixture;
  beforeEach(async () => {
    fx = await startAppFixture(script, {}, {}, { batchApi: false });
  });
  afterEach(async () => {
    await fx.close();
  });

  it('runs the jobs as "queue" at the list price and says why', async () => {
    const queued = toolJson(
      await fx.client.callTool({
        name: 'queue_batch',
        arguments: { mode: 'batch', jobs: [{ agent: 'mini-worker', task: 'say one' }] },
      }),
    );
    assert.equal(queued.mode, 'queue');
    assert.match(queued.notice, /no Batch API.*run as mode "queue"/);
    const done = toolJson(
      await fx.client.callTool({ name: 'wait', arguments: { job_id: queued.jobs[0].job_id, timeout_ms: 10_000 } }),
    );
    assert.equal(done.job_status, 'completed');
    assert.deepEqual(
      fx.gateway.requests.map((r) => r.path),
      ['/v1/chat/completions'],
    );
  });

  it('refuses, queuing nothing, when queue_fallback is false', async () => {
    const message = toolError(
      await fx.client.callTool({
        name: 'queue_batch',
        arguments: { mode: 'batch', queue_fallback: false, jobs: [{ agent: 'mini-worker', task: 'say one' }] },
      }),
    );
    assert.match(message, /no Batch API/);
    assert.equal((await fx.app.ledger.listJobs()).length, 0);
  });
});
