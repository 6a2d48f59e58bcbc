import { strict as assert } from 'node:assert';
import Anthropic from '@anthropic-ai/sdk';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import fc from 'fast-check';
import { createAnthropicGateway } from '../../src/adapter/anthropic-gateway';
import { createLedgerMeter } from '../../src/adapter/ledger-meter';
import { startAdapterServer, type AdapterServer } from '../../src/adapter/server';
import { createUpstream } from '../../src/adapter/upstream';
import { startStatusServer, type StatusServer } from '../../src/cli/status-server';
import { PriceBook } from '../../src/core/pricing';
import { openMemoryLedger, type HostLedger } from '../../src/ledger/sqlite-ledger';
import { serveMcpHttp, type McpHttpServer } from '../../src/mcp/transports/http';
import { startAppFixture, type AppFixture } from '../support/app-fixture';
import { fillCase, malformedCases, rawExchange, type RawReply } from '../support/raw-http';
import { startScriptedAnthropicGateway, type ScriptedAnthropicGateway } from '../support/scripted-anthropic-gateway';
import { startScriptedGateway, type ScriptedGateway } from '../support/scripted-gateway';

/** Short limits, so slow clients are cut within the test's time; the production defaults are core/http-guard.ts's. */
const TIMEOUTS = {
  headersTimeout: 500,
  requestTimeout: 1_000,
  keepAliveTimeout: 500,
  connectionsCheckingInterval: 250,
};

/** One HTTP server under fuzz: where it listens, its real endpoint, the auth line a client sends, and a real client that must still work. */
interface Target {
  name: string;
  port: () => number;
  path: string;
  auth: () => string;
  realClient: () => Promise<void>;
  before: () => Promise<void>;
  after: () => Promise<void>;
}

/** A reply is a 4xx, or no reply from a server that closed the connection itself: never a 5xx, never a hang. */
function assertClientError(reply: RawReply, what: string): void {
  if (reply.status === null)
    assert.ok(reply.closedByServer, `${what}: no answer and the connection left open (${reply.ms} ms)`);
  else
    assert.ok(reply.status >= 400 && reply.status < 500, `${what}: got ${reply.status}\n${reply.text.slice(0, 300)}`);
}

let fixture: AppFixture;
let mcp: McpHttpServer;
const mcpTarget: Target = {
  name: 'MCP Streamable HTTP (mcp --http and the extension host)',
  port: () => mcp.port,
  path: '/mcp',
  auth: () => `Authorization: Bearer ${mcp.token}`,
  async before() {
    fixture = await startAppFixture(() => ({ text: 'ok', usage: { prompt_tokens: 10, completion_tokens: 2 } }));
    mcp = await serveMcpHttp({ createServer: () => fixture.app.createMcpServer(), timeouts: TIMEOUTS });
  },
  async after() {
    await mcp.close();
    await fixture.close();
  },
  async realClient() {
    const client = new Client({ name: 'fuzz-survivor', version: '0.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(mcp.url), {
        requestInit: { headers: { Authorization: `Bearer ${mcp.token}` } },
      }),
    );
    try {
      const names = (await client.listTools()).tools.map((t) => t.name);
      assert.ok(names.includes('get_spend_stats'), names.join(','));
      const stats = await client.callTool({ name: 'get_spend_stats', arguments: {} });
      assert.notEqual(stats.isError, true);
    } finally {
      await client.close();
    }
  },
};

let gateway: ScriptedGateway;
let ledger: HostLedger;
let adapter: AdapterServer;
let adapterKey = '';
const adapterTarget: Target = {
  name: 'adapter (Anthropic Messages)',
  port: () => adapter.port,
  path: '/v1/messages',
  auth: () => `x-api-key: ${adapterKey}`,
  async before() {
    gateway = await startScriptedGateway({
      script: () => ({ text: 'Still here.', usage: { prompt_tokens: 50, completion_tokens: 3 } }),
    });
    ledger = await openMemoryLedger({ caps: { monthlyMicros: 1_000_000, dailyMicros: null } });
    await ledger.createJob({ id: 'job-fuzz', kind: 'claude-code', model: 'gw-model', request: {}, status: 'running' });
    const meter = createLedgerMeter(ledger, new PriceBook({ 'gw-model': { input_mtok: 1, output_mtok: 2 } }));
    adapterKey = meter.register({ jobId: 'job-fuzz', model: 'gw-model' });
    adapter = await startAdapterServer({
      meter,
      upstream: createUpstream({ primary: { baseURL: gateway.url, apiKey: 'k' } }),
      perJobTokenLimit: 1024,
      timeouts: TIMEOUTS,
    });
  },
  async after() {
    await adapter.close();
    await gateway.close();
    await ledger.close();
  },
  async realClient() {
    const client = new Anthropic({ baseURL: adapter.url, apiKey: adapterKey, maxRetries: 0 });
    const message = await client.messages.create({
      model: 'claude-sonnet-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.deepEqual(message.content, [{ type: 'text', text: 'Still here.' }]);
    const streamed = await client.messages
      .stream({ model: 'claude-sonnet-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] })
      .finalMessage();
    assert.deepEqual(streamed.content, [{ type: 'text', text: 'Still here.' }]);
  },
};

let stand: ScriptedAnthropicGateway;
let passLedger: HostLedger;
let passAdapter: AdapterServer;
let passKey = '';
const passthroughTarget: Target = {
  name: 'adapter in pass-through mode (USE_OPENAI_ADAPTER=0)',
  port: () => passAdapter.port,
  path: '/v1/messages',
  auth: () => `x-api-key: ${passKey}`,
  async before() {
    stand = await startScriptedAnthropicGateway({
      apiKey: 'k',
      script: () => ({ text: ['Still ', 'here.'], usage: { input_tokens: 50, output_tokens: 3 } }),
    });
    passLedger = await openMemoryLedger({ caps: { monthlyMicros: 1_000_000, dailyMicros: null } });
    await passLedger.createJob({
      id: 'job-fuzz',
      kind: 'claude-code',
      model: 'gw-model',
      request: {},
      status: 'running',
    });
    const meter = createLedgerMeter(passLedger, new PriceBook({ 'gw-model': { input_mtok: 1, output_mtok: 2 } }));
    passKey = meter.register({ jobId: 'job-fuzz', model: 'gw-model' });
    passAdapter = await startAdapterServer({
      meter,
      upstream: createUpstream({ primary: { baseURL: 'http://127.0.0.1:9', apiKey: 'unused' } }),
      perJobTokenLimit: 1024,
      timeouts: TIMEOUTS,
      anthropicGateway: createAnthropicGateway({ baseURL: stand.url, apiKey: 'k' }),
    });
  },
  async after() {
    await passAdapter.close();
    await stand.close();
    await passLedger.close();
  },
  async realClient() {
    const client = new Anthropic({ baseURL: passAdapter.url, apiKey: passKey, maxRetries: 0 });
    const message = await client.messages.create({
      model: 'claude-sonnet-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.deepEqual(message.content, [{ type: 'text', text: 'Still here.' }]);
    const streamed = await client.messages
      .stream({ model: 'claude-sonnet-5', max_tokens: 64, messages: [{ role: 'user', content: 'hi' }] })
      .finalMessage();
    assert.deepEqual(
      streamed.content.map((b) => b.type === 'text' && b.text),
      ['Still here.'],
    );
  },
};

/** Request parts a fuzzer may combine: targets, header lines and bodies, printable or not. */
const anyTarget = fc.oneof(
  fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  fc.string({ maxLength: 30 }).map((s) => `/${s}`),
  fc.string({ maxLength: 30 }).map((s) => `//${s}`),
  fc.tuple(fc.string({ maxLength: 10 }), fc.integer({ min: -1, max: 1e7 })).map(([h, p]) => `//${h}:${p}/mcp`),
  fc.constantFrom('http://[', '//a:99999/mcp', 'http://[::1', '/%', '/mcp?%zz', '*', 'http://a:b@c/', '/\u0000', '//'),
);
const anyHeader = fc
  .tuple(
    fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 12 }),
    fc.string({ unit: 'binary-ascii', maxLength: 40 }),
  )
  .map(([k, v]) => `${k}: ${v}`);
const anyBody = fc.oneof(fc.string({ unit: 'binary-ascii', maxLength: 200 }), fc.json({ maxDepth: 3 }));

for (const target of [mcpTarget, adapterTarget, passthroughTarget]) {
  describe(`HTTP fuzz: ${target.name}`, function () {
    this.timeout(60_000);
    before(() => target.before());
    after(() => target.after());

    it('answers a real client before the fuzz (the baseline)', () => target.realClient());

    it('answers every malformed request line, header and body with a 4xx (or closes), without a 5xx', async () => {
      const cases = malformedCases(target.path);
      const replies = await Promise.all(
        cases.map((c) =>
          rawExchange(target.port(), [fillCase(c.raw, target.port(), target.auth())], {
            end: c.expect === 'no-answer',
          }),
        ),
      );
      cases.forEach((c, i) => {
        const reply = replies[i]!;
        if (c.expect === 'client-error')
          assert.ok(
            reply.status !== null && reply.status >= 400 && reply.status < 500,
            `${c.name}: got ${reply.status}\n${reply.text.slice(0, 300)}`,
          );
        else assertClientError(reply, c.name);
      });
      await target.realClient();
    });

    it('answers GET //a:99999/mcp with 400 naming the request target', async () => {
      const reply = await rawExchange(target.port(), [
        `GET //a:99999${target.path} HTTP/1.1\r\nHost: 127.0.0.1:${target.port()}\r\n\r\n`,
      ]);
      assert.equal(reply.status, 400);
      assert.match(reply.text, /request target/);
    });

    it('holds for random request targets, headers and bodies (fast-check)', async () => {
      await fc.assert(
        fc.asyncProperty(
          anyTarget,
          fc.array(anyHeader, { maxLength: 4 }),
          anyBody,
          fc.boolean(),
          async (path, headers, body, withAuth) => {
            const head = [
              `POST ${path} HTTP/1.1`,
              `Host: 127.0.0.1:${target.port()}`,
              ...(withAuth ? [target.auth()] : []),
              'Content-Type: application/json',
              ...headers,
              `Content-Length: ${Buffer.byteLength(body, 'latin1')}`,
            ];
            const reply = await rawExchange(target.port(), [
              `${head.join('\r\n')}\r\n\r\n`,
              Buffer.from(body, 'latin1'),
            ]);
            assertClientError(reply, JSON.stringify({ path, headers, body: body.slice(0, 80) }));
          },
        ),
        { numRuns: 80 },
      );
      await target.realClient();
    });

    it('cuts a slowloris (headers one byte at a time) at the header timeout, and a real client gets in meanwhile', async () => {
      const head = `GET ${target.path} HTTP/1.1\r\nHost: 127.0.0.1:${target.port()}\r\nX-Slow: ${'a'.repeat(40)}\r\n\r\n`;
      const slow = Array.from({ length: 4 }, () =>
        rawExchange(target.port(), [...head], { dripMs: 100, timeoutMs: 5_000 }),
      );
      await target.realClient();
      for (const reply of await Promise.all(slow)) {
        assert.ok(reply.closedByServer, 'the server closed the slow connection');
        assert.ok(reply.ms < 2_500, `cut after ${reply.ms} ms (header timeout ${TIMEOUTS.headersTimeout} ms)`);
        if (reply.status !== null) assert.equal(reply.status, 408);
      }
    });

    it('cuts a body that never finishes at the request timeout with 408', async () => {
      const head = `POST ${target.path} HTTP/1.1\r\nHost: 127.0.0.1:${target.port()}\r\n${target.auth()}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":`;
      const reply = await rawExchange(target.port(), [head], { timeoutMs: 5_000 });
      assert.ok(reply.closedByServer);
      assert.ok(reply.ms < 3_000, `cut after ${reply.ms} ms`);
      if (reply.status !== null) assert.equal(reply.status, 408);
      await target.realClient();
    });
  });
}

describe('TCP fuzz: STATUS server (status-server)', function () {
  this.timeout(30_000);
  let status: StatusServer;
  before(async () => {
    status = await startStatusServer({ port: 0, answer: async () => false, idleMs: 1_000 });
  });
  after(() => status.close());

  /** A real STATUS query on a fresh connection. */
  const query = async () => {
    const reply = await rawExchange(status.port, ['STATUS\n'], {
      timeoutMs: 1_000,
      until: (text) => text.endsWith('\n'),
    });
    assert.equal(reply.text, 'FALSE\n');
  };
  /** Every line a server sends is one of its three answers. */
  const wellFormed = (reply: RawReply, what: string) => {
    for (const line of reply.text.split('\n').slice(0, -1)) assert.match(line, /^(TRUE|FALSE|ERROR [^\n]*)$/, what);
  };

  it('answers STATUS after malformed lines, HTTP requests, garbage, NUL bytes and a 1 MiB line', async () => {
    const cases: Array<[string, Array<string | Buffer>]> = [
      ['an HTTP request with a bad port', ['GET //a:99999/mcp HTTP/1.1\r\nHost: x\r\n\r\n']],
      ['an HTTP request with a bad URL', ['GET http://[ HTTP/1.1\r\n\r\n']],
      ['binary garbage', [Buffer.from([0x16, 0x03, 0x01, 0xff, 0x00, 0x0a, 0xfe])]],
      ['NUL bytes around STATUS', ['\0STATUS\0\n']],
      ['a 1 MiB line with no newline', ['S'.repeat(1024 * 1024)]],
      ['10,000 empty lines', ['\n'.repeat(10_000)]],
      ['a line cut short by the client', ['STAT']],
      ['invalid UTF-8', [Buffer.from([0xc3, 0x28, 0x0a])]],
    ];
    const replies = await Promise.all(
      cases.map(([, pieces]) => rawExchange(status.port, pieces, { timeoutMs: 500, end: true })),
    );
    cases.forEach(([name], i) => wellFormed(replies[i]!, name));
    await query();
  });

  it('answers a STATUS sent one byte at a time (slow but well-formed)', async () => {
    const reply = await rawExchange(status.port, [...'STATUS\n'], {
      dripMs: 30,
      timeoutMs: 2_000,
      until: (text) => text.endsWith('\n'),
    });
    assert.equal(reply.text, 'FALSE\n');
  });

  it('closes a connection that stays silent past its idle limit', async () => {
    const reply = await rawExchange(status.port, ['STA'], { timeoutMs: 4_000 });
    assert.ok(reply.closedByServer && reply.ms < 3_000, `closed by the server after ${reply.ms} ms`);
    await query();
  });

  it('holds for random bytes (fast-check)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 300 }), async (bytes) => {
        wellFormed(
          await rawExchange(status.port, [Buffer.from(bytes)], { timeoutMs: 200, end: true }),
          Buffer.from(bytes).toString('hex'),
        );
      }),
      { numRuns: 40 },
    );
    await query();
  });
});

describe('HTTP fuzz: MCP messages inside a live session', function () {
  this.timeout(30_000);
  before(() => mcpTarget.before());
  after(() => mcpTarget.after());

  /** Opens a session by a raw initialize; returns its id. */
  async function rawSession(): Promise<string> {
    const body = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '0' } },
    });
    const reply = await rawExchange(
      mcp.port,
      [
        `POST /mcp HTTP/1.1\r\nHost: 127.0.0.1:${mcp.port}\r\nAuthorization: Bearer ${mcp.token}\r\nContent-Type: application/json\r\nAccept: application/json, text/event-stream\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      ],
      { until: (t) => /\r\n\r\n[\s\S]*"result"/.test(t) },
    );
    const id = /mcp-session-id: *(\S+)/i.exec(reply.text)?.[1];
    assert.ok(id, reply.text.slice(0, 400));
    return id;
  }
  const send = (session: string, method: string, body: string, accept = 'application/json, text/event-stream') =>
    rawExchange(
      mcp.port,
      [
        `${method} /mcp HTTP/1.1\r\nHost: 127.0.0.1:${mcp.port}\r\nAuthorization: Bearer ${mcp.token}\r\nMcp-Session-Id: ${session}\r\nContent-Type: application/json\r\nAccept: ${accept}\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      ],
      { timeoutMs: 1_500, until: (t) => /^HTTP\/1\.1 \d{3}/.test(t) },
    );

  it('answers junk JSON-RPC, wrong Accept headers and unknown session ids without a 5xx, and the session still works', async () => {
    const session = await rawSession();
    const junk = [
      '[]',
      '{}',
      '{"jsonrpc":"2.0"}',
      '{"jsonrpc":"1.0","id":1,"method":"ping"}',
      '[1,2,3]',
      '"x"',
      '{"jsonrpc":"2.0","id":{},"method":"tools/call","params":7}',
      JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'initialize', params: {} }),
    ];
    for (const body of junk) {
      const reply = await send(session, 'POST', body);
      assert.ok(reply.status !== null && reply.status < 500, `${body}: ${reply.status}\n${reply.text.slice(0, 300)}`);
    }
    for (const reply of [
      await send(session, 'GET', '', 'text/html'),
      await send(session, 'POST', '{"jsonrpc":"2.0","id":3,"method":"ping"}', 'text/html'),
      await send('no-such-session', 'POST', '{}'),
    ]) {
      assert.ok(
        reply.status !== null && reply.status >= 400 && reply.status < 500,
        `${reply.status}\n${reply.text.slice(0, 300)}`,
      );
    }
    const ping = await send(session, 'POST', '{"jsonrpc":"2.0","id":4,"method":"ping"}');
    assert.equal(ping.status, 200, ping.text.slice(0, 300));
  });

  it('holds for random JSON bodies sent inside a session (fast-check)', async () => {
    const session = await rawSession();
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.json({ maxDepth: 4 }),
          fc
            .record({
              jsonrpc: fc.constant('2.0'),
              id: fc.oneof(fc.integer(), fc.string()),
              method: fc.constantFrom('tools/call', 'tools/list', 'ping', 'resources/read', 'x'),
              params: fc.anything(),
            })
            .map((m) => JSON.stringify(m)),
        ),
        async (body) => {
          const reply = await send(session, 'POST', body);
          assert.ok(
            reply.status === null ? reply.closedByServer : reply.status < 500,
            `${body.slice(0, 200)}: ${reply.status}\n${reply.text.slice(0, 300)}`,
          );
        },
      ),
      { numRuns: 60 },
    );
    await mcpTarget.realClient();
  });
});
