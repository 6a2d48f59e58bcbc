import Anthropic, { AuthenticationError, BadRequestError, NotFoundError } from '@anthropic-ai/sdk';
import { deepStrictEqual, match, ok, rejects, strictEqual } from 'node:assert/strict';
import { request, ServerResponse } from 'node:http';
import { createLedgerMeter, type LedgerMeter } from '../../src/adapter/ledger-meter';
import { startAdapterServer, type AdapterServer } from '../../src/adapter/server';
import { createUpstream } from '../../src/adapter/upstream';
import { PriceBook } from '../../src/core/pricing';
import { openMemoryLedger, type HostLedger } from '../../src/ledger/sqlite-ledger';
import { startScriptedGateway, type ScriptedGateway } from '../support/scripted-gateway';

// 1 µUSD per input token, 2 per output token, 0.5 per cached token.
const prices = new PriceBook({ 'gw-model': { input_mtok: 1, output_mtok: 2, cache_read_mtok: 0.5 } });
const ask = {
  model: 'claude-sonnet-5',
  max_tokens: 32000,
  messages: [{ role: 'user' as const, content: 'Say hello' }],
};
/** Non-streaming calls: the SDK refuses max_tokens that could take over 10 minutes without streaming. */
const small = { ...ask, max_tokens: 1024 };
const readTool = {
  name: 'Read',
  description: 'Read a file',
  input_schema: { type: 'object' as const, properties: { file_path: { type: 'string' } } },
};

describe('adapter server (Anthropic SDK → adapter → scripted gateway)', () => {
  let gateway: ScriptedGateway;
  let ledger: HostLedger;
  let meter: LedgerMeter;
  let adapter: AdapterServer;
  let key: string;
  let sleeps: number[];
  let refused: Array<[string, string]>;
  const client = (apiKey = key) => new Anthropic({ baseURL: adapter.url, apiKey, maxRetries: 0 });

  async function start(monthlyMicros: number) {
    ledger = await openMemoryLedger({ caps: { monthlyMicros, dailyMicros: null } });
    await ledger.createJob({ id: 'job-1', kind: 'claude-code', model: 'gw-model', request: {}, status: 'running' });
    meter = createLedgerMeter(ledger, prices);
    key = meter.register({ jobId: 'job-1', model: 'gw-model' });
    adapter = await startAdapterServer({
      meter,
      upstream: createUpstream({
        primary: { baseURL: gateway.url, apiKey: 'gw-key' },
        sleep: async (ms) => void sleeps.push(ms),
      }),
      perJobTokenLimit: 8192,
      onBudgetExceeded: (jobId, err) => refused.push([jobId, err.message]),
    });
  }

  beforeEach(async () => {
    sleeps = [];
    refused = [];
    gateway = await startScriptedGateway({ script: [] });
    await start(1_000_000);
  });
  afterEach(async () => {
    await adapter.close();
    await gateway.close();
    await ledger.close();
  });

  it('streams a text answer under the requested model name and settles its real cost', async () => {
    gateway.setScript([
      { text: 'Hello there', usage: { prompt_tokens: 120, completion_tokens: 4, cached_tokens: 100 } },
    ]);
    const message = await client().messages.stream(ask).finalMessage();
    deepStrictEqual(
      [message.model, message.content, message.stop_reason],
      ['claude-sonnet-5', [{ type: 'text', text: 'Hello there' }], 'end_turn'],
    );
    deepStrictEqual(
      [message.usage.input_tokens, message.usage.output_tokens, message.usage.cache_read_input_tokens],
      [20, 4, 100],
    );
    const sent = gateway.requests[0]?.body;
    deepStrictEqual(
      [sent.model, sent.max_tokens, sent.stream, sent.stream_options],
      ['gw-model', 8192, true, { include_usage: true }],
    );
    const stats = await ledger.spendStats();
    deepStrictEqual([stats.current_month, stats.reservations_in_flight], [(20 + 100 * 0.5 + 4 * 2) / 1e6, 0]);
  });

  it("tells the job's onRequestBytes the byte length of each /v1/messages body, for the savings receipt", async () => {
    const bytes: number[] = [];
    const counted = meter.register({ jobId: 'job-1', model: 'gw-model', onRequestBytes: (n) => bytes.push(n) });
    gateway.setScript([{ text: 'a' }, { text: 'b' }]);
    const big = { ...small, messages: [{ role: 'user' as const, content: `Say hello ${'é'.repeat(2_000)}` }] };
    await client(counted).messages.create(small);
    await client(counted).messages.create(big);
    deepStrictEqual(bytes, [Buffer.byteLength(JSON.stringify(small)), Buffer.byteLength(JSON.stringify(big))]);
  });

  it('streams parallel tool calls as tool_use blocks the SDK parses', async () => {
    gateway.setScript([
      {
        tool_calls: [
          { name: 'Read', arguments: { file_path: 'a.ts' } },
          { name: 'Read', arguments: { file_path: 'b.ts' } },
        ],
      },
    ]);
    const message = await client()
      .messages.stream({ ...ask, tools: [readTool] })
      .finalMessage();
    strictEqual(message.stop_reason, 'tool_use');
    deepStrictEqual(
      message.content.map((b) => (b.type === 'tool_use' ? [b.name, b.input] : b.type)),
      [
        ['Read', { file_path: 'a.ts' }],
        ['Read', { file_path: 'b.ts' }],
      ],
    );
  });

  it('waits for the client to drain a response buffer that filled up, and delivers the whole answer', async () => {
    // A 300 kB tool input goes out as one input_json_delta, far past the response's 16 KiB high-water mark.
    const content = 'line of a generated file\n'.repeat(12_000);
    gateway.setScript([{ tool_calls: [{ name: 'Write', arguments: { file_path: 'big.txt', content } }] }]);
    let full = 0;
    const write = ServerResponse.prototype.write;
    ServerResponse.prototype.write = function (this: ServerResponse, ...args: Parameters<typeof write>) {
      const ok = write.apply(this, args);
      if (!ok) full++;
      return ok;
    } as typeof write;
    let message;
    try {
      message = await client()
        .messages.stream({ ...ask, tools: [{ ...readTool, name: 'Write' }] })
        .finalMessage();
    } finally {
      ServerResponse.prototype.write = write;
    }
    ok(full > 0, 'no write found the response buffer full');
    const block = message.content[0];
    deepStrictEqual(block?.type === 'tool_use' && block.input, { file_path: 'big.txt', content });
  });

  it('answers non-streaming requests, also on the ?beta=true path', async () => {
    gateway.setScript([{ text: 'plain' }, { text: 'beta' }]);
    const plain = await client().messages.create({ ...small, model: 'sonnet' });
    deepStrictEqual([plain.model, plain.content[0]?.type === 'text' && plain.content[0].text], ['sonnet', 'plain']);
    const beta = await client().beta.messages.create(small);
    strictEqual(beta.content[0]?.type === 'text' && beta.content[0].text, 'beta');
    strictEqual(gateway.requests[0]?.body.stream, undefined);
  });

  it('passes an upstream 404 to the streaming client as not_found_error, with nothing charged', async () => {
    gateway.setScript([{ error: { status: 404, message: 'model gw-model does not exist' } }]);
    await rejects(
      client().messages.stream(ask).finalMessage(),
      (e: unknown) => e instanceof NotFoundError && /does not exist/.test(e.message),
    );
    const stats = await ledger.spendStats();
    deepStrictEqual([stats.current_month, stats.reservations_in_flight, stats.by_model['gw-model']?.calls], [0, 0, 1]);
  });

  it('retries an upstream 429 after its Retry-After of 1 s, invisibly to the client', async () => {
    gateway.setScript([
      { error: { status: 429, message: 'rate limited', retryAfterSeconds: 1 } },
      { text: 'after retry' },
    ]);
    const message = await client().messages.stream(ask).finalMessage();
    deepStrictEqual(
      [message.content[0]?.type === 'text' && message.content[0].text, sleeps, gateway.requests.length],
      ['after retry', [1000], 2],
    );
  });

  it('rejects a wrong key with 401 authentication_error and calls no upstream', async () => {
    await rejects(client('not-a-key').messages.create(small), AuthenticationError);
    strictEqual(gateway.requests.length, 0);
  });

  it('accepts the key as a bearer token', async () => {
    gateway.setScript([{ text: 'bearer ok' }]);
    const bearer = new Anthropic({ baseURL: adapter.url, apiKey: null, authToken: key, maxRetries: 0 });
    strictEqual((await bearer.messages.create(small)).content.length, 1);
  });

  it('counts tokens locally for count_tokens', async () => {
    const small = await client().messages.countTokens({
      model: 'claude-sonnet-5',
      messages: [{ role: 'user', content: 'hi' }],
    });
    const big = await client().messages.countTokens({
      model: 'claude-sonnet-5',
      system: 'You are terse.',
      tools: [readTool],
      messages: [{ role: 'user', content: 'hi '.repeat(100) }],
    });
    ok(small.input_tokens > 0 && big.input_tokens > small.input_tokens + 100);
    strictEqual(gateway.requests.length, 0);
  });

  it('refuses a call past the budget with a 400 "Offload budget" the CLI shows, and reports it', async () => {
    await adapter.close();
    await ledger.close();
    await start(100);
    await rejects(
      client().messages.stream(ask).finalMessage(),
      (e: unknown) => e instanceof BadRequestError && /Offload budget: monthly budget exceeded/.test(e.message),
    );
    deepStrictEqual(
      refused.map(([job]) => job),
      ['job-1'],
    );
    match(refused[0]?.[1] ?? '', /needs up to/);
    strictEqual(gateway.requests.length, 0);
  });

  it('answers a bad request with 400 naming the field', async () => {
    const bad = { ...small, messages: [{ role: 'user', content: [{ type: 'text' }] }] } as unknown as typeof small;
    await rejects(
      client().messages.create(bad),
      (e: unknown) => e instanceof BadRequestError && /messages\.0\.content\.0\.text/.test(e.message),
    );
  });

  it('settles an estimate when the upstream stream breaks, and tells the client', async () => {
    gateway.setScript([
      { text: 'partial answer that is cut', dropAfterChunks: 2, usage: { prompt_tokens: 10, completion_tokens: 5 } },
    ]);
    await rejects(client().messages.stream(ask).finalMessage());
    const stats = await ledger.spendStats();
    const row = stats.by_model['gw-model'];
    strictEqual(stats.reservations_in_flight, 0);
    ok(row && row.calls === 1 && row.output_tokens > 0 && row.input_tokens > 10);
  });

  it('answers HEAD / and refuses a foreign Host header', async () => {
    strictEqual((await fetch(adapter.url, { method: 'HEAD' })).status, 200);
    const status = await new Promise<number>((resolve, reject) => {
      request(
        `${adapter.url}/v1/messages`,
        { method: 'POST', headers: { host: 'evil.example', 'x-api-key': key } },
        (res) => resolve(res.statusCode ?? 0),
      )
        .on('error', reject)
        .end('{}');
    });
    strictEqual(status, 403);
  });
});
