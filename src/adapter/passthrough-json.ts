import { isUtf8 } from 'node:buffer';
import { randomUUID } from 'node:crypto';

/**
 * Long JSON strings passed through as the client's bytes.
 *
 * Claude Code's requests are 100–500 KiB, nearly all of it a few long strings (the system prompt,
 * tool descriptions, file contents in tool results). The adapter moves those strings from one place
 * in the Anthropic request to another in the OpenAI request and never reads them, so it does not
 * decode them: `parsePassthrough` parses a skeleton in which every long string value is replaced by
 * a short placeholder, and `encodePassthrough` writes the translated request with each placeholder
 * swapped back for the original escaped bytes, which are valid in any JSON string. The long strings
 * are never turned into JS strings and back (JSON.parse + JSON.stringify of 400 KiB cost ~5 ms here)
 * and the request is held once, as the client's buffer (BENCHMARKS.md, adapter).
 *
 * A placeholder is U+0000 + "ofr" + a random per-request nonce + ":" + index + ";". JSON.stringify
 * writes U+0000 as `\u0000`, which is how encodePassthrough finds it; without the nonce, no content
 * can forge one. Code that needs the text of a string that may be a placeholder calls `materialize`.
 */

/** A parsed request whose long strings are placeholders for byte ranges of `source`. */
export interface PassthroughJson {
  /** The parsed value; long string values are placeholders. */
  value: unknown;
  /** The escaped bytes (between the quotes) of each long string, by placeholder index: views into the client's buffer. */
  slices: Buffer[];
  /** The random part of this request's placeholders (hex); '' when the body has no long string (and so no placeholder). */
  nonce: string;
}

/** Strings shorter than this many bytes (escaped, between the quotes) are parsed as usual. */
export const PASSTHROUGH_MIN_BYTES = 512;

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COLON = 0x3a;

/**
 * Parses a JSON body, keeping string values of at least `minBytes` escaped bytes as placeholders
 * (object keys are always parsed). Returns null when the fast path does not apply — the body is not
 * valid UTF-8, a long string holds an unescaped control character or a bad escape, or the skeleton
 * is not valid JSON — and the caller then uses JSON.parse, which gives the usual result or error.
 */
export function parsePassthrough(body: Buffer, minBytes = PASSTHROUGH_MIN_BYTES): PassthroughJson | null {
  if (!isUtf8(body)) return null;
  // Drawn only for a body that has a long string. randomUUID draws from a cached entropy pool: a randomBytes call per request cost
  // more than the rest of the parse of a small body.
  let nonce = '';
  const slices: Buffer[] = [];
  const skeleton: string[] = [];
  let copiedTo = 0;
  // Outside a string every '"' opens one (JSON has no other use for it), so strings are found by memchr.
  for (let open = body.indexOf(QUOTE); open !== -1;) {
    const close = closingQuote(body, open + 1);
    if (close === -1) return null;
    if (close - open - 1 >= minBytes && !isKey(body, close + 1)) {
      if (!validStringBytes(body, open + 1, close)) return null;
      if (!nonce) nonce = randomUUID().replace(/-/g, '').slice(0, 16);
      // Written escaped: JSON.parse turns `\u0000` into the U+0000 that starts the placeholder.
      skeleton.push(body.toString('utf8', copiedTo, open + 1), `\\u0000ofr${nonce}:${slices.length};`);
      slices.push(body.subarray(open + 1, close));
      copiedTo = close;
    }
    open = body.indexOf(QUOTE, close + 1);
  }
  skeleton.push(body.toString('utf8', copiedTo));
  try {
    return { value: JSON.parse(skeleton.join('')), slices, nonce };
  } catch {
    return null;
  }
}

/** The index of the '"' that closes the string whose content starts at `from`, or -1. */
function closingQuote(body: Buffer, from: number): number {
  for (let q = body.indexOf(QUOTE, from); q !== -1; q = body.indexOf(QUOTE, q + 1)) {
    let backslashes = 0;
    while (body[q - 1 - backslashes] === BACKSLASH) backslashes++;
    if (backslashes % 2 === 0) return q;
  }
  return -1;
}

/** True when the next non-blank byte after a string is ':' (the string was an object key). */
function isKey(body: Buffer, at: number): boolean {
  let i = at;
  while (body[i] === 0x20 || body[i] === 0x0a || body[i] === 0x0d || body[i] === 0x09) i++;
  return body[i] === COLON;
}

// The bytes allowed after a backslash (RFC 8259 §7): " \ / b f n r t u.
const ESCAPES = new Uint8Array(256);
for (const c of '"\\/bfnrtu') ESCAPES[c.charCodeAt(0)] = 1;
const HEX = new Uint8Array(256);
for (const c of '0123456789abcdefABCDEF') HEX[c.charCodeAt(0)] = 1;

/**
 * True when body[start, end) is valid JSON string content (RFC 8259 §7): no byte below 0x20, and
 * every backslash starts a legal escape. Two passes, each at memory speed rather than a byte at a
 * time: the control-byte test on 32-bit words, and the escapes found with indexOf (memchr).
 */
function validStringBytes(body: Buffer, start: number, end: number): boolean {
  return noControlBytes(body, start, end) && legalEscapes(body.subarray(start, end));
}

/**
 * True when body[start, end) holds no byte below 0x20. For a 32-bit word w, (w − 0x20202020) & ~w
 * & 0x80808080 is non-zero exactly when one of its bytes is below 0x20 ("hasless", Sean Eron
 * Anderson, Bit Twiddling Hacks); the words' terms are OR-ed together, eight words per step, and
 * tested once at the end.
 */
function noControlBytes(body: Buffer, start: number, end: number): boolean {
  const head = Math.min(end, start + ((4 - ((body.byteOffset + start) & 3)) & 3));
  for (let i = start; i < head; i++) if ((body[i] as number) < 0x20) return false;
  const n = (end - head) >>> 2;
  let acc = 0;
  if (n > 0) {
    const w = new Uint32Array(body.buffer, body.byteOffset + head, n);
    let k = 0;
    for (const m = n & ~7; k < m; k += 8) {
      const a = w[k] as number, b = w[k + 1] as number, c = w[k + 2] as number, d = w[k + 3] as number;
      const e = w[k + 4] as number, f = w[k + 5] as number, g = w[k + 6] as number, h = w[k + 7] as number;
      acc |= ((a - 0x20202020) & ~a) | ((b - 0x20202020) & ~b) | ((c - 0x20202020) & ~c) | ((d - 0x20202020) & ~d)
        | ((e - 0x20202020) & ~e) | ((f - 0x20202020) & ~f) | ((g - 0x20202020) & ~g) | ((h - 0x20202020) & ~h);
    }
    for (; k < n; k++) {
      const a = w[k] as number;
      acc |= (a - 0x20202020) & ~a;
    }
  }
  if ((acc & 0x80808080) !== 0) return false;
  for (let i = head + n * 4; i < end; i++) if ((body[i] as number) < 0x20) return false;
  return true;
}

/** True when every backslash in `s` (a string's escaped bytes) starts a legal escape. */
function legalEscapes(s: Buffer): boolean {
  for (let at = s.indexOf(BACKSLASH); at !== -1; at = s.indexOf(BACKSLASH, at)) {
    at = escapeEnd(s, at, s.length);
    if (at < 0) return false;
  }
  return true;
}

/** The index after the escape that starts with the backslash at `at`, or -1 if it is not a legal one (RFC 8259 §7). */
function escapeEnd(body: Buffer, at: number, end: number): number {
  const e = body[at + 1] as number;
  if (at + 1 >= end || ESCAPES[e] !== 1) return -1;
  if (e !== 0x75) return at + 2;
  if (at + 5 >= end) return -1;
  for (let h = at + 2; h < at + 6; h++) if (HEX[body[h] as number] !== 1) return -1;
  return at + 6;
}

/**
 * Each `ofr<nonce>:<index>;` tag of `p` in `text`, in order: where it starts, the slice index and
 * where it ends. The caller checks what precedes it (U+0000, or the text `\u0000`). Found with
 * indexOf rather than a RegExp: the nonce changes per request, and compiling a fresh RegExp each
 * time cost more than the rest of the encoding.
 */
function* tags(text: string, p: PassthroughJson): Generator<{ at: number; index: number; end: number }> {
  if (!p.nonce) return; // no long string: no placeholder, and no nonce to look for
  const tag = `ofr${p.nonce}:`;
  for (let at = text.indexOf(tag); at !== -1; at = text.indexOf(tag, at + tag.length)) {
    const semi = text.indexOf(';', at + tag.length);
    if (semi === -1) return;
    const digits = text.slice(at + tag.length, semi);
    if (/^\d+$/.test(digits)) yield { at, index: Number(digits), end: semi + 1 };
  }
}

function sliceOf(p: PassthroughJson, index: number): Buffer {
  const slice = p.slices[index];
  if (!slice) throw new Error(`passthrough placeholder ${index} has no slice (${p.slices.length} held)`);
  return slice;
}

/**
 * `json` (text from JSON.stringify of a value holding `p`'s placeholders) as the bytes to send:
 * each placeholder replaced by its original escaped bytes. A placeholder that was embedded in a
 * string twice over (JSON.stringify of a JSON text, written `\\u0000…`) gets those bytes escaped
 * once more. Throws Error for a placeholder index that `p` does not hold.
 */
export function encodePassthrough(json: string, p: PassthroughJson): Buffer[] {
  const out: Buffer[] = [];
  let copiedTo = 0;
  for (const { at, index, end } of tags(json, p)) {
    if (json.slice(at - 5, at) !== 'u0000') continue;
    let run = 0;
    while (json.charCodeAt(at - 6 - run) === BACKSLASH) run++;
    // Inside one string the placeholder's `\u0000` is 1 backslash after an even run (escaped backslashes of the text before it);
    // inside a JSON text embedded in a string it is 2 after a multiple of 4. Anything else is text that merely looks alike.
    const depth = run % 2 === 1 ? 1 : run % 4 === 2 ? 2 : 0;
    if (depth === 0) continue;
    const slice = sliceOf(p, index);
    out.push(Buffer.from(json.slice(copiedTo, at - 5 - depth), 'utf8'));
    out.push(depth === 1 ? slice : Buffer.from(JSON.stringify(slice.toString('utf8')).slice(1, -1), 'utf8'));
    copiedTo = end;
  }
  out.push(Buffer.from(json.slice(copiedTo), 'utf8'));
  return out;
}

/**
 * An upper bound on the UTF-8 bytes of `s` once its placeholders are replaced, for the
 * reservation's input bound: each placeholder counts as the length of its escaped bytes, which is
 * never less than the bytes they decode to. Also counts placeholders inside a JSON text held in
 * `s` (written `\\u0000…`, e.g. JSON.stringify of a tool definition).
 */
export function passthroughByteLength(s: string, p: PassthroughJson): number {
  let n = Buffer.byteLength(s, 'utf8');
  if (!s.includes('ofr')) return n;
  for (const { at, index, end } of tags(s, p)) {
    const start = s.charCodeAt(at - 1) === 0 ? at - 1 : s.slice(at - 6, at) === '\\u0000' ? at - 6 : -1;
    if (start >= 0) n += (p.slices[index]?.length ?? 0) - (end - start); // the placeholder's own characters are ASCII but U+0000 (1 byte)
  }
  return n;
}

/**
 * `value` with every placeholder inside its strings replaced by the decoded text (deep copy of
 * arrays and objects that contain one; other values returned as they are). For the parts of a
 * request the adapter reads rather than moves (tool_use inputs, stop sequences).
 */
export function materialize<T>(value: T, p: PassthroughJson): T {
  if (typeof value === 'string') {
    if (!value.includes('\u0000ofr')) return value;
    let out = '';
    let copiedTo = 0;
    for (const { at, index, end } of tags(value, p)) {
      if (value.charCodeAt(at - 1) !== 0) continue;
      out += value.slice(copiedTo, at - 1) + (JSON.parse(`"${sliceOf(p, index).toString('utf8')}"`) as string);
      copiedTo = end;
    }
    return (out + value.slice(copiedTo)) as T;
  }
  if (Array.isArray(value)) return value.map((v) => materialize(v, p)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, materialize(v, p)])) as T;
  }
  return value;
}

/**
 * The upstream bodies of one request, as one buffer each: `encode(model)` gives
 * `JSON.stringify({ ...params, model })` with `p`'s placeholders spliced back as the client's bytes
 * (encodePassthrough), concatenated. The first body is kept, and the client's bytes are let go at
 * once (`p.slices` emptied), so a held call keeps one copy of its body, not two; a body for another
 * model (the fallback gateway's name) is that buffer with its leading `"model"` member replaced.
 * That needs `model` to be the first member of `params` (translateRequest puts it first); when it
 * is not, the client's bytes are kept and each body is encoded afresh. One buffer rather than ~80
 * pieces: one write into the upstream socket instead of a corked write per piece (0–0.4 ms less per
 * 400 KiB request, measured).
 */
export function upstreamBodies(params: object, p: PassthroughJson): { encode(model: string): Buffer } {
  let first: { model: string; bytes: Buffer; head: number } | undefined;
  return {
    encode(model) {
      if (first?.model === model) return first.bytes;
      const head = `{"model":${JSON.stringify(model)}`;
      if (first && first.head > 0) return Buffer.concat([Buffer.from(head, 'utf8'), first.bytes.subarray(first.head)]);
      const json = JSON.stringify({ ...params, model });
      const bytes = Buffer.concat(encodePassthrough(json, p));
      if (first) return bytes; // the model is not the first member: no swap, the client's bytes are still held
      const swappable = json.startsWith(head) && (json[head.length] === ',' || json[head.length] === '}');
      first = { model, bytes, head: swappable ? Buffer.byteLength(head, 'utf8') : 0 };
      if (swappable) p.slices = [];
      return bytes;
    },
  };
}
