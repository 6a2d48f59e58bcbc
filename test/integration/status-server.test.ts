import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { NonLoopbackBindError, startStatusServer, type StatusServer } from '../../src/cli/status-server';

/** Connects a real TCP client; `lines(n)` resolves with the first n lines received. */
function client(
  port: number,
): Promise<{ socket: Socket; lines: (n: number) => Promise<string[]>; ended: Promise<void> }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    const waiters: Array<() => void> = [];
    socket.setEncoding('utf8');
    socket.on('data', (d: string) => {
      text += d;
      for (const w of waiters.splice(0)) w();
    });
    const ended = new Promise<void>((r) => socket.on('close', () => r()));
    const lines = (n: number) =>
      new Promise<string[]>((res) => {
        const check = () => {
          const l = text.split('\n');
          if (l.length > n) res(l.slice(0, n));
          else waiters.push(check);
        };
        check();
      });
    socket.once('connect', () => resolve({ socket, lines, ended }));
    socket.once('error', reject);
  });
}

describe('TCP STATUS server (real sockets on 127.0.0.1)', () => {
  let tripped = false;
  let server: StatusServer;
  beforeEach(async () => {
    tripped = false;
    server = await startStatusServer({ port: 0, answer: async () => tripped, idleMs: 2_000 });
  });
  afterEach(() => server.close());

  it('answers STATUS with FALSE while closed and TRUE once tripped, on one connection', async () => {
    const c = await client(server.port);
    c.socket.write('STATUS\n');
    assert.deepEqual(await c.lines(1), ['FALSE']);
    tripped = true;
    c.socket.write('STATUS\n');
    assert.deepEqual(await c.lines(2), ['FALSE', 'TRUE']);
    c.socket.end();
  });

  it('accepts any case, surrounding spaces and CRLF', async () => {
    const c = await client(server.port);
    c.socket.write('status\n  Status \r\nsTaTuS\r\n');
    assert.deepEqual(await c.lines(3), ['FALSE', 'FALSE', 'FALSE']);
    c.socket.end();
  });

  it('answers garbage with ERROR unknown command and keeps serving', async () => {
    const c = await client(server.port);
    c.socket.write('GET / HTTP/1.1\n\nSTATUS please\nSTATUS\n');
    assert.deepEqual(await c.lines(4), [
      'ERROR unknown command',
      'ERROR unknown command',
      'ERROR unknown command',
      'FALSE',
    ]);
    c.socket.end();
  });

  it('waits for the newline of a slow client sending one byte at a time', async () => {
    const c = await client(server.port);
    for (const ch of 'STATUS\n') {
      c.socket.write(ch);
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.deepEqual(await c.lines(1), ['FALSE']);
    c.socket.end();
  });

  it('closes a connection that sends an endless line, and one that idles', async () => {
    const long = await client(server.port);
    long.socket.write('S'.repeat(5000));
    assert.deepEqual(await long.lines(1), ['ERROR line too long']);
    await long.ended;
    const idle = await client(server.port);
    await idle.ended; // idleMs 2000
  });

  it('serves 50 clients at once', async () => {
    tripped = true;
    const clients = await Promise.all(Array.from({ length: 50 }, () => client(server.port)));
    for (const c of clients) c.socket.write('STATUS\n');
    const answers = await Promise.all(clients.map((c) => c.lines(1)));
    assert.deepEqual(answers.flat(), Array(50).fill('TRUE'));
    for (const c of clients) c.socket.end();
  });

  it('answers ERROR with the reason when the state cannot be read', async () => {
    const broken = await startStatusServer({
      port: 0,
      answer: async () => {
        throw new Error('ledger locked');
      },
    });
    try {
      const c = await client(broken.port);
      c.socket.write('STATUS\n');
      assert.deepEqual(await c.lines(1), ['ERROR ledger locked']);
      c.socket.end();
    } finally {
      await broken.close();
    }
  });

  it('refuses to bind anything but loopback', async () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.10']) {
      await assert.rejects(startStatusServer({ host, port: 0, answer: async () => false }), NonLoopbackBindError, host);
    }
  });
});
