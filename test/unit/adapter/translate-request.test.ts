import { deepStrictEqual, match, ok, strictEqual } from 'node:assert/strict';
import { AnthropicRequestSchema, parseAnthropic, type AnthropicRequest } from '../../../src/adapter/anthropic-schema';
import { resolveModel, translateRequest } from '../../../src/adapter/translate-request';
import { translateResponse } from '../../../src/adapter/translate-response';
import systemBlocksImage from './fixtures/request-system-blocks-image.json';
import parallelToolResults from './fixtures/request-parallel-tool-results.json';

const opts = { gatewayModel: 'deepseek-chat', perJobTokenLimit: 8192 };

/** Parses a fixture request the way the server does, so fixtures also exercise the schema. */
function parse(body: unknown): AnthropicRequest {
  const r = parseAnthropic(AnthropicRequestSchema, body);
  if (!r.ok) throw new Error(r.message);
  return r.value;
}

const base = (extra: Partial<AnthropicRequest> = {}): AnthropicRequest =>
  parse({
    model: 'claude-sonnet-5',
    max_tokens: 100,
    messages: [{ role: 'user', content: 'hi' }],
    ...extra,
  });

describe('translateRequest', () => {
  it('turns system blocks into one system message and images into content parts, dropping Anthropic-only fields', () => {
    deepStrictEqual(translateRequest(parse(systemBlocksImage.request), opts).params, systemBlocksImage.expected);
  });

  it('sends a system string as the system message', () => {
    const { params } = translateRequest(base({ system: 'Be brief.' }), opts);
    deepStrictEqual(params.messages[0], { role: 'system', content: 'Be brief.' });
  });

  it('drops the billing-header system block and keeps role "system" messages in place as <system-reminder> user turns (Claude Code)', () => {
    const { params } = translateRequest(
      parse({
        model: 'claude-sonnet-5',
        max_tokens: 10,
        system: [
          { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.197.0df;' },
          { type: 'text', text: 'You are Claude Code.' },
        ],
        messages: [
          { role: 'user', content: 'hi' },
          { role: 'system', content: 'Available agent types: claude' },
          { role: 'user', content: 'go' },
        ],
      }),
      opts,
    );
    deepStrictEqual(params.messages, [
      { role: 'system', content: 'You are Claude Code.' },
      { role: 'user', content: 'hi' },
      { role: 'user', content: '<system-reminder>\nAvailable agent types: claude\n</system-reminder>' },
      { role: 'user', content: 'go' },
    ]);
  });

  it('keeps every earlier message byte-stable when a mid-conversation system message arrives (the prefix cache sees the same start)', () => {
    const turns = [
      { role: 'user' as const, content: 'hi' },
      { role: 'assistant' as const, content: 'hello' },
    ];
    const before = JSON.stringify(translateRequest(base({ system: 'S', messages: turns }), opts).params.messages);
    const after = JSON.stringify(
      translateRequest(
        base({
          system: 'S',
          messages: [...turns, { role: 'system', content: 'Reminder.' }, { role: 'user', content: 'next' }],
        }),
        opts,
      ).params.messages,
    );
    ok(after.startsWith(before.slice(0, -1)), `the earlier messages are a prefix: ${after}`);
  });

  it('puts a reminder that follows tool calls after their tool messages (OpenAI wants those right after the calls)', () => {
    const { params } = translateRequest(
      base({
        messages: [
          { role: 'user', content: 'list' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'Bash', input: { command: 'ls' } }] },
          { role: 'system', content: 'Reminder.' },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 't1', content: 'a.ts' }] },
        ],
      }),
      opts,
    );
    deepStrictEqual(
      params.messages.map((m) => m.role),
      ['user', 'assistant', 'tool', 'user'],
    );
    strictEqual(params.messages[3]!.content, '<system-reminder>\nReminder.\n</system-reminder>');
  });

  it('strips "$schema" from tool input schemas', () => {
    const { params } = translateRequest(
      base({
        tools: [
          { name: 'Read', input_schema: { $schema: 'https://json-schema.org/draft/2020-12/schema', type: 'object' } },
        ],
      }),
      opts,
    );
    deepStrictEqual((params.tools?.[0] as { function: { parameters: object } }).function.parameters, {
      type: 'object',
    });
  });

  it('places parallel tool results right after the tool_calls message, in call order, before the user text', () => {
    deepStrictEqual(translateRequest(parse(parallelToolResults.request), opts).params, parallelToolResults.expected);
  });

  it('answers a tool call that has no tool_result, so OpenAI accepts the history', () => {
    const { params } = translateRequest(
      parse({
        model: 'claude-sonnet-5',
        max_tokens: 10,
        messages: [
          { role: 'user', content: 'go' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'call_x', name: 'Bash', input: { command: 'ls' } }] },
          { role: 'user', content: 'never mind' },
        ],
      }),
      opts,
    );
    deepStrictEqual(params.messages.slice(2), [
      { role: 'tool', tool_call_id: 'call_x', content: '(no result: the tool call was interrupted)' },
      { role: 'user', content: 'never mind' },
    ]);
  });

  const toolChoices: Array<[AnthropicRequest['tool_choice'], unknown]> = [
    [{ type: 'auto' }, 'auto'],
    [{ type: 'any' }, 'required'],
    [{ type: 'none' }, 'none'],
    [
      { type: 'tool', name: 'Read' },
      { type: 'function', function: { name: 'Read' } },
    ],
  ];
  for (const [choice, expected] of toolChoices) {
    it(`maps tool_choice ${choice?.type} to ${JSON.stringify(expected)}`, () => {
      const { params } = translateRequest(
        base({ tools: [{ name: 'Read', input_schema: { type: 'object' } }], tool_choice: choice }),
        opts,
      );
      deepStrictEqual(params.tool_choice, expected);
    });
  }

  it('sends parallel_tool_calls false when the client disables parallel tool use', () => {
    const { params } = translateRequest(
      base({
        tools: [{ name: 'Read', input_schema: {} }],
        tool_choice: { type: 'auto', disable_parallel_tool_use: true },
      }),
      opts,
    );
    strictEqual(params.parallel_tool_calls, false);
  });

  it('omits tools and tool_choice when no tool can be forwarded', () => {
    const { params } = translateRequest(
      base({ tools: [{ name: 'web_search', type: 'web_search_20250305' }], tool_choice: { type: 'any' } }),
      opts,
    );
    strictEqual('tools' in params, false);
    strictEqual('tool_choice' in params, false);
  });

  it('shortens tool names over 64 characters reversibly, in tools, history and tool_choice', () => {
    const long = `mcp__${'very_long_server_name_'.repeat(3)}__${'a_tool_with_a_long_name_'.repeat(2)}`;
    ok(long.length > 64);
    const tr = translateRequest(
      base({
        tools: [{ name: long, input_schema: { type: 'object' } }],
        tool_choice: { type: 'tool', name: long },
        messages: [
          { role: 'user', content: 'go' },
          { role: 'assistant', content: [{ type: 'tool_use', id: 'call_1', name: long, input: {} }] },
          { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'call_1', content: 'done' }] },
        ],
      }),
      opts,
    );
    const short = (tr.params.tools?.[0] as { function: { name: string } }).function.name;
    ok(short.length <= 64);
    match(short, /^[a-zA-Z0-9_-]+$/);
    deepStrictEqual(tr.params.tool_choice, { type: 'function', function: { name: short } });
    strictEqual(
      (tr.params.messages[1] as { tool_calls: Array<{ function: { name: string } }> }).tool_calls[0]?.function.name,
      short,
    );
    const back = translateResponse(
      {
        id: 'c',
        object: 'chat.completion',
        created: 0,
        model: 'm',
        choices: [
          {
            index: 0,
            finish_reason: 'tool_calls',
            logprobs: null,
            message: {
              role: 'assistant',
              content: null,
              refusal: null,
              tool_calls: [{ id: 't', type: 'function', function: { name: short, arguments: '{}' } }],
            },
          },
        ],
      },
      { requestedModel: 'claude-sonnet-5', toolNames: tr.toolNames },
    );
    deepStrictEqual(back.message.content, [{ type: 'tool_use', id: 't', name: long, input: {} }]);
  });

  it('sends thinking blocks of earlier assistant turns back as reasoning_content', () => {
    const { params } = translateRequest(
      base({
        messages: [
          { role: 'user', content: 'q' },
          {
            role: 'assistant',
            content: [
              { type: 'thinking', thinking: 'step 1', signature: 's' },
              { type: 'thinking', thinking: 'step 2' },
              { type: 'text', text: 'a' },
            ],
          },
          { role: 'user', content: 'q2' },
        ],
      }),
      opts,
    );
    deepStrictEqual(params.messages[1], { role: 'assistant', content: 'a', reasoning_content: 'step 1\nstep 2' });
  });

  const clamps: Array<[string, number, number, number | undefined, string, number]> = [
    ['the request asks less than every limit', 1000, 8192, undefined, 'deepseek-chat', 1000],
    ['the per-job token limit is lowest', 32000, 8192, undefined, 'deepseek-chat', 8192],
    ['the model output limit is lowest', 32000, 8192, 4096, 'deepseek-chat', 4096],
  ];
  for (const [why, requested, limit, modelLimit, model, expected] of clamps) {
    it(`clamps max_tokens to ${expected} when ${why}`, () => {
      const tr = translateRequest(base({ max_tokens: requested }), {
        gatewayModel: model,
        perJobTokenLimit: limit,
        modelOutputLimit: modelLimit,
      });
      strictEqual(tr.maxTokens, expected);
      strictEqual(tr.params.max_tokens, expected);
    });
  }

  it('uses max_completion_tokens for OpenAI reasoning models', () => {
    const { params } = translateRequest(base({ max_tokens: 500 }), { gatewayModel: 'o4-mini', perJobTokenLimit: 8192 });
    strictEqual(params.max_completion_tokens, 500);
    strictEqual('max_tokens' in params, false);
  });

  it("shapes the request by the upstream model's rules (core/model-rules.ts): o1-mini gets its system text in the first user turn, reasoning models lose temperature", () => {
    const o1 = translateRequest(base({ system: 'Be terse.', temperature: 0.2 }), {
      gatewayModel: 'o1-mini',
      perJobTokenLimit: 8192,
    }).params;
    deepStrictEqual(
      o1.messages.map((m) => m.role),
      ['user'],
    );
    match(JSON.stringify(o1.messages[0]!.content), /Be terse\.[\s\S]*hi/);
    strictEqual('temperature' in o1, false);
    strictEqual(o1.max_completion_tokens, 100);
    const chat = translateRequest(base({ system: 'Be terse.', temperature: 0.2 }), opts).params;
    deepStrictEqual(
      chat.messages.map((m) => m.role),
      ['system', 'user'],
    );
    strictEqual(chat.temperature, 0.2);
    strictEqual(chat.max_tokens, 100);
  });

  it('does not ask for streaming when the client did not', () => {
    const { params } = translateRequest(base(), opts);
    strictEqual('stream' in params, false);
    strictEqual('stream_options' in params, false);
  });
});

describe('resolveModel', () => {
  const cases: Array<[string, string]> = [
    ['claude-sonnet-5', 'deepseek-chat'],
    ['claude-3-5-haiku-20241022', 'deepseek-chat'],
    ['sonnet', 'deepseek-chat'],
    ['opus', 'deepseek-chat'],
    ['sonnet[1m]', 'deepseek-chat'],
    ['gpt-4o-mini', 'gpt-4o-mini'],
    ['deepseek-reasoner', 'deepseek-reasoner'],
  ];
  for (const [requested, expected] of cases) {
    it(`sends "${requested}" upstream as "${expected}"`, () =>
      strictEqual(resolveModel(requested, 'deepseek-chat'), expected));
  }

  it('keeps the requested model name for the response', () => {
    const tr = translateRequest(base({ model: 'claude-sonnet-5' }), opts);
    deepStrictEqual(
      [tr.requestedModel, tr.upstreamModel, tr.params.model],
      ['claude-sonnet-5', 'deepseek-chat', 'deepseek-chat'],
    );
  });
});

describe('parseAnthropic', () => {
  const bad: Array<[string, unknown, RegExp]> = [
    ['a missing max_tokens', { model: 'm', messages: [] }, /^max_tokens: /],
    [
      'an unknown content block type',
      { model: 'm', max_tokens: 1, messages: [{ role: 'user', content: [{ type: 'video', url: 'x' }] }] },
      /^messages\.0\.content\.0\.type: /,
    ],
    [
      'a text block without text',
      { model: 'm', max_tokens: 1, messages: [{ role: 'user', content: [{ type: 'text' }] }] },
      /^messages\.0\.content\.0\.text: /,
    ],
    ['a bad role', { model: 'm', max_tokens: 1, messages: [{ role: 'tool', content: 'x' }] }, /^messages\.0\.role: /],
    [
      'content that is a number',
      { model: 'm', max_tokens: 1, messages: [{ role: 'user', content: 5 }] },
      /^messages\.0\.content: /,
    ],
    [
      'a bad tool_choice',
      { model: 'm', max_tokens: 1, messages: [], tool_choice: { type: 'some' } },
      /^tool_choice\.type: /,
    ],
  ];
  for (const [what, body, expected] of bad) {
    it(`names the field for ${what}`, () => {
      const r = parseAnthropic(AnthropicRequestSchema, body);
      strictEqual(r.ok, false);
      if (!r.ok) match(r.message, expected);
    });
  }

  it('tolerates cache_control, betas and other Anthropic-only fields and strips them', () => {
    const r = parseAnthropic(AnthropicRequestSchema, {
      model: 'm',
      max_tokens: 1,
      betas: ['x'],
      output_config: { effort: 'high' },
      messages: [{ role: 'user', content: [{ type: 'text', text: 't', cache_control: { type: 'ephemeral' } }] }],
    });
    ok(r.ok);
    if (r.ok) deepStrictEqual(r.value.messages[0]?.content, [{ type: 'text', text: 't' }]);
    if (r.ok) strictEqual('betas' in r.value, false);
  });
});

describe('translateRequest: sampling fields', () => {
  const cases: { name: string; extra: Partial<AnthropicRequest>; expected: Record<string, unknown> }[] = [
    {
      name: 'passes temperature and top_p through',
      extra: { temperature: 0.2, top_p: 0.9 },
      expected: { temperature: 0.2, top_p: 0.9 },
    },
    {
      name: 'keeps a temperature of 0 (not dropped as falsy)',
      extra: { temperature: 0 },
      expected: { temperature: 0 },
    },
    {
      name: 'maps stop_sequences to stop',
      extra: { stop_sequences: ['\n\nHuman:', 'END'] },
      expected: { stop: ['\n\nHuman:', 'END'] },
    },
    {
      name: 'sends at most the four stop strings OpenAI accepts',
      extra: { stop_sequences: ['a', 'b', 'c', 'd', 'e'] },
      expected: { stop: ['a', 'b', 'c', 'd'] },
    },
    { name: 'sends no stop for an empty stop_sequences', extra: { stop_sequences: [] }, expected: {} },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const { params } = translateRequest(base(c.extra), opts);
      const picked = Object.fromEntries(
        ['temperature', 'top_p', 'stop']
          .filter((k) => k in params)
          .map((k) => [k, (params as unknown as Record<string, unknown>)[k]]),
      );
      deepStrictEqual(picked, c.expected);
    });
  }
});
