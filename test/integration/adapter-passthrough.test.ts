import Anthropic from '@anthropic-ai/sdk';
import { deepStrictEqual, match, ok, rejects, strictEqual } from 'node:assert/strict';
import { createAnthropicGateway } from '../../src/adapter/anthropic-gateway';
import { createLedgerMeter } from '../../src/adapter/ledger-meter';
import type { AttemptMetrics } from '../../src/adapter/metrics';
import { startAdapterServer, type AdapterServer } from '../../src/adapter/server';
import type { Upstream } from '../../src/adapter/upstream';
import { createApp } from '../../src/app';
import { ConfigError, parseConfig } from '../../src/core/config';
import { PriceBook } from '../../src/core/pricing';
import { openMemoryLedger, type HostLedger } from '../../src/ledger/sqlite-ledger';
import {
  startScriptedAnthropicGateway,
  type AnthropicReply,
  type ScriptedAnthropicGateway,
} from '../support/scripted-anthropic-gateway';

// 1 µUSD per input token, 2 per output token, 0.5 per cached token.
const prices = new PriceBook({ 'gw-model': { input_mtok: 1, output_mtok: 2, cache_read_mtok: 0.5 } });
/** An Anthropic error body, and count_tokens' answer. */
type Answer = { type?: string; error: { type: string; message: string }; input_tokens: number };
const PLANTED = 'planted-configured-secret-0001';
/** The OpenAI upstream must not be asked in this mode. */
const noUpstream: Upstream = {
  complete: () => Promise.reject(new Error('the OpenAI upstream was called in pass-through mode')),
  stream: () => Promise.reject(new Error('the OpenAI upstream was called in pass-through mode')),
};

describe('adapter with USE_OPENAI_ADAPTER=0 (pass-through to a scripted Anthropic-compatible gateway)', () => {
  let stand: ScriptedAnthropicGateway;
  let ledger: HostLedger;
  let adapter: AdapterServer;
  let key: string;
  let lines: AttemptMetrics[];
  let refused: string[];

  async function start(script: AnthropicReply[], opts: { monthlyMicros?: number; countTokens?: number } = {}) {
    stand = await startScriptedAnthropicGateway({ script, apiKey: 'gw-key', countTokens: opts.countTokens });
    ledger = await openMemoryLedger({ caps: { monthlyMicros: opts.monthlyMicros ?? 1_000_000, dailyMicros: null } });
    await ledger.createJob({ id: 'job-1', kind: 'claude-code', model: 'gw-model', request: {}, status: 'running' });
    const meter = createLedgerMeter(ledger, prices);
    key = meter.register({ jobId: 'job-1', model: 'gw-model' });
    lines = [];
    refused = [];
    adapter = await startAdapterServer({
      meter,
      upstream: noUpstream,
      perJobTokenLimit: 1000,
      secrets: () => [PLANTED],
      anthropicGateway: createAnthropicGateway({ baseURL: stand.url, apiKey: 'gw-key' }),
      metrics: { record: (m) => void lines.push(m), flush: async () => {} },
      onBudgetExceeded: (_job, err) => void refused.push(err.message),
    });
  }
  afterEach(async () => {
    await adapter.close();
    await stand.close();
    await ledger.close();
  });

  const post = (
    body: object,
    headers: Record<string, string> = {},
    signal?: AbortSignal,
    path = '/v1/messages?beta=true',
  ) =>
    fetch(`${adapter.url}${path}`, {
      method: 'POST',
      signal,
      headers: { 'x-api-key': key, 'content-type': 'application/json', 'anthropic-version': '2023-06-01', ...headers },
      body: JSON.stringify(body),
    });
  const spent = async () => Math.round((await ledger.spendStats()).current_month * 1e6);
  /** Resolves once the call's settle has been written (the adapter settles right after the response ends). */
  const settled = async (n = 1) => {
    while (lines.filter((l) => l.status !== '').length < n || (await ledger.listReservations()).length > 0)
      await new Promise((r) => setImmediate(r));
  };
  const ask = {
    model: 'claude-sonnet-5',
    max_tokens: 4096,
    messages: [{ role: 'user', content: `Say hello. ${PLANTED}` }],
    metadata: { user_id: 'u1' },
    custom_field: { kept: true },
  };

  it('passes a non-streaming answer on byte for byte and settles usage × price in the ledger', async () => {
    await start([
      { text: 'Hello there', usage: { input_tokens: 100, output_tokens: 20, cache_read_input_tokens: 30 } },
    ]);
    const res = await post(ask, { 'anthropic-beta': 'tools-2024' });
    const bytes = Buffer.from(await res.arrayBuffer());
    strictEqual(res.status, 200);
    deepStrictEqual(bytes, Buffer.concat(stand.requests[0]!.sent));
    strictEqual(res.headers.get('request-id'), 'req_scripted');
    await settled();
    strictEqual(await spent(), 100 + 2 * 20 + 0.5 * 30);
    const got = stand.requests[0]!;
    // What the gateway got: the client's request but for the resolved model, the clamped max_tokens and the masked secret.
    deepStrictEqual(
      [got.path, got.body.model, got.body.max_tokens, got.body.custom_field, got.body.metadata],
      ['/v1/messages?beta=true', 'gw-model', 1000, { kept: true }, { user_id: 'u1' }],
    );
    ok(!got.raw.toString().includes(PLANTED), 'the configured secret was masked');
    deepStrictEqual(
      [got.headers['x-api-key'], got.headers['anthropic-version'], got.headers['anthropic-beta']],
      ['gw-key', '2023-06-01', 'tools-2024'],
    );
    deepStrictEqual(
      lines.map((l) => [l.job, l.model, l.status, l.usage, l.costMicros]),
      [['job-1', 'gw-model', 'ok', { input_tokens: 100, output_tokens: 20, cache_read_tokens: 30 }, 155]],
    );
  });

  it('passes a stream on byte for byte (a strict Anthropic SDK consumer rebuilds it) and settles message_start + message_delta usage', async () => {
    await start([
      { text: ['Hel', 'lo', ' there'], usage: { input_tokens: 50, output_tokens: 7 } },
      { text: ['Hi'], usage: { input_tokens: 60, output_tokens: 3 } },
    ]);
    const res = await post({ ...ask, stream: true });
    strictEqual(res.headers.get('content-type'), 'text/event-stream');
    deepStrictEqual(Buffer.from(await res.arrayBuffer()), Buffer.concat(stand.requests[0]!.sent));
    await settled();
    strictEqual(await spent(), 50 + 2 * 7);
    const client = new Anthropic({ baseURL: adapter.url, apiKey: key, maxRetries: 0 });
    const message = await client.messages
      .stream({ model: 'claude-sonnet-5', max_tokens: 100, messages: [{ role: 'user', content: 'hi' }] })
      .finalMessage();
    deepStrictEqual(
      [
        message.content.map((b) => b.type === 'text' && b.text),
        message.usage.input_tokens,
        message.usage.output_tokens,
      ],
      [['Hi'], 60, 3],
    );
    await settled(2);
    strictEqual(await spent(), 50 + 2 * 7 + 60 + 2 * 3);
  });

  it('refuses a call whose worst case passes the budget before anything is sent to the gateway', async () => {
    await start([{ text: 'never' }], { monthlyMicros: 1500 });
    const res = await post(ask); // worst case: the input bound + 1000 output tokens × 2 µUSD > 1500 µUSD
    const body = (await res.json()) as Answer;
    strictEqual(res.status, 400);
    match(body.error.message, /^Offload budget: /);
    deepStrictEqual(
      [stand.requests.length, await spent(), (await ledger.listReservations()).length, refused.length],
      [0, 0, 0, 1],
    );
  });

  it('aborts the gateway request when the client leaves mid-stream and settles the partial usage', async () => {
    await start([{ text: ['Hello', ' never sent'], usage: { input_tokens: 40, output_tokens: 9 }, hang: true }]);
    const client = new AbortController();
    const res = await post({ ...ask, stream: true }, {}, client.signal);
    const reader = res.body!.getReader();
    let text = '';
    while (!text.includes('text_delta')) text += new TextDecoder().decode((await reader.read()).value);
    client.abort();
    await settled();
    // message_start's input, and for output the larger of its count (1) and the bytes streamed ("Hello": 5).
    deepStrictEqual(
      lines.map((l) => [l.status, l.usage]),
      [['aborted', { input_tokens: 40, output_tokens: 5, cache_read_tokens: 0 }]],
    );
    strictEqual(await spent(), 40 + 2 * 5);
    while (!stand.requests[0]!.clientLeft) await new Promise((r) => setImmediate(r));
  });

  it('passes a gateway error on as it came (status, body, retry-after) and records it at zero cost', async () => {
    await start([{ error: { status: 429, type: 'rate_limit_error', message: 'slow down', retryAfterSeconds: 3 } }]);
    const res = await post(ask);
    deepStrictEqual(
      [res.status, res.headers.get('retry-after'), Buffer.from(await res.arrayBuffer())],
      [429, '3', Buffer.concat(stand.requests[0]!.sent)],
    );
    await settled();
    deepStrictEqual([lines.map((l) => [l.status, l.costMicros]), await spent()], [[['http_429', 0]], 0]);
  });

  it('settles an estimate that cannot undercount when the gateway reports no usage', async () => {
    await start([{ text: ['abc', 'def'], omitUsage: true }]);
    await (await post({ ...ask, stream: true })).arrayBuffer();
    await settled();
    const [line] = lines;
    strictEqual(line?.status, 'usage_missing');
    ok((line?.usage.input_tokens ?? 0) > 20, 'the input bound'); // the request's UTF-8 bytes and overheads
    strictEqual(line?.usage.output_tokens, 6);
  });

  it('rejects a request without max_tokens with Anthropic’s 400 before the gateway or the ledger sees it (the stand-in is as strict)', async () => {
    await start([]);
    const { max_tokens: _drop, ...noMax } = ask;
    const res = await post(noMax);
    const body = (await res.json()) as Answer;
    deepStrictEqual(
      [res.status, body.type, body.error.type, stand.requests.length],
      [400, 'error', 'invalid_request_error', 0],
    );
    const direct = await fetch(`${stand.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': 'gw-key', 'content-type': 'application/json' },
      body: JSON.stringify(noMax),
    });
    deepStrictEqual(
      [direct.status, await direct.json()],
      [400, { type: 'error', error: { type: 'invalid_request_error', message: 'max_tokens: Field required' } }],
    );
  });

  it('asks the gateway for count_tokens when it has the route, and counts itself when it has not', async () => {
    await start([], { countTokens: 42 });
    const counted = await post(
      { model: 'claude-sonnet-5', messages: [{ role: 'user', content: 'hi' }] },
      {},
      undefined,
      '/v1/messages/count_tokens',
    );
    deepStrictEqual(
      [counted.status, await counted.json(), stand.countRequests[0]?.body.model],
      [200, { input_tokens: 42 }, 'gw-model'],
    );
    await adapter.close();
    await stand.close();
    await ledger.close();
    await start([]);
    for (let i = 0; i < 2; i++) {
      const ours = await post(
        { model: 'claude-sonnet-5', messages: [{ role: 'user', content: 'hi' }] },
        {},
        undefined,
        '/v1/messages/count_tokens',
      );
      const body = (await ours.json()) as Answer;
      ok(ours.status === 200 && body.input_tokens > 0 && body.input_tokens !== 42, JSON.stringify(body));
    }
    strictEqual(stand.countRequests.length, 1, 'a gateway without the route is asked once');
    strictEqual(await spent(), 0);
  });
});

describe('createApp with USE_OPENAI_ADAPTER=0', () => {
  it('serves the adapter in pass-through mode with the gateway key, and gateway failures open the breaker before the next call goes out', async () => {
    const stand = await startScriptedAnthropicGateway({
      apiKey: 'gw-key',
      script: [
        { text: 'ok', usage: { input_tokens: 10, output_tokens: 2 } },
        { error: { status: 503, type: 'overloaded_error', message: 'busy' } },
        { error: { status: 503, type: 'overloaded_error', message: 'busy' } },
      ],
    });
    const ledger = await openMemoryLedger({ caps: { monthlyMicros: 1_000_000, dailyMicros: null } });
    const config = parseConfig({
      sandboxRoots: ['/tmp'],
      ledgerPath: '/nonexistent/ledger.sqlite',
      useOpenaiAdapter: false,
      anthropicBaseUrl: stand.url,
      openaiApiKey: 'gw-key',
      claudeModel: 'gw-model',
      priceOverrides: { 'gw-model': { input_mtok: 1, output_mtok: 2 } },
      breakerFailures: 2,
    });
    const app = await createApp(config, { env: {}, ledger, pollCosts: false });
    try {
      const { url } = await app.serveAdapterSession('session-key-0001', 0);
      const call = () =>
        fetch(`${url}/v1/messages`, {
          method: 'POST',
          headers: { 'x-api-key': 'session-key-0001', 'content-type': 'application/json' },
          body: JSON.stringify({
            model: 'claude-sonnet-5',
            max_tokens: 100,
            messages: [{ role: 'user', content: 'hi' }],
          }),
        });
      deepStrictEqual([(await call()).status, (await call()).status, (await call()).status], [200, 503, 503]);
      const refused = await call();
      strictEqual(refused.status, 400);
      match(((await refused.json()) as Answer).error.message, /^Offload budget: .*breaker/i);
      deepStrictEqual(
        [
          stand.requests.length,
          stand.requests[0]?.headers['x-api-key'],
          Math.round((await ledger.spendStats()).current_month * 1e6),
        ],
        [3, 'gw-key', 10 + 2 * 2],
      );
    } finally {
      await app.close();
      await stand.close();
    }
  });

  it('refuses to start without ANTHROPIC_BASE_URL, naming both (fail closed)', async () => {
    const config = parseConfig({
      sandboxRoots: ['/tmp'],
      ledgerPath: '/nonexistent/ledger.sqlite',
      useOpenaiAdapter: false,
    });
    await rejects(
      createApp(config, { env: {} }),
      (err: unknown) => err instanceof ConfigError && /USE_OPENAI_ADAPTER=0.*ANTHROPIC_BASE_URL/.test(err.message),
    );
  });
});
