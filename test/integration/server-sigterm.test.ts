import { strict as assert } from 'node:assert';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, realpathSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { openLedger } from '../../src/ledger/sqlite-ledger';
import { rawExchange } from '../support/raw-http';
import { startScriptedGateway, type ScriptedGateway } from '../support/scripted-gateway';
import { WORKER } from '../support/worker-client';

/** The promise: a server command stops this soon after SIGTERM, ms. */
const STOP_MS = 2_000;

interface Worker {
  child: ChildProcess;
  /** stdout and stderr so far. */
  output: () => string;
  /** Resolves with the first match of `re` in the output (rejects if the worker exits first). */
  printed: (re: RegExp) => Promise<RegExpExecArray>;
  /** Sends SIGTERM; resolves with the exit code (null: killed by a signal) and how long it took, ms. */
  terminate: () => Promise<{ code: number | null; ms: number }>;
}

function startWorker(args: string[], env: Record<string, string>): Worker {
  const child = spawn(process.execPath, [WORKER, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: Array<() => void> = [];
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      resolve(code);
      for (const w of waiters.splice(0)) w();
    }),
  );
  const onData = (c: Buffer) => {
    out += c.toString();
    for (const w of waiters.splice(0)) w();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  return {
    child,
    output: () => out,
    printed: (re) =>
      new Promise((resolve, reject) => {
        const check = () => {
          const m = re.exec(out);
          if (m) return resolve(m);
          if (child.exitCode !== null || child.signalCode !== null)
            return reject(new Error(`worker exited before printing ${re}:\n${out}`));
          waiters.push(check);
        };
        check();
      }),
    async terminate() {
      const started = Date.now();
      child.kill('SIGTERM');
      const code = await exited;
      return { code, ms: Date.now() - started };
    },
  };
}

async function until(check: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('server commands stop within 2 s of SIGTERM, also with a request in flight (built dist/worker.js)', function () {
  this.timeout(60_000);
  let gateway: ScriptedGateway;
  let dir: string;
  let worker: Worker | undefined;
  /** Request i of the gateway: the first answers at once, later ones hang for 30 s (a call still in flight at SIGTERM). */
  beforeEach(async () => {
    gateway = await startScriptedGateway({
      script: (_req, i) => ({
        text: 'Answered.',
        usage: { prompt_tokens: 100, completion_tokens: 5 },
        delayMs: i === 0 ? 0 : 30_000,
      }),
    });
    dir = realpathSync(mkdtempSync(join(tmpdir(), 'offload-sigterm-')));
  });
  afterEach(async () => {
    if (worker && worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
    worker = undefined;
    await gateway.close();
  });
  const env = () => ({
    OPENAI_BASE_URL: gateway.url,
    OPENAI_API_KEY: 'k',
    OFFLOAD_LEDGER: join(dir, 'ledger.sqlite'),
    SANDBOX_ROOT: dir,
    OFFLOAD_ADAPTER_KEY: '',
  });

  async function assertNothingHeld(): Promise<void> {
    const ledger = await openLedger(join(dir, 'ledger.sqlite'), { caps: { monthlyMicros: 25e6, dailyMicros: null } });
    try {
      const stats = await ledger.spendStats();
      assert.equal(stats.reservations_in_flight, 0, 'no reservation is left held');
      assert.equal(stats.reserved, 0);
    } finally {
      await ledger.close();
    }
  }

  it('adapter: survives //a:99999, serves a real Anthropic client, then stops with a stream in flight and its reservation released', async () => {
    worker = startWorker(['adapter', '--port', '0'], env());
    const [, url] = await worker.printed(/adapter listening on (\S+) /);
    const [, key] = await worker.printed(/OFFLOAD_ADAPTER_KEY=(\S+)\n/);
    const port = Number(new URL(url!).port);
    const bad = await rawExchange(port, [`GET //a:99999/v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`]);
    assert.equal(bad.status, 400);
    const client = new Anthropic({ baseURL: url, apiKey: key, maxRetries: 0 });
    const answer = await client.messages.create({
      model: 'claude-sonnet-5',
      max_tokens: 64,
      messages: [{ role: 'user', content: 'hi' }],
    });
    assert.deepEqual(answer.content, [{ type: 'text', text: 'Answered.' }]);

    const inFlight = client.messages
      .stream({ model: 'claude-sonnet-5', max_tokens: 64, messages: [{ role: 'user', content: 'hang' }] })
      .finalMessage()
      .catch((e: unknown) => e);
    const inFlightToo = client.messages
      .create({ model: 'claude-sonnet-5', max_tokens: 64, messages: [{ role: 'user', content: 'hang too' }] })
      .catch((e: unknown) => e);
    // Two clients caught mid-request: one mid-body, one mid-headers.
    const halfBody = rawExchange(
      port,
      [
        `POST /v1/messages HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nx-api-key: ${key}\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":`,
      ],
      { timeoutMs: 20_000 },
    );
    const halfHead = rawExchange(port, [`GET / HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n`], { timeoutMs: 20_000 });
    await until(() => gateway.requests.length === 3, 5_000, 'the second and third calls reached the gateway');
    const { code, ms } = await worker.terminate();
    assert.equal(code, 0, worker.output());
    assert.ok(ms < STOP_MS, `stopped after ${ms} ms`);
    assert.ok((await inFlight) instanceof Error, 'the in-flight stream ended with an error, not an answer');
    assert.ok((await inFlightToo) instanceof Error, 'the in-flight call ended with an error, not an answer');
    for (const r of await Promise.all([halfBody, halfHead]))
      assert.ok(r.closedByServer && r.ms < 10_000, 'half-sent requests were closed');
    await assertNothingHeld();
  });

  it('mcp --http: survives //a:99999/mcp, serves a real MCP client, then stops with a run_job in flight and nothing held', async () => {
    worker = startWorker(['mcp', '--http', '--port', '0'], env());
    const [, url, token] = await worker.printed(/listening on (\S+)\nAuthorization: Bearer (\S+)\n/);
    const port = Number(new URL(url!).port);
    for (const target of ['//a:99999/mcp', 'http://[']) {
      const bad = await rawExchange(port, [`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\n\r\n`]);
      assert.equal(bad.status, 400, target);
    }
    const client = new Client({ name: 'sigterm-test', version: '0.0.0' });
    await client.connect(
      new StreamableHTTPClientTransport(new URL(url!), {
        requestInit: { headers: { Authorization: `Bearer ${token}` } },
      }),
    );
    const first = await client.callTool({ name: 'run_job', arguments: { agent: 'mini-worker', task: 'Summarize' } });
    assert.notEqual(first.isError, true, JSON.stringify(first));

    const inFlight = client
      .callTool({ name: 'run_job', arguments: { agent: 'mini-worker', task: 'Summarize again' } })
      .catch((e: unknown) => e);
    await until(() => gateway.requests.length === 2, 5_000, 'the second job reached the gateway');
    const { code, ms } = await worker.terminate();
    assert.equal(code, 0, worker.output());
    assert.ok(ms < STOP_MS, `stopped after ${ms} ms`);
    await client.close().catch(() => undefined); // the in-flight call's answer never came: closing the client ends it
    assert.ok((await inFlight) instanceof Error, 'the in-flight call ended with an error, not an answer');
    await assertNothingHeld();
  });

  it('status-server: survives garbage, answers STATUS, then stops with a client connected mid-line', async () => {
    worker = startWorker(['status-server', '--port', '0'], env());
    const [, port] = await worker.printed(/STATUS server on 127\.0\.0\.1:(\d+)/);
    await rawExchange(Number(port), ['GET //a:99999/mcp HTTP/1.1\r\n\r\n', Buffer.from([0, 0xff, 0x0a])], {
      timeoutMs: 300,
      end: true,
    });
    const answer = await rawExchange(Number(port), ['STATUS\n'], { timeoutMs: 2_000, until: (t) => t.endsWith('\n') });
    assert.equal(answer.text, 'FALSE\n');
    const connected = rawExchange(Number(port), ['STAT'], { timeoutMs: 10_000 });
    await new Promise((r) => setTimeout(r, 100));
    const { code, ms } = await worker.terminate();
    assert.equal(code, 0, worker.output());
    assert.ok(ms < STOP_MS, `stopped after ${ms} ms`);
    assert.ok((await connected).closedByServer, 'the open connection was closed');
  });

  it('adapter: a SIGTERM during start-up still ends it within 2 s, cleanly', async () => {
    worker = startWorker(['adapter', '--port', '0'], env());
    await new Promise((r) => setTimeout(r, 150));
    const { code, ms } = await worker.terminate();
    assert.ok(ms < STOP_MS, `stopped after ${ms} ms`);
    assert.ok(code === 0 || code === null, `exit ${code}: ${worker.output()}`);
  });
});
