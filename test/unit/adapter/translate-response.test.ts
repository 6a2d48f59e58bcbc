import { deepStrictEqual, strictEqual, throws } from 'node:assert/strict';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import { errorTypeForStatus, fromUpstreamFailure } from '../../../src/adapter/anthropic-errors';
import { ToolNameMap } from '../../../src/adapter/tool-names';
import {
  mapFinishReason,
  parseToolArguments,
  translateResponse,
  UnrecognisedResponseError,
} from '../../../src/adapter/translate-response';
import fixture from './fixtures/completion-reasoning-tools.json';

const opts = { requestedModel: 'claude-sonnet-5', toolNames: new ToolNameMap(), id: 'msg_test' };

/** A one-choice completion with the given message fields, finish_reason and usage. */
function completion(
  message: object,
  finish: string | null = 'stop',
  usage?: object,
  choiceExtra: object = {},
): ChatCompletion {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    created: 0,
    model: 'deepseek-chat',
    choices: [
      {
        index: 0,
        finish_reason: finish,
        logprobs: null,
        message: { role: 'assistant', content: null, refusal: null, ...message },
        ...choiceExtra,
      },
    ],
    ...(usage && { usage }),
  } as ChatCompletion;
}

describe('translateResponse', () => {
  it('turns reasoning_content, text and tool_calls into thinking, text and tool_use blocks with the requested model name', () => {
    deepStrictEqual(translateResponse(fixture.completion as ChatCompletion, opts).message, fixture.expected);
  });

  it('reports the metered usage with cache reads excluded from input', () => {
    deepStrictEqual(translateResponse(fixture.completion as ChatCompletion, opts).usage, {
      input_tokens: 400,
      output_tokens: 50,
      cache_read_tokens: 600,
    });
  });

  it('reads DeepSeek cache hits (prompt_cache_hit_tokens)', () => {
    const { message } = translateResponse(
      completion({ content: 'x' }, 'stop', {
        prompt_tokens: 100,
        completion_tokens: 5,
        total_tokens: 105,
        prompt_cache_hit_tokens: 64,
      }),
      opts,
    );
    deepStrictEqual(message.usage, {
      input_tokens: 36,
      output_tokens: 5,
      cache_read_input_tokens: 64,
      cache_creation_input_tokens: 0,
    });
  });

  it('reports zero usage, not invented numbers, when the gateway sends none', () => {
    deepStrictEqual(translateResponse(completion({ content: 'x' }), opts).message.usage, {
      input_tokens: 0,
      output_tokens: 0,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
  });

  const stops: Array<[string | null, boolean, string]> = [
    ['stop', false, 'end_turn'],
    ['length', false, 'max_tokens'],
    ['tool_calls', true, 'tool_use'],
    ['content_filter', false, 'refusal'],
    ['stop', true, 'tool_use'],
    [null, false, 'end_turn'],
    [null, true, 'tool_use'],
  ];
  for (const [finish, tools, expected] of stops) {
    it(`maps finish_reason ${finish} ${tools ? 'with' : 'without'} tool calls to stop_reason ${expected}`, () => {
      const calls = tools
        ? { tool_calls: [{ id: 'c', type: 'function', function: { name: 'f', arguments: '{}' } }] }
        : { content: 'x' };
      strictEqual(translateResponse(completion(calls, finish), opts).message.stop_reason, expected);
      strictEqual(mapFinishReason(finish, tools), expected);
    });
  }

  it('reports stop_sequence when the gateway names the matched sequence (vLLM stop_reason)', () => {
    const { message } = translateResponse(completion({ content: 'x' }, 'stop', undefined, { stop_reason: '</done>' }), {
      ...opts,
      stopSequences: ['</done>'],
    });
    deepStrictEqual([message.stop_reason, message.stop_sequence], ['stop_sequence', '</done>']);
  });

  it('ignores a matched stop the client did not ask for', () => {
    const { message } = translateResponse(completion({ content: 'x' }, 'stop', undefined, { stop_reason: 151643 }), {
      ...opts,
      stopSequences: ['</done>'],
    });
    deepStrictEqual([message.stop_reason, message.stop_sequence], ['end_turn', null]);
  });

  it('sends {} for tool arguments that are not a JSON object and reports the raw text', () => {
    const r = translateResponse(
      completion(
        { tool_calls: [{ id: 'c1', type: 'function', function: { name: 'Write', arguments: '{"file_path": "a' } }] },
        'tool_calls',
      ),
      opts,
    );
    deepStrictEqual(r.message.content, [{ type: 'tool_use', id: 'c1', name: 'Write', input: {} }]);
    deepStrictEqual(r.invalidToolArguments, [{ id: 'c1', raw: '{"file_path": "a' }]);
  });

  it('throws UnrecognisedResponseError for a body without choices', () => {
    throws(
      () =>
        translateResponse(
          { id: 'x', object: 'chat.completion', created: 0, model: 'm', choices: [] } as ChatCompletion,
          opts,
        ),
      UnrecognisedResponseError,
    );
    throws(() => translateResponse({ error: 'weird' } as unknown as ChatCompletion, opts), UnrecognisedResponseError);
  });
});

describe('parseToolArguments', () => {
  const cases: Array<[string | undefined, object, boolean]> = [
    ['{"a":1}', { a: 1 }, true],
    ['', {}, true],
    [undefined, {}, true],
    ['[1,2]', {}, false],
    ['"text"', {}, false],
    ['{"a":', {}, false],
  ];
  for (const [raw, input, ok] of cases) {
    it(`parses ${JSON.stringify(raw)} to ${JSON.stringify(input)} (${ok ? 'valid' : 'invalid'})`, () =>
      deepStrictEqual(parseToolArguments(raw), { input, ok }));
  }
});

describe('anthropic errors', () => {
  const types: Array<[number, string]> = [
    [400, 'invalid_request_error'],
    [401, 'authentication_error'],
    [403, 'permission_error'],
    [404, 'not_found_error'],
    [413, 'request_too_large'],
    [422, 'invalid_request_error'],
    [429, 'rate_limit_error'],
    [500, 'api_error'],
    [502, 'api_error'],
    [503, 'api_error'],
    [529, 'overloaded_error'],
  ];
  for (const [status, type] of types) {
    it(`maps upstream HTTP ${status} to ${type}`, () => strictEqual(errorTypeForStatus(status), type));
  }

  it('keeps the status and forwards retry-after of an upstream 429', () => {
    const headers = new Headers({ 'retry-after': '7' });
    deepStrictEqual(fromUpstreamFailure({ status: 429, message: 'slow down', headers }), {
      status: 429,
      headers: { 'retry-after': '7' },
      body: { type: 'error', error: { type: 'rate_limit_error', message: 'upstream 429: slow down' } },
    });
  });

  it('answers 502 api_error for an unreachable upstream and 504 for a timeout', () => {
    strictEqual(fromUpstreamFailure({ message: 'Connection error.' }).status, 502);
    strictEqual(fromUpstreamFailure({ message: 'Request timed out.' }).status, 504);
    strictEqual(fromUpstreamFailure({ message: 'Connection error.' }).body.error.type, 'api_error');
  });
});
