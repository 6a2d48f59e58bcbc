/**
 * The scripted gateway (stand-in for the model provider): a real node:http server on 127.0.0.1
 * that speaks the OpenAI chat-completions wire format and answers from a script, so tests and
 * the demo can run Offload end to end without a network or a paid model.
 *
 * Routes: `POST /v1/chat/completions` (non-streaming, or SSE when `stream: true`, with usage per
 * `stream_options.include_usage`), `GET /v1/models`. Anything else → 404 in OpenAI's error shape.
 * Strict by default: a request OpenAI would refuse (`max_tokens` on o1, `response_format` on o1-mini,
 * a system message to o1-mini, …; ./scripted-gateway-strict.ts) gets OpenAI's 400 before the script is asked.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  completionBody,
  defaultUsage,
  errorBody,
  streamChunks,
  type ErrorReply,
  type Reply,
  type SuccessReply,
  type WireUsage,
} from './scripted-gateway-wire';
import { openaiRejection } from './scripted-gateway-strict';
import { createBatchRoutes, type BatchRoutes, type LineAnswer } from './scripted-gateway-batch';
import { prefixCachedTokens, promptKey, rememberPrompt } from './prefix-cache';

export type { Reply } from './scripted-gateway-wire';

/** The label used in every log line and header, so no one mistakes this server for a real provider. */
export const GATEWAY_LABEL = 'scripted gateway (stand-in for the model provider)';

/** One chat-completions request as received. `at` is epoch ms. */
export interface RecordedRequest {
  /** Parsed JSON body (undefined if it was not JSON). */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any -- tests read arbitrary fields
  headers: Record<string, string | string[] | undefined>;
  path: string;
  at: number;
  /** The usage the gateway reported for this request (null when it reported none: error, omitUsage, fault). */
  reportedUsage?: WireUsage | null;
}

/**
 * What to answer. An array plays in order (request i gets element i; past its end → 500
 * "script exhausted"); a function is called with each request and its 0-based index. Indices
 * count from when the script was set, so after `setScript` a new array plays from its start.
 */
export type Script = Reply[] | ((req: RecordedRequest, index: number) => Reply);

/** Options of {@link startScriptedGateway}. */
export interface ScriptedGatewayOptions {
  script: Script;
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** If set, every request must send `Authorization: Bearer <apiKey>` (else 401). */
  apiKey?: string;
  /** Model ids listed by GET /v1/models. Default `['scripted-model']`. */
  models?: string[];
  /** Refuse what OpenAI refuses for its reasoning models (./scripted-gateway-strict.ts). Default true; false accepts any body. */
  strict?: boolean;
  /** Receives one line per request, prefixed with {@link GATEWAY_LABEL}. Default: silent. */
  log?: (line: string) => void;
  /**
   * Serve OpenAI's Batch API (./scripted-gateway-batch.ts; its lines are answered by the script and
   * recorded in `requests` with path `/v1/batches`). Default true; false answers 404 there, as DeepSeek does.
   */
  batchApi?: boolean;
  /**
   * Prefix-cache accounting (./prefix-cache.ts): when a reply's script sets no `cached_tokens`,
   * report the longest common prefix of `[tools, messages]` with the same API key's recent requests as
   * `usage.prompt_tokens_details.cached_tokens` (bytes / 4). Default false (cached_tokens = 0).
   */
  prefixCache?: boolean;
}

/** A running gateway. `url` is the base URL ending in `/v1`; `requests` holds chat-completions requests only. */
export interface ScriptedGateway {
  url: string;
  requests: RecordedRequest[];
  /** The Batch API's state (./scripted-gateway-batch.ts). */
  batch: BatchRoutes;
  setScript(s: Script): void;
  close(): Promise<void>;
}

function isError(r: Reply): r is ErrorReply {
  return 'error' in r && r.error !== undefined;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, {
    'content-type': 'application/json',
    'x-scripted-gateway': 'stand-in for the model provider',
    ...headers,
  });
  res.end(JSON.stringify(body));
}

function sendError(res: ServerResponse, e: ErrorReply['error']): void {
  const headers: Record<string, string> = {};
  if (e.retryAfterSeconds !== undefined) headers['retry-after'] = String(e.retryAfterSeconds);
  if (e.retryAfterMs !== undefined) headers['retry-after-ms'] = String(e.retryAfterMs);
  sendJson(res, e.status, errorBody(e), headers);
}

async function readRaw(req: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of req) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

async function readBody(req: IncomingMessage): Promise<string> {
  return (await readRaw(req)).toString('utf8');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Writes the SSE stream of a success reply, honouring the drop and malformed faults. Each chunk
 * is flushed before the next, so a drop after N chunks really delivers N chunks first.
 */
async function sendStream(res: ServerResponse, reply: SuccessReply, chunks: object[]): Promise<void> {
  res.writeHead(200, {
    'content-type': 'text/event-stream',
    'cache-control': 'no-cache',
    'x-scripted-gateway': 'stand-in for the model provider',
  });
  res.flushHeaders();
  let sent = 0;
  for (const chunk of chunks) {
    if (reply.dropAfterChunks !== undefined && sent >= reply.dropAfterChunks) {
      res.socket?.destroy();
      return;
    }
    await new Promise<void>((resolve) => res.write(`data: ${JSON.stringify(chunk)}\n\n`, () => resolve()));
    sent++;
    if (reply.malformed) {
      res.end('data: {"id": "chatcmpl-scripted", "choices": [{\n\n');
      return;
    }
  }
  res.end('data: [DONE]\n\n');
}

/**
 * Starts the scripted gateway (stand-in for the model provider) on 127.0.0.1.
 *
 * Usage reported when a reply gives none: prompt_tokens = ceil(request body bytes / 4),
 * completion_tokens = ceil(output chars / 4) (text + reasoning + tool names + arguments),
 * cached_tokens = 0. The reported figures are stored in `requests[i].reportedUsage`.
 * Streaming sends usage in a final chunk with empty `choices` only when the request has
 * `stream_options.include_usage: true` (as OpenAI does), or on every chunk with `usageOnEveryChunk`.
 * Rejects if the port cannot be bound.
 */
export async function startScriptedGateway(opts: ScriptedGatewayOptions): Promise<ScriptedGateway> {
  let script = opts.script;
  let scriptStart = 0; // requests.length when the current script was set
  const requests: RecordedRequest[] = [];
  const prompts = new Map<string, string[]>(); // API key (Authorization header) → its recent serialized prompts
  const log = (line: string) => opts.log?.(`${GATEWAY_LABEL}: ${line}`);

  const pick = (rec: RecordedRequest, index: number): Reply => {
    if (typeof script === 'function') return script(rec, index);
    return (
      script[index] ?? { error: { status: 500, message: `script exhausted: no reply scripted for request ${index}` } }
    );
  };

  /** One batch line, answered as a non-streaming chat completion (no faults: a batch has no connection to drop). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- tests read arbitrary fields
  const answerLine = (body: any): LineAnswer => {
    const rec: RecordedRequest = { body, headers: {}, path: '/v1/batches', at: Date.now(), reportedUsage: null };
    const seq = requests.push(rec) - 1;
    const refused = opts.strict === false ? null : openaiRejection(body);
    if (refused) {
      scriptStart++;
      return { status_code: refused.status, body: errorBody(refused) };
    }
    let reply: Reply;
    try {
      reply = pick(rec, seq - scriptStart);
    } catch (e) {
      reply = { error: { status: 500, message: `script threw: ${(e as Error).message}` } };
    }
    if (isError(reply)) return { status_code: reply.error.status, body: errorBody(reply.error) };
    const usage = reply.omitUsage ? null : defaultUsage(reply, Buffer.byteLength(JSON.stringify(body)));
    rec.reportedUsage = usage;
    return { status_code: 200, body: completionBody(reply, String(body?.model ?? 'scripted-model'), seq, usage) };
  };
  const batch = createBatchRoutes(answerLine, sendJson);

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    if (opts.apiKey !== undefined && req.headers.authorization !== `Bearer ${opts.apiKey}`) {
      log(`${req.method} ${path} → 401`);
      return sendError(res, {
        status: 401,
        message: 'Incorrect API key provided (scripted gateway).',
        type: 'invalid_request_error',
      });
    }
    if (req.method === 'GET' && path === '/v1/models') {
      const data = (opts.models ?? ['scripted-model']).map((id) => ({
        id,
        object: 'model',
        created: 1_700_000_000,
        owned_by: 'scripted-gateway',
      }));
      return sendJson(res, 200, { object: 'list', data });
    }
    if (req.method === 'GET' && path === '/v1/_scripted/requests') {
      // What the demo checks its ledger against: the model and the usage reported for each completion.
      return sendJson(
        res,
        200,
        requests.map((r) => ({ model: String(r.body?.model ?? ''), usage: r.reportedUsage ?? null })),
      );
    }
    if (opts.batchApi !== false && (path.startsWith('/v1/files') || path.startsWith('/v1/batches'))) {
      if (await batch.handle(req, res, path, await readRaw(req))) return log(`${req.method} ${path} (Batch API)`);
    }
    if (req.method !== 'POST' || path !== '/v1/chat/completions') {
      return sendError(res, { status: 404, message: `scripted gateway: no route ${req.method} ${path}` });
    }
    const raw = await readBody(req);
    let body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
    try {
      body = JSON.parse(raw);
    } catch {
      body = undefined;
    }
    const rec: RecordedRequest = { body, headers: req.headers, path, at: Date.now(), reportedUsage: null };
    const seq = requests.push(rec) - 1; // position among all requests: ids derive from it, so they never repeat
    const index = seq - scriptStart;
    if (body === undefined) return sendError(res, { status: 400, message: 'request body is not JSON' });
    const refused = opts.strict === false ? null : openaiRejection(body);
    if (refused) {
      log(`#${index} ${body.model ?? '?'} → 400 ${refused.code} (${refused.param})`);
      scriptStart++; // a refused request consumes no scripted reply
      return sendError(res, refused);
    }
    let reply: Reply;
    try {
      reply = pick(rec, index);
    } catch (e) {
      reply = { error: { status: 500, message: `script threw: ${(e as Error).message}` } };
    }
    const stream = body.stream === true;
    log(
      `#${index} ${body.model ?? '?'} stream=${stream} → ${isError(reply) ? `error ${reply.error.status}` : (reply.finish_reason ?? (reply.tool_calls?.length ? 'tool_calls' : 'stop'))}`,
    );
    if (!isError(reply) && reply.delayMs) await sleep(reply.delayMs);
    if (!isError(reply) && reply.answerAfter) await reply.answerAfter;
    if (isError(reply)) return sendError(res, reply.error);
    if (!stream && reply.dropAfterChunks !== undefined) {
      res.socket?.destroy();
      return;
    }
    if (!stream && reply.malformed) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end('{"id": "chatcmpl-scripted", "choices": [');
      return;
    }
    const usage = reply.omitUsage ? null : defaultUsage(reply, Buffer.byteLength(raw));
    if (opts.prefixCache) {
      const key = String(req.headers.authorization ?? '');
      const prompt = promptKey(body);
      const history = prompts.get(key) ?? [];
      if (usage && reply.usage?.cached_tokens === undefined)
        usage.prompt_tokens_details.cached_tokens = prefixCachedTokens(history, prompt, usage.prompt_tokens);
      rememberPrompt(history, prompt);
      prompts.set(key, history);
    }
    const model = String(body.model ?? 'scripted-model');
    if (!stream) {
      rec.reportedUsage = usage;
      return sendJson(res, 200, completionBody(reply, model, seq, usage));
    }
    const includeUsage = body.stream_options?.include_usage === true;
    const chunks = streamChunks(reply, model, seq, usage, includeUsage);
    const sent = reply.malformed ? 1 : Math.min(reply.dropAfterChunks ?? Infinity, chunks.length);
    const seen = reply.usageOnEveryChunk ? sent > 0 : includeUsage && sent === chunks.length;
    rec.reportedUsage = usage && seen ? usage : null;
    await sendStream(res, reply, chunks);
  };

  const server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log(`internal error: ${(e as Error).message}`);
      if (!res.headersSent)
        sendError(res, { status: 500, message: `scripted gateway internal error: ${(e as Error).message}` });
      else res.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  log(`listening on http://127.0.0.1:${port}/v1`);
  return {
    url: `http://127.0.0.1:${port}/v1`,
    requests,
    batch,
    setScript(s: Script) {
      script = s;
      scriptStart = requests.length;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
