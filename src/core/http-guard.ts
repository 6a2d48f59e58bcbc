/**
 * The rules every Offload HTTP server (MCP `mcp --http` and the extension host's, the adapter)
 * applies before it looks at a request: one way to read a request target, one set of timeouts,
 * and one wrapper that keeps a handler's error inside its request. Pure: servers and handlers
 * are taken by shape, so this file imports no I/O module.
 */

/** A request target read by {@link parseRequestTarget}: the path and the query (with its `?`, or ''). */
export type RequestTarget = { ok: true; pathname: string; search: string } | { ok: false; message: string };

/** Longest request target accepted, characters (Node's header limit already bounds it at 16 KiB). */
export const MAX_TARGET_CHARS = 8192;

/**
 * Reads a request line's target (`req.url`) as origin-form (RFC 9112 §3.2.1: `/path?query`).
 * Anything else — `//a:99999/mcp` (which `new URL(target, base)` reads as an authority with a bad
 * port and throws on), absolute-form `http://…`, `*`, an empty or overlong target — is refused with
 * a message for a 400 answer. Never throws.
 */
export function parseRequestTarget(target: string | undefined): RequestTarget {
  if (target === undefined || target === '') return { ok: false, message: 'bad request: the request target is empty' };
  if (target.length > MAX_TARGET_CHARS) return { ok: false, message: `bad request: the request target is over ${MAX_TARGET_CHARS} characters` };
  if (!target.startsWith('/') || target.startsWith('//')) return { ok: false, message: 'bad request: the request target must be a path starting with a single "/"' };
  try {
    const url = new URL(target, 'http://offload.invalid');
    return { ok: true, pathname: url.pathname, search: url.search };
  } catch {
    return { ok: false, message: 'bad request: the request target is not a valid path' };
  }
}

/** True when a Content-Type header names JSON (`application/json`, parameters allowed). */
export function isJsonContentType(contentType: string | undefined): boolean {
  return /^application\/json\s*(;|$)/i.test(contentType ?? '');
}

/** The timeouts of an HTTP server, ms (node:http's `Server` fields of the same names). */
export interface HttpTimeouts {
  /** Time to receive the request line and all headers (slowloris); node's default is 60 s. */
  headersTimeout: number;
  /** Time to receive the whole request, headers and body; node's default is 300 s. */
  requestTimeout: number;
  /** How long a kept-alive connection may sit between requests. */
  keepAliveTimeout: number;
  /** A socket with no traffic in either direction for this long is destroyed; 0: never (SSE streams that may stay silent). */
  timeout: number;
}

/** Offload's defaults: loopback clients send their headers at once and bodies of at most a few MiB. */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = { headersTimeout: 10_000, requestTimeout: 60_000, keepAliveTimeout: 5_000, timeout: 0 };

/** The fields of node:http's Server that {@link applyHttpTimeouts} sets. */
export interface TimeoutTarget {
  headersTimeout: number;
  requestTimeout: number;
  keepAliveTimeout: number;
  timeout: number;
}

/**
 * Sets every timeout explicitly (defaults overridden by `overrides`). node requires
 * headersTimeout ≤ requestTimeout when both are set, so the header limit is capped by the request
 * limit. Returns the values applied.
 */
export function applyHttpTimeouts(server: TimeoutTarget, overrides: Partial<HttpTimeouts> = {}): HttpTimeouts {
  const t = { ...DEFAULT_HTTP_TIMEOUTS, ...overrides };
  t.headersTimeout = Math.min(t.headersTimeout, t.requestTimeout);
  server.headersTimeout = t.headersTimeout;
  server.requestTimeout = t.requestTimeout;
  server.keepAliveTimeout = t.keepAliveTimeout;
  server.timeout = t.timeout;
  return t;
}

/**
 * Wraps a request handler so that nothing it throws or rejects with can escape into the event loop
 * (an uncaught error ends a Node process): `onError` gets it, once, and must itself not throw
 * (it answers 500 if it still can). Returns the handler's promise, settled either way.
 */
export function guardHandler<A extends unknown[]>(
  handler: (...args: A) => Promise<void> | void,
  onError: (err: unknown, ...args: A) => void,
): (...args: A) => Promise<void> {
  const fail = (err: unknown, args: A) => {
    try {
      onError(err, ...args);
    } catch {
      // onError broke its contract; the request is lost, the process is not.
    }
  };
  return (...args) => {
    try {
      return Promise.resolve(handler(...args)).catch((err: unknown) => fail(err, args));
    } catch (err) {
      fail(err, args);
      return Promise.resolve();
    }
  };
}
