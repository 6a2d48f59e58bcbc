import assert from 'node:assert/strict';
import OpenAI from 'openai';
import {
  CACHE_DEPTH,
  commonPrefixBytes,
  prefixCachedTokens,
  promptKey,
  rememberPrompt,
} from '../../support/prefix-cache';
import { startScriptedGateway, type ScriptedGateway } from '../../support/scripted-gateway';

describe('scripted gateway prefix-cache accounting (stand-in for the model provider)', () => {
  let gw: ScriptedGateway;
  afterEach(async () => gw?.close());

  it('counts the common prefix in UTF-8 bytes', () => {
    assert.equal(commonPrefixBytes('abcd', 'abXd'), 2);
    assert.equal(commonPrefixBytes('é1', 'é2'), 2);
    assert.equal(commonPrefixBytes('', 'abc'), 0);
    assert.equal(prefixCachedTokens([], 'abcdefgh', 10), 0);
    assert.equal(prefixCachedTokens(['abcdefgh'], 'abcdefgh', 10), 2);
    assert.equal(prefixCachedTokens(['abcdefgh'], 'abcdefgh', 1), 1);
    assert.equal(prefixCachedTokens(['abcdefgh', 'zz'], 'abcdefgh', 10), 2, 'the best of the recent prompts');
    const history: string[] = [];
    for (let i = 0; i < CACHE_DEPTH + 1; i++) rememberPrompt(history, String(i));
    assert.equal(history.length, CACHE_DEPTH);
    assert.equal(history[0], '1');
  });

  it('reports the common prefix with the key’s recent requests as cached_tokens, per API key', async () => {
    gw = await startScriptedGateway({ script: () => ({ text: 'ok' }), prefixCache: true });
    const a = new OpenAI({ baseURL: gw.url, apiKey: 'key-a', maxRetries: 0 });
    const b = new OpenAI({ baseURL: gw.url, apiKey: 'key-b', maxRetries: 0 });
    const first: OpenAI.ChatCompletionMessageParam[] = [
      { role: 'system', content: 'S'.repeat(400) },
      { role: 'user', content: 'first question' },
    ];
    const r1 = await a.chat.completions.create({ model: 'm', messages: first });
    assert.equal(r1.usage?.prompt_tokens_details?.cached_tokens, 0);
    const second = [
      ...first,
      { role: 'assistant' as const, content: 'ok' },
      { role: 'user' as const, content: 'next' },
    ];
    const r2 = await a.chat.completions.create({ model: 'm', messages: second });
    const shared = commonPrefixBytes(promptKey({ messages: first }), promptKey({ messages: second }));
    assert.ok(shared > 400);
    assert.equal(r2.usage?.prompt_tokens_details?.cached_tokens, Math.floor(shared / 4));
    // Another key has its own history: its first request is uncached.
    const r3 = await b.chat.completions.create({ model: 'm', messages: second });
    assert.equal(r3.usage?.prompt_tokens_details?.cached_tokens, 0);
    // A changed system prompt breaks the prefix near its start.
    const r4 = await a.chat.completions.create({
      model: 'm',
      messages: [{ role: 'system', content: 'T' + 'S'.repeat(399) }, ...second.slice(1)],
    });
    assert.ok((r4.usage?.prompt_tokens_details?.cached_tokens ?? -1) < 10);
  });

  it('leaves a scripted cached_tokens and the default (off) alone', async () => {
    gw = await startScriptedGateway({
      script: [{ text: 'a' }, { text: 'b', usage: { prompt_tokens: 50, completion_tokens: 1, cached_tokens: 7 } }],
      prefixCache: true,
    });
    const c = new OpenAI({ baseURL: gw.url, apiKey: 'k', maxRetries: 0 });
    const messages: OpenAI.ChatCompletionMessageParam[] = [{ role: 'user', content: 'x'.repeat(200) }];
    await c.chat.completions.create({ model: 'm', messages });
    const r = await c.chat.completions.create({ model: 'm', messages });
    assert.equal(r.usage?.prompt_tokens_details?.cached_tokens, 7);
    await gw.close();
    gw = await startScriptedGateway({ script: () => ({ text: 'a' }) });
    const d = new OpenAI({ baseURL: gw.url, apiKey: 'k', maxRetries: 0 });
    await d.chat.completions.create({ model: 'm', messages });
    const off = await d.chat.completions.create({ model: 'm', messages });
    assert.equal(off.usage?.prompt_tokens_details?.cached_tokens, 0);
  });
});
