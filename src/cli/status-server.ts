import { createServer, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

/** Thrown when asked to listen on anything but loopback: the STATUS port is local only (DESIGN.md, Security). */
export class NonLoopbackBindError extends Error {
  override name = 'NonLoopbackBindError';
  constructor(readonly host: string) {
    super(`refusing to serve STATUS on ${host}: only loopback (127.0.0.1, ::1, localhost) is allowed`);
  }
}

/** True for 127.0.0.0/8, ::1 and localhost. */
export function isLoopback(host: string): boolean {
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host);
}

/** Options of the TCP STATUS server. */
export interface StatusServerOptions {
  /** Default 127.0.0.1; anything not loopback throws NonLoopbackBindError. */
  host?: string;
  /** TCP port; 0 picks a free one. */
  port: number;
  /** True when the breaker is tripped (TRUE), false when closed (FALSE). May throw: the client gets `ERROR <message>`. */
  answer: () => Promise<boolean>;
  /** A connection idle this long is closed, ms. Default 30,000. */
  idleMs?: number;
  /** A line longer than this (bytes, without its newline) gets an error and the connection closes. Default 1024. */
  maxLineBytes?: number;
}

/** A listening STATUS server. */
export interface StatusServer {
  host: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The original cost breaker's TCP protocol: each line `STATUS` (any case, surrounding spaces and
 * CR ignored) is answered `TRUE\n` or `FALSE\n`; any other line `ERROR unknown command\n`. Lines
 * are buffered until their newline (a client may send one byte at a time) and answered in order;
 * a connection stays open for more lines until the client closes it or it idles out.
 */
export async function startStatusServer(opts: StatusServerOptions): Promise<StatusServer> {
  const host = opts.host ?? '127.0.0.1';
  if (!isLoopback(host)) throw new NonLoopbackBindError(host);
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => socket.destroy());
    socket.setTimeout(opts.idleMs ?? 30_000, () => socket.end());
    let pending = Buffer.alloc(0);
    let chain = Promise.resolve();
    const reply = (text: string) => {
      if (!socket.destroyed) socket.write(text);
    };
    socket.on('data', (chunk: Buffer) => {
      pending = Buffer.concat([pending, chunk]);
      for (let nl = pending.indexOf(0x0a); nl >= 0; nl = pending.indexOf(0x0a)) {
        const line = pending.subarray(0, nl).toString('utf8').trim();
        pending = pending.subarray(nl + 1);
        chain = chain.then(async () => {
          if (line.toUpperCase() !== 'STATUS') return reply('ERROR unknown command\n');
          try {
            reply((await opts.answer()) ? 'TRUE\n' : 'FALSE\n');
          } catch (err) {
            reply(`ERROR ${(err instanceof Error ? err.message : String(err)).replace(/\s+/g, ' ')}\n`);
          }
        });
      }
      if (pending.length > (opts.maxLineBytes ?? 1024)) {
        pending = Buffer.alloc(0);
        void chain.then(() => {
          reply('ERROR line too long\n');
          socket.end();
        });
      }
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    host: address.address,
    port: address.port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}
