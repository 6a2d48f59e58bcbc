import { deepStrictEqual, ok, strictEqual } from 'node:assert/strict';
import { MessageStream } from '@anthropic-ai/sdk/lib/MessageStream';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { ToolNameMap } from '../../../src/adapter/tool-names';
import { encodeSse, StreamTranslator, type AnthropicStreamEvent } from '../../../src/adapter/translate-stream';
import fixture from './fixtures/stream-reasoning-text-tools.json';

const translator = () =>
  new StreamTranslator({ id: 'msg_s', requestedModel: 'claude-sonnet-5', toolNames: new ToolNameMap() });

/** A chunk with one choice (delta, finish_reason) and optional usage. */
function chunk(delta: object, finish: string | null = null, usage?: object): ChatCompletionChunk {
  return {
    id: 'c',
    object: 'chat.completion.chunk',
    created: 0,
    model: 'm',
    choices: [{ index: 0, delta, finish_reason: finish }],
    ...(usage && { usage }),
  } as ChatCompletionChunk;
}
const usageChunk = (usage: object) =>
  ({ id: 'c', object: 'chat.completion.chunk', created: 0, model: 'm', choices: [], usage }) as ChatCompletionChunk;

/** All events for a chunk sequence, then finish(). */
function run(chunks: ChatCompletionChunk[], t = translator()): AnthropicStreamEvent[] {
  return [...chunks.flatMap((c) => t.push(c)), ...t.finish()];
}

/** Rebuilds the final message with the Anthropic SDK's own accumulator, which rejects malformed event orders. */
function finalMessage(events: AnthropicStreamEvent[]) {
  const bytes = new TextEncoder().encode(events.map((e) => JSON.stringify(e.data)).join('\n'));
  const body = new ReadableStream<Uint8Array>({
    start: (c) => {
      c.enqueue(bytes);
      c.close();
    },
  });
  return MessageStream.fromReadableStream(body).finalMessage();
}

const names = (events: AnthropicStreamEvent[]) => events.map((e) => e.event);

describe('StreamTranslator', () => {
  it('streams thinking, text, then tool_use blocks keyed by index, and ends after the usage chunk', () => {
    const events = run(fixture.chunks as ChatCompletionChunk[]);
    deepStrictEqual(
      events.map((e) => [e.event, e.data]),
      fixture.expected,
    );
  });

  it('produces a stream the Anthropic SDK rebuilds into the same message', async () => {
    const message = await finalMessage(run(fixture.chunks as ChatCompletionChunk[]));
    deepStrictEqual(
      message.content.map((b) => b.type),
      ['thinking', 'text', 'tool_use', 'tool_use'],
    );
    deepStrictEqual(message.content[3], { type: 'tool_use', id: 'call_b', name: 'Read', input: { file_path: 'b.ts' } });
    deepStrictEqual(
      [message.stop_reason, message.usage.input_tokens, message.usage.cache_read_input_tokens],
      ['tool_use', 400, 500],
    );
  });

  it('splits a chunk that mixes reasoning, text and a tool call into separate blocks', () => {
    const events = run([
      chunk(
        {
          reasoning_content: 'r',
          content: 't',
          tool_calls: [{ index: 0, id: 'c1', function: { name: 'Bash', arguments: '{}' } }],
        },
        'tool_calls',
      ),
    ]);
    const starts = events
      .filter((e) => e.event === 'content_block_start')
      .map((e) => (e.data as { content_block: { type: string } }).content_block.type);
    deepStrictEqual(starts, ['thinking', 'text', 'tool_use']);
  });

  it('keeps tool arguments when usage comes on every chunk, and reports the last usage', async () => {
    const u = (n: number) => ({ prompt_tokens: 50, completion_tokens: n, total_tokens: 50 + n });
    const t = translator();
    const events = run(
      [
        chunk(
          {
            tool_calls: [
              { index: 0, id: 'c1', type: 'function', function: { name: 'Write', arguments: '{"file_path":' } },
            ],
          },
          null,
          u(1),
        ),
        chunk({ tool_calls: [{ index: 0, function: { arguments: '"a.ts"}' } }] }, null, u(2)),
        chunk({}, 'tool_calls', u(3)),
      ],
      t,
    );
    const message = await finalMessage(events);
    deepStrictEqual(message.content, [{ type: 'tool_use', id: 'c1', name: 'Write', input: { file_path: 'a.ts' } }]);
    deepStrictEqual(t.usage, { input_tokens: 50, output_tokens: 3, cache_read_tokens: 0 });
  });

  it('sends message_delta only from finish(), after the trailing usage chunk', () => {
    const t = translator();
    const beforeUsage = [chunk({ content: 'hi' }), chunk({}, 'stop')].flatMap((c) => t.push(c));
    ok(!names(beforeUsage).includes('message_delta'));
    t.push(usageChunk({ prompt_tokens: 10, completion_tokens: 2 }));
    const end = t.finish();
    deepStrictEqual(names(end), ['message_delta', 'message_stop']);
    deepStrictEqual((end[0]?.data as { usage: object }).usage, {
      input_tokens: 10,
      output_tokens: 2,
      cache_read_input_tokens: 0,
      cache_creation_input_tokens: 0,
    });
  });

  it('ends with zero usage and no usage reported when the gateway sends none, counting streamed bytes', () => {
    const t = translator();
    const events = run([chunk({ content: 'héllo' }), chunk({}, 'stop')], t);
    strictEqual(t.usage, undefined);
    strictEqual(t.streamedBytes, 6);
    deepStrictEqual((events.at(-2)?.data as { usage: { output_tokens: number } }).usage.output_tokens, 0);
  });

  it('closes open blocks and still sends message_stop when the stream ends without finish_reason', async () => {
    const events = run([
      chunk({ content: 'cut off' }),
      chunk({ tool_calls: [{ index: 0, id: 'c', function: { name: 'Read', arguments: '{"a"' } }] }),
    ]);
    deepStrictEqual(names(events).slice(-2), ['message_delta', 'message_stop']);
    const message = await finalMessage(events);
    deepStrictEqual(message.content, [
      { type: 'text', text: 'cut off' },
      { type: 'tool_use', id: 'c', name: 'Read', input: {} },
    ]);
    strictEqual(message.stop_reason, 'tool_use');
  });

  it('tells apart parallel calls that share index 0 by their ids (Gemini)', async () => {
    const message = await finalMessage(
      run([
        chunk({ tool_calls: [{ index: 0, id: 'a', function: { name: 'Read', arguments: '{"p":1}' } }] }),
        chunk({ tool_calls: [{ index: 0, id: 'b', function: { name: 'Read', arguments: '{"p":2}' } }] }, 'tool_calls'),
      ]),
    );
    deepStrictEqual(
      message.content.map((b) => (b.type === 'tool_use' ? [b.id, b.input] : null)),
      [
        ['a', { p: 1 }],
        ['b', { p: 2 }],
      ],
    );
  });

  it('emits an Anthropic error event, and nothing after it', () => {
    const t = translator();
    const events = [
      ...t.push(chunk({ content: 'partial' })),
      ...t.error({ type: 'error', error: { type: 'api_error', message: 'upstream stream failed' } }),
    ];
    deepStrictEqual(names(events).at(-1), 'error');
    deepStrictEqual([t.push(chunk({ content: 'more' })), t.finish()], [[], []]);
    deepStrictEqual(events.at(-1)?.data, {
      type: 'error',
      error: { type: 'api_error', message: 'upstream stream failed' },
    });
  });

  it('finishes an empty stream with a well-formed empty message', async () => {
    const events = translator().finish();
    deepStrictEqual(names(events), ['message_start', 'message_delta', 'message_stop']);
    deepStrictEqual((await finalMessage(events)).content, []);
  });

  it('maps shortened tool names back to the client names', () => {
    const names = new ToolNameMap();
    const long = 'mcp__' + 'x'.repeat(80);
    const short = names.toUpstream(long);
    const t = new StreamTranslator({ id: 'm', requestedModel: 'claude', toolNames: names });
    const start = run(
      [chunk({ tool_calls: [{ index: 0, id: 'c', function: { name: short, arguments: '{}' } }] }, 'tool_calls')],
      t,
    ).find((e) => e.event === 'content_block_start');
    strictEqual((start?.data as { content_block: { name: string } }).content_block.name, long);
  });

  it('encodes events in SSE wire form', () => {
    strictEqual(
      encodeSse({ event: 'message_stop', data: { type: 'message_stop' } }),
      'event: message_stop\ndata: {"type":"message_stop"}\n\n',
    );
  });
});
