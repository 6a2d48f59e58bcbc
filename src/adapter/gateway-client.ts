/**
 * One OpenAI-compatible gateway: `POST {baseURL}/chat/completions` over undici (a keep-alive
 * connection pool), server-sent events parsed by eventsource-parser. Chosen over the `openai`
 * SDK by measurement (ARCHITECTURE.md, "Libraries on the adapter's path"). It raises the SDK's
 * error classes, built the way the SDK builds them (openai v6 `client.ts` makeRequest,
 * `core/streaming.ts`), because the retry rule and the Anthropic error mapping read them. No
 * retries here: see upstream.ts.
 */
import { APIError, APIUserAbortError, OpenAIError } from 'openai';
import type { ChatCompletion, ChatCompletionChunk } from 'openai/resources/chat/completions';
import { createParser, type EventSourceMessage } from 'eventsource-parser';
import { Agent, type Dispatcher } from 'undici';
import { connectionError, postUpstream } from './undici-post';

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
 *   undici's or the socket's error); the timeout → APIConnectionTimeoutError; `signal` aborted →
 *   APIUserAbortError;
 * - a 2xx body that is not a JSON object (`complete`) → OpenAIError.
 */
export interface GatewayClient {
  /** The parsed ChatCompletion for `body` (a chat-completions request as JSON, UTF-8). */
  complete(body: Uint8Array, signal?: AbortSignal): Promise<ChatCompletion>;
  /**
   * Resolves once 2xx headers arrived, with the chunks of the SSE body (`data: [DONE]` ends them;
   * `body` must say `"stream": true`). The iterator throws APIError for an `event: error` or a
   * chunk with an `error` field (as the SDK does), OpenAIError for an event whose data is not JSON
   * or a connection that drops mid-stream, and APIUserAbortError when `signal` aborts. Iterate it
   * to the end or `return()` it (break): leaving it early closes the response.
   */
  stream(body: Uint8Array, signal?: AbortSignal): Promise<AsyncIterable<ChatCompletionChunk>>;
  /** Closes the pool's connections (tests, shutdown); later calls open new ones. */
  close(): void;
}

/**
 * The chat-completions URL of a base URL, joined as the SDK's buildURL does: base + '/chat/completions',
 * without doubling a trailing slash. Throws TypeError for an invalid URL.
 */
export function chatCompletionsURL(baseURL: string): URL {
  return new URL(baseURL + (baseURL.endsWith('/') ? 'chat/completions' : '/chat/completions'));
}

/**
 * Creates the client. The URL is checked on the first call (a bad baseURL fails calls with
 * TypeError, not startup). The pool does not bound connections: MAX_OPENAI_CONCURRENCY bounds the
 * calls in flight. undici's own header and body timeouts are off: `timeoutMs` is the one timeout.
 */
export function createGatewayClient(opts: GatewayClientOptions): GatewayClient {
  let agent: Agent | undefined;
  const authorization = `Bearer ${opts.apiKey}`;

  /** One request, its timeout running; `finish()` stops the timeout and the abort listener. A non-2xx answer throws statusError. */
  async function post(body: Uint8Array, stream: boolean, signal: AbortSignal | undefined) {
    if (signal?.aborted) throw new APIUserAbortError();
    const url = chatCompletionsURL(opts.baseURL);
    agent ??= new Agent({ headersTimeout: 0, bodyTimeout: 0 });
    const headers = {
      authorization,
      'content-type': 'application/json',
      accept: stream ? 'text/event-stream' : 'application/json',
      'user-agent': 'offload-adapter',
    };
    const { res, stopTimeout, finish } = await postUpstream(agent, url, body, headers, opts.timeoutMs, signal);
    try {
      if (res.statusCode < 200 || res.statusCode >= 300)
        throw statusError(res.statusCode, await res.body.text().catch((e: unknown) => readFailure(e)), res.headers);
      if (stream) stopTimeout();
      return { res, finish };
    } catch (err) {
      finish();
      throw connectionError(err, signal);
    }
  }

  return {
    async complete(body, signal) {
      const { res, finish } = await post(body, false, signal);
      try {
        return parseCompletion(res, await res.body.text());
      } catch (err) {
        throw err instanceof OpenAIError ? err : connectionError(err, signal);
      } finally {
        finish();
      }
    },
    async stream(body, signal) {
      const { res, finish } = await post(body, true, signal);
      return sseChunks(res, finish, signal);
    },
    close() {
      void agent?.destroy();
      agent = undefined;
    },
  };
}

/** The status error's body when reading it failed: the SDK reads a broken error body as the read error's message. */
function readFailure(err: unknown): string {
  if (err instanceof APIError) throw err;
  return err instanceof Error ? err.message : String(err);
}

/** As the SDK: a timeout is an error naming one ("ETIMEDOUT", "timed out"), an abort wins over any error. */
/** As the SDK's makeRequest: the body parsed as JSON if it is JSON, else its text as the message. */
function statusError(status: number, text: string, headers: Dispatcher.ResponseData['headers']): APIError {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return APIError.generate(status, json as object | undefined, json ? undefined : text, webHeaders(headers));
}

/** Response headers as a web Headers object (what the SDK's errors carry); unrepresentable ones are skipped. */
function webHeaders(raw: Dispatcher.ResponseData['headers']): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    for (const v of Array.isArray(value) ? value : value === undefined ? [] : [value]) {
      try {
        headers.append(name, v);
      } catch {
        // a header value fetch's Headers refuses; no error field depends on it
      }
    }
  }
  return headers;
}

function parseCompletion(res: Dispatcher.ResponseData, text: string): ChatCompletion {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    value = undefined;
  }
  if (typeof value !== 'object' || value === null) {
    const type = String(res.headers['content-type'] ?? 'no content-type');
    throw new OpenAIError(
      `upstream answered HTTP ${res.statusCode} (${type}) with a body that is not a JSON object: ${JSON.stringify(text.slice(0, 200))}`,
    );
  }
  return value as ChatCompletion;
}

/**
 * The chunks of an SSE response; see GatewayClient.stream. Events after `[DONE]` are read (so the
 * connection can be reused) and ignored. `finish` runs when the iteration ends, however it ends.
 */
function sseChunks(
  res: Dispatcher.ResponseData,
  finish: () => void,
  signal: AbortSignal | undefined,
): AsyncIterable<ChatCompletionChunk> {
  let left = false;
  const leave = () => {
    if (left) return;
    left = true;
    finish();
    if (!res.body.readableEnded) res.body.destroy();
  };
  async function* chunks(): AsyncGenerator<ChatCompletionChunk> {
    const events: EventSourceMessage[] = [];
    const parser = createParser({ onEvent: (e) => void events.push(e) });
    const decoder = new TextDecoder();
    let done = false;
    try {
      for await (const bytes of res.body as AsyncIterable<Uint8Array>) {
        parser.feed(decoder.decode(bytes, { stream: true }));
        for (const e of events.splice(0)) {
          if (done) continue;
          if (e.data.startsWith('[DONE]')) done = true;
          else yield chunkOf(e, res);
        }
      }
    } catch (err) {
      if (err instanceof OpenAIError) throw err;
      if (signal?.aborted) throw new APIUserAbortError();
      throw new OpenAIError(`upstream stream broke: ${err instanceof Error ? err.message : String(err)}`, {
        cause: err,
      });
    } finally {
      leave();
    }
  }
  return {
    [Symbol.asyncIterator]() {
      const it = chunks();
      // A generator that never started skips its `finally` on return(): leaving before the first chunk closes the response here.
      return { next: () => it.next(), return: (value?: unknown) => (leave(), it.return(value as undefined)) };
    },
  };
}

/**
 * One SSE event as a chunk. As the SDK's Stream: a data object with a truthy `error` →
 * `APIError(undefined, data.error, undefined, headers)`. Beyond the SDK (which only checks
 * `event: error` for Assistants events): `event: error` without that field throws too, with the
 * data object (or its raw text) as the error.
 */
function chunkOf(sse: EventSourceMessage, res: Dispatcher.ResponseData): ChatCompletionChunk {
  let data: { error?: unknown } | null;
  try {
    data = JSON.parse(sse.data) as { error?: unknown } | null;
  } catch {
    if (sse.event === 'error') throw new APIError(undefined, undefined, sse.data, webHeaders(res.headers));
    throw new OpenAIError(
      `upstream sent an SSE event whose data is not JSON: ${JSON.stringify(sse.data.slice(0, 200))}`,
    );
  }
  if (data?.error) throw new APIError(undefined, data.error as object, undefined, webHeaders(res.headers));
  if (sse.event === 'error') throw new APIError(undefined, data ?? undefined, undefined, webHeaders(res.headers));
  return data as unknown as ChatCompletionChunk;
}
