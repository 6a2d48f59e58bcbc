import type { IncomingMessage } from 'node:http';
import getRawBody from 'raw-body';

/**
 * A request body read by {@link readJsonBody}: the parsed value and its size in bytes, or why it
 * could not be: over the size limit (answer 413 with `connection: close`: the rest stays unread),
 * cut short (the client went away, or sent fewer bytes than its Content-Length) or not JSON
 * (both 400).
 */
export type JsonBody =
  { ok: true; value: unknown; bytes: number } | { ok: false; error: 'too_large' | 'ended_early' | 'not_json' };

/**
 * The one way Offload's HTTP servers (the adapter, MCP over HTTP) read a request body: raw-body
 * (the reader of body-parser and of the MCP SDK's own transport) up to `maxBytes` bytes, then
 * JSON.parse of its UTF-8 text. A body whose Content-Length is over the limit is refused before
 * it is read. Never rejects. Leaves a no-op `error` listener on `req`, so that an error the
 * request emits later (the client resets the connection mid-call) cannot end the process.
 */
export async function readJsonBody(req: IncomingMessage, maxBytes: number): Promise<JsonBody> {
  req.on('error', ignore);
  let bytes: Buffer;
  try {
    bytes = await getRawBody(req, { limit: maxBytes, length: req.headers['content-length'] });
  } catch (err) {
    return { ok: false, error: (err as { type?: unknown }).type === 'entity.too.large' ? 'too_large' : 'ended_early' };
  }
  try {
    return { ok: true, value: JSON.parse(bytes.toString('utf8')), bytes: bytes.length };
  } catch {
    return { ok: false, error: 'not_json' };
  }
}

function ignore(): void {}
