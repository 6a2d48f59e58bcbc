/**
 * Raw TCP clients for HTTP fuzzing: they write bytes no well-behaved client would (bad request
 * lines, absurd headers, truncated bodies, one byte at a time) and report what came back.
 */
import { connect } from 'node:net';

/** What a raw exchange saw: the status of the first response line (null when none came) and whether the server closed the connection. */
export interface RawReply {
  status: number | null;
  text: string;
  closedByServer: boolean;
  ms: number;
}

/** Options of {@link rawExchange}. */
export interface RawOptions {
  /** Give up (and close) after this long, ms. Default 3,000. */
  timeoutMs?: number;
  /** Write these pieces this far apart, ms (slowloris); default all at once. */
  dripMs?: number;
  /** Half-close after writing (the client says it sends no more). Default false. */
  end?: boolean;
  /** Close as soon as the text received so far satisfies this; default: one whole HTTP response. */
  until?: (text: string) => boolean;
}

/**
 * Opens a TCP connection to 127.0.0.1:`port`, writes `pieces` and collects the answer until the
 * server closes, one whole response arrived, or `timeoutMs` passed.
 * Resolves once the socket is closed; never rejects (a reset is a close).
 */
export function rawExchange(port: number, pieces: Array<string | Buffer>, opts: RawOptions = {}): Promise<RawReply> {
  const started = Date.now();
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let text = '';
    let closedByServer = false;
    let weClosed = false;
    const timers: NodeJS.Timeout[] = [];
    const finish = () => {
      for (const t of timers) clearTimeout(t);
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(text);
      resolve({ status: status ? Number(status[1]) : null, text, closedByServer, ms: Date.now() - started });
    };
    socket.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if ((opts.until ?? responseComplete)(text)) {
        weClosed = true;
        socket.destroy();
      }
    });
    socket.on('error', () => undefined);
    socket.on('end', () => {
      if (!weClosed) closedByServer = true;
    });
    socket.on('close', () => {
      if (!weClosed) closedByServer = true;
      finish();
    });
    timers.push(
      setTimeout(() => {
        weClosed = true;
        socket.destroy();
      }, opts.timeoutMs ?? 3_000),
    );
    socket.once('connect', () => {
      const write = (i: number) => {
        if (i >= pieces.length) return void (opts.end && socket.end());
        if (!socket.destroyed) socket.write(pieces[i]!);
        if (opts.dripMs) timers.push(setTimeout(() => write(i + 1), opts.dripMs));
        else write(i + 1);
      };
      write(0);
    });
  });
}

/** True once `text` holds one whole response (by Content-Length, or a chunked body's last chunk). */
function responseComplete(text: string): boolean {
  const head = text.indexOf('\r\n\r\n');
  if (head < 0) return false;
  const length = /\r\ncontent-length: *(\d+)/i.exec(text.slice(0, head));
  if (length) return text.length - head - 4 >= Number(length[1]);
  return /\r\ntransfer-encoding: *chunked/i.test(text.slice(0, head)) ? text.endsWith('0\r\n\r\n') : false;
}

/** One malformed request: `raw` with `{host}` standing for the server's `127.0.0.1:<port>` and `{auth}` for an Authorization line. */
export interface MalformedCase {
  name: string;
  raw: string;
  /** 'client-error': a 4xx answer (or node's parser closing the connection with one); 'no-answer': the server may close without answering, but must stay up. */
  expect: 'client-error' | 'no-answer';
}

const big = 'x'.repeat(70 * 1024);

/**
 * The malformed requests every HTTP server of Offload is fuzzed with. `path` is the server's real
 * endpoint (`/mcp`, `/v1/messages`); `body` a valid JSON body for it.
 */
export function malformedCases(path: string): MalformedCase[] {
  const post = (headers: string, body: string) =>
    `POST ${path} HTTP/1.1\r\nHost: {host}\r\n{auth}${headers}\r\n${body}`;
  return [
    {
      name: 'a path that parses as an authority with a bad port (//a:99999/mcp)',
      raw: `GET //a:99999${path} HTTP/1.1\r\nHost: {host}\r\n{auth}\r\n`,
      expect: 'client-error',
    },
    {
      name: 'the same bad port on POST',
      raw: post('Content-Type: application/json\r\nContent-Length: 2\r\n', '{}').replace(
        `POST ${path}`,
        `POST //a:99999${path}`,
      ),
      expect: 'client-error',
    },
    {
      name: 'an absolute-form target that is not a URL (http://[)',
      raw: 'GET http://[ HTTP/1.1\r\nHost: {host}\r\n\r\n',
      expect: 'client-error',
    },
    {
      name: 'an absolute-form target with a bad port',
      raw: `GET http://127.0.0.1:99999${path} HTTP/1.1\r\nHost: {host}\r\n\r\n`,
      expect: 'client-error',
    },
    { name: 'the asterisk target', raw: 'OPTIONS * HTTP/1.1\r\nHost: {host}\r\n\r\n', expect: 'client-error' },
    {
      name: 'a target with a NUL-like escape and backslashes',
      raw: `GET /%00\\..\\..${path}?%zz HTTP/1.1\r\nHost: {host}\r\n\r\n`,
      expect: 'client-error',
    },
    {
      name: 'an overlong target (9 KiB)',
      raw: `GET /${'a'.repeat(9000)} HTTP/1.1\r\nHost: {host}\r\n\r\n`,
      expect: 'client-error',
    },
    { name: 'a request line of garbage', raw: '\x16\x03\x01\x02\x00 garbage\r\n\r\n', expect: 'client-error' },
    { name: 'an unknown HTTP version', raw: `GET ${path} HTTP/9.9\r\nHost: {host}\r\n\r\n`, expect: 'client-error' },
    { name: 'no Host header', raw: `GET ${path} HTTP/1.1\r\n\r\n`, expect: 'client-error' },
    {
      name: 'a foreign Host header',
      raw: `GET ${path} HTTP/1.1\r\nHost: evil.example\r\n\r\n`,
      expect: 'client-error',
    },
    {
      name: 'a huge header (70 KiB)',
      raw: `GET ${path} HTTP/1.1\r\nHost: {host}\r\nX-Big: ${big}\r\n\r\n`,
      expect: 'client-error',
    },
    {
      name: '2,000 headers',
      raw: `GET ${path} HTTP/1.1\r\nHost: {host}\r\n${Array.from({ length: 2000 }, (_, i) => `X-H${i}: v`).join('\r\n')}\r\n\r\n`,
      expect: 'client-error',
    },
    {
      name: 'a header with a control character in its value',
      raw: `GET ${path} HTTP/1.1\r\nHost: {host}\r\nX-Bad: a\x01b\r\n\r\n`,
      expect: 'client-error',
    },
    {
      name: 'a header line without a colon',
      raw: `GET ${path} HTTP/1.1\r\nHost: {host}\r\nno colon here\r\n\r\n`,
      expect: 'client-error',
    },
    {
      name: 'two Content-Length headers that disagree',
      raw: post('Content-Type: application/json\r\nContent-Length: 2\r\nContent-Length: 3\r\n', '{}'),
      expect: 'client-error',
    },
    {
      name: 'Content-Length and Transfer-Encoding together',
      raw: post('Content-Type: application/json\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n', '{}'),
      expect: 'client-error',
    },
    {
      name: 'a negative Content-Length',
      raw: post('Content-Type: application/json\r\nContent-Length: -5\r\n', '{}'),
      expect: 'client-error',
    },
    {
      name: 'a chunked body with a bad chunk size',
      raw: post('Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n', 'zz\r\n{}\r\n0\r\n\r\n'),
      expect: 'client-error',
    },
    {
      name: 'a body that is not JSON',
      raw: post('Content-Type: application/json\r\nContent-Length: 9\r\n', '{"a": nul'),
      expect: 'client-error',
    },
    {
      name: 'a body that is JSON of the wrong shape',
      raw: post('Content-Type: application/json\r\nContent-Length: 4\r\n', 'null'),
      expect: 'client-error',
    },
    {
      name: 'a body that is invalid UTF-8',
      raw: post('Content-Type: application/json\r\nContent-Length: 4\r\n', '"\xff\xfe"'),
      expect: 'client-error',
    },
    {
      name: 'a wrong content type',
      raw: post('Content-Type: text/plain\r\nContent-Length: 2\r\n', '{}'),
      expect: 'client-error',
    },
    { name: 'no content type', raw: post('Content-Length: 2\r\n', '{}'), expect: 'client-error' },
    {
      name: 'a body cut short (the client half-closes)',
      raw: post('Content-Type: application/json\r\nContent-Length: 100\r\n', '{"jsonrpc":'),
      expect: 'no-answer',
    },
  ];
}

/** Fills in `{host}` and `{auth}` of a case. */
export function fillCase(raw: string, port: number, auth: string): string {
  return raw.replaceAll('{host}', `127.0.0.1:${port}`).replaceAll('{auth}', auth ? `${auth}\r\n` : '');
}
