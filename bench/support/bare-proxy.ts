/**
 * Child process of the adapter benchmark: the floor any Node proxy pays on this machine. A bare
 * node:http proxy that reads each request body, forwards it unchanged to the scripted gateway over
 * a keep-alive agent and pipes the answer back — no parsing, no translation. Prints `{"url": …}`
 * on stdout. Not part of Offload.
 *
 * `--ledger memory` or `--ledger file:<path>` adds the one thing a metered proxy cannot skip, the
 * real ledger's bookkeeping: each request reserves a fixed worst case (HostLedger.reserve) before
 * it is forwarded and settles a fixed cost when the answer has ended. That is the floor of a proxy
 * that meters every call through Offload's ledger; default `none`.
 */
import { Agent, createServer, request } from 'node:http';
import type { HostLedger } from '../../src/ledger/sqlite-ledger';
import { arg, BENCH_JOB, openBenchLedger } from './bench-child';

const USAGE = { input_tokens: 1000, output_tokens: 25, cache_read_tokens: 0 };

async function main(): Promise<void> {
  const gateway = new URL(arg('gateway') ?? '');
  const where = arg('ledger') ?? 'none';
  const ledger: HostLedger | undefined = where === 'none' ? undefined : await openBenchLedger(where);
  const agent = new Agent({ keepAlive: true, maxSockets: 256 });
  const forward = (body: Buffer, res: import('node:http').ServerResponse, done: () => void) => {
    const up = request(
      {
        host: gateway.hostname,
        port: gateway.port,
        path: '/v1/chat/completions',
        method: 'POST',
        agent,
        headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: 'Bearer bench' },
      },
      (r) => {
        res.writeHead(r.statusCode ?? 502, { 'content-type': r.headers['content-type'] ?? 'application/json' });
        r.pipe(res);
        r.on('end', done);
      },
    );
    up.on('error', () => res.destroy());
    up.end(body);
  };
  const server = createServer((req, res) => {
    const parts: Buffer[] = [];
    req.on('data', (d: Buffer) => parts.push(d));
    req.on('end', () => {
      const body = Buffer.concat(parts);
      if (!ledger) return forward(body, res, () => {});
      const l = ledger;
      l.reserve({ jobId: BENCH_JOB.jobId, model: BENCH_JOB.model, micros: 1_000 }).then(
        (r) =>
          forward(body, res, () => {
            void l.settle(r.id, {
              model: BENCH_JOB.model,
              usage: USAGE,
              costMicros: 300,
              status: 'ok',
              latencyMs: 1,
              route: 'primary',
            });
          }),
        () => res.destroy(),
      );
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const { port } = server.address() as { port: number };
    process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
  });
  process.on('SIGTERM', () =>
    server.close(() => void (ledger?.close() ?? Promise.resolve()).then(() => process.exit(0))),
  );
}

void main();
