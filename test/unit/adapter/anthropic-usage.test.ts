import { deepStrictEqual } from 'node:assert/strict';
import { AnthropicStreamUsage, usageFromAnthropic } from '../../../src/adapter/anthropic-usage';

const sse = (type: string, data: object) =>
  Buffer.from(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
const start = (usage: object) =>
  sse('message_start', { message: { id: 'm', type: 'message', role: 'assistant', content: [], usage } });
const delta = (text: string) => sse('content_block_delta', { index: 0, delta: { type: 'text_delta', text } });
const end = (usage: object) => sse('message_delta', { delta: { stop_reason: 'end_turn' }, usage });

describe('usageFromAnthropic', () => {
  const table: Array<[string, object, object]> = [
    ['plain', { input_tokens: 10, output_tokens: 5 }, { input_tokens: 10, output_tokens: 5, cache_read_tokens: 0 }],
    [
      'cache reads apart, cache writes counted as input',
      { input_tokens: 10, output_tokens: 5, cache_read_input_tokens: 100, cache_creation_input_tokens: 7 },
      { input_tokens: 17, output_tokens: 5, cache_read_tokens: 100 },
    ],
    [
      'nulls and garbage as zero',
      { input_tokens: null, output_tokens: -3, cache_read_input_tokens: 'x' },
      { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0 },
    ],
  ];
  for (const [name, wire, ours] of table) it(`maps ${name}`, () => deepStrictEqual(usageFromAnthropic(wire), ours));
});

describe('AnthropicStreamUsage', () => {
  const feedAll = (chunks: Buffer[]) => {
    const w = new AnthropicStreamUsage();
    for (const c of chunks) w.feed(c);
    return w;
  };

  it('takes input and cache from message_start and output from message_delta, across chunk boundaries', () => {
    const bytes = Buffer.concat([
      start({ input_tokens: 40, output_tokens: 1, cache_read_input_tokens: 8 }),
      delta('Hello'),
      end({ output_tokens: 12 }),
    ]);
    const w = feedAll([bytes.subarray(0, 17), bytes.subarray(17, 100), bytes.subarray(100)]);
    deepStrictEqual(w.usage(999), {
      usage: { input_tokens: 40, output_tokens: 12, cache_read_tokens: 8 },
      reported: true,
    });
  });

  it('keeps the larger count per field: a message_delta with input_tokens 0 does not erase message_start’s', () => {
    deepStrictEqual(
      feedAll([start({ input_tokens: 40, output_tokens: 1 }), end({ input_tokens: 0, output_tokens: 3 })]).usage(999)
        .usage,
      { input_tokens: 40, output_tokens: 3, cache_read_tokens: 0 },
    );
  });

  it('without message_delta (the stream broke), counts output as the larger of message_start’s and the bytes streamed', () => {
    deepStrictEqual(
      feedAll([start({ input_tokens: 40, output_tokens: 1 }), delta('Hello'), delta(' wörld')]).usage(999).usage,
      { input_tokens: 40, output_tokens: 12, cache_read_tokens: 0 },
    ); // 5 + 7 UTF-8 bytes
  });

  it('without any usage, estimates the input bound and one token per streamed byte, marked as not reported', () => {
    deepStrictEqual(feedAll([start({}), delta('abc'), end({})]).usage(321), {
      usage: { input_tokens: 321, output_tokens: 3, cache_read_tokens: 0 },
      reported: false,
    });
  });

  it('with only a message_delta usage and no input there, bills the input bound', () => {
    deepStrictEqual(feedAll([start({}), end({ output_tokens: 4 })]).usage(321).usage, {
      input_tokens: 321,
      output_tokens: 4,
      cache_read_tokens: 0,
    });
  });

  it('ignores events whose data is not JSON', () => {
    deepStrictEqual(
      feedAll([Buffer.from('event: ping\ndata: not json\n\n'), start({ input_tokens: 2, output_tokens: 1 })]).usage(9)
        .usage,
      { input_tokens: 2, output_tokens: 1, cache_read_tokens: 0 },
    );
  });
});
