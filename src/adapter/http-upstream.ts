/**
 * One OpenAI-compatible gateway over plain node:http / node:https: `POST {baseURL}/chat/completions`
 * on a keep-alive agent. It replaces the `openai` SDK on the adapter's hot path (the SDK's fetch,
 * header building and abort plumbing cost ~2 ms a request) but keeps the SDK's error classes and
 * the way the SDK builds them (openai v6 `client.ts` makeRequest, `core/streaming.ts`), because
 * the retry rule and the Anthropic error mapping read them. No retries here: see upstream.ts.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingMessage, type RequestOptions } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, OpenAIError } from 'openai';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import { SseDecoder, type ServerSentEvent } from './sse-parse';

/** A request body: a string (sent as UTF-8), or bytes sent as they are. */
export type RequestBody = string | Uint8Array;

/** Options of createGatewayClient. */
export interface GatewayClientOptions {
  /** e.g. `https://api.deepseek.com/v1`; with or without a trailing slash. */
  baseURL: string;
  apiKey: string;
  /** Per-request timeout in ms: until the response headers, and for `complete` until the body ended. */
  timeoutMs: number;
}

/**
 * A client for one gateway. Errors (all from the `openai` package):
 * - non-2xx → `APIError.generate(status, parsed JSON body or undefined, raw body text when it is
 *   not JSON, headers)`: BadRequestError, RateLimitError, InternalServerError… with `status` and
 *   web `Headers`;
 * - connection refused/reset, or the body cut short (`complete`) → APIConnectionError (`cause` is
 *   the node error); the timeout → APIConnectionTimeoutError; `signal` aborted → APIUserAbortError;
 * - a 2xx body that is not a JSON object (`complete`) → OpenAIError.
 */
export interface GatewayClient {
  /** The parsed ChatCompletion. */
  complete(body: RequestBody, signal?: AbortSignal): Promise<ChatCompletion>;
  /**
   * Resolves once 2xx headers arrived, with the chunks of the SSE body (`data: [DONE]` ends them).
   * The iterator throws APIError for an `event: error` or a chunk with an `error` field (as the SDK
   * does), OpenAIError for an event whose data is not JSON or a connection that drops mid-stream,
   * and APIUserAbortError when `signal` aborts. Iterate it to the end or `return()` it: leaving it
   * early destroys the response, so its socket is not left hanging.
   */
  stream(body: RequestBody, signal?: AbortSignal): Promise<AsyncIterable<ChatCompletionChunk>>;
  /** Closes the idle keep-alive sockets (tests, shutdown); later calls open new ones. */
  close(): void;
}

/** Parsed chunks waiting for the reader before the upstream response is paused. */
const HIGH_WATER = 64;

/**
 * The chat-completions URL of a base URL, joined as the SDK's buildURL does: base + '/chat/completions',
 * without doubling a trailing slash. Throws TypeError for an invalid URL.
 */
export function chatCompletionsURL(baseURL: string): URL {
  return new URL(baseURL + (baseURL.endsWith('/') ? 'chat/completions' : '/chat/completions'));
}

interface Target {
  options: RequestOptions;
  send: typeof httpRequest;
  agent: HttpAgent;
}

/**
 * Creates the client. The URL is checked and the agent made on the first call (a bad baseURL fails
 * calls with TypeError, not startup). The agent keeps sockets alive (idle ones do not hold the
 * process open) and does not bound them: MAX_OPENAI_CONCURRENCY bounds the calls in flight.
 */
export function createGatewayClient(opts: GatewayClientOptions): GatewayClient {
  let target: Target | undefined;
  const authorization = `Bearer ${opts.apiKey}`;
  const targetOf = (): Target => {
    if (target) return target;
    const url = chatCompletionsURL(opts.baseURL);
    const https = url.protocol === 'https:';
    const agent = https ? new HttpsAgent({ keepAlive: true }) : new HttpAgent({ keepAlive: true });
    const options: RequestOptions = {
      method: 'POST', agent, protocol: url.protocol, hostname: url.hostname.replace(/^\[(.*)\]$/, '$1'),
      port: url.port || undefined, path: url.pathname + url.search,
    };
    return (target = { options, agent, send: https ? (httpsRequest as typeof httpRequest) : httpRequest });
  };

  const post = (body: RequestBody, stream: boolean, signal: AbortSignal | undefined) =>
    exchange(targetOf(), authorization, opts.timeoutMs, body, stream, signal, true);

  return {
    async complete(body, signal) {
      const { res, body: bytes } = await post(body, false, signal);
      return parseCompletion(res, bytes!);
    },
    async stream(body, signal) {
      const { res } = await post(body, true, signal);
      const chunks = chunksOf(res);
      return { [Symbol.asyncIterator]: () => chunks };
    },
    close() {
      target?.agent.destroy();
      target = undefined;
    },
  };
}

/**
 * One request. Resolves with the response: for a stream at 2xx headers, else with the whole body.
 * A request that fails on a reused keep-alive socket with ECONNRESET/EPIPE before any response is
 * sent once more, at once (the server closed the idle socket as we picked it: the keep-alive race
 * Node's http docs describe); a second failure is the caller's APIConnectionError.
 */
function exchange(
  target: Target, authorization: string, timeoutMs: number, body: RequestBody, stream: boolean,
  signal: AbortSignal | undefined, mayResend: boolean,
): Promise<{ res: IncomingMessage; body?: Buffer }> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new APIUserAbortError());
    const length = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
    const req = target.send({
      ...target.options,
      headers: {
        authorization, 'content-type': 'application/json', accept: stream ? 'text/event-stream' : 'application/json',
        'content-length': length, 'user-agent': 'offload-adapter',
      },
    });
    let res: IncomingMessage | undefined;
    let settled = false;
    // Destroying with one of the SDK's errors makes it the error every reader of req/res sees.
    const stop = (err: APIError) => (res ?? req).destroy(err);
    const timer = setTimeout(() => stop(new APIConnectionTimeoutError()), timeoutMs);
    const onAbort = () => stop(new APIUserAbortError());
    signal?.addEventListener('abort', onAbort, { once: true });
    const cleanup = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: unknown) => {
      if (settled) return;
      settled = true;
      cleanup();
      reject(err);
    };

    req.on('error', (err: NodeJS.ErrnoException) => {
      if (settled || res) return; // after the headers, errors reach the response's readers
      if (mayResend && req.reusedSocket && (err.code === 'ECONNRESET' || err.code === 'EPIPE') && !signal?.aborted) {
        settled = true;
        cleanup();
        return resolve(exchange(target, authorization, timeoutMs, body, stream, signal, false));
      }
      fail(connectionError(err, signal));
    });
    req.on('response', (r: IncomingMessage) => {
      res = r;
      r.on('error', () => {}); // read through the iterator or below; an abort before the first read must not crash
      r.once('close', cleanup);
      const status = r.statusCode ?? 0;
      const ok = status >= 200 && status < 300;
      if (ok && stream) {
        clearTimeout(timer);
        settled = true;
        return resolve({ res: r });
      }
      const parts: Buffer[] = [];
      r.on('data', (c: Buffer) => parts.push(c));
      r.on('end', () => {
        const bytes = Buffer.concat(parts);
        if (!ok) return fail(statusError(status, bytes.toString('utf8'), r));
        settled = true;
        cleanup();
        resolve({ res: r, body: bytes });
      });
      r.on('error', (err) => {
        if (err instanceof APIError) return fail(err);
        // The SDK reads a broken error body as the read error's message.
        fail(ok ? connectionError(err, signal) : statusError(status, err.message, r));
      });
    });

    req.end(body);
  });
}

/** As the SDK: a timeout is an error naming one ("ETIMEDOUT", "timed out"), an abort wins over any error. */
function connectionError(err: Error, signal: AbortSignal | undefined): APIError {
  if (err instanceof APIError) return err;
  if (signal?.aborted) return new APIUserAbortError();
  const cause = (err as { cause?: unknown }).cause;
  if (/timed? ?out/i.test(String(err) + (cause === undefined ? '' : String(cause)))) return new APIConnectionTimeoutError();
  return new APIConnectionError({ cause: err });
}

/** As the SDK's makeRequest: the body parsed as JSON if it is JSON, else its text as the message. */
function statusError(status: number, text: string, res: IncomingMessage): APIError {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return APIError.generate(status, json as object | undefined, json ? undefined : text, webHeaders(res));
}

/** The response headers as a web Headers object (what the SDK's errors carry); unrepresentable ones are skipped. */
export function webHeaders(res: IncomingMessage): Headers {
  const headers = new Headers();
  const raw = res.rawHeaders;
  for (let i = 0; i + 1 < raw.length; i += 2) {
    try {
      headers.append(raw[i]!, raw[i + 1]!);
    } catch {
      // a header value fetch's Headers refuses; no error field depends on it
    }
  }
  return headers;
}

function parseCompletion(res: IncomingMessage, bytes: Buffer): ChatCompletion {
  const text = bytes.toString('utf8');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null) {
    const type = res.headers['content-type'] ?? 'no content-type';
    throw new OpenAIError(`upstream answered HTTP ${res.statusCode} (${type}) with a body that is not a JSON object: ${JSON.stringify(text.slice(0, 200))}`);
  }
  return value as ChatCompletion;
}

/**
 * The chunks of an SSE response; see GatewayClient.stream. Push-based: each body read is decoded
 * and parsed in the response's 'data' handler, and `next()` takes from that queue, so a chunk costs
 * one resolved promise (an async generator over the response's async iterator costs several
 * microtask hops per chunk, in both layers). The response is paused while HIGH_WATER chunks wait.
 */
function chunksOf(res: IncomingMessage): AsyncIterator<ChatCompletionChunk> {
  const decoder = new SseDecoder();
  const queue: ChatCompletionChunk[] = [];
  let head = 0;
  let done = false; // [DONE] seen: later events are read (so the socket can be reused) and ignored
  let ended = false;
  let failure: OpenAIError | undefined;
  let finished = false; // returned, failed or ended and drained: next() answers done
  let waiter: { resolve: (r: IteratorResult<ChatCompletionChunk>) => void; reject: (e: unknown) => void } | undefined;

  const wake = () => {
    if (!waiter) return;
    const w = waiter;
    waiter = undefined;
    take().then(w.resolve, w.reject);
  };
  const fail = (err: unknown) => {
    if (failure || ended || finished) return;
    failure = err instanceof OpenAIError ? err : new OpenAIError(`upstream stream broke: ${err instanceof Error ? err.message : String(err)}`, { cause: err });
    res.destroy();
    wake();
  };
  res.on('data', (bytes: Buffer) => {
    if (failure || finished) return;
    try {
      for (const sse of decoder.push(bytes)) {
        if (done) continue;
        if (sse.data.startsWith('[DONE]')) done = true;
        else queue.push(chunkOf(sse, res));
      }
    } catch (err) {
      fail(err);
      return;
    }
    if (queue.length - head >= HIGH_WATER) res.pause();
    wake();
  });
  res.on('end', () => {
    ended = true;
    wake();
  });
  res.on('error', fail);
  res.on('close', () => {
    if (!ended) fail(new Error('Premature close'));
  });

  function take(): Promise<IteratorResult<ChatCompletionChunk>> {
    if (head < queue.length) {
      const value = queue[head]!;
      queue[head++] = undefined as unknown as ChatCompletionChunk;
      if (head === queue.length) {
        queue.length = 0;
        head = 0;
        if (res.isPaused() && !ended) res.resume();
      }
      return Promise.resolve({ value, done: false });
    }
    if (failure && !finished) {
      finished = true;
      return Promise.reject(failure);
    }
    if (ended || finished) {
      finished = true;
      return Promise.resolve({ value: undefined, done: true });
    }
    return new Promise((resolve, reject) => (waiter = { resolve, reject }));
  }

  return {
    next: take,
    return(): Promise<IteratorResult<ChatCompletionChunk>> {
      finished = true;
      queue.length = 0;
      head = 0;
      if (!ended) res.destroy();
      wake();
      return Promise.resolve({ value: undefined, done: true });
    },
  };
}

/**
 * One SSE event as a chunk. As the SDK's Stream: a data object with a truthy `error` →
 * `APIError(undefined, data.error, undefined, headers)`. Beyond the SDK (which only checks
 * `event: error` for Assistants events): `event: error` without that field throws too, with the
 * data object (or its raw text) as the error.
 */
function chunkOf(sse: ServerSentEvent, res: IncomingMessage): ChatCompletionChunk {
  let data: { error?: unknown } | null;
  try {
    data = JSON.parse(sse.data) as { error?: unknown } | null;
  } catch {
    if (sse.event === 'error') throw new APIError(undefined, undefined, sse.data, webHeaders(res));
    throw new OpenAIError(`upstream sent an SSE event whose data is not JSON: ${JSON.stringify(sse.data.slice(0, 200))}`);
  }
  if (data?.error) throw new APIError(undefined, data.error as object, undefined, webHeaders(res));
  if (sse.event === 'error') throw new APIError(undefined, data ?? undefined, undefined, webHeaders(res));
  return data as unknown as ChatCompletionChunk;
}
