/**
 * The rules every Offload HTTP server (MCP `mcp --http` and the extension host's, the adapter)
 * applies before it looks at a request: one way to read a request target, one set of timeouts,
 * and one wrapper that keeps a handler's error inside its request. Pure: servers and handlers
 * are taken by shape, so this file imports no I/O module.
 */

/**
 * How long any Offload server may take to stop once told to (SIGINT/SIGTERM for the CLI's
 * `adapter`, `mcp --http`, `status-server`; deactivate for the extension host), ms: within it in-flight
 * calls are aborted and settled or released, jobs cancelled and their children ended.
 */
export const SERVER_STOP_DEADLINE_MS = 1500;

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
  if (target.length > MAX_TARGET_CHARS)
    return { ok: false, message: `bad request: the request target is over ${MAX_TARGET_CHARS} characters` };
  if (!target.startsWith('/') || target.startsWith('//'))
    return { ok: false, message: 'bad request: the request target must be a path starting with a single "/"' };
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

/**
 * The limits of an HTTP server, ms: node:http's `createServer` options of the same names. There is
 * no socket inactivity timeout: an MCP SSE stream, or an adapter call waiting for a slow model
 * before its first byte, may be silent for minutes, and both end when their client goes.
 */
export interface HttpTimeouts {
  /** Time to receive the request line and all headers (slowloris); node's default is 60 s. */
  headersTimeout: number;
  /** Time to receive the whole request, headers and body; node's default is 300 s. */
  requestTimeout: number;
  /** Idle time allowed on a kept-alive connection between two requests; node's default is 5 s. */
  keepAliveTimeout: number;
  /** How often node checks the two limits above; node's default of 30 s would let a slow client overstay them by that much. */
  connectionsCheckingInterval: number;
}

/** Offload's limits: loopback clients send their headers at once and bodies of at most a few MiB. */
export const DEFAULT_HTTP_TIMEOUTS: HttpTimeouts = {
  headersTimeout: 10_000,
  requestTimeout: 60_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1_000,
};

/**
 * The `createServer` options that set every limit explicitly: the defaults, overridden by
 * `overrides`. node requires headersTimeout ≤ requestTimeout, so the header limit is capped by the
 * request limit, and the checking interval by the header limit.
 */
export function httpServerOptions(overrides: Partial<HttpTimeouts> = {}): HttpTimeouts {
  const t = { ...DEFAULT_HTTP_TIMEOUTS, ...overrides };
  t.headersTimeout = Math.min(t.headersTimeout, t.requestTimeout);
  t.connectionsCheckingInterval = Math.min(t.connectionsCheckingInterval, t.headersTimeout);
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
