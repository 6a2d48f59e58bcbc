/**
 * The scripted Anthropic gateway (stand-in for a provider that speaks Anthropic Messages itself,
 * as DeepSeek's, Moonshot's and Zhipu's Claude Code endpoints do): a real node:http server on
 * 127.0.0.1 that answers `POST /v1/messages` from a script, streaming (SSE, Anthropic's event
 * sequence) or not, and records every request and the exact bytes of every answer, so tests can
 * check that the adapter's USE_OPENAI_ADAPTER=0 mode passes them on unchanged.
 *
 * Strict like Anthropic: a body that is not a JSON object with `model` (string), `max_tokens`
 * (positive integer) and `messages` (array) gets 400 in Anthropic's error shape, and a wrong
 * `x-api-key` 401, before the script is asked. `POST /v1/messages/count_tokens` is answered only
 * when `countTokens` is set (else 404 not_found_error, as a gateway without the route).
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** The label used in headers and logs, so no one mistakes this server for a real provider. */
export const ANTHROPIC_GATEWAY_LABEL = 'scripted Anthropic gateway (stand-in for an Anthropic-compatible provider)';

/** Anthropic usage fields as the gateway reports them. Tokens. */
export interface AnthropicWireUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens?: number;
}

/** One answer. */
export type AnthropicReply =
  | {
      /** The answer's text; streamed as one content_block_delta per element when an array. */
      text: string | string[];
      usage?: AnthropicWireUsage;
      /** Report no usage anywhere (a gateway that omits it). */
      omitUsage?: boolean;
      /** Streaming only: after message_start and the first delta, send nothing more until the client leaves. */
      hang?: boolean;
    }
  | { error: { status: number; type: string; message: string; retryAfterSeconds?: number } };

/** One request as received. */
export interface AnthropicRecordedRequest {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  /** The body as received, bytes. */
  raw: Buffer;
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary fields
  /** Every byte the gateway sent back for this request (the whole body, or the whole SSE stream as written so far). */
  sent: Buffer[];
  /** True once the client closed the connection before the answer was complete. */
  clientLeft: boolean;
}

export interface ScriptedAnthropicGatewayOptions {
  script: AnthropicReply[] | ((req: AnthropicRecordedRequest, index: number) => AnthropicReply);
  /** When set, `x-api-key` must equal it (else 401 authentication_error). */
  apiKey?: string;
  /** Answer count_tokens with `{ input_tokens: countTokens }`; unset → 404 (no such route). */
  countTokens?: number;
}

export interface ScriptedAnthropicGateway {
  /** Base URL as ANTHROPIC_BASE_URL takes it (no /v1). */
  url: string;
  /** /v1/messages requests only. */
  requests: AnthropicRecordedRequest[];
  /** count_tokens requests. */
  countRequests: AnthropicRecordedRequest[];
  close(): Promise<void>;
}

const HEADERS = { 'x-scripted-gateway': ANTHROPIC_GATEWAY_LABEL, 'request-id': 'req_scripted' };

function error(type: string, message: string): string {
  return JSON.stringify({ type: 'error', error: { type, message } });
}

/** Anthropic's 400 for a body without the required fields, or undefined when the body is fine. */
function strictRejection(body: unknown): string | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'request body must be a JSON object';
  const b = body as Record<string, unknown>;
  if (typeof b.model !== 'string') return 'model: Field required';
  if (!Number.isInteger(b.max_tokens) || (b.max_tokens as number) < 1) return 'max_tokens: Field required';
  if (!Array.isArray(b.messages)) return 'messages: Field required';
  return undefined;
}

/** Starts the stand-in on 127.0.0.1, port 0. */
export async function startScriptedAnthropicGateway(
  opts: ScriptedAnthropicGatewayOptions,
): Promise<ScriptedAnthropicGateway> {
  const requests: AnthropicRecordedRequest[] = [];
  const countRequests: AnthropicRecordedRequest[] = [];
  const reply = (rec: AnthropicRecordedRequest, i: number): AnthropicReply =>
    typeof opts.script === 'function'
      ? opts.script(rec, i)
      : (opts.script[i] ?? { error: { status: 500, type: 'api_error', message: 'script exhausted' } });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const raw = Buffer.concat(chunks);
    let body: unknown;
    try {
      body = JSON.parse(raw.toString('utf8'));
    } catch {
      body = undefined;
    }
    const rec: AnthropicRecordedRequest = {
      path: req.url ?? '',
      headers: req.headers,
      raw,
      body,
      sent: [],
      clientLeft: false,
    };
    res.on('close', () => {
      if (!res.writableFinished) rec.clientLeft = true;
    });
    const send = (status: number, text: string, extra: Record<string, string> = {}) => {
      rec.sent.push(Buffer.from(text));
      res.writeHead(status, { 'content-type': 'application/json', ...HEADERS, ...extra });
      res.end(text);
    };
    const path = (req.url ?? '').split('?')[0];
    if (req.method !== 'POST' || (path !== '/v1/messages' && path !== '/v1/messages/count_tokens'))
      return send(404, error('not_found_error', `no route ${req.method} ${path}`));
    if (opts.apiKey !== undefined && req.headers['x-api-key'] !== opts.apiKey)
      return send(401, error('authentication_error', 'invalid x-api-key'));
    if (path === '/v1/messages/count_tokens') {
      countRequests.push(rec);
      if (opts.countTokens === undefined)
        return send(404, error('not_found_error', 'no route POST /v1/messages/count_tokens'));
      return send(200, JSON.stringify({ input_tokens: opts.countTokens }));
    }
    const index = requests.push(rec) - 1;
    const rejection = strictRejection(body);
    if (rejection) return send(400, error('invalid_request_error', rejection));
    const r = reply(rec, index);
    if ('error' in r)
      return send(
        r.error.status,
        error(r.error.type, r.error.message),
        r.error.retryAfterSeconds === undefined ? {} : { 'retry-after': String(r.error.retryAfterSeconds) },
      );
    const b = body as { model: string; stream?: boolean };
    const parts = Array.isArray(r.text) ? r.text : [r.text];
    const usage = r.usage ?? { input_tokens: 10, output_tokens: 5 };
    if (!b.stream) {
      const message = {
        id: 'msg_scripted',
        type: 'message',
        role: 'assistant',
        model: b.model,
        content: [{ type: 'text', text: parts.join('') }],
        stop_reason: 'end_turn',
        stop_sequence: null,
        ...(r.omitUsage ? {} : { usage }),
      };
      return send(200, JSON.stringify(message));
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...HEADERS });
    const event = (type: string, data: object) => {
      const text = `event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`;
      rec.sent.push(Buffer.from(text));
      res.write(text);
    };
    const startUsage = r.omitUsage
      ? {}
      : {
          usage: {
            input_tokens: usage.input_tokens,
            output_tokens: 1,
            ...(usage.cache_read_input_tokens === undefined
              ? {}
              : { cache_read_input_tokens: usage.cache_read_input_tokens }),
          },
        };
    event('message_start', {
      message: {
        id: 'msg_scripted',
        type: 'message',
        role: 'assistant',
        model: b.model,
        content: [],
        stop_reason: null,
        stop_sequence: null,
        ...startUsage,
      },
    });
    event('content_block_start', { index: 0, content_block: { type: 'text', text: '' } });
    for (const [i, part] of parts.entries()) {
      event('content_block_delta', { index: 0, delta: { type: 'text_delta', text: part } });
      if (r.hang && i === 0) return; // the client's leaving ends the response
    }
    event('content_block_stop', { index: 0 });
    event('message_delta', {
      delta: { stop_reason: 'end_turn', stop_sequence: null },
      ...(r.omitUsage ? {} : { usage: { output_tokens: usage.output_tokens } }),
    });
    event('message_stop', {});
    res.end();
  }

  const server = createServer((req, res) => {
    handle(req, res).catch((err: unknown) => {
      if (!res.headersSent) res.writeHead(500, HEADERS);
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    countRequests,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
