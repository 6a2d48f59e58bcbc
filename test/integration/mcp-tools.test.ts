import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PriceBook } from '../../src/core/pricing';
import { usageFromOpenAI } from '../../src/core/usage';
import { identityOf } from '../../src/ledger/identity';
import { startAppFixture, toolError, toolJson, type AppFixture } from '../support/app-fixture';
import type { Reply } from '../support/scripted-gateway';

const SUMMARY: Reply = {
  text: 'add(a, b) returns the sum of two numbers.',
  usage: { prompt_tokens: 1000, completion_tokens: 100 },
};

describe('MCP tools over InMemoryTransport (real app, scripted gateway)', () => {
  let fx: AppFixture;
  beforeEach(async () => {
    fx = await startAppFixture(() => SUMMARY);
  });
  afterEach(async () => {
    await fx.close();
  });

  it('lists every tool of DESIGN.md', async () => {
    const { tools } = await fx.client.listTools();
    const names = tools.map((t) => t.name).sort();
    assert.deepEqual(names, [
      'analyze',
      'apply',
      'breaker_status',
      'cancel',
      'discard',
      'get',
      'get_job_status',
      'get_spend_stats',
      'queue_batch',
      'run_job',
      'start',
      'tail',
      'wait',
    ]);
  });

  it('runs a mini-worker job on a file and bills exactly usage × price', async () => {
    writeFileSync(join(fx.sandbox, 'math.js'), 'function add(a, b) { return a + b; }\n');
    const result = toolJson(
      await fx.client.callTool({
        name: 'run_job',
        arguments: { agent: 'mini-worker', task: 'Summarize', input_refs: [join(fx.sandbox, 'math.js')] },
      }),
    );
    assert.equal(result.job_status, 'completed');
    assert.equal(result.model, 'gpt-4o-mini');
    assert.equal(result.output, SUMMARY.text);
    const expected = new PriceBook().cost(
      'gpt-4o-mini',
      usageFromOpenAI({ prompt_tokens: 1000, completion_tokens: 100 }),
    );
    assert.equal(result.cost_usd, expected / 1e6);
    assert.deepEqual(result.usage, { input_tokens: 1000, output_tokens: 100, cache_read_tokens: 0 });
    const sent = fx.gateway.requests[0]!.body;
    assert.equal(sent.model, 'gpt-4o-mini');
    assert.match(JSON.stringify(sent.messages), /return a \+ b/);
    const stats = toolJson(await fx.client.callTool({ name: 'get_spend_stats', arguments: {} }));
    assert.equal(stats.current_month, expected / 1e6);
    assert.equal(stats.total_budget, 25);
    assert.equal(stats.reserved, 0);
    const me = identityOf().member; // the fixture's ledger keeps the default identity
    assert.deepEqual(stats.member, {
      name: me,
      current_month: expected / 1e6,
      today: expected / 1e6,
      reserved: 0,
      monthly_cap: null,
      remaining: null,
    });
    assert.deepEqual(stats.by_member, { [me]: { cost_usd: expected / 1e6, calls: 1 } });
  });

  it("declares get_spend_stats' output schema, with the member's figures and the month per member", async () => {
    const { tools } = await fx.client.listTools();
    const schema = tools.find((t) => t.name === 'get_spend_stats')?.outputSchema as {
      properties: Record<string, { properties?: Record<string, unknown> }>;
      required: string[];
    };
    assert.ok(schema.required.includes('member') && schema.required.includes('by_member'));
    assert.deepEqual(Object.keys(schema.properties.member?.properties ?? {}), [
      'name',
      'current_month',
      'today',
      'reserved',
      'monthly_cap',
      'remaining',
    ]);
    assert.match(tools.find((t) => t.name === 'get_spend_stats')?.description ?? '', /member has your own/);
  });

  const badInputs: { name: string; tool: string; args: Record<string, unknown>; field: RegExp }[] = [
    {
      name: 'run_job with an unknown agent',
      tool: 'run_job',
      args: { agent: 'mega-worker', task: 'x' },
      field: /agent/,
    },
    { name: 'run_job with no task', tool: 'run_job', args: { agent: 'mini-worker' }, field: /task/ },
    { name: 'run_job with an empty task', tool: 'run_job', args: { agent: 'mini-worker', task: '' }, field: /task/ },
    {
      name: 'run_job reading a file outside the sandbox',
      tool: 'run_job',
      args: { agent: 'mini-worker', task: 'x', input_refs: ['/etc/hostname'] },
      field: /input_refs\[0\]/,
    },
    {
      name: 'start with allowed_dirs outside SANDBOX_ROOT',
      tool: 'start',
      args: { prompt: 'fix', allowed_dirs: ['/etc'] },
      field: /allowed_dirs\[0\]/,
    },
    { name: 'start with no allowed_dirs', tool: 'start', args: { prompt: 'fix' }, field: /allowed_dirs/ },
    {
      name: 'start asking for bypassPermissions',
      tool: 'start',
      args: { prompt: 'fix', allowed_dirs: ['.'], permission_mode: 'bypassPermissions' },
      field: /permission_mode/,
    },
    {
      name: 'start with a model that has no price',
      tool: 'start',
      args: { prompt: 'fix', allowed_dirs: ['.'], model: 'my-private-model' },
      field: /model.*OFFLOAD_PRICES/,
    },
  ];
  for (const c of badInputs) {
    it(`returns a tool error naming the field for ${c.name}, and writes nothing`, async () => {
      const args = { ...c.args } as Record<string, unknown>;
      if (Array.isArray(args.allowed_dirs))
        args.allowed_dirs = (args.allowed_dirs as string[]).map((d) => (d === '.' ? fx.sandbox : d));
      const message = toolError(await fx.client.callTool({ name: c.tool, arguments: args }));
      assert.match(message, c.field);
      assert.equal((await fx.app.ledger.listJobs()).length, 0);
      assert.equal(fx.gateway.requests.length, 0);
      const stats = await fx.app.ledger.spendStats();
      assert.equal(stats.current_month, 0);
      assert.equal(stats.reservations_in_flight, 0);
    });
  }

  it('answers get/get_job_status/tail for a finished job and errors on an unknown job_id', async () => {
    const done = toolJson(
      await fx.client.callTool({ name: 'run_job', arguments: { agent: 'mini-worker', task: 'Summarize' } }),
    );
    for (const name of ['get', 'get_job_status']) {
      const got = toolJson(await fx.client.callTool({ name, arguments: { job_id: done.job_id } }));
      assert.equal(got.job_status, 'completed');
      assert.equal(got.cost_usd, done.cost_usd);
    }
    const tail = toolJson(await fx.client.callTool({ name: 'tail', arguments: { job_id: done.job_id, lines: 5 } }));
    assert.ok(tail.lines.some((l: string) => l.includes('job completed')));
    assert.match(toolError(await fx.client.callTool({ name: 'get', arguments: { job_id: 'nope' } })), /job_id/);
  });

  it('turns an upstream failure into a failed job result, not a transport error, and bills nothing', async () => {
    fx.gateway.setScript(() => ({ error: { status: 400, message: 'model overloaded with nonsense' } }));
    const result = toolJson(
      await fx.client.callTool({ name: 'run_job', arguments: { agent: 'mini-worker', task: 'Summarize' } }),
    );
    assert.equal(result.job_status, 'failed');
    assert.match(result.error, /400|nonsense/);
    const stats = await fx.app.ledger.spendStats();
    assert.equal(stats.current_month, 0);
    assert.equal(stats.reservations_in_flight, 0);
  });
});

describe('MCP tools against an exhausted budget', () => {
  it('refuses a run_job whose worst case passes the cap, saying what remains and what it needed', async () => {
    const fx = await startAppFixture(() => SUMMARY, { monthlyBudgetUsd: 0.001 });
    try {
      const result = toolJson(
        await fx.client.callTool({ name: 'run_job', arguments: { agent: 'balanced-worker', task: 'Summarize' } }),
      );
      assert.equal(result.job_status, 'budget_exceeded');
      assert.match(
        result.error,
        /monthly budget exceeded: \$0\.0010 of \$0\.0010 remains, this call needs up to \$0\.\d+/,
      );
      assert.equal(fx.gateway.requests.length, 0);
      assert.equal((await fx.app.ledger.spendStats()).current_month, 0);
    } finally {
      await fx.close();
    }
  });
});
