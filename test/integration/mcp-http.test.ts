import { strict as assert } from 'node:assert';
import { spawn } from 'node:child_process';
import { mkdtempSync, realpathSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { serveMcpHttp, type McpHttpRequestRecord, type McpHttpServer } from '../../src/mcp/transports/http';
import { startAppFixture, toolJson, type AppFixture } from '../support/app-fixture';
import { WORKER } from '../support/worker-client';

/** A raw HTTP POST, so tests can send headers a well-behaved client never would (foreign Host). */
function rawPost(
  url: string,
  headers: Record<string, string>,
  raw?: string,
): Promise<{ status: number; body: string }> {
  const u = new URL(url);
  const body =
    raw ??
    JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
    });
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers },
      },
      (res) => {
        let text = '';
        res.on('data', (c) => {
          text += c;
        });
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
      },
    );
    req.on('error', (err: NodeJS.ErrnoException) =>
      err.code === 'EPIPE' || err.code === 'ECONNRESET' ? undefined : reject(err),
    );
    req.end(body);
  });
}

async function connect(server: McpHttpServer, token = server.token): Promise<Client> {
  const client = new Client({ name: 'offload-http-test', version: '0.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: { headers: { Authorization: `Bearer ${token}` } },
    }),
  );
  return client;
}

describe('MCP over Streamable HTTP (real MCP SDK client)', () => {
  let fixture: AppFixture;
  let server: McpHttpServer;
  const seen: McpHttpRequestRecord[] = [];

  before(async () => {
    fixture = await startAppFixture(() => ({
      text: 'Summarized.',
      usage: { prompt_tokens: 400, completion_tokens: 40 },
    }));
    server = await serveMcpHttp({ createServer: () => fixture.app.createMcpServer(), onRequest: (r) => seen.push(r) });
  });
  after(async () => {
    await server?.close();
    await fixture?.close();
  });

  it('listens on 127.0.0.1 with a long random token', () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    assert.ok(server.token.length >= 40, 'token has at least 32 random bytes');
  });

  it('lists the tools and runs a job whose spend lands in the ledger', async () => {
    const client = await connect(server);
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      for (const name of ['run_job', 'start', 'wait', 'get_spend_stats']) assert.ok(names.includes(name), name);
      const result = toolJson(
        await client.callTool({ name: 'run_job', arguments: { agent: 'mini-worker', task: 'Summarize' } }),
      );
      assert.equal(result.job_status, 'completed');
      const job = await fixture.app.ledger.getJob(result.job_id);
      assert.equal(job?.status, 'completed');
      assert.ok(job!.costMicros > 0);
      assert.equal(server.sessionCount(), 1);
    } finally {
      await client.close();
    }
    assert.ok(seen.some((r) => r.rpcMethods.includes('tools/call') && r.status === 200));
  });

  it('keeps concurrent sessions apart and drops a session on DELETE', async () => {
    const start = server.sessionCount();
    const [a, b] = await Promise.all([connect(server), connect(server)]);
    assert.equal(server.sessionCount(), start + 2);
    const transport = a.transport as StreamableHTTPClientTransport;
    await transport.terminateSession();
    await a.close();
    assert.equal(server.sessionCount(), start + 1);
    assert.ok((await b.listTools()).tools.length > 0);
    await b.close();
  });

  const refusals: { name: string; headers: (s: McpHttpServer) => Record<string, string>; status: number }[] = [
    { name: 'a missing token', headers: () => ({}), status: 401 },
    { name: 'a wrong token', headers: () => ({ authorization: 'Bearer wrong-token' }), status: 401 },
    {
      name: 'a foreign Host, even with the right token',
      headers: (s) => ({ authorization: `Bearer ${s.token}`, host: `evil.example:${s.port}` }),
      status: 403,
    },
    {
      name: 'a foreign Origin, even with the right token',
      headers: (s) => ({ authorization: `Bearer ${s.token}`, origin: 'http://evil.example' }),
      status: 403,
    },
  ];
  for (const { name, headers, status } of refusals) {
    it(`refuses ${name} with ${status} and opens no session`, async () => {
      const before = server.sessionCount();
      const res = await rawPost(server.url, headers(server));
      assert.equal(res.status, status, res.body);
      assert.equal(server.sessionCount(), before);
    });
  }

  it('answers a body over 4 MiB with 413 and one that is not JSON with 400, opening no session', async () => {
    const before = server.sessionCount();
    const auth = { authorization: `Bearer ${server.token}` };
    const big = await rawPost(
      server.url,
      auth,
      JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { pad: 'x'.repeat(4 * 1024 * 1024) } }),
    );
    assert.deepEqual(
      [big.status, JSON.parse(big.body).error.message],
      [413, `request body over ${4 * 1024 * 1024} bytes`],
    );
    const bad = await rawPost(server.url, auth, '{"jsonrpc": "2.0", ');
    assert.deepEqual([bad.status, JSON.parse(bad.body).error.message], [400, 'parse error: the body is not JSON']);
    assert.equal(server.sessionCount(), before);
  });

  it('fails the SDK client connect with a wrong token', async () => {
    await assert.rejects(connect(server, 'not-the-token'), /401|nauthorized/);
  });

  it('accepts localhost as Host and a same-origin Origin', async () => {
    const res = await rawPost(server.url.replace('127.0.0.1', 'localhost'), {
      authorization: `Bearer ${server.token}`,
      origin: `http://localhost:${server.port}`,
    });
    assert.equal(res.status, 200, res.body);
  });

  it('answers 404 to an unknown session id', async () => {
    const res = await rawPost(server.url, {
      authorization: `Bearer ${server.token}`,
      'mcp-session-id': 'no-such-session',
    });
    assert.equal(res.status, 404);
  });
});

describe('offload-worker mcp --http', () => {
  it('prints the URL and bearer token, and serves the tools there until SIGTERM', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'offload-http-cli-')));
    const child = spawn(process.execPath, [WORKER, 'mcp', '--http', '--port', '0'], {
      env: { ...process.env, OFFLOAD_LEDGER: join(dir, 'ledger.sqlite'), SANDBOX_ROOT: dir, OPENAI_API_KEY: 'k' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let out = '';
      const printed = await new Promise<{ url: string; token: string }>((resolve, reject) => {
        child.stdout.on('data', (c: Buffer) => {
          out += c.toString();
          const m = /listening on (\S+)\nAuthorization: Bearer (\S+)\n/.exec(out);
          if (m) resolve({ url: m[1]!, token: m[2]! });
        });
        child.once('exit', (code) => reject(new Error(`worker exited ${code}: ${out}`)));
      });
      assert.match(printed.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      const client = new Client({ name: 'offload-http-cli-test', version: '0.0.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(printed.url), {
          requestInit: { headers: { Authorization: `Bearer ${printed.token}` } },
        }),
      );
      assert.ok((await client.listTools()).tools.some((t) => t.name === 'run_job'));
      await client.close();
      const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});
