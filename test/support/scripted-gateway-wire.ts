/**
 * Wire shapes of the scripted gateway (stand-in for the model provider): pure functions that turn
 * one scripted {@link Reply} into an OpenAI chat-completions body or a list of SSE chunks.
 * Shapes follow OpenAI's chat-completions reference (`chat.completion`, `chat.completion.chunk`,
 * `usage.prompt_tokens_details.cached_tokens`, tool-call deltas keyed by `index`).
 */

/** A successful scripted answer. `arguments` is JSON-encoded unless it is already a string. */
export interface SuccessReply {
  text?: string;
  /** Sent as `reasoning_content` (DeepSeek's field for reasoning models). */
  reasoning?: string;
  tool_calls?: { id?: string; name: string; arguments: unknown }[];
  /** Token counts to report. Absent → the deterministic default of {@link defaultUsage}. */
  usage?: { prompt_tokens: number; completion_tokens: number; cached_tokens?: number };
  /** Absent → `tool_calls` when the reply has tool calls, else `stop`. */
  finish_reason?: 'stop' | 'tool_calls' | 'length';
  /** Streaming: put `usage` on every chunk (as some OpenAI-compatible providers do). */
  usageOnEveryChunk?: boolean;
  /** Report no usage at all, even when the client asked for it. */
  omitUsage?: boolean;
  /** Fault: destroy the socket after this many SSE chunks (non-streaming: before any byte). */
  dropAfterChunks?: number;
  /** Fault: streaming sends one unparsable `data:` line after the first chunk and ends; non-streaming sends invalid JSON. */
  malformed?: boolean;
  /** Wait this long (ms) before answering. */
  delayMs?: number;
  /** Wait for this promise before answering (after `delayMs`): a barrier a test opens when it chooses. */
  answerAfter?: Promise<unknown>;
}

/** A scripted error, sent as OpenAI's `{error:{message,type,param,code}}` with `status`; `param` and `code` default from the status. */
export interface ErrorReply {
  error: {
    status: number;
    message: string;
    type?: string;
    param?: string;
    code?: string;
    retryAfterSeconds?: number;
    retryAfterMs?: number;
  };
}

/** What the gateway answers to one chat-completions request. */
export type Reply = SuccessReply | ErrorReply;

/** Usage in OpenAI's wire shape. */
export interface WireUsage {
  prompt_tokens: number;
  completion_tokens: number;
  total_tokens: number;
  prompt_tokens_details: { cached_tokens: number };
}

/** Tool-call arguments as the wire string. */
export function argumentsString(args: unknown): string {
  return typeof args === 'string' ? args : JSON.stringify(args ?? {});
}

/** Characters of output a reply carries: text + reasoning + tool names + argument strings. */
export function outputChars(reply: SuccessReply): number {
  const calls = (reply.tool_calls ?? []).reduce((n, c) => n + c.name.length + argumentsString(c.arguments).length, 0);
  return (reply.text ?? '').length + (reply.reasoning ?? '').length + calls;
}

/**
 * The usage the gateway reports: the reply's own numbers, else the documented default
 * prompt_tokens = ceil(request body bytes / 4), completion_tokens = ceil(output chars / 4)
 * (see {@link outputChars}), cached_tokens = 0.
 */
export function defaultUsage(reply: SuccessReply, requestBytes: number): WireUsage {
  const u = reply.usage ?? {
    prompt_tokens: Math.ceil(requestBytes / 4),
    completion_tokens: Math.ceil(outputChars(reply) / 4),
  };
  return {
    prompt_tokens: u.prompt_tokens,
    completion_tokens: u.completion_tokens,
    total_tokens: u.prompt_tokens + u.completion_tokens,
    prompt_tokens_details: { cached_tokens: u.cached_tokens ?? 0 },
  };
}

function finishReason(reply: SuccessReply): 'stop' | 'tool_calls' | 'length' {
  return reply.finish_reason ?? (reply.tool_calls?.length ? 'tool_calls' : 'stop');
}

function callId(reply: SuccessReply, index: number, i: number): string {
  return reply.tool_calls?.[i]?.id ?? `call_${index}_${i}`;
}

/** The non-streaming `chat.completion` body. `index` is the request's position (ids derive from it). */
export function completionBody(reply: SuccessReply, model: string, index: number, usage: WireUsage | null): object {
  const message: Record<string, unknown> = { role: 'assistant', content: reply.text ?? null, refusal: null };
  if (reply.reasoning !== undefined) message.reasoning_content = reply.reasoning;
  if (reply.tool_calls?.length) {
    message.tool_calls = reply.tool_calls.map((c, i) => ({
      id: callId(reply, index, i),
      type: 'function',
      function: { name: c.name, arguments: argumentsString(c.arguments) },
    }));
  }
  return {
    id: `chatcmpl-scripted-${index}`,
    object: 'chat.completion',
    created: 1_700_000_000,
    model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: finishReason(reply) }],
    ...(usage ? { usage } : {}),
  };
}

/** Splits a string into pieces of at most `size` characters (at least one piece, maybe empty). */
export function pieces(s: string, size: number): string[] {
  const out: string[] = [];
  for (let i = 0; i < s.length; i += size) out.push(s.slice(i, i + size));
  return out.length ? out : [''];
}

/**
 * The streaming `chat.completion.chunk` objects, in order: a role chunk, reasoning and text
 * deltas (≤ 16 chars each), per tool call a head delta (index, id, type, function.name,
 * arguments "") then argument fragments (≤ 24 chars), a chunk with `finish_reason`, then — when
 * `includeUsage` — a final chunk with `choices: []` and `usage`. With `usageOnEveryChunk`, every
 * chunk carries `usage` instead. `[DONE]` is not included.
 */
export function streamChunks(
  reply: SuccessReply,
  model: string,
  index: number,
  usage: WireUsage | null,
  includeUsage: boolean,
): object[] {
  const base = { id: `chatcmpl-scripted-${index}`, object: 'chat.completion.chunk', created: 1_700_000_000, model };
  const deltas: { delta: Record<string, unknown>; finish_reason: string | null }[] = [];
  const push = (delta: Record<string, unknown>, finish: string | null = null) =>
    deltas.push({ delta, finish_reason: finish });
  push({ role: 'assistant', content: '' });
  if (reply.reasoning) for (const p of pieces(reply.reasoning, 16)) push({ reasoning_content: p });
  if (reply.text) for (const p of pieces(reply.text, 16)) push({ content: p });
  (reply.tool_calls ?? []).forEach((c, i) => {
    push({
      tool_calls: [
        { index: i, id: callId(reply, index, i), type: 'function', function: { name: c.name, arguments: '' } },
      ],
    });
    for (const p of pieces(argumentsString(c.arguments), 24))
      push({ tool_calls: [{ index: i, function: { arguments: p } }] });
  });
  push({}, finishReason(reply));
  const every = Boolean(reply.usageOnEveryChunk && usage);
  const chunks: object[] = deltas.map((d) => ({
    ...base,
    choices: [{ index: 0, delta: d.delta, logprobs: null, finish_reason: d.finish_reason }],
    ...(every ? { usage } : {}),
  }));
  if (usage && includeUsage && !every) chunks.push({ ...base, choices: [], usage });
  return chunks;
}

/** OpenAI's error body. `code`, unless given, is derived from the status (429 → rate_limit_exceeded, …). */
export function errorBody(e: ErrorReply['error']): object {
  const code =
    e.code ??
    (e.status === 429
      ? 'rate_limit_exceeded'
      : e.status === 401
        ? 'invalid_api_key'
        : e.status >= 500
          ? 'server_error'
          : null);
  const type =
    e.type ?? (e.status === 429 ? 'rate_limit_error' : e.status >= 500 ? 'server_error' : 'invalid_request_error');
  return { error: { message: e.message, type, param: e.param ?? null, code } };
}
