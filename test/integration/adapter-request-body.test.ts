import { deepStrictEqual, ok, strictEqual } from 'node:assert/strict';
import { request } from 'node:http';
import type { AnthropicRequest } from '../../src/adapter/anthropic-schema';
import { startAdapterServer, type AdapterServer } from '../../src/adapter/server';
import { translateRequest } from '../../src/adapter/translate-request';
import { createUpstream } from '../../src/adapter/upstream';
import { promptTokensUpperBound } from '../../src/core/token-bound';
import { recordingMeter } from '../support/recording-meter';
import { startScriptedGateway, type ScriptedGateway } from '../support/scripted-gateway';

// Long (Claude Code's system prompt, tool descriptions and file contents are 1–100 KiB strings), and full of what escaping must get right.
const TRICKY = 'line 1\n\t"quoted" \\ back\\slash / ünïcode ✓ emoji 😀 \u0001 nul\u0000 line-sep \u2028 '.repeat(12);

/** A Claude Code-shaped request whose long strings sit everywhere the translation moves or reads them. */
function bigRequest(stream: boolean): AnthropicRequest {
  return {
    model: 'claude-sonnet-5',
    max_tokens: 4096,
    stream,
    system: [
      { type: 'text', text: 'x-anthropic-billing-header: cc_version=2.1.197.abc; cc_entrypoint=cli;' },
      { type: 'text', text: `System ${TRICKY}` },
    ],
    tools: [
      {
        name: 'Write',
        description: `Writes a file. ${TRICKY}`,
        input_schema: {
          $schema: 'https://json-schema.org/draft/2020-12/schema',
          type: 'object',
          properties: { content: { type: 'string', description: TRICKY } },
        },
      },
    ],
    stop_sequences: [`STOP ${TRICKY}`.slice(0, 600)],
    messages: [
      {
        role: 'user',
        content: [
          { type: 'text', text: `Task ${TRICKY}` },
          { type: 'image', source: { type: 'base64', media_type: 'image/png', data: 'iVBORw0KGgo'.repeat(80) } },
        ],
      },
      {
        role: 'assistant',
        content: [
          { type: 'thinking', thinking: `Thinking ${TRICKY}`, signature: 's' },
          { type: 'text', text: 'Writing.' },
          { type: 'tool_use', id: 'toolu_1', name: 'Write', input: { file_path: '/r/a.ts', content: TRICKY } },
        ],
      },
      {
        role: 'user',
        content: [
          {
            type: 'tool_result',
            tool_use_id: 'toolu_1',
            is_error: true,
            content: [
              { type: 'text', text: `Result ${TRICKY}` },
              { type: 'text', text: 'second' },
            ],
          },
        ],
      },
      { role: 'system', content: `Mid-conversation ${TRICKY}` },
      { role: 'user', content: `Continue ${TRICKY}` },
    ],
  } as AnthropicRequest;
}

function post(url: string, key: string, body: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      `${url}/v1/messages`,
      { method: 'POST', headers: { 'x-api-key': key, 'content-type': 'application/json' } },
      (res) => {
        const parts: Buffer[] = [];
        res.on('data', (d: Buffer) => parts.push(d));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(parts).toString('utf8') }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('adapter request bodies (long strings, escapes, limits, redaction)', () => {
  let gateway: ScriptedGateway;
  let adapter: AdapterServer;
  let recording: ReturnType<typeof recordingMeter>;

  beforeEach(async () => {
    gateway = await startScriptedGateway({ script: [] });
    const job = { jobId: 'job-1', model: 'gw-model' };
    recording = recordingMeter(job, 'key');
    const meter = recording.meter;
    adapter = await startAdapterServer({
      meter,
      upstream: createUpstream({ primary: { baseURL: gateway.url, apiKey: 'gw' } }),
      perJobTokenLimit: 8192,
      maxBodyBytes: 64 * 1024,
    });
  });
  afterEach(async () => {
    await adapter.close();
    await gateway.close();
  });

  for (const stream of [false, true]) {
    it(`sends upstream exactly what translating the fully parsed request gives (${stream ? 'streaming' : 'non-streaming'})`, async () => {
      gateway.setScript([{ text: 'ok' }]);
      const req = bigRequest(stream);
      const res = await post(adapter.url, 'key', JSON.stringify(req));
      strictEqual(res.status, 200, res.text);
      const expected = translateRequest(req, { gatewayModel: 'gw-model', perJobTokenLimit: 8192 }).params;
      deepStrictEqual(gateway.requests[0]?.body, JSON.parse(JSON.stringify(expected)));
      // The reservation's input bound covers every byte of the long strings.
      ok(
        (recording.specs[0]?.inputTokensBound ?? 0) >= promptTokensUpperBound(expected),
        `bound ${recording.specs[0]?.inputTokensBound} ≥ ${promptTokensUpperBound(expected)}`,
      );
    });
  }

  it('answers a body with a raw control character inside a long string as the usual invalid JSON', async () => {
    const body = JSON.stringify(bigRequest(false)).replace('Continue ', 'Continue \t');
    const res = await post(adapter.url, 'key', body.replace('\\t', '\t'));
    strictEqual(res.status, 400);
    deepStrictEqual(JSON.parse(res.text).error, {
      type: 'invalid_request_error',
      message: 'request body is not valid JSON',
    });
    strictEqual(gateway.requests.length, 0);
  });

  it('answers a body over maxBodyBytes with 413 request_too_large, unread, and nothing reserved', async () => {
    const res = await post(adapter.url, 'key', JSON.stringify({ ...bigRequest(false), pad: 'x'.repeat(200 * 1024) }));
    strictEqual(res.status, 413);
    deepStrictEqual(JSON.parse(res.text).error, {
      type: 'request_too_large',
      message: 'request body over 65536 bytes',
    });
    deepStrictEqual([recording.specs.length, gateway.requests.length], [0, 0]);
  });

  it('redacts configured secrets and key shapes inside long strings and short fields, leaving every other byte as translated', async () => {
    const planted = 'planted-configured-secret-0001';
    const secretAdapter = await startAdapterServer({
      meter: recordingMeter({ jobId: 'job-2', model: 'gw-model' }, 'key').meter,
      upstream: createUpstream({ primary: { baseURL: gateway.url, apiKey: 'gw' } }),
      perJobTokenLimit: 8192,
      secrets: () => [planted],
    });
    try {
      gateway.setScript([{ text: 'ok' }]);
      const leak = (t: string) => `${t} ${planted} OPENAI_API_KEY=sk-shapedKey0002abcdefgh`;
      const req = bigRequest(false);
      req.messages.push(
        { role: 'user', content: leak(`Long ${TRICKY}`) },
        { role: 'assistant', content: leak('short') },
        { role: 'user', content: 'go on' },
      );
      const res = await post(secretAdapter.url, 'key', JSON.stringify(req));
      strictEqual(res.status, 200, res.text);
      const sent = JSON.stringify(gateway.requests[0]?.body);
      ok(!sent.includes(planted) && !sent.includes('sk-shapedKey0002'), 'no secret went upstream');
      const clean = (t: string) => `${t} [REDACTED] OPENAI_API_KEY=[REDACTED]`;
      const expectedReq = bigRequest(false);
      expectedReq.messages.push(
        { role: 'user', content: clean(`Long ${TRICKY}`) },
        { role: 'assistant', content: clean('short') },
        { role: 'user', content: 'go on' },
      );
      deepStrictEqual(
        gateway.requests[0]?.body,
        JSON.parse(
          JSON.stringify(translateRequest(expectedReq, { gatewayModel: 'gw-model', perJobTokenLimit: 8192 }).params),
        ),
      );
    } finally {
      await secretAdapter.close();
    }
  });
});
