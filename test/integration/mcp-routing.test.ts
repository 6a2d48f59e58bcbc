import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { ConfigInput } from '../../src/core/config';
import { startAppFixture, toolError, toolJson, type AppFixture } from '../support/app-fixture';

const REPLY = { text: 'done', usage: { prompt_tokens: 200, completion_tokens: 40 } };

describe('run_job and queue_batch with agent "auto" over MCP (real app, strict scripted gateway)', () => {
  let fx: AppFixture;
  const start = async (overrides: Partial<ConfigInput> = {}) => {
    fx = await startAppFixture(() => REPLY, { premiumAutoApprove: true, ...overrides });
  };
  afterEach(async () => {
    await fx?.close();
  });

  const file = (name: string, text: string) => {
    const path = join(fx.sandbox, name);
    writeFileSync(path, text);
    return path;
  };
  const runAuto = async (task: string, extra: Record<string, unknown> = {}) =>
    toolJson(await fx.client.callTool({ name: 'run_job', arguments: { agent: 'auto', task, ...extra } }));

  // [task, class, tier, model]
  const table: Array<[string, string, string, string]> = [
    ['Format this file with two-space indents', 'format', 'mini-worker', 'gpt-4o-mini'],
    ['Summarize this file in one line', 'summarize', 'mini-worker', 'gpt-4o-mini'],
    ['Review this file for bugs', 'review', 'balanced-worker', 'gpt-4o'],
    ['Plan how to split this module', 'plan', 'premium-worker', 'o1-mini'],
  ];
  for (const [task, cls, agent, model] of table) {
    it(`routes "${task}" to ${agent} and returns the decision, its reason and the forecasts`, async () => {
      await start();
      const result = await runAuto(task, {
        input_refs: [file('a.ts', 'export const add = (a:number,b:number)=>a+b\n')],
      });
      assert.equal(result.job_status, 'completed', JSON.stringify(result));
      assert.equal(result.model, model);
      assert.equal(result.agent, agent);
      assert.equal(result.output, 'done');
      assert.equal(result.routing.class, cls);
      assert.equal(result.routing.agent, agent);
      assert.equal(result.routing.cap_usd, 0.25);
      assert.match(result.routing.reason, new RegExp(`^${cls} \\(the task says`));
      assert.ok(
        result.routing.forecasts.some(
          (f: { agent: string; high_usd: number }) => f.agent === agent && f.high_usd > 0 && f.high_usd <= 0.25,
        ),
      );
      assert.deepEqual(result.forecast, {
        low_usd: result.routing.forecasts.find((f: { agent: string }) => f.agent === agent).low_usd,
        high_usd: result.routing.forecasts.find((f: { agent: string }) => f.agent === agent).high_usd,
      });
      assert.equal(fx.gateway.requests.at(-1)!.body.model, model);
      const stored = toolJson(
        await fx.client.callTool({ name: 'get_job_status', arguments: { job_id: result.job_id } }),
      );
      assert.deepEqual(stored.routing, result.routing);
    });
  }

  it('refuses before it starts when no allowed tier fits ROUTING_MAX_COST_USD: no request, no spend, the reason and forecasts returned', async () => {
    await start({ routingMaxCostUsd: 0.000001 });
    const result = await runAuto('Review this file', { input_refs: [file('b.ts', 'x'.repeat(2000))] });
    assert.equal(result.job_status, 'budget_exceeded');
    assert.equal(result.routing.agent, null);
    assert.match(result.error, /routing cap of \$0\.000001 \(raise ROUTING_MAX_COST_USD/);
    assert.equal(result.routing.forecasts[0].agent, 'balanced-worker');
    assert.equal(fx.gateway.requests.length, 0);
    const stats = await fx.app.ledger.spendStats();
    assert.equal(stats.current_month, 0);
    assert.equal(stats.reservations_in_flight, 0);
  });

  it("refuses when the budget left is below every allowed tier's worst case, naming the month", async () => {
    await start({ monthlyBudgetUsd: 0.0001 });
    const result = await runAuto('Format this', { input_refs: [file('c.ts', 'y'.repeat(4000))] });
    assert.equal(result.job_status, 'budget_exceeded');
    assert.match(result.error, /left in this month's budget \(raise MONTHLY_BUDGET/);
    assert.equal(fx.gateway.requests.length, 0);
  });

  it('holds the job to the lower of ROUTING_MAX_COST_USD and caps.max_cost_usd', async () => {
    await start();
    const result = await runAuto('Summarize this', { caps: { max_cost_usd: 0.000002 } });
    assert.equal(result.job_status, 'budget_exceeded');
    assert.equal(result.routing.cap_usd, 0.000002);
  });

  it('follows ROUTING_POLICY: review allowed on premium-worker too picks it, being cheaper than gpt-4o', async () => {
    await start({ routingPolicy: { review: ['balanced-worker', 'premium-worker'] } });
    const result = await runAuto('Review this design');
    assert.equal(result.job_status, 'completed', JSON.stringify(result));
    assert.equal(result.routing.agent, 'premium-worker');
    assert.deepEqual(
      result.routing.forecasts.map((f: { agent: string }) => f.agent),
      ['balanced-worker', 'premium-worker'],
    );
    const sent = fx.gateway.requests.at(-1)!.body;
    assert.equal(sent.model, 'o1-mini');
    assert.equal('max_tokens' in sent, false);
  });

  it('asks for approval when routing picks premium-worker and PREMIUM_AUTO_APPROVE is off (no elicitation here: rejected)', async () => {
    await start({ premiumAutoApprove: false });
    const result = await runAuto('Plan the rollout');
    assert.equal(result.job_status, 'rejected');
    assert.equal(result.routing.agent, 'premium-worker');
    assert.match(result.error, /premium-worker job on o1-mini/);
    assert.equal(fx.gateway.requests.length, 0);
  });

  it('routes each auto item of a queue_batch and returns its routing with its job_id', async () => {
    await start();
    const out = toolJson(
      await fx.client.callTool({
        name: 'queue_batch',
        arguments: {
          jobs: [
            { agent: 'auto', task: 'Rename foo to bar in this text: foo foo' },
            { agent: 'auto', task: 'Review this snippet: let x = 1' },
            { agent: 'mini-worker', task: 'Say hi' },
          ],
        },
      }),
    );
    assert.deepEqual(
      out.jobs.map((j: { agent: string }) => j.agent),
      ['mini-worker', 'balanced-worker', 'mini-worker'],
    );
    assert.deepEqual(
      out.jobs.map((j: { routing?: { class: string } }) => j.routing?.class),
      ['rename', 'review', undefined],
    );
    for (const j of out.jobs) {
      const done = toolJson(
        await fx.client.callTool({ name: 'wait', arguments: { job_id: j.job_id, timeout_ms: 10_000 } }),
      );
      assert.equal(done.job_status, 'completed', JSON.stringify(done));
    }
  });

  it('routes a retried auto job again (the stored request keeps agent "auto")', async () => {
    await start();
    const first = await runAuto('Format this: a=1');
    const again = await fx.app.jobs.retry(first.job_id);
    assert.equal(again.agent, 'mini-worker');
    assert.equal((again.result as { routing?: { class: string } }).routing?.class, 'format');
    const done = toolJson(
      await fx.client.callTool({ name: 'wait', arguments: { job_id: again.id, timeout_ms: 10_000 } }),
    );
    assert.equal(done.job_status, 'completed');
  });

  it('refuses an agent that is neither a tier nor auto, listing auto', async () => {
    await start();
    assert.match(
      toolError(await fx.client.callTool({ name: 'run_job', arguments: { agent: 'smart', task: 'x' } })),
      /agent must be one of mini-worker, balanced-worker, premium-worker, auto/,
    );
  });
});
