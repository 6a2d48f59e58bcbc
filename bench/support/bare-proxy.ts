/**
 * Child process of the adapter benchmark: the floor any Node proxy pays on this machine. A bare
 * node:http proxy that reads each request body, forwards it unchanged to the scripted gateway over
 * a keep-alive agent and pipes the answer back — no parsing, no translation, no ledger. Prints
 * `{"url": …}` on stdout. Not part of Offload.
 */
import { Agent, createServer, request } from 'node:http';

const gateway = new URL(process.argv[process.argv.indexOf('--gateway') + 1] ?? '');
const agent = new Agent({ keepAlive: true, maxSockets: 256 });
const server = createServer((req, res) => {
  const parts: Buffer[] = [];
  req.on('data', (d: Buffer) => parts.push(d));
  req.on('end', () => {
    const body = Buffer.concat(parts);
    const up = request({ host: gateway.hostname, port: gateway.port, path: '/v1/chat/completions', method: 'POST', agent, headers: { 'content-type': 'application/json', 'content-length': body.length, authorization: 'Bearer bench' } }, (r) => {
      res.writeHead(r.statusCode ?? 502, { 'content-type': r.headers['content-type'] ?? 'application/json' });
      r.pipe(res);
    });
    up.on('error', () => res.destroy());
    up.end(body);
  });
});
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as { port: number };
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${port}` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
