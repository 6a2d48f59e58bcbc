import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CLAUDE_CODE_FIRST_REQUEST_TOKENS } from '../../src/core/forecast';
import { PriceBook } from '../../src/core/pricing';
import { startAppFixture, toolJson, type AppFixture } from '../support/app-fixture';
import type { Reply } from '../support/scripted-gateway';

const ANSWER: Reply = {
  text: 'add(a, b) returns the sum of two numbers.',
  usage: { prompt_tokens: 1000, completion_tokens: 100 },
};
const prices = new PriceBook();
const bytesOf = (v: unknown) => Buffer.byteLength(JSON.stringify(v, null, 2), 'utf8');

describe('forecasts, default caps and savings receipts (real app, scripted gateway)', () => {
  let fx: AppFixture;
  afterEach(async () => {
    await fx?.close();
  });

  it('gives run_job its forecast and a receipt whose returned_bytes is the result it returned', async () => {
    fx = await startAppFixture(() => ANSWER);
    writeFileSync(
      join(fx.sandbox, 'math.js'),
      `${'// filler line of a long file\n'.repeat(400)}function add(a, b) { return a + b; }\n`,
    );
    const result = toolJson(
      await fx.client.callTool({
        name: 'run_job',
        arguments: { agent: 'mini-worker', task: 'Summarize', input_refs: [join(fx.sandbox, 'math.js')] },
      }),
    );
    assert.equal(result.job_status, 'completed');
    assert.ok(
      result.forecast.low_usd > 0 && result.forecast.low_usd < result.forecast.high_usd,
      JSON.stringify(result.forecast),
    );
    const s = result.savings;
    const sent = fx.gateway.requests[0]!.body;
    assert.equal(
      s.transcript_bytes,
      Buffer.byteLength(JSON.stringify(sent.messages)) + Buffer.byteLength(ANSWER.text!),
      'request messages + answer',
    );
    assert.equal(s.returned_bytes, bytesOf(result));
    assert.equal(s.caller_tokens_avoided, Math.ceil((s.transcript_bytes - s.returned_bytes) / 4));
    assert.equal(s.upstream_input_tokens, 1000);
    assert.equal(s.cost_usd, result.cost_usd);
    assert.equal(s.reference_model, 'claude-sonnet-5');
    const usage = { input_tokens: 1000, output_tokens: 100, cache_read_tokens: 0 };
    assert.equal(s.reference_cost_usd, prices.cost('claude-sonnet-5', usage) / 1e6);
    assert.equal(
      s.saved_usd,
      Number(((prices.cost('claude-sonnet-5', usage) - prices.cost('gpt-4o-mini', usage)) / 1e6).toFixed(6)),
    );

    const status = toolJson(await fx.client.callTool({ name: 'get_job_status', arguments: { job_id: result.job_id } }));
    assert.deepEqual(status.savings, s, 'the receipt is stored, not recomputed');
    const stats = toolJson(await fx.client.callTool({ name: 'get_spend_stats', arguments: {} }));
    assert.deepEqual(
      [stats.savings.jobs, stats.savings.saved_usd, stats.savings.caller_tokens_avoided],
      [1, s.saved_usd, s.caller_tokens_avoided],
    );
  });

  it('gives every queue_batch job its forecast at once', async () => {
    fx = await startAppFixture(() => ANSWER);
    const out = toolJson(
      await fx.client.callTool({
        name: 'queue_batch',
        arguments: {
          jobs: [
            { agent: 'mini-worker', task: 'a' },
            { agent: 'balanced-worker', task: 'b' },
          ],
        },
      }),
    );
    const jobs = out.jobs as Array<{ forecast: { low_usd: number; high_usd: number } }>;
    assert.equal(jobs.length, 2);
    for (const j of jobs)
      assert.ok(j.forecast.low_usd > 0 && j.forecast.high_usd > j.forecast.low_usd, JSON.stringify(j));
  });

  it('caps a start job without max_cost_usd at AGENT_JOB_MAX_COST_USD and returns its forecast at once', async () => {
    fx = await startAppFixture(() => ANSWER, { agentJobMaxCostUsd: 0.4 });
    const started = toolJson(
      await fx.client.callTool({ name: 'start', arguments: { prompt: 'fix', allowed_dirs: [fx.sandbox] } }),
    );
    assert.deepEqual(started.forecast, {
      low_usd: prices.worstCase('gpt-4o-mini', CLAUDE_CODE_FIRST_REQUEST_TOKENS, 0) / 1e6,
      high_usd: 0.4,
    });
    assert.equal((await fx.app.ledger.getJob(started.job_id))?.maxCostMicros, 400_000);
    await fx.client.callTool({ name: 'cancel', arguments: { job_id: started.job_id } });
    await fx.app.engine.idle();
    assert.ok(
      !(await fx.client.callTool({ name: 'discard', arguments: { job_id: started.job_id, force: true } })).isError,
      'its snapshot is removed',
    );
  });

  const refusals: Array<{
    name: string;
    overrides: Record<string, number>;
    args: Record<string, unknown>;
    tool: string;
    why: RegExp;
  }> = [
    {
      name: 'a start job whose cap is under its forecast low end',
      overrides: {},
      tool: 'start',
      args: { prompt: 'fix', max_cost_usd: 0.001 },
      why: /low end \$0\.015 exceeds its cap of \$0\.001;/,
    },
    {
      name: 'a start job when less budget remains than its low end',
      overrides: { monthlyBudgetUsd: 0.01 },
      tool: 'start',
      args: { prompt: 'fix' },
      why: /left in this month's budget/,
    },
    {
      name: 'a start job when less of the daily budget remains than its low end',
      overrides: { dailyBudgetUsd: 0.01 },
      tool: 'start',
      args: { prompt: 'fix' },
      why: /left in today's budget/,
    },
    {
      name: 'a run_job whose cap is under its low end',
      overrides: {},
      tool: 'run_job',
      args: { agent: 'mini-worker', task: 'x'.repeat(40_000), caps: { max_cost_usd: 0.000001 } },
      why: /exceeds its cap/,
    },
  ];
  for (const r of refusals) {
    it(`refuses ${r.name} before it starts: budget_exceeded, nothing sent or spent`, async () => {
      fx = await startAppFixture(() => ANSWER, r.overrides);
      const args = r.tool === 'start' ? { ...r.args, allowed_dirs: [fx.sandbox] } : r.args;
      const out = toolJson(await fx.client.callTool({ name: r.tool, arguments: args }));
      assert.equal(out.job_status, 'budget_exceeded', JSON.stringify(out));
      assert.match(out.error, r.why);
      assert.match(out.error, /refused before it started/);
      assert.ok(out.forecast.low_usd > 0);
      assert.deepEqual([out.savings.cost_usd, out.savings.transcript_bytes], [0, 0]);
      assert.equal(fx.gateway.requests.length, 0);
      const stats = await fx.app.ledger.spendStats();
      assert.deepEqual([stats.current_month, stats.reservations_in_flight], [0, 0]);
    });
  }
});
