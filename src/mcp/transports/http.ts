import { randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import {
  guardHandler,
  httpServerOptions,
  isJsonContentType,
  parseRequestTarget,
  type HttpTimeouts,
} from '../../core/http-guard';
import { readJsonBody } from '../../http/read-json-body';

/** What the transport needs per session: a fresh server and how to dispose of it (createMcpServer's shape). */
export type McpServerFactory = () =>
  { server: McpServer; cleanup: () => Promise<void> } | Promise<{ server: McpServer; cleanup: () => Promise<void> }>;

/** One HTTP request as the server saw it, for diagnostics and tests. `rpcMethods` lists JSON-RPC methods of a POST body. */
export interface McpHttpRequestRecord {
  at: number;
  method: string;
  path: string;
  status: number;
  sessionId: string | null;
  rpcMethods: string[];
  userAgent: string | null;
  /** Why the request was refused (400/403/401/404/413/415), or null when it reached the MCP transport. */
  refused: string | null;
}

/** Options of {@link serveMcpHttp}. */
export interface McpHttpOptions {
  /** Called once per MCP session (each `initialize`), e.g. `app.createMcpServer`. */
  createServer: McpServerFactory;
  /** TCP port on 127.0.0.1; 0 (default) picks a free one. */
  port?: number;
  /** The bearer token clients must send; default 32 random bytes, base64url. */
  token?: string;
  /** Called after every request (also refused ones). Must not throw. */
  onRequest?: (record: McpHttpRequestRecord) => void;
  /** Sessions held at once; at the cap a new `initialize` evicts the idlest session (default {@link DEFAULT_MAX_SESSIONS}). */
  maxSessions?: number;
  /** A session with no open request for this long is closed (clients that vanish without DELETE), ms. Default {@link DEFAULT_IDLE_SESSION_MS}. */
  idleSessionMs?: number;
  /** Header, body and idle limits of the listener, ms (core/http-guard.ts defaults). */
  timeouts?: Partial<HttpTimeouts>;
}

/** Default cap on MCP sessions held at once. */
export const DEFAULT_MAX_SESSIONS = 100;
/** Default idle time after which a session without open requests is closed: 5 min, ms. */
export const DEFAULT_IDLE_SESSION_MS = 5 * 60 * 1000;

/** A running Streamable HTTP MCP server. `url` ends in `/mcp`; clients send `Authorization: Bearer <token>`. */
export interface McpHttpServer {
  url: string;
  port: number;
  token: string;
  /** Open MCP sessions. */
  sessionCount(): number;
  /** Ends every session (clients get 404 and re-initialize, reaching a fresh server); keeps listening. */
  closeSessions(): Promise<void>;
  /** Closes every session and the listener. Idempotent. */
  close(): Promise<void>;
}

const MAX_BODY_BYTES = 4 * 1024 * 1024;

/** Constant-time comparison of the Authorization header against `Bearer <token>`. */
function hasToken(header: string | undefined, token: string): boolean {
  const expected = Buffer.from(`Bearer ${token}`);
  const got = Buffer.from(header ?? '');
  return got.length === expected.length && timingSafeEqual(got, expected);
}

function sendError(res: ServerResponse, status: number, message: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}

function rpcMethods(body: unknown): string[] {
  const messages = Array.isArray(body) ? body : [body];
  return messages.flatMap((m) =>
    m && typeof m === 'object' && typeof (m as { method?: unknown }).method === 'string'
      ? [(m as { method: string }).method]
      : [],
  );
}

interface Session {
  transport: StreamableHTTPServerTransport;
  cleanup: () => Promise<void>;
  /** Requests of this session still open (a standalone SSE GET counts while it lasts). */
  open: number;
  /** Epoch ms of the last request's start or end. */
  lastSeen: number;
}

/** The session to evict at the cap: fewest open requests, then least recently seen. */
function idlest(sessions: Iterable<Session>): Session | undefined {
  let best: Session | undefined;
  for (const s of sessions)
    if (!best || s.open < best.open || (s.open === best.open && s.lastSeen < best.lastSeen)) best = s;
  return best;
}

/**
 * Serves MCP over Streamable HTTP (stateful: one SDK transport and one server per session, keyed
 * by `Mcp-Session-Id`; sessions end on DELETE or close). Security (DESIGN.md): binds 127.0.0.1
 * only; a request target that is not a plain path (`//a:99999/mcp`, `http://[`) gets 400 before
 * anything else; a request whose Host is not `127.0.0.1:<port>` or `localhost:<port>`, or whose
 * Origin (when sent) is not one of those over http, gets 403 (DNS rebinding protection) before
 * the token is looked at; a missing or wrong bearer token gets 401. Only `/mcp` exists (else
 * 404); a POST must be `application/json` (else 415). Sessions idle for `idleSessionMs` are
 * closed; at `maxSessions` a new `initialize` evicts the idlest one. No error of a request reaches
 * the event loop (core/http-guard.ts). Resolves once listening; rejects when the port cannot be bound.
 */
export async function serveMcpHttp(opts: McpHttpOptions): Promise<McpHttpServer> {
  const token = opts.token ?? randomBytes(32).toString('base64url');
  const maxSessions = Math.max(1, opts.maxSessions ?? DEFAULT_MAX_SESSIONS);
  const idleMs = opts.idleSessionMs ?? DEFAULT_IDLE_SESSION_MS;
  const sessions = new Map<string, Session>();
  let allowedHosts = new Set<string>();
  let allowedOrigins = new Set<string>();

  const handle = async (req: IncomingMessage, res: ServerResponse, record: McpHttpRequestRecord): Promise<void> => {
    const refuse = (status: number, why: string, headers?: Record<string, string>) => {
      record.refused = why;
      sendError(res, status, why, headers);
    };
    const target = parseRequestTarget(req.url);
    if (!target.ok) return refuse(400, target.message);
    record.path = target.pathname;
    if (!allowedHosts.has(req.headers.host ?? '')) return refuse(403, 'forbidden: Host must be this loopback server');
    const origin = req.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin)) return refuse(403, 'forbidden: Origin is not allowed');
    if (record.path !== '/mcp') return refuse(404, 'not found: the MCP endpoint is /mcp');
    if (!hasToken(req.headers.authorization, token))
      return refuse(401, 'unauthorized: send Authorization: Bearer <token>', {
        'www-authenticate': 'Bearer realm="offload"',
      });

    let body: unknown;
    if (req.method === 'POST') {
      if (!isJsonContentType(req.headers['content-type']))
        return refuse(415, 'unsupported media type: send Content-Type: application/json');
      const parsed = await readJsonBody(req, MAX_BODY_BYTES);
      if (!parsed.ok && parsed.error === 'too_large')
        return refuse(413, `request body over ${MAX_BODY_BYTES} bytes`, { connection: 'close' });
      if (!parsed.ok && parsed.error === 'ended_early') return refuse(400, 'bad request: the body ended early');
      if (!parsed.ok) return refuse(400, 'parse error: the body is not JSON');
      body = parsed.value;
      record.rpcMethods = rpcMethods(body);
    }
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId);
      if (!session) return refuse(404, 'session not found: initialize a new session');
      session.open += 1;
      session.lastSeen = Date.now();
      res.once('close', () => {
        session.open -= 1;
        session.lastSeen = Date.now();
      });
      return session.transport.handleRequest(req, res, body);
    }
    if (req.method !== 'POST') return refuse(400, 'bad request: Mcp-Session-Id header is required');
    if (!record.rpcMethods.includes('initialize'))
      return refuse(400, 'bad request: Mcp-Session-Id header is required (only initialize starts a session)');
    if (sessions.size >= maxSessions) {
      const evicted = idlest(sessions.values());
      if (evicted) await evicted.transport.close();
    }
    const created = await opts.createServer();
    let cleaned: Promise<void> | undefined;
    // Once only: server.close() closes the transport, whose onclose lands here again.
    const cleanup = () => (cleaned ??= created.cleanup().catch(() => undefined));
    const { server } = created;
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, cleanup, open: 0, lastSeen: Date.now() });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId) sessions.delete(transport.sessionId);
      void cleanup();
    };
    await server.connect(transport);
    await transport.handleRequest(req, res, body);
    // The transport refused the initialize (bad params): no session exists to keep.
    if (!transport.sessionId || !sessions.has(transport.sessionId)) await cleanup();
  };

  const guarded = guardHandler(handle, (err, _req, res) => {
    if (!res.headersSent) sendError(res, 500, `internal error: ${err instanceof Error ? err.message : String(err)}`);
    else res.destroy();
  });
  const http = createServer(httpServerOptions(opts.timeouts), (req, res) => {
    const record: McpHttpRequestRecord = {
      at: Date.now(),
      method: (req.method ?? '').slice(0, 20),
      path: (req.url ?? '').slice(0, 200),
      status: 0,
      sessionId: typeof req.headers['mcp-session-id'] === 'string' ? req.headers['mcp-session-id'] : null,
      rpcMethods: [],
      userAgent: req.headers['user-agent'] ?? null,
      refused: null,
    };
    res.on('finish', () => {
      record.status = res.statusCode;
      record.sessionId ??= (res.getHeader('mcp-session-id') as string | undefined) ?? null;
      try {
        opts.onRequest?.(record);
      } catch {
        // onRequest must not throw; if it does, the request is already answered and the server goes on.
      }
    });
    void guarded(req, res, record);
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(opts.port ?? 0, '127.0.0.1', () => {
      http.off('error', reject);
      resolve();
    });
  });
  http.on('error', () => undefined); // after listen, errors belong to sockets (each has its own handler)
  const port = (http.address() as AddressInfo).port;
  allowedHosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`]);
  allowedOrigins = new Set([...allowedHosts].map((h) => `http://${h}`));
  const sweep = setInterval(
    () => {
      const cutoff = Date.now() - idleMs;
      for (const s of sessions.values())
        if (s.open === 0 && s.lastSeen < cutoff) void s.transport.close().catch(() => undefined);
    },
    Math.max(10, Math.min(idleMs / 2, 30_000)),
  );
  sweep.unref();
  const closeSessions = async () => {
    const open = [...sessions.values()];
    sessions.clear();
    await Promise.allSettled(open.map((s) => s.transport.close()));
  };
  let closing: Promise<void> | undefined;
  return {
    url: `http://127.0.0.1:${port}/mcp`,
    port,
    token,
    sessionCount: () => sessions.size,
    closeSessions,
    close: () =>
      (closing ??= (async () => {
        clearInterval(sweep);
        const closed = new Promise<void>((resolve) => http.close(() => resolve()));
        http.closeAllConnections();
        await closeSessions();
        http.closeAllConnections();
        await closed;
      })()),
  };
}
