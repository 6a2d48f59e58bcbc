import { deepStrictEqual } from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { createUpstream, retryDecision } from '../../../src/adapter/upstream';
import { startScriptedGateway, type ScriptedGateway } from '../../support/scripted-gateway';

const httpError = (status: number, headers: Record<string, string> = {}) =>
  APIError.generate(status, { error: { message: 'x' } }, undefined, new Headers(headers));

describe('retryDecision', () => {
  const now = Date.UTC(2026, 0, 1, 12, 0, 0);
  const cases: Array<[string, unknown, number, { retryable: boolean; delayMs: number }]> = [
    ['429 with retry-after 1 (seconds)', httpError(429, { 'retry-after': '1' }), 0, { retryable: true, delayMs: 1000 }],
    [
      '429 with retry-after-ms 250 (OpenAI), which wins over retry-after',
      httpError(429, { 'retry-after-ms': '250', 'retry-after': '9' }),
      0,
      { retryable: true, delayMs: 250 },
    ],
    [
      '503 with an HTTP-date retry-after 5 s ahead',
      httpError(503, { 'retry-after': new Date(now + 5000).toUTCString() }),
      0,
      { retryable: true, delayMs: 5000 },
    ],
    ['500 without headers, first retry', httpError(500), 0, { retryable: true, delayMs: 500 }],
    ['502 without headers, third retry', httpError(502), 2, { retryable: true, delayMs: 2000 }],
    ['529 without headers after many retries (capped backoff)', httpError(529), 10, { retryable: true, delayMs: 8000 }],
    ['408 request timeout', httpError(408), 0, { retryable: true, delayMs: 500 }],
    ['409 conflict', httpError(409), 0, { retryable: true, delayMs: 500 }],
    [
      '429 with x-should-retry false',
      httpError(429, { 'x-should-retry': 'false' }),
      0,
      { retryable: false, delayMs: 500 },
    ],
    ['400 bad request', httpError(400), 0, { retryable: false, delayMs: 500 }],
    ['401 bad key', httpError(401), 0, { retryable: false, delayMs: 500 }],
    ['404 unknown model', httpError(404), 0, { retryable: false, delayMs: 500 }],
    ['a connection error', new APIConnectionError({ message: 'ECONNREFUSED' }), 1, { retryable: true, delayMs: 1000 }],
    ['a timeout', new APIConnectionTimeoutError(), 0, { retryable: true, delayMs: 500 }],
    ['an abort by the caller', new APIUserAbortError(), 0, { retryable: false, delayMs: 0 }],
    ['a programming error', new TypeError('boom'), 0, { retryable: false, delayMs: 0 }],
  ];
  for (const [what, err, attempt, expected] of cases) {
    it(`decides ${JSON.stringify(expected)} for ${what}`, () =>
      deepStrictEqual(retryDecision(err, attempt, now), expected));
  }
});

describe('createUpstream request bodies', () => {
  let primary: ScriptedGateway;
  let fallback: ScriptedGateway;
  beforeEach(async () => {
    primary = await startScriptedGateway({ script: () => ({ error: { status: 500, message: 'down' } }) });
    fallback = await startScriptedGateway({
      script: () => ({ text: 'from fallback', usage: { prompt_tokens: 3, completion_tokens: 2 } }),
    });
  });
  afterEach(async () => {
    await primary.close();
    await fallback.close();
  });
  const upstream = () =>
    createUpstream({
      primary: { baseURL: primary.url, apiKey: 'p' },
      fallback: { baseURL: fallback.url, apiKey: 'f' },
      maxRetries: 0,
      sleep: async () => {},
    });
  const params = {
    model: 'gw-model',
    messages: [{ role: 'user' as const, content: 'é 🙂 "quoted" \\ \u0000 \u2028' }],
    max_tokens: 5,
  };

  it("sends every attempt, the fallback's too, the same JSON of the params, non-ASCII text intact", async () => {
    const r = await upstream().complete(params);
    deepStrictEqual(
      [r.route, r.model, r.completion.choices[0]?.message.content],
      ['fallback', 'gw-model', 'from fallback'],
    );
    deepStrictEqual([primary.requests[0]?.body, fallback.requests[0]?.body], [params, params]);
  });

  it('serializes the params when the call is made: a later change to them is not sent', async () => {
    const mutable = structuredClone(params);
    const pending = upstream().complete(mutable);
    mutable.messages[0]!.content = 'changed';
    await pending;
    deepStrictEqual([primary.requests[0]?.body, fallback.requests[0]?.body], [params, params]);
  });

  it('streams with the same bodies', async () => {
    const streaming = { ...params, stream: true as const, stream_options: { include_usage: true } };
    const r = await upstream().stream(streaming);
    const text: string[] = [];
    for await (const c of r.stream) text.push(c.choices[0]?.delta.content ?? '');
    deepStrictEqual(
      [text.join(''), primary.requests[0]?.body, fallback.requests[0]?.body],
      ['from fallback', streaming, streaming],
    );
  });
});

describe('createUpstream over a reset connection', () => {
  it('retries a call whose keep-alive socket the gateway reset before answering (the keep-alive race), and it succeeds', async () => {
    let n = 0;
    const server = createServer((req, res) => {
      req.resume().on('end', () => {
        if (n++ === 1) return void req.socket.destroy();
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            id: 'c',
            object: 'chat.completion',
            created: 0,
            model: 'm',
            choices: [{ index: 0, message: { role: 'assistant', content: `hi ${n}` }, finish_reason: 'stop' }],
          }),
        );
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const delays: number[] = [];
    const up = createUpstream({
      primary: { baseURL: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, apiKey: 'k' },
      sleep: async (ms) => void delays.push(ms),
    });
    try {
      const params = { model: 'm', messages: [{ role: 'user' as const, content: 'x' }] };
      await up.complete(params);
      const r = await up.complete(params);
      deepStrictEqual([r.completion.choices[0]?.message.content, delays, n], ['hi 3', [500], 3]);
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});
