import assert from 'node:assert/strict';
import OpenAI, { APIError } from 'openai';
import { startScriptedGateway, type ScriptedGateway } from '../../support/scripted-gateway';
import { openaiRejection } from '../../support/scripted-gateway-strict';

const user = { role: 'user', content: 'hi' };
const system = { role: 'system', content: 'Be terse.' };

describe("scripted gateway strict mode (stand-in for OpenAI's refusals)", () => {
  const table: Array<[string, Record<string, unknown>, { param: string; code: string; message: string } | null]> = [
    [
      'response_format on o1-mini',
      {
        model: 'o1-mini',
        messages: [user],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'edits', strict: true, schema: { type: 'object' } },
        },
      },
      {
        param: 'response_format',
        code: 'unsupported_parameter',
        message: "Unsupported parameter: 'response_format' is not supported with this model.",
      },
    ],
    [
      'a json_schema response_format without a name',
      { model: 'gpt-4o-mini', messages: [user], response_format: { type: 'json_schema', json_schema: { schema: {} } } },
      {
        param: 'response_format.json_schema.name',
        code: 'missing_required_parameter',
        message: "Missing required parameter: 'response_format.json_schema.name'.",
      },
    ],
    [
      'a json_schema response_format on gpt-4o-mini',
      {
        model: 'gpt-4o-mini',
        messages: [user],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'edits', strict: true, schema: { type: 'object' } },
        },
      },
      null,
    ],
    [
      'a json_schema response_format on o1',
      {
        model: 'o1',
        messages: [user],
        response_format: {
          type: 'json_schema',
          json_schema: { name: 'edits', strict: true, schema: { type: 'object' } },
        },
      },
      null,
    ],
    [
      'max_tokens on o1-mini',
      { model: 'o1-mini', messages: [user], max_tokens: 10 },
      {
        param: 'max_tokens',
        code: 'unsupported_parameter',
        message:
          "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
      },
    ],
    [
      'max_tokens on o3-mini',
      { model: 'o3-mini', messages: [user], max_tokens: 10 },
      {
        param: 'max_tokens',
        code: 'unsupported_parameter',
        message:
          "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
      },
    ],
    [
      'max_tokens on gpt-5-mini',
      { model: 'gpt-5-mini', messages: [user], max_tokens: 10 },
      {
        param: 'max_tokens',
        code: 'unsupported_parameter',
        message:
          "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
      },
    ],
    [
      'a system message to o1-mini',
      { model: 'o1-mini', messages: [system, user], max_completion_tokens: 10 },
      {
        param: 'messages[0].role',
        code: 'unsupported_value',
        message: "Unsupported value: 'messages[0].role' does not support 'system' with this model.",
      },
    ],
    [
      'a developer message to o1-mini-2024-09-12 in second place',
      { model: 'o1-mini-2024-09-12', messages: [user, { role: 'developer', content: 'x' }] },
      {
        param: 'messages[1].role',
        code: 'unsupported_value',
        message: "Unsupported value: 'messages[1].role' does not support 'developer' with this model.",
      },
    ],
    [
      'temperature 0.2 on o1-mini',
      { model: 'o1-mini', messages: [user], temperature: 0.2 },
      {
        param: 'temperature',
        code: 'unsupported_value',
        message:
          "Unsupported value: 'temperature' does not support 0.2 with this model. Only the default (1) value is supported.",
      },
    ],
    [
      'temperature 0 on o4-mini',
      { model: 'o4-mini', messages: [system, user], temperature: 0 },
      {
        param: 'temperature',
        code: 'unsupported_value',
        message:
          "Unsupported value: 'temperature' does not support 0 with this model. Only the default (1) value is supported.",
      },
    ],
    [
      'any temperature on o3-mini',
      { model: 'o3-mini', messages: [user], temperature: 1 },
      {
        param: 'temperature',
        code: 'unsupported_parameter',
        message: "Unsupported parameter: 'temperature' is not supported with this model.",
      },
    ],
    [
      'o1-mini with max_completion_tokens, user turns only',
      { model: 'o1-mini', messages: [user], max_completion_tokens: 10 },
      null,
    ],
    ['o1-mini with the default temperature', { model: 'o1-mini', messages: [user], temperature: 1 }, null],
    [
      'a system message to o1 (o1 takes it)',
      { model: 'o1', messages: [system, user], max_completion_tokens: 10 },
      null,
    ],
    [
      'gpt-4o-mini with max_tokens, system and temperature',
      { model: 'gpt-4o-mini', messages: [system, user], max_tokens: 10, temperature: 0.2 },
      null,
    ],
    ['deepseek-chat with max_tokens', { model: 'deepseek-chat', messages: [system, user], max_tokens: 10 }, null],
  ];
  for (const [what, body, expected] of table) {
    it(`${expected ? 'refuses' : 'accepts'} ${what}`, () => {
      const got = openaiRejection(body);
      assert.deepEqual(got && { param: got.param, code: got.code, message: got.message }, expected);
      if (got) assert.deepEqual([got.status, got.type], [400, 'invalid_request_error']);
    });
  }

  it('survives any body', () => {
    for (const body of [
      null,
      1,
      'x',
      [],
      { model: 7 },
      { model: 'o1-mini', messages: 'no' },
      { model: 'o1-mini', messages: [null, 3] },
    ])
      openaiRejection(body);
  });

  describe('over HTTP', () => {
    let gw: ScriptedGateway;
    afterEach(async () => gw?.close());

    it("answers OpenAI's 400 body, which the openai client surfaces with status, code and param, and consumes no scripted reply", async () => {
      gw = await startScriptedGateway({ script: [{ text: 'ok' }] });
      const client = new OpenAI({ baseURL: gw.url, apiKey: 'k', maxRetries: 0 });
      const err = await client.chat.completions
        .create({
          model: 'o1-mini',
          messages: [
            { role: 'system', content: 'x' },
            { role: 'user', content: 'y' },
          ],
          max_tokens: 5,
        })
        .catch((e: unknown) => e);
      assert.ok(err instanceof APIError);
      assert.equal(err.status, 400);
      assert.equal(err.code, 'unsupported_parameter');
      assert.equal(err.param, 'max_tokens');
      assert.equal(err.type, 'invalid_request_error');
      const ok = await client.chat.completions.create({
        model: 'o1-mini',
        messages: [{ role: 'user', content: 'y' }],
        max_completion_tokens: 5,
      });
      assert.equal(ok.choices[0]?.message.content, 'ok');
      assert.equal(gw.requests.length, 2);
    });

    it('accepts anything with strict: false', async () => {
      gw = await startScriptedGateway({ script: [{ text: 'ok' }], strict: false });
      const client = new OpenAI({ baseURL: gw.url, apiKey: 'k', maxRetries: 0 });
      const ok = await client.chat.completions.create({
        model: 'o1-mini',
        messages: [{ role: 'system', content: 'x' }],
        max_tokens: 5,
        temperature: 0,
      });
      assert.equal(ok.choices[0]?.message.content, 'ok');
    });
  });
});
