import { deepStrictEqual, match, strictEqual } from 'node:assert/strict';
import { APIUserAbortError } from 'openai';
import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { startAdapterServer, type AdapterServer } from '../../src/adapter/server';
import type { Upstream } from '../../src/adapter/upstream';
import { recordingMeter } from '../support/recording-meter';

/** An upstream that streams one text chunk, then hangs until its signal aborts (a slow model). */
function hangingUpstream(seen: { signal?: AbortSignal }): Upstream {
  return {
    complete: () => Promise.reject(new Error('not used')),
    async stream(_params, signal) {
      seen.signal = signal;
      async function* chunks(): AsyncGenerator<ChatCompletionChunk> {
        yield {
          id: 'c',
          object: 'chat.completion.chunk',
          created: 0,
          model: 'gw',
          choices: [{ index: 0, delta: { content: 'Hello' }, finish_reason: null }],
        };
        await new Promise((_, reject) =>
          signal?.addEventListener('abort', () => reject(new APIUserAbortError()), { once: true }),
        );
      }
      return { stream: chunks(), route: 'primary', model: 'gw' };
    },
  };
}

/** Starts a streaming request and resolves with its body reader once the first text delta arrived. */
async function startStream(adapter: AdapterServer, abort: AbortSignal) {
  const res = await fetch(`${adapter.url}/v1/messages`, {
    method: 'POST',
    signal: abort,
    headers: { 'x-api-key': 'k', 'content-type': 'application/json' },
    body: JSON.stringify({
      model: 'claude-sonnet-5',
      max_tokens: 100,
      stream: true,
      messages: [{ role: 'user', content: 'hi' }],
    }),
  });
  const reader = res.body!.getReader();
  let text = '';
  while (!text.includes('text_delta')) text += new TextDecoder().decode((await reader.read()).value);
  return { reader, text };
}

describe('adapter server aborts', () => {
  let adapter: AdapterServer;
  afterEach(() => adapter.close());

  it('aborts the upstream when the client disconnects mid-stream and settles an estimate', async () => {
    const seen: { signal?: AbortSignal } = {};
    const m = recordingMeter({ jobId: 'j', model: 'gw' }, 'k');
    adapter = await startAdapterServer({ meter: m.meter, upstream: hangingUpstream(seen), perJobTokenLimit: 1000 });
    const client = new AbortController();
    await startStream(adapter, client.signal);
    client.abort();
    const { usage, status } = await m.settled;
    deepStrictEqual(
      [status, usage],
      ['aborted', { input_tokens: m.specs[0]?.inputTokensBound, output_tokens: 5, cache_read_tokens: 0 }],
    );
    strictEqual(seen.signal?.aborted, true);
    deepStrictEqual(m.calls, ['reserve', 'settle']);
  });

  it('aborts the upstream when the job is cancelled and ends the stream with an error event', async () => {
    const seen: { signal?: AbortSignal } = {};
    const job = new AbortController();
    const m = recordingMeter({ jobId: 'j', model: 'gw', signal: job.signal }, 'k');
    adapter = await startAdapterServer({ meter: m.meter, upstream: hangingUpstream(seen), perJobTokenLimit: 1000 });
    const { reader, text } = await startStream(adapter, new AbortController().signal);
    job.abort();
    let rest = text;
    for (let r = await reader.read(); !r.done; r = await reader.read()) rest += new TextDecoder().decode(r.value);
    match(
      rest,
      /event: error\ndata: \{"type":"error","error":\{"type":"api_error","message":"Offload: the request was cancelled"\}\}/,
    );
    strictEqual((await m.settled).status, 'aborted');
    strictEqual(seen.signal?.aborted, true);
  });
});
