/**
 * A cheap, true upper bound on the prompt tokens of an OpenAI chat-completions request, computed
 * from UTF-8 byte lengths without a tokenizer (DESIGN.md, money rules: the reservation's input
 * bound must be cheap on the hot path).
 *
 * Why it is an upper bound: the gateways we meter use byte-level BPE tokenizers (tiktoken for
 * OpenAI, DeepSeek's and Qwen's byte-level BPE, SentencePiece with byte fallback). Every token they
 * produce covers at least one byte of the text, so the tokens of a text are at most its UTF-8
 * bytes. What the text does not contain — role markers and other special tokens of the chat
 * template, the wrapper around each tool call and tool definition — is a fixed number of tokens
 * per item, added here as generous constants. Images are not tokenized as text: they are billed
 * by tiles/patches with a documented maximum, so each counts as IMAGE_TOKEN_BOUND.
 * Not covered: a system prompt the gateway itself injects (none of ours do).
 */

/** Tokens added once per request: BOS, the assistant generation prompt, template preamble. */
export const REQUEST_OVERHEAD_TOKENS = 64;
/** Tokens added per message: role markers and separators of the chat template. */
export const MESSAGE_OVERHEAD_TOKENS = 16;
/** Tokens added per assistant tool call: its template wrapper ("function", separators, fences). */
export const TOOL_CALL_OVERHEAD_TOKENS = 16;
/** Tokens added per tool definition, on top of the bytes of its JSON: the template's namespace text. */
export const TOOL_OVERHEAD_TOKENS = 32;
/**
 * Tokens one image may cost at most. OpenAI bills high-detail images by 512px tiles (gpt-4o: at
 * most 85 + 170 × 16 after scaling) and patch-based models at most 1,536 patches × 1.62
 * (gpt-4.1-mini): both stay under this.
 */
export const IMAGE_TOKEN_BOUND = 6_000;

/** The parts of an OpenAI chat request that count towards its prompt. */
export interface BoundableRequest {
  messages: ReadonlyArray<object>;
  tools?: ReadonlyArray<unknown> | null;
}

/**
 * Upper bound on the prompt tokens (input, cached or not) of `req`, in tokens. Pure and linear in
 * the request size; never throws on a well-formed JSON value.
 */
export function promptTokensUpperBound(req: BoundableRequest): number {
  let tokens = REQUEST_OVERHEAD_TOKENS;
  for (const message of req.messages) {
    tokens += MESSAGE_OVERHEAD_TOKENS + valueBytes(message);
    const calls = (message as { tool_calls?: unknown }).tool_calls;
    if (Array.isArray(calls)) tokens += calls.length * TOOL_CALL_OVERHEAD_TOKENS;
  }
  for (const tool of req.tools ?? []) {
    tokens += TOOL_OVERHEAD_TOKENS + utf8ByteLength(JSON.stringify(tool) ?? '');
  }
  return tokens;
}

/**
 * Bytes of every string (keys included, an over-count that keeps the bound safe) and every
 * number/boolean's decimal text inside a JSON value; an OpenAI `image_url` part counts as
 * IMAGE_TOKEN_BOUND instead of the bytes of its URL or base64 data.
 */
function valueBytes(value: unknown): number {
  if (typeof value === 'string') return utf8ByteLength(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value).length;
  if (Array.isArray(value)) {
    let n = 0;
    for (const item of value) n += valueBytes(item);
    return n;
  }
  if (value && typeof value === 'object') {
    if ((value as { type?: unknown }).type === 'image_url') return IMAGE_TOKEN_BOUND;
    let n = 0;
    // Keys, not entries: entries allocates a pair per property, and this runs over every part of every request.
    for (const key of Object.keys(value))
      n += utf8ByteLength(key) + valueBytes((value as Record<string, unknown>)[key]);
    return n;
  }
  return 0;
}

// Node's native count when present (several times faster on the 400 KiB requests of Claude Code); the loop elsewhere (webview, tests of the loop).
const nativeByteLength: ((s: string) => number) | undefined =
  typeof (globalThis as { Buffer?: { byteLength?: unknown } }).Buffer?.byteLength === 'function'
    ? (s) =>
        (globalThis as unknown as { Buffer: { byteLength(s: string, enc: 'utf8'): number } }).Buffer.byteLength(
          s,
          'utf8',
        )
    : undefined;

/**
 * UTF-8 length of a JS string in bytes, without allocating: Buffer.byteLength under Node, else a
 * loop (src/core imports no Node module). A lone surrogate counts 3 bytes, as its U+FFFD
 * replacement is encoded.
 */
export function utf8ByteLength(s: string): number {
  return nativeByteLength ? nativeByteLength(s) : utf8ByteLengthLoop(s);
}

/** The portable count behind utf8ByteLength (exported for its test). */
export function utf8ByteLengthLoop(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) n += 1;
    else if (c < 0x800) n += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 4;
        i++;
      } else n += 3;
    } else n += 3;
  }
  return n;
}
