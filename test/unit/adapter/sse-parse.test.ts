import { deepStrictEqual } from 'node:assert/strict';
import { SseDecoder, type ServerSentEvent } from '../../../src/adapter/sse-parse';

/** Events of a byte stream fed to one decoder in the given pieces. */
function decode(pieces: Uint8Array[]): ServerSentEvent[] {
  const d = new SseDecoder();
  return pieces.flatMap((p) => d.push(p));
}

const bytes = (s: string) => new TextEncoder().encode(s);

// Every line ending (LF, CRLF, lone CR), comments, multi-line data, event names, fields the parser
// ignores, and 2-, 3- and 4-byte UTF-8 characters, so that a split can fall inside any of them.
const sample = [
  '\uFEFF: keep-alive comment\n',
  'data: {"text":"héllo 世界 🙂"}\n\n',
  ': another comment\r\n',
  'id: 7\r\nretry: 1000\r\n',
  'data: {"text":"crlf ✓"}\r\n\r\n',
  'event: error\n',
  'data: {"message":"über",\n',
  'data:"code":1}\n\n',
  'data: lone cr 🚀\r\r',
  'data\n\n',
  'data: [DONE]\n\n',
].join('');
const expected: ServerSentEvent[] = [
  { event: null, data: '{"text":"héllo 世界 🙂"}' },
  { event: null, data: '{"text":"crlf ✓"}' },
  { event: 'error', data: '{"message":"über",\n"code":1}' },
  { event: null, data: 'lone cr 🚀' },
  { event: null, data: '' },
  { event: null, data: '[DONE]' },
];

describe('SseDecoder', () => {
  const whole = bytes(sample);

  it('parses the sample stream in one chunk', () => deepStrictEqual(decode([whole]), expected));

  it('parses the same events whatever byte offset the stream is split at (inside CRLF and multi-byte characters too)', () => {
    for (let i = 0; i <= whole.length; i++) {
      deepStrictEqual(decode([whole.subarray(0, i), whole.subarray(i)]), expected, `split at byte ${i}`);
    }
  });

  it('parses the same events from every pair of split points (three chunks)', () => {
    for (let i = 0; i <= whole.length; i++) {
      for (let j = i; j <= whole.length; j += 7) {
        deepStrictEqual(decode([whole.subarray(0, i), whole.subarray(i, j), whole.subarray(j)]), expected, `split at ${i} and ${j}`);
      }
    }
  });

  it('parses the stream fed one byte at a time', () => {
    deepStrictEqual(decode([...whole].map((b) => Uint8Array.of(b))), expected);
  });

  it('accepts plain Uint8Array views into a larger buffer', () => {
    const padded = new Uint8Array(whole.length + 8);
    padded.set(whole, 4);
    deepStrictEqual(decode([padded.subarray(4, 4 + whole.length)]), expected);
  });

  const cases: Array<[string, string, ServerSentEvent[]]> = [
    ['drops an event cut off by the end of the stream (no blank line after it)', 'data: 1\n\ndata: 2\n', [{ event: null, data: '1' }]],
    ['dispatches nothing for a block of comments only', ': a\n: b\n\n', []],
    ['keeps a value\'s second leading space', 'data:  two\n\n', [{ event: null, data: ' two' }]],
    ['keeps colons inside the value', 'data: {"a":"b:c"}\n\n', [{ event: null, data: '{"a":"b:c"}' }]],
    ['ignores unknown fields', 'foo: bar\ndata: x\n\n', [{ event: null, data: 'x' }]],
    ['treats an empty event name as none', 'event:\ndata: x\n\n', [{ event: null, data: 'x' }]],
    ['dispatches an event with a name and no data', 'event: ping\n\n', [{ event: 'ping', data: '' }]],
    ['resets the event name after each dispatch', 'event: error\ndata: 1\n\ndata: 2\n\n', [{ event: 'error', data: '1' }, { event: null, data: '2' }]],
    ['does not strip a byte-order mark after the first line', 'data: 1\n\n\uFEFFdata: 2\n\n', [{ event: null, data: '1' }]],
  ];
  for (const [what, stream, events] of cases) it(what, () => deepStrictEqual(decode([bytes(stream)]), events));
});
