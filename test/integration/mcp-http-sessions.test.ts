import { strict as assert } from 'node:assert';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import {
  DEFAULT_IDLE_SESSION_MS,
  DEFAULT_MAX_SESSIONS,
  serveMcpHttp,
  type McpHttpServer,
} from '../../src/mcp/transports/http';
import { startAppFixture, type AppFixture } from '../support/app-fixture';

/** A real MCP SDK client over Streamable HTTP. */
async function connect(server: McpHttpServer): Promise<Client> {
  const client = new Client({ name: 'session-test', version: '0.0.0' });
  await client.connect(
    new StreamableHTTPClientTransport(new URL(server.url), {
      requestInit: { headers: { Authorization: `Bearer ${server.token}` } },
    }),
  );
  return client;
}

/** A client that vanishes: it closes its connections without DELETE (client.close() never ends the session). */
async function connectAndVanish(server: McpHttpServer): Promise<void> {
  const client = await connect(server);
  await client.ping();
  await client.close();
}

async function until(check: () => boolean, ms: number): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${ms} ms`);
    await sleep(20);
  }
}

describe('MCP HTTP sessions of clients that vanish without DELETE', function () {
  this.timeout(60_000);
  let fixture: AppFixture;
  let server: McpHttpServer | undefined;
  before(async () => {
    fixture = await startAppFixture(() => ({ text: 'ok' }));
  });
  afterEach(async () => {
    await server?.close();
    server = undefined;
  });
  after(() => fixture.close());

  it('defaults to a 5 min idle timeout and a cap of 100 sessions', () => {
    assert.equal(DEFAULT_IDLE_SESSION_MS, 5 * 60 * 1000);
    assert.equal(DEFAULT_MAX_SESSIONS, 100);
  });

  it('lets the next client in after 100 clients closed without DELETE (default cap), evicting the idlest', async () => {
    server = await serveMcpHttp({ createServer: () => fixture.app.createMcpServer() });
    for (let i = 0; i < 100; i += 10) await Promise.all(Array.from({ length: 10 }, () => connectAndVanish(server!)));
    assert.equal(server.sessionCount(), 100, 'every vanished client still holds its session (no DELETE was sent)');
    const next = await connect(server);
    try {
      assert.ok((await next.listTools()).tools.length > 0);
      assert.equal(server.sessionCount(), 100, 'one vanished session was evicted to make room');
    } finally {
      await next.close();
    }
  });

  it('never evicts a live client while vanished ones hold sessions', async () => {
    server = await serveMcpHttp({ createServer: () => fixture.app.createMcpServer(), maxSessions: 3 });
    const live = await connect(server);
    try {
      for (let i = 0; i < 6; i += 1) {
        await connectAndVanish(server);
        assert.ok(server.sessionCount() <= 3);
        assert.ok(
          (await live.listTools()).tools.length > 0,
          `the live client still works after ${i + 1} vanished clients`,
        );
      }
    } finally {
      await live.close();
    }
  });

  it('closes sessions idle for idleSessionMs, and keeps a connected client (its SSE stream open)', async () => {
    server = await serveMcpHttp({ createServer: () => fixture.app.createMcpServer(), idleSessionMs: 300 });
    await Promise.all(Array.from({ length: 5 }, () => connectAndVanish(server!)));
    const live = await connect(server);
    try {
      assert.equal(server.sessionCount(), 6);
      await until(() => server!.sessionCount() === 1, 3_000);
      assert.ok((await live.listTools()).tools.length > 0, 'the live client (its SSE stream open) was not expired');
    } finally {
      await live.close();
    }
  });
});
