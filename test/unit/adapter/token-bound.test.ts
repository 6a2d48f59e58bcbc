import { ok, strictEqual } from 'node:assert/strict';
import fc from 'fast-check';
import { countTokens as cl100k } from 'gpt-tokenizer/encoding/cl100k_base';
import { countTokens as o200k } from 'gpt-tokenizer/encoding/o200k_base';
import {
  IMAGE_TOKEN_BOUND,
  MESSAGE_OVERHEAD_TOKENS,
  promptTokensUpperBound,
  REQUEST_OVERHEAD_TOKENS,
  TOOL_CALL_OVERHEAD_TOKENS,
  utf8ByteLength,
  utf8ByteLengthLoop,
} from '../../../src/core/token-bound';

const plain = { disallowedSpecial: new Set<string>() };
const user = (content: unknown) => ({ messages: [{ role: 'user', content }] });
const emptyUser = promptTokensUpperBound(user(''));

describe('promptTokensUpperBound', () => {
  it('is at least the real token count of any text, for both OpenAI encodings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 300 }), (text) => {
        const bound = promptTokensUpperBound(user(text));
        return bound - emptyUser >= cl100k(text, plain) && bound - emptyUser >= o200k(text, plain);
      }),
      { numRuns: 300 },
    );
  });

  const samples: Array<[string, string]> = [
    ['English prose', 'The quick brown fox jumps over the lazy dog. '.repeat(50)],
    ['TypeScript code', 'export function f(a: number): number {\n  return a * 2; // double\n}\n'.repeat(40)],
    ['CJK text', '東京は日本の首都です。'.repeat(60)],
    ['emoji', '🙂🚀👍🏽'.repeat(80)],
    ['whitespace runs', ' \n\t '.repeat(200)],
  ];
  for (const [what, text] of samples) {
    it(`bounds ${what} (bytes ≥ tokens)`, () => {
      const extra = promptTokensUpperBound(user(text)) - emptyUser;
      strictEqual(extra, Buffer.byteLength(text));
      ok(extra >= o200k(text, plain) && extra >= cl100k(text, plain));
    });
  }

  it('adds per-request and per-message overhead for the chat template', () => {
    strictEqual(promptTokensUpperBound({ messages: [] }), REQUEST_OVERHEAD_TOKENS);
    const two = promptTokensUpperBound({
      messages: [
        { role: 'user', content: '' },
        { role: 'user', content: '' },
      ],
    });
    strictEqual(two - emptyUser, MESSAGE_OVERHEAD_TOKENS + utf8ByteLength('rolecontentuser'));
  });

  it('counts an image as IMAGE_TOKEN_BOUND whatever the size of its data', () => {
    const image = (n: number) =>
      user([{ type: 'image_url', image_url: { url: `data:image/png;base64,${'A'.repeat(n)}` } }]);
    strictEqual(promptTokensUpperBound(image(10)), promptTokensUpperBound(image(1_000_000)));
    ok(promptTokensUpperBound(image(10)) >= IMAGE_TOKEN_BOUND);
  });

  it('counts tool definitions by their JSON bytes and each tool call with its wrapper', () => {
    const tool = {
      type: 'function',
      function: { name: 'Read', parameters: { type: 'object', properties: { file_path: { type: 'string' } } } },
    };
    ok(promptTokensUpperBound({ messages: [], tools: [tool] }) - REQUEST_OVERHEAD_TOKENS > JSON.stringify(tool).length);
    const call = { id: 'c', type: 'function', function: { name: 'Read', arguments: '{"file_path":"a.ts"}' } };
    const one = promptTokensUpperBound({ messages: [{ role: 'assistant', content: null, tool_calls: [call] }] });
    const two = promptTokensUpperBound({ messages: [{ role: 'assistant', content: null, tool_calls: [call, call] }] });
    ok(two - one >= TOOL_CALL_OVERHEAD_TOKENS + call.function.arguments.length);
  });
});

describe('utf8ByteLength', () => {
  it('equals Buffer.byteLength for any string, lone surrogates included', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => utf8ByteLength(s) === Buffer.byteLength(s)),
      { numRuns: 500 },
    );
    strictEqual(utf8ByteLength('\ud800x'), Buffer.byteLength('\ud800x'));
  });

  it('has a portable loop that agrees with Buffer.byteLength too', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 200 }), (s) => utf8ByteLengthLoop(s) === Buffer.byteLength(s)),
      { numRuns: 500 },
    );
    strictEqual(utf8ByteLengthLoop('\ud800x\udc00'), Buffer.byteLength('\ud800x\udc00'));
  });
});
