import { isUtf8 } from 'node:buffer';
import { randomBytes } from 'node:crypto';

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
  /** The random part of this request's placeholders (hex). */
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
  const nonce = randomBytes(8).toString('hex');
  const slices: Buffer[] = [];
  const skeleton: string[] = [];
  let copiedTo = 0;
  // Outside a string every '"' opens one (JSON has no other use for it), so strings are found by memchr.
  for (let open = body.indexOf(QUOTE); open !== -1;) {
    const close = closingQuote(body, open + 1);
    if (close === -1) return null;
    if (close - open - 1 >= minBytes && !isKey(body, close + 1)) {
      if (!validStringBytes(body, open + 1, close)) return null;
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
 * True when body[start, end) is valid JSON string content: no byte below 0x20, and every backslash
 * starts a legal escape. Reads four bytes at a time: for a 32-bit word w, (w − 0x20202020) & ~w &
 * 0x80808080 is non-zero exactly when one of its bytes is below 0x20, and the same test of
 * w ^ 0x5c5c5c5c against 0x01010101 finds a backslash ("hasless"/"haszero", Sean Eron Anderson,
 * Bit Twiddling Hacks); only words holding a backslash are looked at byte by byte.
 */
function validStringBytes(body: Buffer, start: number, end: number): boolean {
  let next = start; // bytes before `next` belong to an escape already checked
  const bytewise = (from: number, to: number): boolean => {
    for (let j = Math.max(from, next); j < to; j++) {
      const b = body[j] as number;
      if (b < 0x20) return false;
      if (b !== BACKSLASH) continue;
      next = escapeEnd(body, j, end);
      if (next < 0) return false;
      j = next - 1;
    }
    return true;
  };
  const head = Math.min(end, start + ((4 - ((body.byteOffset + start) & 3)) & 3));
  if (!bytewise(start, head)) return false;
  const aligned = ((body.byteOffset + head) & 3) === 0; // false only when the string ended before a 4-byte boundary
  const words = aligned ? new Uint32Array(body.buffer, body.byteOffset + head, (end - head) >>> 2) : new Uint32Array(0);
  for (let k = 0; k < words.length; k++) {
    const w = words[k] as number;
    if (((w - 0x20202020) & ~w & 0x80808080) !== 0) return false;
    const x = w ^ 0x5c5c5c5c;
    if (((x - 0x01010101) & ~x & 0x80808080) !== 0 && !bytewise(head + k * 4, head + k * 4 + 4)) return false;
  }
  return bytewise(head + words.length * 4, end);
}

/** The index after the escape that starts with the backslash at `at`, or -1 if it is not a legal one (RFC 8259 §7). */
function escapeEnd(body: Buffer, at: number, end: number): number {
  const e = body[at + 1] as number;
  if (at + 1 >= end || ESCAPES[e] !== 1) return -1;
  if (e !== 0x75) return at + 2;
  if (at + 5 >= end + 0 && at + 5 > end) return -1;
  for (let h = at + 2; h < at + 6; h++) if (HEX[body[h] as number] !== 1) return -1;
  return at + 6;
}

/**
 * `json` (text from JSON.stringify of a value holding `p`'s placeholders) as the bytes to send:
 * each placeholder replaced by its original escaped bytes. A placeholder that was embedded in a
 * string twice over (JSON.stringify of a JSON text, written `\\u0000…`) gets those bytes escaped
 * once more. Throws Error for a placeholder index that `p` does not hold.
 */
export function encodePassthrough(json: string, p: PassthroughJson): Buffer[] {
  const out: Buffer[] = [];
  const found = new RegExp(`(\\\\+)u0000ofr${p.nonce}:(\\d+);`, 'g');
  let copiedTo = 0;
  for (let m = found.exec(json); m !== null; m = found.exec(json)) {
    const run = (m[1] as string).length;
    // Inside one string the placeholder's `\u0000` is 1 backslash after an even run (escaped backslashes of the text before it);
    // inside a JSON text embedded in a string it is 2 after a multiple of 4. Anything else is text that merely looks alike.
    const depth = run % 2 === 1 ? 1 : run % 4 === 2 ? 2 : 0;
    if (depth === 0) continue;
    const slice = p.slices[Number(m[2])];
    if (!slice) throw new Error(`passthrough placeholder ${m[2]} has no slice (${p.slices.length} held)`);
    out.push(Buffer.from(json.slice(copiedTo, m.index + run - depth), 'utf8'));
    out.push(depth === 1 ? slice : Buffer.from(JSON.stringify(slice.toString('utf8')).slice(1, -1), 'utf8'));
    copiedTo = m.index + m[0].length;
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
  if (!s.includes('u0000ofr') && !s.includes('\u0000ofr')) return Buffer.byteLength(s, 'utf8');
  let n = 0;
  let last = 0;
  const found = new RegExp(`(?:\u0000|\\\\u0000)ofr${p.nonce}:(\\d+);`, 'g');
  for (let m = found.exec(s); m !== null; m = found.exec(s)) {
    n += Buffer.byteLength(s.slice(last, m.index), 'utf8') + (p.slices[Number(m[1])]?.length ?? 0);
    last = m.index + m[0].length;
  }
  return n + Buffer.byteLength(s.slice(last), 'utf8');
}

/**
 * `value` with every placeholder inside its strings replaced by the decoded text (deep copy of
 * arrays and objects that contain one; other values returned as they are). For the parts of a
 * request the adapter reads rather than moves (tool_use inputs, stop sequences).
 */
export function materialize<T>(value: T, p: PassthroughJson): T {
  if (typeof value === 'string') {
    if (!value.includes('\u0000ofr')) return value;
    return value.replace(new RegExp(`\u0000ofr${p.nonce}:(\\d+);`, 'g'), (_m, i: string) => JSON.parse(`"${p.slices[Number(i)]?.toString('utf8') ?? ''}"`) as string) as T;
  }
  if (Array.isArray(value)) return value.map((v) => materialize(v, p)) as T;
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, materialize(v, p)])) as T;
  }
  return value;
}
