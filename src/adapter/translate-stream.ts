import type { ChatCompletionChunk } from 'openai/resources/chat/completions';
import { utf8ByteLength } from '../core/token-bound';
import { usageFromOpenAI, ZERO_USAGE, type Usage } from '../core/usage';
import type { AnthropicErrorBody } from './anthropic-errors';
import type { ToolNameMap } from './tool-names';
import {
  anthropicUsage,
  mapFinishReason,
  matchedStopSequence,
  parseToolArguments,
  UNSIGNED_THINKING,
} from './translate-response';

/** One Anthropic server-sent event: `event: <event>` and `data: <JSON of data>`. */
export interface AnthropicStreamEvent {
  event: string;
  data: object;
}

/** What the stream translation needs from the request. */
export interface StreamTranslatorOptions {
  /** Message id (msg_…). */
  id: string;
  /** The model name the client asked for. */
  requestedModel: string;
  toolNames: ToolNameMap;
  stopSequences?: readonly string[];
}

interface PendingToolCall {
  id: string;
  name: string;
  args: string;
}

/**
 * OpenAI chat-completion chunks in, Anthropic Messages stream events out
 * (https://docs.anthropic.com/en/api/messages-streaming): message_start, then content blocks in
 * order (thinking from reasoning_content, text), then tool_use blocks, message_delta with
 * stop_reason and usage, message_stop.
 *
 * Tool calls are keyed by the chunk's `index` and buffered until the finish_reason (or the end of
 * the stream), then sent as one tool_use block each with a single input_json_delta holding
 * validated JSON: the client never sees broken argument JSON, and calls whose deltas interleave
 * are still assembled right. message_delta is sent by `finish()`, after the trailing usage chunk
 * of `stream_options.include_usage`; usage on every chunk (some gateways) is tolerated, the last
 * one wins.
 */
export class StreamTranslator {
  private started = false;
  private done = false;
  private blockIndex = 0;
  private open: 'thinking' | 'text' | null = null;
  private readonly calls = new Map<string | number, PendingToolCall>();
  private toolsFlushed = false;
  private finishReason: string | null = null;
  private matchedStop: string | null = null;
  private lastUsage: Usage | undefined;
  private bytes = 0;
  /** Tool calls whose arguments were not a JSON object (sent as `{}`), for the caller's log. */
  readonly invalidToolArguments: Array<{ id: string; raw: string }> = [];

  constructor(private readonly opts: StreamTranslatorOptions) {}

  /** The last usage the upstream reported, or undefined if none came (yet). */
  get usage(): Usage | undefined {
    return this.lastUsage;
  }

  /** UTF-8 bytes of thinking, text and tool arguments received so far: a bound on output tokens when usage never comes. */
  get streamedBytes(): number {
    return this.bytes;
  }

  /** message_start, if not sent yet: the adapter sends it as soon as the upstream answered, before the first chunk. */
  start(): AnthropicStreamEvent[] {
    return this.done ? [] : this.ensureStarted();
  }

  /** Events for one upstream chunk (possibly none). Nothing after finish() or error(). */
  push(chunk: ChatCompletionChunk): AnthropicStreamEvent[] {
    if (this.done) return [];
    const out = this.ensureStarted();
    if (chunk.usage) this.lastUsage = usageFromOpenAI(chunk.usage);
    const choice = chunk.choices?.[0];
    if (!choice) return out;
    const delta = (choice.delta ?? {}) as ChatCompletionChunk.Choice.Delta & { reasoning_content?: string | null };
    if (delta.reasoning_content) out.push(...this.appendText('thinking', delta.reasoning_content));
    if (delta.content) out.push(...this.appendText('text', delta.content));
    for (const call of delta.tool_calls ?? []) this.appendToolCall(call);
    if (choice.finish_reason) {
      this.finishReason = choice.finish_reason;
      this.matchedStop = matchedStopSequence(choice, this.opts.stopSequences);
      out.push(...this.closeOpen(), ...this.flushTools());
    }
    return out;
  }

  /** Closes whatever is open and ends the message: message_delta (stop_reason, usage) and message_stop. Idempotent. */
  finish(): AnthropicStreamEvent[] {
    if (this.done) return [];
    const out = [...this.ensureStarted(), ...this.closeOpen(), ...this.flushTools()];
    this.done = true;
    const hasTools = this.calls.size > 0;
    const stopReason = mapFinishReason(this.finishReason, hasTools, this.matchedStop);
    out.push({
      event: 'message_delta',
      data: {
        type: 'message_delta',
        delta: { stop_reason: stopReason, stop_sequence: stopReason === 'stop_sequence' ? this.matchedStop : null },
        usage: anthropicUsage(this.lastUsage ?? ZERO_USAGE),
      },
    });
    out.push({ event: 'message_stop', data: { type: 'message_stop' } });
    return out;
  }

  /** An `event: error` for a failure mid-stream; the stream ends there (clients stop reading). */
  error(body: AnthropicErrorBody): AnthropicStreamEvent[] {
    if (this.done) return [];
    this.done = true;
    return [{ event: 'error', data: body }];
  }

  private ensureStarted(): AnthropicStreamEvent[] {
    if (this.started) return [];
    this.started = true;
    const message = {
      id: this.opts.id,
      type: 'message',
      role: 'assistant',
      model: this.opts.requestedModel,
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: anthropicUsage(ZERO_USAGE),
    };
    return [{ event: 'message_start', data: { type: 'message_start', message } }];
  }

  private appendText(kind: 'thinking' | 'text', text: string): AnthropicStreamEvent[] {
    this.bytes += utf8ByteLength(text);
    const out: AnthropicStreamEvent[] = [];
    if (this.open !== kind) {
      out.push(...this.closeOpen());
      const block =
        kind === 'thinking' ? { type: 'thinking', thinking: '', signature: '' } : { type: 'text', text: '' };
      out.push({
        event: 'content_block_start',
        data: { type: 'content_block_start', index: this.blockIndex, content_block: block },
      });
      this.open = kind;
    }
    const delta = kind === 'thinking' ? { type: 'thinking_delta', thinking: text } : { type: 'text_delta', text };
    out.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index: this.blockIndex, delta } });
    return out;
  }

  private closeOpen(): AnthropicStreamEvent[] {
    if (this.open === null) return [];
    const out: AnthropicStreamEvent[] = [];
    if (this.open === 'thinking') {
      const delta = { type: 'signature_delta', signature: UNSIGNED_THINKING };
      out.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index: this.blockIndex, delta } });
    }
    out.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index: this.blockIndex } });
    this.open = null;
    this.blockIndex++;
    return out;
  }

  private appendToolCall(call: ChatCompletionChunk.Choice.Delta.ToolCall): void {
    if (this.toolsFlushed) return;
    let key: string | number = call.index ?? this.calls.size;
    const existing = this.calls.get(key);
    // Gemini's OpenAI endpoint sends parallel calls all with index 0, told apart only by id.
    if (existing && call.id && existing.id && call.id !== existing.id) key = `${key}:${call.id}`;
    const entry = this.calls.get(key) ?? { id: '', name: '', args: '' };
    this.calls.set(key, entry);
    if (call.id) entry.id = call.id;
    if (call.function?.name) entry.name = call.function.name;
    if (call.function?.arguments) {
      entry.args += call.function.arguments;
      this.bytes += utf8ByteLength(call.function.arguments);
    }
  }

  private flushTools(): AnthropicStreamEvent[] {
    if (this.toolsFlushed) return [];
    this.toolsFlushed = true;
    const out: AnthropicStreamEvent[] = [];
    let n = 0;
    for (const call of this.calls.values()) {
      const id = call.id || `toolu_${this.opts.id}_${n++}`;
      const { input, ok } = parseToolArguments(call.args);
      if (!ok) this.invalidToolArguments.push({ id, raw: call.args });
      const block = { type: 'tool_use', id, name: this.opts.toolNames.fromUpstream(call.name), input: {} };
      out.push({
        event: 'content_block_start',
        data: { type: 'content_block_start', index: this.blockIndex, content_block: block },
      });
      const delta = { type: 'input_json_delta', partial_json: JSON.stringify(input) };
      out.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index: this.blockIndex, delta } });
      out.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index: this.blockIndex } });
      this.blockIndex++;
    }
    return out;
  }
}

/** Anthropic's keep-alive event, sent while the upstream is silent. */
export const PING: AnthropicStreamEvent = Object.freeze({ event: 'ping', data: Object.freeze({ type: 'ping' }) });
const PING_SSE = 'event: ping\ndata: {"type":"ping"}\n\n';

/** One event in SSE wire form: `event: <name>\ndata: <json>\n\n`. */
export function encodeSse(e: AnthropicStreamEvent): string {
  if (e === PING) return PING_SSE;
  return `event: ${e.event}\ndata: ${JSON.stringify(e.data)}\n\n`;
}
