import { deepStrictEqual, rejects, strictEqual } from 'node:assert/strict';
import { APIUserAbortError, BadRequestError, RateLimitError } from 'openai';
import { createUpstream, type UpstreamOptions } from '../../src/adapter/upstream';
import { startScriptedGateway, type ScriptedGateway } from '../support/scripted-gateway';

const params = { model: 'deepseek-chat', messages: [{ role: 'user' as const, content: 'hi' }], max_tokens: 10 };

describe('createUpstream (against scripted gateways)', () => {
  let primary: ScriptedGateway;
  let fallback: ScriptedGateway;
  let sleeps: number[];
  const upstream = (extra: Partial<UpstreamOptions> = {}) =>
    createUpstream({
      primary: { baseURL: primary.url, apiKey: 'p' },
      fallback: { baseURL: fallback.url, apiKey: 'f' },
      sleep: async (ms) => void sleeps.push(ms),
      ...extra,
    });

  beforeEach(async () => {
    sleeps = [];
    primary = await startScriptedGateway({ script: [] });
    fallback = await startScriptedGateway({ script: [{ text: 'from fallback' }] });
  });
  afterEach(async () => {
    await primary.close();
    await fallback.close();
  });

  it('retries a 429 after its Retry-After of 1 s and is served by the primary', async () => {
    primary.setScript([{ error: { status: 429, message: 'slow down', retryAfterSeconds: 1 } }, { text: 'ok' }]);
    const r = await upstream().complete(params);
    deepStrictEqual(
      [r.completion.choices[0]?.message.content, r.route, sleeps, primary.requests.length],
      ['ok', 'primary', [1000], 2],
    );
  });

  it('goes to the fallback at once when Retry-After exceeds the cap', async () => {
    primary.setScript([{ error: { status: 429, message: 'quota', retryAfterSeconds: 60 } }]);
    const r = await upstream().complete(params);
    deepStrictEqual([r.route, sleeps, primary.requests.length, fallback.requests.length], ['fallback', [], 1, 1]);
  });

  it('returns the 429 when Retry-After exceeds the cap and there is no fallback', async () => {
    primary.setScript([{ error: { status: 429, message: 'quota', retryAfterSeconds: 60 } }]);
    await rejects(upstream({ fallback: undefined }).complete(params), RateLimitError);
    strictEqual(primary.requests.length, 1);
  });

  it('falls back after the primary fails three times with 5xx, backing off in between', async () => {
    primary.setScript(() => ({ error: { status: 503, message: 'down' } }));
    const r = await upstream().complete(params);
    deepStrictEqual(
      [r.route, r.completion.choices[0]?.message.content, sleeps, primary.requests.length],
      ['fallback', 'from fallback', [500, 1000], 3],
    );
  });

  it('returns a 400 at once, without retry or fallback', async () => {
    primary.setScript([{ error: { status: 400, message: 'bad field' } }]);
    await rejects(upstream().complete(params), BadRequestError);
    deepStrictEqual([primary.requests.length, fallback.requests.length], [1, 0]);
  });

  it('sends nothing when the signal is already aborted', async () => {
    const c = new AbortController();
    c.abort();
    await rejects(upstream().complete(params, c.signal), APIUserAbortError);
    strictEqual(primary.requests.length, 0);
  });

  it('streams chunks with the trailing usage', async () => {
    primary.setScript([{ text: 'streamed', usage: { prompt_tokens: 7, completion_tokens: 2 } }]);
    const { stream, route } = await upstream().stream({
      ...params,
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    strictEqual(route, 'primary');
    strictEqual(chunks.map((c) => c.choices[0]?.delta.content ?? '').join(''), 'streamed');
    deepStrictEqual(chunks.at(-1)?.usage?.prompt_tokens, 7);
  });
});
