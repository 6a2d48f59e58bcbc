import Anthropic, { APIError, InternalServerError } from '@anthropic-ai/sdk';
import { deepStrictEqual, match, ok, rejects, strictEqual } from 'node:assert/strict';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { createLedgerMeter } from '../../src/adapter/ledger-meter';
import type { AttemptMetrics, MetricsSink } from '../../src/adapter/metrics';
import { startAdapterServer, type AdapterServer } from '../../src/adapter/server';
import { createUpstream, type Upstream } from '../../src/adapter/upstream';
import { PriceBook } from '../../src/core/pricing';
import { openMemoryLedger, type HostLedger } from '../../src/ledger/sqlite-ledger';
import { startScriptedGateway, type ScriptedGateway } from '../support/scripted-gateway';

// 1 µUSD per input token, 2 per output token: costs below read as token counts.
const prices = new PriceBook({ 'gw-model': { input_mtok: 1, output_mtok: 2 } });
const ask = {
  model: 'claude-sonnet-5',
  max_tokens: 4096,
  messages: [{ role: 'user' as const, content: 'Fix the test' }],
};
const editTool = {
  name: 'Edit',
  description: 'Edit a file',
  input_schema: {
    type: 'object' as const,
    properties: { file_path: { type: 'string' }, old_string: { type: 'string' }, new_string: { type: 'string' } },
  },
};

/** A MetricsSink that keeps the records (WORKER_METRICS_FILE lines before serialisation). */
function memoryMetrics(): MetricsSink & { records: AttemptMetrics[] } {
  const records: AttemptMetrics[] = [];
  return { records, record: (m) => void records.push(m), flush: async () => {} };
}

describe('adapter fault injection (scripted gateway; Anthropic SDK as the strict consumer)', () => {
  let primary: ScriptedGateway;
  let fallback: ScriptedGateway;
  let ledger: HostLedger;
  let adapter: AdapterServer;
  let metrics: ReturnType<typeof memoryMetrics>;
  let sleeps: number[];
  let key: string;
  const client = () => new Anthropic({ baseURL: adapter.url, apiKey: key, maxRetries: 0 });

  async function start(upstream: Upstream, extra: { pingIntervalMs?: number } = {}) {
    const meter = createLedgerMeter(ledger, prices);
    key = meter.register({ jobId: 'job-f', model: 'gw-model' });
    adapter = await startAdapterServer({ meter, upstream, perJobTokenLimit: 8192, metrics, ...extra });
  }
  const scripted = (withFallback = false) =>
    createUpstream({
      primary: { baseURL: primary.url, apiKey: 'p' },
      fallback: withFallback ? { baseURL: fallback.url, apiKey: 'f' } : undefined,
      sleep: async (ms) => void sleeps.push(ms),
    });
  const row = async () => (await ledger.spendStats()).by_model['gw-model'];
  const statuses = () => metrics.records.map((m) => `${m.route}:${m.status}`);

  beforeEach(async () => {
    sleeps = [];
    metrics = memoryMetrics();
    primary = await startScriptedGateway({ script: [] });
    fallback = await startScriptedGateway({ script: [{ text: 'from the fallback' }] });
    ledger = await openMemoryLedger({ caps: { monthlyMicros: 10_000_000, dailyMicros: null } });
    await ledger.createJob({ id: 'job-f', kind: 'claude-code', model: 'gw-model', request: {}, status: 'running' });
  });
  afterEach(async () => {
    await adapter?.close();
    await primary.close();
    await fallback.close();
    await ledger.close();
  });

  it('429 with Retry-After 1 s: waits 1 s, retries, succeeds; both attempts in the metrics, one billed call', async () => {
    primary.setScript([
      { error: { status: 429, message: 'rate limited', retryAfterSeconds: 1 } },
      { text: 'done', usage: { prompt_tokens: 50, completion_tokens: 5 } },
    ]);
    await start(scripted(true));
    const m = await client().messages.stream(ask).finalMessage();
    deepStrictEqual(
      [m.content[0]?.type === 'text' && m.content[0].text, sleeps, primary.requests.length, fallback.requests.length],
      ['done', [1000], 2, 0],
    );
    deepStrictEqual(statuses(), ['primary:http_429', 'primary:ok']);
    deepStrictEqual([metrics.records[1]?.costMicros, (await row())?.calls, (await row())?.cost_usd], [60, 1, 60 / 1e6]);
  });

  it('429 with Retry-After 1800 s: goes to the fallback at once, no wait', async () => {
    primary.setScript([{ error: { status: 429, message: 'quota exhausted', retryAfterSeconds: 1800 } }]);
    await start(scripted(true));
    const m = await client().messages.stream(ask).finalMessage();
    deepStrictEqual(
      [
        m.content[0]?.type === 'text' && m.content[0].text,
        m.model,
        sleeps,
        primary.requests.length,
        fallback.requests.length,
      ],
      ['from the fallback', 'claude-sonnet-5', [], 1, 1],
    );
    deepStrictEqual(statuses(), ['primary:http_429', 'fallback:ok']);
  });

  it('429 with Retry-After 1800 s and no fallback: the client gets the 429 and its retry-after at once', async () => {
    primary.setScript([{ error: { status: 429, message: 'quota exhausted', retryAfterSeconds: 1800 } }]);
    await start(scripted(false));
    await rejects(
      client().messages.stream(ask).finalMessage(),
      (e: unknown) => e instanceof APIError && e.status === 429 && e.headers?.get('retry-after') === '1800',
    );
    deepStrictEqual([sleeps, statuses(), (await row())?.cost_usd], [[], ['primary:http_429'], 0]);
  });

  it('500: retried with backoff, then served', async () => {
    primary.setScript([
      { error: { status: 500, message: 'boom' } },
      { error: { status: 500, message: 'boom' } },
      { text: 'third time' },
    ]);
    await start(scripted(false));
    const m = await client().messages.create({ ...ask, max_tokens: 1024 });
    deepStrictEqual([m.content[0]?.type === 'text' && m.content[0].text, sleeps], ['third time', [500, 1000]]);
    deepStrictEqual(statuses(), ['primary:http_500', 'primary:http_500', 'primary:ok']);
  });

  it('500 every time: the client gets an api_error 500, nothing charged, every attempt recorded', async () => {
    primary.setScript(() => ({ error: { status: 500, message: 'down' } }));
    await start(scripted(false));
    await rejects(client().messages.stream(ask).finalMessage(), InternalServerError);
    deepStrictEqual(
      [statuses(), (await row())?.calls, (await row())?.cost_usd],
      [['primary:http_500', 'primary:http_500', 'primary:http_500'], 1, 0],
    );
  });

  it('connection dropped mid-stream: an Anthropic error event, and the partial output billed', async () => {
    primary.setScript([{ text: 'I will fix the test by editing src/math.js now', dropAfterChunks: 3 }]);
    await start(scripted(false));
    const stream = client().messages.stream(ask);
    const texts: string[] = [];
    stream.on('text', (t) => texts.push(t));
    await rejects(
      stream.finalMessage(),
      (e: unknown) => e instanceof APIError && /upstream stream failed/.test(e.message),
    );
    ok(
      texts.join('').length > 0 && 'I will fix the test by editing src/math.js now'.startsWith(texts.join('')),
      'a prefix of the text reached the client before the drop',
    );
    const r = await row();
    const [line] = metrics.records;
    ok(
      line && line.status !== 'ok' && line.usage.output_tokens >= Buffer.byteLength(texts.join('')),
      JSON.stringify(line),
    );
    ok(r && r.calls === 1 && r.output_tokens > 0 && r.input_tokens > 0 && r.cost_usd > 0);
    strictEqual((await ledger.spendStats()).reservations_in_flight, 0);
  });

  it('malformed SSE: an Anthropic error event, billed the estimate, status recorded', async () => {
    primary.setScript([{ text: 'hello world', malformed: true }]);
    await start(scripted(false));
    await rejects(
      client().messages.stream(ask).finalMessage(),
      (e: unknown) => e instanceof APIError && /upstream stream failed/.test(e.message),
    );
    const [line] = metrics.records;
    strictEqual(line?.status, 'stream_error');
    ok((line?.usage.input_tokens ?? 0) > 0 && (line?.costMicros ?? 0) > 0);
  });

  it('malformed JSON body (non-streaming): 502 api_error, call recorded', async () => {
    primary.setScript([{ text: 'x', malformed: true }]);
    await start(scripted(false));
    await rejects(
      client().messages.create({ ...ask, max_tokens: 1024 }),
      (e: unknown) => e instanceof APIError && (e.status ?? 0) >= 500,
    );
    strictEqual(metrics.records.length, 1);
  });

  it('usage missing (streaming): the client sees zeros, the ledger bills the bound estimate with status usage_missing', async () => {
    primary.setScript([{ text: 'no usage here', omitUsage: true }]);
    await start(scripted(false));
    const m = await client().messages.stream(ask).finalMessage();
    deepStrictEqual([m.usage.input_tokens, m.usage.output_tokens], [0, 0]);
    const [line] = metrics.records;
    deepStrictEqual([line?.status, line?.usage.output_tokens], ['usage_missing', Buffer.byteLength('no usage here')]);
    ok((line?.usage.input_tokens ?? 0) >= Buffer.byteLength('Fix the test'));
    strictEqual(
      (await row())?.cost_usd,
      ((line?.usage.input_tokens ?? 0) + 2 * Buffer.byteLength('no usage here')) / 1e6,
    );
  });

  it('usage missing (non-streaming): billed the estimate too, never zero', async () => {
    primary.setScript([{ text: 'no usage', omitUsage: true }]);
    await start(scripted(false));
    const m = await client().messages.create({ ...ask, max_tokens: 1024 });
    strictEqual(m.usage.input_tokens, 0);
    deepStrictEqual([metrics.records[0]?.status, metrics.records[0]?.usage.output_tokens], ['usage_missing', 8]);
    ok(((await row())?.cost_usd ?? 0) > 0);
  });

  it('usage on every chunk: no tool argument lost, the last usage billed once', async () => {
    const args = { file_path: 'src/math.js', old_string: 'return a - b;', new_string: 'return a + b;' };
    primary.setScript([
      {
        reasoning: 'Swap the operator.',
        tool_calls: [{ name: 'Edit', arguments: args }],
        usageOnEveryChunk: true,
        usage: { prompt_tokens: 300, completion_tokens: 30 },
      },
    ]);
    await start(scripted(false));
    const m = await client()
      .messages.stream({ ...ask, tools: [editTool] })
      .finalMessage();
    deepStrictEqual(
      m.content.map((b) => b.type),
      ['thinking', 'tool_use'],
    );
    deepStrictEqual(m.content[1]?.type === 'tool_use' && m.content[1].input, args);
    deepStrictEqual([m.stop_reason, m.usage.input_tokens, m.usage.output_tokens], ['tool_use', 300, 30]);
    deepStrictEqual([(await row())?.calls, (await row())?.cost_usd], [1, (300 + 60) / 1e6]);
  });

  it('sends ping events while the upstream is silent, and the SDK still rebuilds the message', async () => {
    const chunk = (delta: object, finish: string | null = null): ChatCompletionChunk =>
      ({
        id: 'c',
        object: 'chat.completion.chunk',
        created: 0,
        model: 'gw-model',
        choices: [{ index: 0, delta, finish_reason: finish, logprobs: null }],
      }) as ChatCompletionChunk;
    const slow: Upstream = {
      complete: () => Promise.reject(new Error('not used')),
      async stream() {
        async function* chunks(): AsyncGenerator<ChatCompletionChunk> {
          yield chunk({ content: 'thinking hard' });
          await new Promise((r) => setTimeout(r, 200));
          yield chunk({}, 'stop');
          yield { ...chunk({}), choices: [], usage: { prompt_tokens: 10, completion_tokens: 3, total_tokens: 13 } };
        }
        return { stream: chunks(), route: 'primary', model: 'gw-model' };
      },
    };
    await start(slow, { pingIntervalMs: 40 });
    const res = await fetch(`${adapter.url}/v1/messages`, {
      method: 'POST',
      headers: { 'x-api-key': key, 'content-type': 'application/json' },
      body: JSON.stringify({ ...ask, stream: true }),
    });
    const text = await res.text();
    const events = [...text.matchAll(/^event: (\w+)$/gm)].map((e) => e[1]);
    ok(events.filter((e) => e === 'ping').length >= 2, events.join(','));
    strictEqual(events[0], 'message_start');
    strictEqual(events.at(-1), 'message_stop');
    match(text, /event: ping\ndata: \{"type":"ping"\}\n\n/);
    const m = await client().messages.stream(ask).finalMessage();
    deepStrictEqual(m.content[0]?.type === 'text' && m.content[0].text, 'thinking hard');
  });
});
