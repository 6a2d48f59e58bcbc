import type { ChatCompletion } from 'openai/resources/chat/completions';
import { usageFromOpenAI, type Usage } from '../core/usage';
import type { ToolNameMap } from './tool-names';

/** Anthropic `usage` of a message, in tokens. input_tokens excludes cache reads; we never write caches. */
export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_read_input_tokens: number;
  cache_creation_input_tokens: number;
}

/** The content blocks the adapter produces. Thinking blocks carry a placeholder signature (gateways do not sign). */
export type AnthropicResponseBlock =
  | { type: 'thinking'; thinking: string; signature: string }
  | { type: 'text'; text: string }
  | { type: 'tool_use'; id: string; name: string; input: Record<string, unknown> };

/** Anthropic `stop_reason` values the adapter produces. */
export type AnthropicStopReason = 'end_turn' | 'max_tokens' | 'stop_sequence' | 'tool_use' | 'refusal';

/** An Anthropic Messages response (non-streaming), as https://docs.anthropic.com/en/api/messages returns it. */
export interface AnthropicMessage {
  id: string;
  type: 'message';
  role: 'assistant';
  model: string;
  content: AnthropicResponseBlock[];
  stop_reason: AnthropicStopReason;
  stop_sequence: string | null;
  usage: AnthropicUsage;
}

/** Signature put on thinking blocks: Anthropic clients expect the field; nothing verifies it on the way back. */
export const UNSIGNED_THINKING = 'offload-unsigned';

/** Thrown when the upstream's 200 body is not a chat completion we can read (the adapter answers 502 api_error). */
export class UnrecognisedResponseError extends Error {
  override name = 'UnrecognisedResponseError';
}

/** What the response translation needs from the request. */
export interface TranslateResponseOptions {
  /** The model name the client asked for; the response carries it, not the gateway's. */
  requestedModel: string;
  toolNames: ToolNameMap;
  /** The request's stop_sequences, to recognise the one a gateway reports as matched. */
  stopSequences?: readonly string[];
  /** Message id; defaults to `msg_` + the completion id. */
  id?: string;
}

/**
 * Tool-call arguments → tool_use input. The arguments must be a JSON object; anything else
 * (invalid JSON, an array, a string) becomes `{}` with ok=false, so the client's schema check
 * tells the model its call was malformed and the caller can log the raw text. "" means no arguments.
 */
export function parseToolArguments(raw: string | undefined): { input: Record<string, unknown>; ok: boolean } {
  if (raw === undefined || raw.trim() === '') return { input: {}, ok: true };
  try {
    const value: unknown = JSON.parse(raw);
    if (value && typeof value === 'object' && !Array.isArray(value))
      return { input: value as Record<string, unknown>, ok: true };
  } catch {
    // fall through
  }
  return { input: {}, ok: false };
}

/**
 * finish_reason → stop_reason: stop → end_turn (stop_sequence when the gateway names the matched
 * sequence), length → max_tokens, tool_calls/function_call → tool_use, content_filter → refusal.
 * A missing or unknown reason is tool_use when tool calls came, else end_turn.
 */
export function mapFinishReason(
  finish: string | null | undefined,
  hasToolCalls: boolean,
  matchedStop?: string | null,
): AnthropicStopReason {
  if (finish === 'length') return 'max_tokens';
  if (finish === 'content_filter') return 'refusal';
  // Some vLLM/Ollama builds report "stop" although the message carries tool calls.
  if (hasToolCalls) return 'tool_use';
  if (matchedStop) return 'stop_sequence';
  return 'end_turn';
}

/**
 * The stop sequence a gateway reports as matched, if it is one the client asked for: vLLM puts it
 * in `choice.stop_reason`, SGLang in `choice.matched_stop`. OpenAI itself does not report it.
 */
export function matchedStopSequence(choice: object, stopSequences: readonly string[] | undefined): string | null {
  const c = choice as { stop_reason?: unknown; matched_stop?: unknown };
  const named =
    typeof c.stop_reason === 'string' ? c.stop_reason : typeof c.matched_stop === 'string' ? c.matched_stop : null;
  return named !== null && (stopSequences ?? []).includes(named) ? named : null;
}

/** Usage → Anthropic usage fields. */
export function anthropicUsage(u: Usage): AnthropicUsage {
  return {
    input_tokens: u.input_tokens,
    output_tokens: u.output_tokens,
    cache_read_input_tokens: u.cache_read_tokens,
    cache_creation_input_tokens: 0,
  };
}

/**
 * OpenAI ChatCompletion → Anthropic Message. Blocks come in the order thinking
 * (reasoning_content, DeepSeek), text, tool_use. Throws UnrecognisedResponseError when the body has
 * no choice with a message. Returns the metered usage too (Usage convention of src/core/usage.ts)
 * and the tool calls whose arguments were not a JSON object.
 */
export function translateResponse(
  completion: ChatCompletion,
  opts: TranslateResponseOptions,
): { message: AnthropicMessage; usage: Usage; invalidToolArguments: Array<{ id: string; raw: string }> } {
  const choice = completion?.choices?.[0];
  if (!choice || typeof choice !== 'object' || !choice.message) {
    throw new UnrecognisedResponseError(
      `upstream answered 200 without choices[0].message: ${JSON.stringify(completion).slice(0, 200)}`,
    );
  }
  const msg = choice.message as typeof choice.message & { reasoning_content?: string | null };
  const id = opts.id ?? `msg_${completion.id || 'offload'}`;
  const content: AnthropicResponseBlock[] = [];
  const invalidToolArguments: Array<{ id: string; raw: string }> = [];
  if (msg.reasoning_content)
    content.push({ type: 'thinking', thinking: msg.reasoning_content, signature: UNSIGNED_THINKING });
  if (msg.content) content.push({ type: 'text', text: msg.content });
  (msg.tool_calls ?? []).forEach((call, i) => {
    if (call.type !== 'function') return;
    const toolId = call.id || `toolu_${id}_${i}`;
    const { input, ok } = parseToolArguments(call.function.arguments);
    if (!ok) invalidToolArguments.push({ id: toolId, raw: call.function.arguments });
    content.push({ type: 'tool_use', id: toolId, name: opts.toolNames.fromUpstream(call.function.name), input });
  });
  const hasToolCalls = content.some((b) => b.type === 'tool_use');
  const stop = matchedStopSequence(choice, opts.stopSequences);
  const usage = usageFromOpenAI(completion.usage);
  const message: AnthropicMessage = {
    id,
    type: 'message',
    role: 'assistant',
    model: opts.requestedModel,
    content,
    stop_reason: mapFinishReason(choice.finish_reason, hasToolCalls, stop),
    stop_sequence: hasToolCalls ? null : stop,
    usage: anthropicUsage(usage),
  };
  return { message, usage, invalidToolArguments };
}
