/**
 * One POST to a gateway over undici with the adapter's abort and timeout rules, shared by the
 * chat-completions client (gateway-client.ts) and the Anthropic pass-through (anthropic-gateway.ts).
 * Errors are the `openai` package's, so retry rules and status labels read one set of classes.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { request, type Agent, type Dispatcher } from 'undici';

/** A response whose headers arrived. Read or destroy `res.body`, then `finish()` (idempotent). */
export interface PostedResponse {
  res: Dispatcher.ResponseData;
  /** Stops the timeout only (a stream runs as long as it runs; the caller's signal still aborts it). */
  stopTimeout(): void;
  /** Stops the timeout and the abort listener. */
  finish(): void;
}

/**
 * POSTs `body` to `url` through `agent`, resolving once the response headers arrived, whatever
 * the status. `signal` aborting → APIUserAbortError; `timeoutMs` passing before `stopTimeout()`
 * or `finish()` → APIConnectionTimeoutError; the gateway unreachable, or the connection reset
 * → APIConnectionError (its `cause` is undici's error); a bad URL → TypeError.
 */
export async function postUpstream(
  agent: Agent,
  url: URL,
  body: Uint8Array,
  headers: Record<string, string>,
  timeoutMs: number,
  signal: AbortSignal | undefined,
): Promise<PostedResponse> {
  if (signal?.aborted) throw new APIUserAbortError();
  // Aborting with one of the SDK's errors makes it the error every reader of the request and its body sees.
  const stop = new AbortController();
  const timer = setTimeout(() => stop.abort(new APIConnectionTimeoutError()), timeoutMs);
  const onAbort = () => stop.abort(new APIUserAbortError());
  signal?.addEventListener('abort', onAbort, { once: true });
  const finish = () => {
    clearTimeout(timer);
    signal?.removeEventListener('abort', onAbort);
  };
  try {
    const res = await request(url, { method: 'POST', dispatcher: agent, signal: stop.signal, body, headers });
    return { res, stopTimeout: () => clearTimeout(timer), finish };
  } catch (err) {
    finish();
    throw connectionError(err, signal);
  }
}

/** The SDK's error for a failure on the way to, or while reading, a response: APIError and TypeError pass through. */
export function connectionError(err: unknown, signal: AbortSignal | undefined): Error {
  if (err instanceof APIError || err instanceof TypeError) return err;
  if (signal?.aborted) return new APIUserAbortError();
  const cause = (err as { cause?: unknown }).cause;
  if (/timed? ?out/i.test(String(err) + (cause === undefined ? '' : String(cause))))
    return new APIConnectionTimeoutError();
  return new APIConnectionError({ cause: err instanceof Error ? err : new Error(String(err)) });
}
