import { strict as assert } from 'node:assert';
import { startAppFixture, toolJson, type AppFixture } from '../support/app-fixture';
import type { Reply } from '../support/scripted-gateway';

const OK: Reply = { text: 'done', usage: { prompt_tokens: 100, completion_tokens: 10 } };
const BOOM: Reply = { error: { status: 500, message: 'upstream exploded', retryAfterMs: 1 } };

describe('circuit breaker through the MCP tools (real app, scripted gateway)', () => {
  let fx: AppFixture;
  afterEach(async () => {
    await fx.close();
  });

  it('breaker_status reports closed, then open with reason, since and how to reset after a manual trip', async () => {
    fx = await startAppFixture(() => OK);
    const closed = toolJson(await fx.client.callTool({ name: 'breaker_status', arguments: {} }));
    assert.deepEqual([closed.state, closed.tripped, closed.reason], ['closed', false, null]);
    await fx.app.breaker.trip('testing the breaker');
    const open = toolJson(await fx.client.callTool({ name: 'breaker_status', arguments: {} }));
    assert.deepEqual(
      [open.state, open.tripped, open.reason, open.detail],
      ['open', true, 'manual', 'testing the breaker'],
    );
    assert.match(open.since, /^\d{4}-\d\d-\d\dT/);
    assert.match(open.reset, /status --reset/);
  });

  it('ends a run_job `rejected` with why and how to reset while open, without calling the gateway; admits again after reset', async () => {
    fx = await startAppFixture(() => OK);
    await fx.app.breaker.trip('stop');
    const refused = toolJson(
      await fx.client.callTool({ name: 'run_job', arguments: { agent: 'mini-worker', task: 'x' } }),
    );
    assert.equal(refused.job_status, 'rejected');
    assert.match(refused.error, /circuit breaker open \(manual: stop\).*status --reset/);
    assert.equal(fx.gateway.requests.length, 0);
    const stats = toolJson(await fx.client.callTool({ name: 'get_spend_stats', arguments: {} }));
    assert.deepEqual([stats.breaker.state, stats.thresholds, stats.thresholds_crossed], ['open', [80, 95], []]);
    await fx.app.breaker.reset();
    const ok = toolJson(await fx.client.callTool({ name: 'run_job', arguments: { agent: 'mini-worker', task: 'x' } }));
    assert.equal(ok.job_status, 'completed');
  });

  it('opens after BREAKER_FAILURES failed upstream calls in a row; the next job is rejected', async () => {
    fx = await startAppFixture(() => BOOM, { breakerFailures: 2 });
    for (let i = 0; i < 2; i++) {
      const failed = toolJson(
        await fx.client.callTool({ name: 'run_job', arguments: { agent: 'mini-worker', task: 'x' } }),
      );
      assert.equal(failed.job_status, 'failed');
    }
    const status = toolJson(await fx.client.callTool({ name: 'breaker_status', arguments: {} }));
    assert.deepEqual([status.state, status.reason], ['open', 'upstream_failures']);
    assert.ok(status.until, 'an upstream-failure trip has a cooldown end');
    const calls = fx.gateway.requests.length;
    const refused = toolJson(
      await fx.client.callTool({ name: 'run_job', arguments: { agent: 'mini-worker', task: 'x' } }),
    );
    assert.equal(refused.job_status, 'rejected');
    assert.equal(fx.gateway.requests.length, calls, 'no call went out while open');
  });
});
