import assert from 'node:assert/strict';
import OpenAI from 'openai';
import { startScriptedGateway, type ScriptedGateway } from '../../support/scripted-gateway';

describe('scripted gateway (stand-in for the model provider)', () => {
  let gw: ScriptedGateway;
  let client: OpenAI;
  const start = async (script: Parameters<typeof startScriptedGateway>[0]['script'], apiKey?: string) => {
    gw = await startScriptedGateway({ script, apiKey });
    client = new OpenAI({ baseURL: gw.url, apiKey: apiKey ?? 'k', maxRetries: 0 });
  };
  afterEach(async () => gw?.close());

  it('answers a non-streaming completion with the scripted text and usage', async () => {
    await start([{ text: 'hello', usage: { prompt_tokens: 12, completion_tokens: 3, cached_tokens: 4 } }]);
    const r = await client.chat.completions.create({ model: 'm1', messages: [{ role: 'user', content: 'hi' }] });
    assert.equal(r.choices[0]?.message.content, 'hello');
    assert.equal(r.choices[0]?.finish_reason, 'stop');
    assert.equal(r.model, 'm1');
    assert.deepEqual(r.usage, {
      prompt_tokens: 12,
      completion_tokens: 3,
      total_tokens: 15,
      prompt_tokens_details: { cached_tokens: 4 },
    });
    assert.equal(gw.requests.length, 1);
    assert.equal(gw.requests[0]?.body.messages[0].content, 'hi');
    assert.deepEqual(gw.requests[0]?.reportedUsage, r.usage);
  });

  it('reports the documented default usage when the reply gives none', async () => {
    await start([{ text: 'abcdefghi' }]);
    const r = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    const bytes = Buffer.byteLength(JSON.stringify(gw.requests[0]?.body));
    assert.equal(r.usage?.prompt_tokens, Math.ceil(bytes / 4));
    assert.equal(r.usage?.completion_tokens, 3);
  });

  it('streams text and tool_calls that the openai client reassembles, with a final usage chunk', async () => {
    const args = {
      file_path: '/tmp/some/long/path/src/math.js',
      old_string: 'return a - b',
      new_string: 'return a + b',
    };
    await start([
      {
        text: 'Let me edit that file now.',
        tool_calls: [
          { id: 'call_A', name: 'Edit', arguments: args },
          { name: 'Bash', arguments: { command: 'npm test' } },
        ],
        usage: { prompt_tokens: 100, completion_tokens: 20 },
      },
    ]);
    const stream = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'fix' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const c of stream) chunks.push(c);
    const last = chunks.at(-1);
    assert.deepEqual(last?.choices, []);
    assert.equal(last?.usage?.prompt_tokens, 100);
    assert.ok(
      chunks.slice(0, -1).every((c) => !c.usage),
      'only the final chunk carries usage',
    );
    const calls: { id?: string; name: string; args: string }[] = [];
    let text = '';
    let finish: string | null = null;
    for (const c of chunks) {
      const ch = c.choices[0];
      if (!ch) continue;
      text += ch.delta.content ?? '';
      finish = ch.finish_reason ?? finish;
      for (const d of ch.delta.tool_calls ?? []) {
        calls[d.index] ??= { name: '', args: '' };
        const call = calls[d.index]!;
        if (d.id) call.id = d.id;
        call.name += d.function?.name ?? '';
        call.args += d.function?.arguments ?? '';
      }
    }
    assert.equal(text, 'Let me edit that file now.');
    assert.equal(finish, 'tool_calls');
    assert.equal(calls[0]?.id, 'call_A');
    assert.equal(calls[0]?.name, 'Edit');
    assert.deepEqual(JSON.parse(calls[0]!.args), args);
    assert.equal(calls[1]?.name, 'Bash');
    assert.match(calls[1]?.id ?? '', /^call_0_1$/);
  });

  it('streams through the openai helper that rebuilds the final message', async () => {
    await start([
      {
        tool_calls: [{ name: 'Read', arguments: { file_path: '/p/a.js' } }],
        usage: { prompt_tokens: 7, completion_tokens: 5 },
      },
    ]);
    const runner = client.chat.completions.stream({
      model: 'm',
      messages: [{ role: 'user', content: 'read' }],
      stream_options: { include_usage: true },
    });
    const final = await runner.finalChatCompletion();
    assert.equal(final.choices[0]?.message.tool_calls?.[0]?.type, 'function');
    const call = final.choices[0]?.message.tool_calls?.[0];
    assert.equal(call?.type === 'function' ? call.function.arguments : '', '{"file_path":"/p/a.js"}');
    assert.equal(final.usage?.completion_tokens, 5);
  });

  it('sends no usage chunk unless include_usage is asked for, and none at all with omitUsage', async () => {
    await start([
      { text: 'a', usage: { prompt_tokens: 1, completion_tokens: 1 } },
      { text: 'b', omitUsage: true },
    ]);
    const s1 = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    for await (const c of s1) assert.equal(c.usage, undefined);
    const s2 = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    for await (const c of s2) assert.equal(c.usage, undefined);
    assert.equal(gw.requests[0]?.reportedUsage, null);
    assert.equal(gw.requests[1]?.reportedUsage, null);
  });

  it('puts usage on every chunk when usageOnEveryChunk is set', async () => {
    await start([{ text: 'abc', usageOnEveryChunk: true, usage: { prompt_tokens: 2, completion_tokens: 1 } }]);
    const s = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
      stream_options: { include_usage: true },
    });
    const chunks = [];
    for await (const c of s) chunks.push(c);
    assert.ok(chunks.length >= 3);
    assert.ok(chunks.every((c) => c.usage?.total_tokens === 3 && c.choices.length === 1));
  });

  it('surfaces a 429 in OpenAI error shape with Retry-After, without retrying when maxRetries is 0', async () => {
    await start([
      { error: { status: 429, message: 'slow down', retryAfterSeconds: 7, retryAfterMs: 7000 } },
      { text: 'never' },
    ]);
    const err = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.RateLimitError);
    assert.equal(err.status, 429);
    assert.equal(err.headers?.get('retry-after'), '7');
    assert.equal(err.headers?.get('retry-after-ms'), '7000');
    assert.match(err.message, /slow down/);
    assert.equal(err.code, 'rate_limit_exceeded');
    assert.equal(gw.requests.length, 1);
  });

  it('answers 500 "script exhausted" past the end of an array script', async () => {
    await start([]);
    const err = await client.chat.completions
      .create({ model: 'm', messages: [{ role: 'user', content: 'x' }] })
      .catch((e: unknown) => e);
    assert.ok(err instanceof OpenAI.InternalServerError);
    assert.match(err.message, /script exhausted/);
  });

  it('drops the connection mid-stream after N chunks', async () => {
    await start([{ text: 'a long answer that spans several chunks', dropAfterChunks: 2 }]);
    const s = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    let seen = 0;
    await assert.rejects(async () => {
      for await (const _ of s) seen++;
    });
    assert.equal(seen, 2);
  });

  it('sends a malformed SSE line that a strict client rejects', async () => {
    await start([{ text: 'abc', malformed: true }]);
    const s = await client.chat.completions.create({
      model: 'm',
      messages: [{ role: 'user', content: 'x' }],
      stream: true,
    });
    await assert.rejects(async () => {
      for await (const _ of s) {
        /* drain */
      }
    });
  });

  it('requires the bearer key when one is set, and lists models', async () => {
    await start([{ text: 'ok' }], 'secret');
    const models = await client.models.list();
    assert.deepEqual(
      models.data.map((m) => m.id),
      ['scripted-model'],
    );
    const bad = new OpenAI({ baseURL: gw.url, apiKey: 'wrong', maxRetries: 0 });
    await assert.rejects(
      bad.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] }),
      OpenAI.AuthenticationError,
    );
  });

  it('passes each request and its index to a script function, and setScript swaps it', async () => {
    await start((req, i) => ({ text: `${i}:${req.body.messages.length}` }));
    const a = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(a.choices[0]?.message.content, '0:1');
    gw.setScript([{ text: 'swapped' }]);
    const b = await client.chat.completions.create({ model: 'm', messages: [{ role: 'user', content: 'x' }] });
    assert.equal(b.choices[0]?.message.content, 'swapped', 'a new script plays from its own start');
    assert.equal(gw.requests.length, 2);
  });
});
