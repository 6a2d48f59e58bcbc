import { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import type {
  ChatCompletion,
  ChatCompletionChunk,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionCreateParamsStreaming,
} from 'openai/resources/chat/completions';
import { createGatewayClient, type GatewayClient } from './gateway-client';

/** Which gateway served a call (written to the ledger's spend row). */
export type Route = 'primary' | 'fallback';

/** One OpenAI-compatible gateway. */
export interface GatewayConfig {
  baseURL: string;
  apiKey: string;
}

/** Options of createUpstream. Times in ms. */
export interface UpstreamOptions {
  primary: GatewayConfig;
  /** FALLBACK_BASE_URL / FALLBACK_API_KEY: used when the primary still fails with a retryable error. */
  fallback?: GatewayConfig;
  /** Retries per gateway after the first attempt (default 2). */
  maxRetries?: number;
  /** Per-attempt timeout until the response headers (and, for non-streaming calls, the body), default 600,000. */
  timeoutMs?: number;
  /** A Retry-After longer than this skips the remaining retries: fallback at once, or the error if there is none (default 30,000). */
  retryAfterCapMs?: number;
  /** Waits between retries; tests pass one that records and resolves at once. */
  sleep?: (ms: number, signal?: AbortSignal) => Promise<void>;
  /** Wall clock for HTTP-date Retry-After values. */
  now?: () => number;
  log?: (line: string) => void;
}

/** Which gateway served a call and the model it ran on (the request's). */
export interface ServedBy {
  route: Route;
  model: string;
}

/**
 * The upstream port of the adapter. Errors are the `openai` SDK's classes: APIError (BadRequestError,
 * RateLimitError, InternalServerError…, with `status` and web `Headers`) after retries and
 * fallback, APIConnectionError (APIConnectionTimeoutError for the per-attempt timeout),
 * APIUserAbortError when `signal` aborts; OpenAIError for a 2xx body that is not JSON. `params`
 * is serialized once, when the call is made, and not kept: every attempt sends the same bytes.
 */
export interface Upstream {
  complete(
    params: ChatCompletionCreateParamsNonStreaming,
    signal?: AbortSignal,
    hooks?: CallHooks,
  ): Promise<ServedBy & { completion: ChatCompletion }>;
  /**
   * Resolves once the response headers arrived; errors after that come from the iterator and are
   * not retried (see GatewayClient.stream in gateway-client.ts). Iterate the stream to its end or
   * leave it with break/return(): that closes the upstream response.
   */
  stream(
    params: ChatCompletionCreateParamsStreaming,
    signal?: AbortSignal,
    hooks?: CallHooks,
  ): Promise<ServedBy & { stream: AsyncIterable<ChatCompletionChunk> }>;
}

/** A failed attempt that is followed by another one (a retry, or the fallback). Times in ms. */
export interface FailedAttempt {
  route: Route;
  model: string;
  error: unknown;
  latencyMs: number;
}

/**
 * Per-call observers. `onFailedAttempt` sees every attempt the caller will not see as the call's
 * outcome (the last attempt's result or error is returned or thrown as usual), so that each
 * attempt can be written to WORKER_METRICS_FILE.
 */
export interface CallHooks {
  onFailedAttempt?(attempt: FailedAttempt): void;
}

/** Whether to retry an upstream error, and after how long (ms). */
export interface RetryDecision {
  retryable: boolean;
  delayMs: number;
}

/**
 * The retry rule. Retryable: connection errors and timeouts, 408, 409, 429, 5xx — unless the
 * gateway says `x-should-retry: false`. Delay: `retry-after-ms` (OpenAI), else `retry-after` in
 * seconds or as an HTTP date, else 500 ms × 2^attempt up to 8 s. This is the only retry loop (the
 * `openai` SDK's own retries hid a long Retry-After, which should send us to the fallback).
 */
export function retryDecision(err: unknown, attempt: number, now: number = Date.now()): RetryDecision {
  const backoff = Math.min(8_000, 500 * 2 ** attempt);
  if (err instanceof APIUserAbortError) return { retryable: false, delayMs: 0 };
  if (err instanceof APIConnectionError) return { retryable: true, delayMs: backoff };
  if (!(err instanceof APIError) || err.status === undefined) return { retryable: false, delayMs: 0 };
  const h = err.headers;
  const status = err.status;
  const retryable = h?.get('x-should-retry') === 'false' ? false : [408, 409, 429].includes(status) || status >= 500;
  const ms = Number(h?.get('retry-after-ms') ?? NaN);
  if (Number.isFinite(ms) && ms >= 0) return { retryable, delayMs: ms };
  const after = h?.get('retry-after');
  if (after) {
    const seconds = Number(after);
    if (Number.isFinite(seconds) && seconds >= 0) return { retryable, delayMs: seconds * 1000 };
    const date = Date.parse(after);
    if (Number.isFinite(date)) return { retryable, delayMs: Math.max(0, date - now) };
  }
  return { retryable, delayMs: backoff };
}

const failedRoutes = new WeakMap<object, Route>();

/** The gateway whose failure an Upstream error is (for the ledger's route column), or undefined. */
export function routeOfError(err: unknown): Route | undefined {
  return typeof err === 'object' && err !== null ? failedRoutes.get(err) : undefined;
}

function abortableSleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new APIUserAbortError());
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(new APIUserAbortError());
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The upstream client (gateway-client.ts: undici, one connection pool per gateway): per
 * gateway, up to 1 + maxRetries attempts with the retryDecision rule; then the fallback gateway (if
 * configured) for a retryable failure. A non-retryable error (400, 401, 403, 404, 422) is returned
 * at once: another gateway would not fix the request.
 */
export function createUpstream(opts: UpstreamOptions): Upstream {
  const maxRetries = opts.maxRetries ?? 2;
  const cap = opts.retryAfterCapMs ?? 30_000;
  const sleep = opts.sleep ?? abortableSleep;
  const now = opts.now ?? Date.now;
  const log = opts.log ?? (() => {});
  const gateways = [opts.primary, opts.fallback]
    .filter((g): g is GatewayConfig => g !== undefined)
    .map((g, i) => ({
      route: (i === 0 ? 'primary' : 'fallback') as Route,
      config: g,
      client: createGatewayClient({ baseURL: g.baseURL, apiKey: g.apiKey, timeoutMs: opts.timeoutMs ?? 600_000 }),
    }));

  async function call<T>(
    model: string,
    signal: AbortSignal | undefined,
    hooks: CallHooks | undefined,
    run: (client: GatewayClient) => Promise<T>,
  ): Promise<ServedBy & { value: T }> {
    let lastError: unknown;
    for (const [gi, g] of gateways.entries()) {
      const hasFallback = gi + 1 < gateways.length;
      for (let attempt = 0; ; attempt++) {
        const started = Date.now();
        try {
          return { value: await run(g.client), route: g.route, model };
        } catch (err) {
          if (signal?.aborted) throw new APIUserAbortError();
          lastError = err;
          if (typeof err === 'object' && err !== null) failedRoutes.set(err, g.route);
          const d = retryDecision(err, attempt, now());
          if (!d.retryable) throw err;
          const retry = attempt < maxRetries && d.delayMs <= cap;
          if (!retry && !hasFallback) {
            if (attempt > 0 || gi > 0)
              log(`upstream ${g.route} failed (${describe(err)}) after ${attempt + 1} attempt(s)`);
            throw err;
          }
          hooks?.onFailedAttempt?.({ route: g.route, model, error: err, latencyMs: Date.now() - started });
          if (!retry) {
            log(`upstream ${g.route} failed (${describe(err)}) after ${attempt + 1} attempt(s), trying fallback`);
            break;
          }
          log(`upstream ${g.route} ${describe(err)}; retry ${attempt + 1}/${maxRetries} in ${d.delayMs} ms`);
          await sleep(d.delayMs, signal);
        }
      }
    }
    throw lastError;
  }

  // Not async: the bytes are made before anything awaits, and the call's frames hold them instead of `params`.
  const bytesOf = (params: object) => Buffer.from(JSON.stringify(params), 'utf8');
  return {
    complete(params, signal, hooks) {
      const body = bytesOf(params);
      return call(params.model, signal, hooks, (c) => c.complete(body, signal)).then(({ value, route, model }) => ({
        completion: value,
        route,
        model,
      }));
    },
    stream(params, signal, hooks) {
      const body = bytesOf(params);
      return call(params.model, signal, hooks, (c) => c.stream(body, signal)).then(({ value, route, model }) => ({
        stream: value,
        route,
        model,
      }));
    },
  };
}

function describe(err: unknown): string {
  if (err instanceof APIError) return err.status === undefined ? err.message : `HTTP ${err.status}`;
  return err instanceof Error ? err.message : String(err);
}
