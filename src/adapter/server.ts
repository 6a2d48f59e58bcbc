import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  guardHandler,
  httpServerOptions,
  isJsonContentType,
  parseRequestTarget,
  type HttpTimeouts,
} from '../core/http-guard';
import { anthropicError } from './anthropic-errors';
import { AnthropicCountTokensRequest, parseAnthropic } from './anthropic-schema';
import { countRequestTokens } from './count-tokens';
import type { AnthropicGateway } from './anthropic-gateway';
import { handleMessages, sendError, sendJson } from './messages-handler';
import { handlePassthrough, passCountTokens } from './passthrough-handler';
import type { Meter } from './meter';
import { createMetricsFile, NO_METRICS, type MetricsSink } from './metrics';
import type { Upstream } from './upstream';
import { readJsonBody } from '../http/read-json-body';

/** Options of startAdapterServer. */
export interface AdapterServerOptions {
  /** Resolves adapter keys to jobs and meters every upstream call (createLedgerMeter in production). */
  meter: Meter;
  upstream: Upstream;
  /**
   * USE_OPENAI_ADAPTER=0: the gateway speaks Anthropic Messages itself (ANTHROPIC_BASE_URL). /v1/messages is passed
   * through to it, metered the same way (passthrough-handler.ts); count_tokens is asked there first. `upstream` is unused then.
   */
  anthropicGateway?: AnthropicGateway;
  /** PER_JOB_TOKEN_LIMIT: max_tokens of every upstream call is clamped to it. */
  perJobTokenLimit: number;
  /** Loopback only (DESIGN.md, security). */
  host?: '127.0.0.1';
  /** TCP port; 0 or absent picks a free one. */
  port?: number;
  log?: (line: string) => void;
  /** Called when a reservation is refused by a cap, before the 400 "Offload budget: …" answer: the job should end budget_exceeded. */
  onBudgetExceeded?: (jobId: string, err: Error) => void;
  /** Known output-token limits per gateway model; max_tokens is clamped to them. */
  modelOutputLimits?: Record<string, number>;
  /** Largest request body accepted, bytes (default 32 MiB; Claude Code sends 100–500 KiB). Larger → 413. */
  maxBodyBytes?: number;
  /** Epoch ms, for latencies. Default Date.now. */
  clock?: () => number;
  /** Message ids (msg_…). Default random. */
  newMessageId?: () => string;
  /** WORKER_METRICS_FILE: append one JSON line per upstream attempt to this file. */
  metricsFile?: string;
  /** Where metrics go instead of `metricsFile` (tests). */
  metrics?: MetricsSink;
  /** Secrets masked in metrics lines (API keys, adapter keys). */
  secrets?: () => readonly (string | undefined)[];
  /** A `ping` event after this many ms without another event on a stream (default 10,000; 0: never). */
  pingIntervalMs?: number;
  /** Header, body and idle limits of the listener, ms (core/http-guard.ts defaults; the body limit is raised to 120 s for 32 MiB bodies). */
  timeouts?: Partial<HttpTimeouts>;
}

/** A running adapter: `url` is the base URL for ANTHROPIC_BASE_URL (no trailing slash, no /v1). */
export interface AdapterServer {
  url: string;
  port: number;
  /** Stops listening, drops open connections (their upstream calls are aborted and settled) and waits for in-flight calls. */
  close(): Promise<void>;
}

/**
 * Starts the Anthropic Messages → OpenAI chat-completions adapter on 127.0.0.1
 * (node:http). Routes: HEAD / and GET / → 200 (Claude Code probes HEAD / first);
 * POST /v1/messages (`?beta=true` allowed), streaming or not; POST /v1/messages/count_tokens,
 * answered locally (with `anthropicGateway`: both passed through, count_tokens counted locally
 * when the gateway lacks it). Auth: the job's adapter key as `x-api-key` or `Authorization: Bearer`
 * (meter.authorize), else 401 authentication_error. A Host header other than this loopback
 * address → 403 (DNS rebinding). Rejects with the listen error (e.g. EADDRINUSE).
 */
export async function startAdapterServer(opts: AdapterServerOptions): Promise<AdapterServer> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? (() => {});
  const maxBody = opts.maxBodyBytes ?? 32 * 1024 * 1024;
  const deps = {
    meter: opts.meter,
    upstream: opts.upstream,
    perJobTokenLimit: opts.perJobTokenLimit,
    modelOutputLimits: opts.modelOutputLimits ?? {},
    log,
    onBudgetExceeded: opts.onBudgetExceeded ?? (() => {}),
    clock: opts.clock ?? Date.now,
    newMessageId: opts.newMessageId ?? (() => `msg_${randomUUID().replace(/-/g, '')}`),
    metrics:
      opts.metrics ??
      (opts.metricsFile ? createMetricsFile(opts.metricsFile, { secrets: opts.secrets, log }) : NO_METRICS),
    pingIntervalMs: opts.pingIntervalMs ?? 10_000,
    secrets: opts.secrets,
  };
  const inFlight = new Set<Promise<void>>();
  let port = 0;
  const gateway = opts.anthropicGateway;
  let gatewayCounts = true;

  async function route(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const url = parseRequestTarget(req.url);
    if (!url.ok)
      return sendError(res, { status: 400, body: anthropicError('invalid_request_error', url.message), headers: {} });
    if (!allowedHost(req.headers.host, port))
      return sendError(res, { status: 403, body: anthropicError('permission_error', 'host not allowed'), headers: {} });
    if (url.pathname === '/' && (req.method === 'HEAD' || req.method === 'GET')) {
      res.writeHead(200, { 'content-type': 'text/plain' });
      return void res.end(req.method === 'GET' ? 'Offload adapter\n' : undefined);
    }
    const isMessages = url.pathname === '/v1/messages';
    const isCount = url.pathname === '/v1/messages/count_tokens';
    if (!isMessages && !isCount)
      return sendError(res, {
        status: 404,
        body: anthropicError('not_found_error', `no route ${req.method} ${url.pathname}`),
        headers: {},
      });
    if (req.method !== 'POST')
      return sendError(res, {
        status: 405,
        body: anthropicError('invalid_request_error', `use POST for ${url.pathname}`),
        headers: {},
      });
    const job = opts.meter.authorize(keyOf(req));
    if (!job)
      return sendError(res, {
        status: 401,
        body: anthropicError('authentication_error', 'invalid x-api-key'),
        headers: {},
      });
    if (!isJsonContentType(req.headers['content-type']))
      return sendError(res, {
        status: 415,
        body: anthropicError('invalid_request_error', 'send Content-Type: application/json'),
        headers: {},
      });
    const body = await readJsonBody(req, maxBody);
    if (!body.ok) {
      if (body.error === 'too_large')
        return sendError(res, {
          status: 413,
          body: anthropicError('request_too_large', `request body over ${maxBody} bytes`),
          headers: { connection: 'close' },
        });
      return sendError(res, {
        status: 400,
        body: anthropicError('invalid_request_error', BODY_ERRORS[body.error]),
        headers: {},
      });
    }
    if (isCount) {
      const parsed = parseAnthropic(AnthropicCountTokensRequest, body.value);
      if (!parsed.ok)
        return sendError(res, {
          status: 400,
          body: anthropicError('invalid_request_error', parsed.message),
          headers: {},
        });
      if (gateway && gatewayCounts) {
        const passed = await passCountTokens(
          { ...deps, gateway },
          job,
          body.value as Record<string, unknown>,
          url.search,
          req.headers,
          res,
        );
        if (passed === 'sent') return;
        if (passed === 'unsupported') gatewayCounts = false; // count here from now on
      }
      return sendJson(res, 200, countRequestTokens(parsed.value));
    }
    job.onRequestBytes?.(body.bytes);
    const gone = new AbortController();
    res.on('close', () => {
      if (!res.writableFinished) gone.abort();
    });
    // Returned, not awaited: this frame ends here, so it does not keep the parsed body alive while the call runs.
    if (gateway)
      return handlePassthrough({ ...deps, gateway }, job, body.value, url.search, req.headers, res, gone.signal);
    return handleMessages(deps, job, body.value, res, gone.signal);
  }

  const guarded = guardHandler(route, (err, req, res) => {
    log(`adapter: ${req.method} ${req.url?.slice(0, 200)} failed: ${err instanceof Error ? err.message : String(err)}`);
    if (!res.headersSent)
      sendError(res, { status: 500, body: anthropicError('api_error', 'Offload adapter error'), headers: {} });
    else res.destroy();
  });
  const server = createServer(httpServerOptions({ requestTimeout: 120_000, ...opts.timeouts }), (req, res) => {
    const started = deps.clock();
    res.on('close', () =>
      log(
        `adapter: ${req.method} ${req.url?.slice(0, 200)} → ${res.statusCode}${res.writableFinished ? '' : ' (closed early)'} ${deps.clock() - started} ms`,
      ),
    );
    const p = guarded(req, res);
    inFlight.add(p);
    void p.finally(() => inFlight.delete(p));
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  server.on('error', (err) => log(`adapter: server error: ${err.message}`));
  port = (server.address() as AddressInfo).port;
  log(`adapter listening on http://${host}:${port}`);
  return {
    url: `http://${host}:${port}`,
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await Promise.allSettled([...inFlight]);
      await closed;
      gateway?.close();
      await deps.metrics.flush();
    },
  };
}

const BODY_ERRORS = {
  ended_early: 'request body ended early (the client went away)',
  not_json: 'request body is not valid JSON',
} as const;

/** The adapter key of a request: `x-api-key`, else `Authorization: Bearer <key>`, else ''. */
export function keyOf(req: Pick<IncomingMessage, 'headers'>): string {
  const apiKey = req.headers['x-api-key'];
  if (typeof apiKey === 'string' && apiKey) return apiKey;
  const auth = req.headers.authorization ?? '';
  return /^Bearer\s+(.+)$/i.exec(auth)?.[1]?.trim() ?? '';
}

function allowedHost(host: string | undefined, port: number): boolean {
  return host === `127.0.0.1:${port}` || host === `localhost:${port}`;
}
