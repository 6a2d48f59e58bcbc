import assert from 'node:assert/strict';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { readJsonBody, type JsonBody } from '../../../src/http/read-json-body';

/** Posts `body` to a real server on 127.0.0.1 whose handler runs readJsonBody, and returns its result and the request's listeners after it. */
async function readThroughServer(
  body: Buffer,
  maxBytes: number,
): Promise<{ result: JsonBody; listeners: Record<string, number> }> {
  let server: Server | undefined;
  try {
    const seen = new Promise<{ result: JsonBody; listeners: Record<string, number> }>((resolve, reject) => {
      server = createServer((req: IncomingMessage, res) => {
        readJsonBody(req, maxBytes).then((result) => {
          const listeners = Object.fromEntries(
            ['data', 'end', 'error', 'readable'].map((e) => [e, req.listenerCount(e)]),
          );
          res.writeHead(200, { connection: 'close' }).end();
          resolve({ result, listeners });
        }, reject);
      });
    });
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const { port } = server!.address() as AddressInfo;
    await new Promise<void>((resolve) => {
      const req = request(
        { host: '127.0.0.1', port, method: 'POST', path: '/', headers: { 'content-length': body.length } },
        (res) => res.resume().on('end', resolve),
      );
      req.on('error', () => resolve()); // the 413 case: the server answers before reading the rest
      req.end(body);
    });
    return await seen;
  } finally {
    server?.closeAllConnections();
    await new Promise((resolve) => server?.close(resolve));
  }
}

/** A full GC (V8's own `gc`, exposed for this test). */
function fullGc(): () => void {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
}

describe("readJsonBody (the HTTP servers' one body reader)", () => {
  it("lets go of the body's chunks once it is read, while the request lives on (as it does for the whole call)", async () => {
    const gc = fullGc();
    const chunks: Array<WeakRef<Buffer>> = [];
    let held: IncomingMessage | undefined;
    let server: Server | undefined;
    try {
      const read = new Promise<void>((resolve, reject) => {
        server = createServer((req, res) => {
          held = req; // the adapter's handler keeps `req` until the call ends
          req.on('data', (c: Buffer) => chunks.push(new WeakRef(c)));
          readJsonBody(req, 1 << 24).then((result) => {
            assert.ok(result.ok);
            res.writeHead(200, { connection: 'close' }).end();
            resolve();
          }, reject);
        });
      });
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      const { port } = server!.address() as AddressInfo;
      const body = Buffer.from(JSON.stringify({ text: 'x'.repeat(400_000) }));
      await new Promise<void>((resolve, reject) => {
        request(
          { host: '127.0.0.1', port, method: 'POST', path: '/', headers: { 'content-length': body.length } },
          (res) => res.resume().on('end', resolve),
        )
          .on('error', reject)
          .end(body);
      });
      await read;
      assert.ok(chunks.length > 1, `the body came in ${chunks.length} chunk(s); the test needs several`);
      for (let i = 0; i < 3; i++) {
        await new Promise((resolve) => setTimeout(resolve, 10)); // WeakRef targets stay alive until the current job ends
        gc();
      }
      assert.ok(held, 'the request is still referenced');
      assert.equal(
        chunks.filter((c) => c.deref() !== undefined).length,
        0,
        'chunks still alive after the body was read',
      );
    } finally {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    }
  });

  it('parses a body sent in many TCP chunks and leaves no listener that could hold its chunks', async () => {
    const text = 'ünïcode ✓ '.repeat(30_000); // ~400 KB: several reads
    const body = Buffer.from(JSON.stringify({ messages: [{ content: text }] }));
    const { result, listeners } = await readThroughServer(body, 1 << 24);
    assert.deepEqual(result, { ok: true, bytes: body.length, value: { messages: [{ content: text }] } });
    // A listener left on the request lives as long as the call and keeps what it closes over: the body's chunks (a 2× memory bug).
    assert.deepEqual(listeners, { data: 0, end: 0, error: 1, readable: 0 });
  });

  it('answers 413 for a body over the limit and 400 for one that is not JSON, detaching its listeners too', async () => {
    const big = await readThroughServer(Buffer.alloc(200_000, 0x20), 1000);
    assert.deepEqual(big.result, { ok: false, error: 'too_large' });
    assert.equal(big.listeners.data, 0);
    const bad = await readThroughServer(Buffer.from('{"a": '), 1000);
    assert.deepEqual(bad.result, { ok: false, error: 'not_json' });
    assert.deepEqual(bad.listeners, { data: 0, end: 0, error: 1, readable: 0 });
  });

  it('answers too_large for a chunked body (no Content-Length) once it passes the limit, and ended_early for a body cut short', async () => {
    let server: Server | undefined;
    try {
      const results: JsonBody[] = [];
      const done = new Promise<void>((resolve) => {
        server = createServer((req, res) => {
          void readJsonBody(req, 1000).then((r) => {
            results.push(r);
            res.writeHead(200, { connection: 'close' }).end();
            if (results.length === 2) resolve();
          });
        });
      });
      await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
      const { port } = server!.address() as AddressInfo;
      const chunked = request({ host: '127.0.0.1', port, method: 'POST', path: '/' }, (res) => res.resume());
      chunked.on('error', () => {});
      chunked.write(Buffer.alloc(800, 0x20));
      chunked.write(Buffer.alloc(800, 0x20));
      const cut = request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers: { 'content-length': 500 } });
      cut.on('error', () => {});
      cut.write('{"a": "', () => setTimeout(() => cut.destroy(), 20));
      await done;
      chunked.destroy();
      assert.deepEqual(results.map((r) => (r.ok ? 'ok' : r.error)).sort(), ['ended_early', 'too_large']);
    } finally {
      server?.closeAllConnections();
      await new Promise((resolve) => server?.close(resolve));
    }
  });
});
