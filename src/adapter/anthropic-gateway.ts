/**
 * A gateway that speaks Anthropic Messages itself (USE_OPENAI_ADAPTER=0, ANTHROPIC_BASE_URL):
 * DeepSeek, Moonshot and Zhipu offer such endpoints for Claude Code. Requests go out over undici
 * (a keep-alive pool) as given; the response comes back as its status, headers and raw body, so
 * the adapter can pass it on byte for byte. No retries here: the status and retry headers reach
 * Claude Code, whose SDK retries 429 and 5xx itself, each retry a new metered call.
 */
import { APIUserAbortError } from 'openai';
import { Agent, type Dispatcher } from 'undici';
import { postUpstream } from './undici-post';

/** Options of createAnthropicGateway. */
export interface AnthropicGatewayOptions {
  /** ANTHROPIC_BASE_URL as Claude Code takes it, without `/v1`: e.g. `https://api.deepseek.com/anthropic`. */
  baseURL: string;
  /** The gateway key, sent as `x-api-key` (Anthropic's header) and as `Authorization: Bearer` (what DeepSeek's and Zhipu's Claude Code guides configure, ANTHROPIC_AUTH_TOKEN). */
  apiKey: string;
  /** Until the response headers, and for a non-streaming call until its body ended, ms (default 600,000). */
  timeoutMs?: number;
}

/**
 * A response whose headers arrived. Read `body` to its end or destroy it, then call `finish()`
 * (stops the timeout and the abort listener; idempotent). A stream calls `stopTimeout()` at once:
 * the caller's signal still aborts it.
 */
export interface GatewayResponse {
  status: number;
  headers: Dispatcher.ResponseData['headers'];
  body: Dispatcher.ResponseData['body'];
  stopTimeout(): void;
  finish(): void;
}

/** The client of one Anthropic-compatible gateway. */
export interface AnthropicGateway {
  /**
   * POST `{baseURL}{path}{search}` with `body` (JSON bytes) and `headers` (plus the key, content-type and user-agent).
   * Resolves once the response headers arrived, whatever the status. Throws APIUserAbortError when `signal` aborts,
   * APIConnectionTimeoutError on the timeout, APIConnectionError when the gateway cannot be reached, TypeError for a bad URL.
   */
  post(
    path: string,
    search: string,
    body: Uint8Array,
    headers: Record<string, string>,
    signal?: AbortSignal,
  ): Promise<GatewayResponse>;
  /** Closes the pool's connections. */
  close(): void;
}

/** Creates the client; the URL is checked on the first call. */
export function createAnthropicGateway(opts: AnthropicGatewayOptions): AnthropicGateway {
  let agent: Agent | undefined;
  const base = opts.baseURL.replace(/\/+$/, '');
  return {
    async post(path, search, body, headers, signal) {
      if (signal?.aborted) throw new APIUserAbortError();
      const url = new URL(base + path + search);
      agent ??= new Agent({ headersTimeout: 0, bodyTimeout: 0 });
      const sent = {
        ...headers,
        'x-api-key': opts.apiKey,
        authorization: `Bearer ${opts.apiKey}`,
        'content-type': 'application/json',
        'user-agent': 'offload-adapter',
      };
      const { res, stopTimeout, finish } = await postUpstream(
        agent,
        url,
        body,
        sent,
        opts.timeoutMs ?? 600_000,
        signal,
      );
      return { status: res.statusCode, headers: res.headers, body: res.body, stopTimeout, finish };
    },
    close() {
      void agent?.destroy();
      agent = undefined;
    },
  };
}
