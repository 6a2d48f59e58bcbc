import { deepStrictEqual, ok, rejects, strictEqual } from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import OpenAI, {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  OpenAIError,
  RateLimitError,
} from 'openai';
import type { ChatCompletionChunk, ChatCompletionCreateParams } from 'openai/resources/chat/completions';
import { chatCompletionsURL, createGatewayClient, type GatewayClient } from '../../../src/adapter/gateway-client';

/** One request as the test server received it; `connection` numbers the TCP connections from 1. */
interface Seen {
  method: string;
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  connection: number;
}

type Handler = (req: IncomingMessage, res: ServerResponse, index: number) => void;

/** A node:http server on 127.0.0.1 answering POSTs with `handler` once their body is read. */
async function serve(handler: Handler) {
  const seen: Seen[] = [];
  const sockets = new Map<Socket, number>();
  const server = createServer(async (req, res) => {
    const parts: Buffer[] = [];
    for await (const p of req) parts.push(p as Buffer);
    const i =
      seen.push({
        method: req.method ?? '',
        url: req.url ?? '',
        headers: req.headers,
        body: Buffer.concat(parts),
        connection: sockets.get(req.socket) ?? 0,
      }) - 1;
    handler(req, res, i);
  });
  server.on('connection', (s: Socket) => sockets.set(s, sockets.size + 1));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return {
    url,
    seen,
    connections: () => sockets.size,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const json = (res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) => {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(typeof body === 'string' ? body : JSON.stringify(body));
};
const completion = {
  id: 'c1',
  object: 'chat.completion',
  created: 0,
  model: 'm',
  choices: [
    { index: 0, message: { role: 'assistant', content: 'hi', refusal: null }, finish_reason: 'stop', logprobs: null },
  ],
};
const chunk = (content: string) => ({
  id: 'c',
  object: 'chat.completion.chunk',
  created: 0,
  model: 'm',
  choices: [{ index: 0, delta: { content }, finish_reason: null }],
});
const sse = (res: ServerResponse, events: string[], end = true) => {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const e of events) res.write(e);
  if (end) res.end();
};
const params: ChatCompletionCreateParams = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };
const body = Buffer.from(JSON.stringify(params));
const streamBody = Buffer.from(JSON.stringify({ ...params, stream: true }));

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<string[]> {
  const out: string[] = [];
  for await (const c of stream) out.push(c.choices[0]?.delta.content ?? '');
  return out;
}

describe('chatCompletionsURL', () => {
  const cases: Array<[string, string]> = [
    ['http://127.0.0.1:8080/v1', 'http://127.0.0.1:8080/v1/chat/completions'],
    ['http://127.0.0.1:8080/v1/', 'http://127.0.0.1:8080/v1/chat/completions'],
    ['https://api.example.com', 'https://api.example.com/chat/completions'],
    ['https://api.example.com/', 'https://api.example.com/chat/completions'],
    ['https://gw.example.com/openai/v1', 'https://gw.example.com/openai/v1/chat/completions'],
  ];
  for (const [base, url] of cases)
    it(`joins ${base} as the SDK does`, () => strictEqual(chatCompletionsURL(base).href, url));
});

describe('createGatewayClient (undici + eventsource-parser, against a node:http server on 127.0.0.1)', () => {
  let server: Awaited<ReturnType<typeof serve>>;
  let client: GatewayClient;
  const start = async (handler: Handler, timeoutMs = 10_000) => {
    server = await serve(handler);
    client = createGatewayClient({ baseURL: server.url, apiKey: 'sk-test', timeoutMs });
  };
  afterEach(async () => {
    client?.close();
    await server?.close();
  });

  it('POSTs the body to /v1/chat/completions with the bearer key, JSON content type, accept and content-length', async () => {
    await start((_req, res) => json(res, 200, completion));
    deepStrictEqual(await client.complete(body), completion);
    const [r] = server.seen;
    deepStrictEqual(
      [
        r?.method,
        r?.url,
        r?.headers.authorization,
        r?.headers['content-type'],
        r?.headers.accept,
        r?.headers['content-length'],
        r?.body.toString(),
      ],
      [
        'POST',
        '/v1/chat/completions',
        'Bearer sk-test',
        'application/json',
        'application/json',
        String(body.length),
        body.toString(),
      ],
    );
  });

  it('sends a byte body byte-exact, its content-length in bytes', async () => {
    await start((_req, res) => json(res, 200, completion));
    const whole = Buffer.from(
      JSON.stringify({ model: 'm', messages: [{ role: 'user', content: 'é 🙂 世界 \u2028 "q" \\' }] }),
    );
    await client.complete(whole.subarray(0)); // a view
    deepStrictEqual(
      [server.seen[0]?.body.equals(whole), server.seen[0]?.headers['content-length']],
      [true, String(whole.length)],
    );
  });

  it('reuses one keep-alive socket for consecutive calls, streaming or not', async () => {
    // undici frees a connection for the next request one turn of the event loop after the response ended (a request sent in the
    // same turn opens a second one); the adapter's calls are seconds apart.
    const turn = () => new Promise((resolve) => setImmediate(resolve));
    await start((_req, res, i) =>
      i === 1 ? sse(res, [`data: ${JSON.stringify(chunk('a'))}\n\n`, 'data: [DONE]\n\n']) : json(res, 200, completion),
    );
    await client.complete(body);
    await turn();
    deepStrictEqual(await collect(await client.stream(streamBody)), ['a']);
    await turn();
    await client.complete(body);
    deepStrictEqual([server.seen.map((s) => s.connection), server.connections()], [[1, 1, 1], 1]);
    strictEqual(server.seen[1]?.headers.accept, 'text/event-stream');
  });

  it("does not resend a request whose socket is reset (retries are upstream.ts's): the APIConnectionError carries the cause", async () => {
    await start((req) => req.socket.destroy());
    await rejects(
      client.complete(body),
      (e: unknown) =>
        e instanceof APIConnectionError &&
        !(e instanceof APIConnectionTimeoutError) &&
        e.message === 'Connection error.' &&
        ['UND_ERR_SOCKET', 'ECONNRESET'].includes((e.cause as NodeJS.ErrnoException).code ?? ''),
    );
    strictEqual(server.seen.length, 1);
  });

  it('rejects with APIConnectionError when nothing listens', async () => {
    await start(() => {});
    const url = server.url;
    await server.close();
    client = createGatewayClient({ baseURL: url, apiKey: 'k', timeoutMs: 10_000 });
    await rejects(
      client.complete(body),
      (e: unknown) => e instanceof APIConnectionError && (e.cause as NodeJS.ErrnoException).code === 'ECONNREFUSED',
    );
  });

  describe('status errors are built as the openai SDK builds them', () => {
    const cases: Array<[string, number, string, Record<string, string>]> = [
      [
        'a 429 with a JSON error and retry headers',
        429,
        JSON.stringify({ error: { message: 'slow down', type: 'rate_limit_error', code: 'rate_limit', param: null } }),
        { 'retry-after': '3', 'x-request-id': 'req_1', 'content-type': 'application/json' },
      ],
      [
        'a 400 whose error message is an object',
        400,
        JSON.stringify({ error: { message: { detail: 'bad field' } } }),
        { 'content-type': 'application/json' },
      ],
      [
        'a 404 with JSON but no error field',
        404,
        JSON.stringify({ detail: 'no such model' }),
        { 'content-type': 'application/json' },
      ],
      ['a 502 with an HTML body', 502, '<html>Bad Gateway</html>', { 'content-type': 'text/html' }],
      ['a 500 with an empty body', 500, '', {}],
      ['a 418 (no subclass)', 418, 'teapot', { 'content-type': 'text/plain' }],
    ];
    for (const [what, status, text, headers] of cases) {
      it(`${what}: same class, message, status, error fields and headers`, async () => {
        await start((_req, res) => {
          res.writeHead(status, headers);
          res.end(text);
        });
        const sdk = new OpenAI({ baseURL: server.url, apiKey: 'k', maxRetries: 0 });
        const theirs = await sdk.chat.completions.create({ ...params, stream: false }).then(
          () => undefined,
          (e: unknown) => e as APIError,
        );
        const ours = await client.complete(body).then(
          () => undefined,
          (e: unknown) => e as APIError,
        );
        const view = (e: APIError | undefined) =>
          e && [
            e.constructor.name,
            e.message,
            e.status,
            e.error,
            e.code,
            e.param,
            e.type,
            e.requestID,
            e.headers?.get('retry-after'),
            e.headers?.get('content-type'),
          ];
        ok(ours instanceof APIError && ours.status === status);
        deepStrictEqual(view(ours), view(theirs));
      });
    }
    it('keeps RateLimitError with its retry-after for the retry rule', async () => {
      await start((_req, res) => json(res, 429, { error: { message: 'quota' } }, { 'retry-after': '1800' }));
      await rejects(
        client.complete(body),
        (e: unknown) =>
          e instanceof RateLimitError && e.headers?.get('retry-after') === '1800' && e.message === '429 quota',
      );
    });
  });

  it('rejects a 2xx body that is not JSON with an OpenAIError saying so', async () => {
    await start((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>login</html>');
    });
    await rejects(
      client.complete(body),
      (e: unknown) =>
        e instanceof OpenAIError &&
        !(e instanceof APIError) &&
        /HTTP 200 \(text\/html\).*not a JSON object.*<html>login/.test(e.message),
    );
  });

  describe('timeouts and aborts', () => {
    it('times out while waiting for the headers', async () => {
      await start(() => {}, 50);
      await rejects(client.complete(body), APIConnectionTimeoutError);
    });

    it('times out a non-streaming call whose body stalls after the headers', async () => {
      await start((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"id":');
      }, 50);
      await rejects(client.complete(body), APIConnectionTimeoutError);
    });

    it('does not time out a stream once its headers arrived', async () => {
      await start((_req, res) => {
        sse(res, [`data: ${JSON.stringify(chunk('a'))}\n\n`], false);
        setTimeout(() => res.end('data: [DONE]\n\n'), 120);
      }, 50);
      deepStrictEqual(await collect(await client.stream(streamBody)), ['a']);
    });

    it('rejects with APIUserAbortError and sends nothing when the signal is already aborted', async () => {
      await start((_req, res) => json(res, 200, completion));
      await rejects(client.complete(body, AbortSignal.abort()), APIUserAbortError);
      strictEqual(server.seen.length, 0);
    });

    it('aborts a non-streaming call mid-body: APIUserAbortError, and the connection is closed', async () => {
      const abort = new AbortController();
      let closed!: Promise<unknown>;
      await start((_req, res) => {
        closed = once(res, 'close');
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"id":', () => setImmediate(() => abort.abort()));
      });
      await rejects(client.complete(body, abort.signal), APIUserAbortError);
      await closed;
    });

    it('aborts a stream mid-body: the iterator throws APIUserAbortError, and the connection is closed', async () => {
      const abort = new AbortController();
      let closed!: Promise<unknown>;
      await start((_req, res) => {
        closed = once(res, 'close');
        sse(res, [`data: ${JSON.stringify(chunk('a'))}\n\n`], false);
      });
      const it = (await client.stream(streamBody, abort.signal))[Symbol.asyncIterator]();
      strictEqual((await it.next()).value?.choices[0]?.delta.content, 'a');
      abort.abort();
      await rejects(it.next(), APIUserAbortError);
      await closed;
    });
  });

  describe('streams', () => {
    it('yields the chunks up to [DONE] and ignores what follows it', async () => {
      await start((_req, res) =>
        sse(res, [
          `: comment\ndata: ${JSON.stringify(chunk('a'))}\r\n\r\n`,
          `data: ${JSON.stringify(chunk('b'))}\n\ndata: [DONE]\n\n`,
          'data: not json\n\n',
        ]),
      );
      deepStrictEqual(await collect(await client.stream(streamBody)), ['a', 'b']);
    });

    it('gives a slow reader every chunk of a fast upstream, in order (4,000 chunks in one write)', async () => {
      const n = 4000;
      const text = (i: number) => `${i}:${'x'.repeat(200)}`;
      await start((_req, res) =>
        sse(res, [
          Array.from({ length: n }, (_, i) => `data: ${JSON.stringify(chunk(text(i)))}\n\n`).join('') +
            'data: [DONE]\n\n',
        ]),
      );
      const got: string[] = [];
      for await (const c of await client.stream(streamBody)) {
        got.push(c.choices[0]?.delta.content ?? '');
        if (got.length % 50 === 0) await new Promise((resolve) => setTimeout(resolve, 1));
      }
      deepStrictEqual(
        got,
        Array.from({ length: n }, (_, i) => text(i)),
      );
    });

    it('parses events split anywhere across reads, inside CRLF and multi-byte characters too', async () => {
      const whole = `data: ${JSON.stringify(chunk('é 🙂 世界'))}\r\n\r\ndata: ${JSON.stringify(chunk('b'))}\r\n\r\ndata: [DONE]\r\n\r\n`;
      const bytes = Buffer.from(whole);
      await start((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        let at = 0;
        const next = () => {
          if (at >= bytes.length) return void res.end();
          res.write(bytes.subarray(at, at + 7), () => setTimeout(next, 0));
          at += 7;
        };
        next();
      });
      deepStrictEqual(await collect(await client.stream(streamBody)), ['é 🙂 世界', 'b']);
    });

    it('closes the response when the consumer breaks out early', async () => {
      let closed!: Promise<unknown>;
      let res!: ServerResponse;
      await start((_req, r) => {
        res = r;
        closed = once(r, 'close');
        sse(r, [`data: ${JSON.stringify(chunk('a'))}\n\n`], false);
      });
      for await (const c of await client.stream(streamBody)) {
        strictEqual(c.choices[0]?.delta.content, 'a');
        break;
      }
      await closed;
      strictEqual(res.writableFinished, false);
    });

    it('closes the response when the consumer leaves before reading a chunk', async () => {
      let closed!: Promise<unknown>;
      await start((_req, r) => {
        closed = once(r, 'close');
        sse(r, [`data: ${JSON.stringify(chunk('a'))}\n\n`], false);
      });
      await (await client.stream(streamBody))[Symbol.asyncIterator]().return?.();
      await closed;
    });

    it('throws an OpenAIError when the connection drops mid-stream, after the chunks that arrived', async () => {
      await start((_req, res) => {
        res.writeHead(200, { 'content-type': 'text/event-stream' });
        res.write(`data: ${JSON.stringify(chunk('a'))}\n\n`, () => res.socket?.destroy());
      });
      const got: string[] = [];
      await rejects(
        async () => {
          for await (const c of await client.stream(streamBody)) got.push(c.choices[0]?.delta.content ?? '');
        },
        (e: unknown) => e instanceof OpenAIError && !(e instanceof APIError) && /upstream stream broke/.test(e.message),
      );
      deepStrictEqual(got, ['a']);
    });

    it('throws an OpenAIError naming the data when an event is not JSON', async () => {
      await start((_req, res) => sse(res, ['data: {"id": "c", "choices": [{\n\n']));
      await rejects(
        collect(await client.stream(streamBody)),
        (e: unknown) =>
          e instanceof OpenAIError && /not JSON: "\{\\"id\\": \\"c\\", \\"choices\\": \[\{"/.test(e.message),
      );
    });

    it('throws the APIError the SDK throws for a chunk with an error field', async () => {
      const events = [
        `data: ${JSON.stringify(chunk('a'))}\n\n`,
        `data: ${JSON.stringify({ error: { message: 'overloaded', type: 'server_error', code: 'overloaded' } })}\n\n`,
      ];
      await start((_req, res) => sse(res, events));
      const sdk = new OpenAI({ baseURL: server.url, apiKey: 'k', maxRetries: 0 });
      const view = (e: APIError) => [e.constructor.name, e.message, e.status, e.error, e.code, e.type];
      const theirs = await (async () => {
        for await (const _ of await sdk.chat.completions.create({
          model: 'm',
          stream: true,
          messages: [{ role: 'user', content: 'hi' }],
        })) {
          /* drain */
        }
      })().catch((e: APIError) => e);
      const ours = await collect(await client.stream(streamBody)).catch((e: APIError) => e);
      ok(ours instanceof APIError);
      deepStrictEqual(view(ours), view(theirs as APIError));
      strictEqual(ours.message, 'overloaded');
    });

    const errorEvents: Array<[string, string, string]> = [
      ['a JSON object', 'event: error\ndata: {"message":"upstream overloaded","code":529}\n\n', 'upstream overloaded'],
      ['an error field', 'event: error\ndata: {"error":{"message":"quota"}}\n\n', 'quota'],
      ['plain text', 'event: error\ndata: gateway went away\n\n', 'gateway went away'],
    ];
    for (const [what, event, message] of errorEvents) {
      it(`throws an APIError for an error event carrying ${what}`, async () => {
        await start((_req, res) => sse(res, [`data: ${JSON.stringify(chunk('a'))}\n\n`, event]));
        await rejects(
          collect(await client.stream(streamBody)),
          (e: unknown) => e instanceof APIError && e.status === undefined && e.message === message,
        );
      });
    }

    it('answers a non-2xx stream request with the status error, not an iterator', async () => {
      await start((_req, res) => json(res, 503, { error: { message: 'busy' } }, { 'retry-after-ms': '250' }));
      await rejects(
        client.stream(streamBody),
        (e: unknown) => e instanceof APIError && e.status === 503 && e.headers?.get('retry-after-ms') === '250',
      );
    });
  });
});
