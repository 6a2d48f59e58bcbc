import assert from 'node:assert/strict';
import { modelRequestRules, shapeChatRequest, type ModelRequestRules } from '../../../src/core/model-rules';

describe('modelRequestRules', () => {
  const table: Array<[string, ModelRequestRules]> = [
    ['gpt-4o-mini', { maxTokensField: 'max_tokens', systemRole: true, sampling: true, jsonSchemaOutput: true }],
    ['gpt-4o', { maxTokensField: 'max_tokens', systemRole: true, sampling: true, jsonSchemaOutput: true }],
    ['gpt-4.1', { maxTokensField: 'max_tokens', systemRole: true, sampling: true, jsonSchemaOutput: true }],
    ['deepseek-chat', { maxTokensField: 'max_tokens', systemRole: true, sampling: true, jsonSchemaOutput: false }],
    ['deepseek-reasoner', { maxTokensField: 'max_tokens', systemRole: true, sampling: true, jsonSchemaOutput: false }],
    [
      'o1-mini',
      { maxTokensField: 'max_completion_tokens', systemRole: false, sampling: false, jsonSchemaOutput: false },
    ],
    [
      'o1-mini-2024-09-12',
      { maxTokensField: 'max_completion_tokens', systemRole: false, sampling: false, jsonSchemaOutput: false },
    ],
    [
      'o1-preview',
      { maxTokensField: 'max_completion_tokens', systemRole: false, sampling: false, jsonSchemaOutput: false },
    ],
    [
      'openai/o1-mini',
      { maxTokensField: 'max_completion_tokens', systemRole: false, sampling: false, jsonSchemaOutput: false },
    ],
    ['o1', { maxTokensField: 'max_completion_tokens', systemRole: true, sampling: false, jsonSchemaOutput: true }],
    [
      'o1-2024-12-17',
      { maxTokensField: 'max_completion_tokens', systemRole: true, sampling: false, jsonSchemaOutput: true },
    ],
    ['o3', { maxTokensField: 'max_completion_tokens', systemRole: true, sampling: false, jsonSchemaOutput: true }],
    ['o3-mini', { maxTokensField: 'max_completion_tokens', systemRole: true, sampling: false, jsonSchemaOutput: true }],
    ['o4-mini', { maxTokensField: 'max_completion_tokens', systemRole: true, sampling: false, jsonSchemaOutput: true }],
    [
      'gpt-5-mini',
      { maxTokensField: 'max_completion_tokens', systemRole: true, sampling: false, jsonSchemaOutput: true },
    ],
    ['gpt-5-chat-latest', { maxTokensField: 'max_tokens', systemRole: true, sampling: true, jsonSchemaOutput: true }],
    [
      'omni-moderation-latest',
      { maxTokensField: 'max_tokens', systemRole: true, sampling: true, jsonSchemaOutput: false },
    ],
  ];
  for (const [model, rules] of table) {
    it(`${model}: ${rules.maxTokensField}, system role ${rules.systemRole ? 'yes' : 'no'}, sampling ${rules.sampling ? 'yes' : 'no'}, JSON schema ${rules.jsonSchemaOutput ? 'yes' : 'no'}`, () => {
      assert.deepEqual(modelRequestRules(model), rules);
    });
  }
});

describe('shapeChatRequest', () => {
  const raw = {
    model: 'x',
    messages: [
      { role: 'system', content: 'Be terse.' },
      { role: 'user', content: 'Summarize this.' },
    ],
    max_tokens: 500,
    temperature: 0.2,
  };

  it('leaves a gpt-4o-mini request as it was', () => {
    assert.deepEqual(shapeChatRequest('gpt-4o-mini', raw), raw);
  });

  it('gives o1-mini max_completion_tokens, no system message (its text opens the user turn) and no temperature', () => {
    assert.deepEqual(shapeChatRequest('o1-mini', raw), {
      model: 'x',
      messages: [{ role: 'user', content: 'Be terse.\n\nSummarize this.' }],
      max_completion_tokens: 500,
    });
  });

  it("keeps o3-mini's system message but moves the cap and drops temperature and top_p", () => {
    assert.deepEqual(shapeChatRequest('o3-mini', { ...raw, top_p: 0.9 }), {
      model: 'x',
      messages: raw.messages,
      max_completion_tokens: 500,
    });
  });

  it('does not change the request it was given', () => {
    const copy = structuredClone(raw);
    shapeChatRequest('o1-mini', raw);
    assert.deepEqual(raw, copy);
  });

  it('gives a non-reasoning model max_tokens when the caller wrote max_completion_tokens (DeepSeek knows only max_tokens)', () => {
    assert.deepEqual(shapeChatRequest('deepseek-chat', { messages: [], max_completion_tokens: 64 }), {
      messages: [],
      max_tokens: 64,
    });
  });

  it('folds every system and developer message, text parts too, into the first user turn for o1-mini', () => {
    const shaped = shapeChatRequest('o1-mini', {
      messages: [
        { role: 'developer', content: [{ type: 'text', text: 'Rule one.' }] },
        { role: 'assistant', content: 'Earlier answer.' },
        { role: 'user', content: [{ type: 'text', text: 'Question?' }] },
        { role: 'system', content: 'Rule two.' },
        { role: 'user', content: 'Follow-up.' },
      ],
    });
    assert.deepEqual(shaped.messages, [
      { role: 'assistant', content: 'Earlier answer.' },
      {
        role: 'user',
        content: [
          { type: 'text', text: 'Rule one.\n\nRule two.' },
          { type: 'text', text: 'Question?' },
        ],
      },
      { role: 'user', content: 'Follow-up.' },
    ]);
  });

  it('makes a user turn of the instructions when o1-mini gets no user message', () => {
    assert.deepEqual(shapeChatRequest('o1-mini', { messages: [{ role: 'system', content: 'Only rules.' }] }).messages, [
      { role: 'user', content: 'Only rules.' },
    ]);
  });
});
