import { strict as assert } from 'node:assert';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import OpenAI, { APIError } from 'openai';
import { shapeChatRequest } from '../../src/core/model-rules';
import { startAppFixture, toolJson, type AppFixture } from '../support/app-fixture';

/** The request run_job sent to premium-worker (o1-mini) before the model rules: a system message and max_tokens. */
const RAW = {
  model: 'o1-mini',
  messages: [
    { role: 'system' as const, content: 'You are a careful worker model. Do exactly the task.' },
    { role: 'user' as const, content: 'Review this design' },
  ],
  max_tokens: 8192,
};

describe('per-model request rules against the strict scripted gateway (stand-in for OpenAI)', () => {
  let fx: AppFixture;
  beforeEach(async () => {
    fx = await startAppFixture(() => ({ text: 'reviewed', usage: { prompt_tokens: 50, completion_tokens: 20 } }), {
      premiumAutoApprove: true,
    });
  });
  afterEach(async () => {
    await fx.close();
  });

  it('the gateway refuses the raw o1-mini request, and accepts it once shaped', async () => {
    const client = new OpenAI({ baseURL: fx.gateway.url, apiKey: 'scripted-key', maxRetries: 0 });
    const refused = await client.chat.completions.create(RAW).catch((e: unknown) => e);
    assert.ok(refused instanceof APIError);
    assert.deepEqual([refused.status, refused.code, refused.param], [400, 'unsupported_parameter', 'max_tokens']);
    const withoutCap = await client.chat.completions.create({ ...RAW, max_tokens: undefined }).catch((e: unknown) => e);
    assert.ok(withoutCap instanceof APIError);
    assert.deepEqual(
      [withoutCap.status, withoutCap.code, withoutCap.param],
      [400, 'unsupported_value', 'messages[0].role'],
    );
    const ok = await client.chat.completions.create(shapeChatRequest('o1-mini', RAW));
    assert.equal(ok.choices[0]?.message.content, 'reviewed');
  });

  it('a premium-worker run_job completes: max_completion_tokens, no system message, the instructions in the user turn', async () => {
    writeFileSync(join(fx.sandbox, 'design.md'), '# Design\nOne ledger.\n');
    const result = toolJson(
      await fx.client.callTool({
        name: 'run_job',
        arguments: {
          agent: 'premium-worker',
          task: 'Review this design',
          input_refs: [join(fx.sandbox, 'design.md')],
          caps: { max_tokens: 300 },
        },
      }),
    );
    assert.equal(result.job_status, 'completed', JSON.stringify(result));
    assert.equal(result.model, 'o1-mini');
    assert.equal(result.output, 'reviewed');
    const sent = fx.gateway.requests.at(-1)!.body;
    assert.equal(sent.max_completion_tokens, 300);
    assert.equal('max_tokens' in sent, false);
    assert.deepEqual(
      sent.messages.map((m: { role: string }) => m.role),
      ['user'],
    );
    assert.match(
      sent.messages[0].content,
      /^You are a careful worker model[\s\S]*One ledger\.[\s\S]*Review this design$/,
      'instructions, then the file, then the task (prompt-layout.ts)',
    );
    assert.equal((await fx.app.ledger.spendStats()).reservations_in_flight, 0);
  });

  it('a mini-worker run_job still sends max_tokens and its system message (gpt-4o-mini takes both)', async () => {
    const result = toolJson(
      await fx.client.callTool({ name: 'run_job', arguments: { agent: 'mini-worker', task: 'Summarize' } }),
    );
    assert.equal(result.job_status, 'completed');
    const sent = fx.gateway.requests.at(-1)!.body;
    assert.equal(typeof sent.max_tokens, 'number');
    assert.deepEqual(
      sent.messages.map((m: { role: string }) => m.role),
      ['system', 'user'],
    );
  });

  it('analyze on premium-worker goes through the same rules', async () => {
    writeFileSync(join(fx.sandbox, 'a.ts'), 'export const a = 1;\n');
    const result = toolJson(
      await fx.client.callTool({
        name: 'analyze',
        arguments: { question: 'What is a?', paths: [join(fx.sandbox, 'a.ts')], agent: 'premium-worker' },
      }),
    );
    assert.equal(result.job_status, 'completed', JSON.stringify(result));
    const sent = fx.gateway.requests.at(-1)!.body;
    assert.equal('max_tokens' in sent, false);
    assert.deepEqual(
      sent.messages.map((m: { role: string }) => m.role),
      ['user'],
    );
  });
});
