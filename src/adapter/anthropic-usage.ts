import { createParser, type EventSourceParser } from 'eventsource-parser';
import { utf8ByteLength } from '../core/token-bound';
import type { Usage } from '../core/usage';

/** Anthropic's `usage` object (a Message's, message_start's, message_delta's); fields may be missing or null. Tokens. */
export interface AnthropicUsageFields {
  input_tokens?: number | null;
  output_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  cache_creation_input_tokens?: number | null;
}

const n = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : undefined);

/**
 * Anthropic usage → ours. Anthropic's input_tokens excludes cache reads and cache writes
 * (https://docs.anthropic.com/en/docs/build-with-claude/prompt-caching): cache reads are
 * cache_read_tokens; cache writes are added to input_tokens (billed at the input price; Anthropic
 * charges them 1.25×, the gateways this mode is for do not report them).
 */
export function usageFromAnthropic(u: AnthropicUsageFields): Usage {
  return {
    input_tokens: (n(u.input_tokens) ?? 0) + (n(u.cache_creation_input_tokens) ?? 0),
    output_tokens: n(u.output_tokens) ?? 0,
    cache_read_tokens: n(u.cache_read_input_tokens) ?? 0,
  };
}

/** True when `u` reports input or output tokens at all. */
export function hasUsage(u: unknown): u is AnthropicUsageFields {
  return (
    typeof u === 'object' &&
    u !== null &&
    (n((u as AnthropicUsageFields).input_tokens) !== undefined ||
      n((u as AnthropicUsageFields).output_tokens) !== undefined)
  );
}

/**
 * Watches an Anthropic SSE stream as it passes through (it does not change it) and keeps what
 * settling needs: message_start's usage (input, cache, the first output count), message_delta's
 * (cumulative output; some gateways put input there too), and the UTF-8 bytes of the deltas
 * streamed so far (text, tool input JSON, thinking), the floor of an estimate that cannot
 * undercount when the stream ends before its message_delta.
 */
export class AnthropicStreamUsage {
  private start: AnthropicUsageFields | undefined;
  private delta: AnthropicUsageFields | undefined;
  private deltaBytes = 0;
  private readonly parser: EventSourceParser;
  private readonly decoder = new TextDecoder();

  constructor() {
    this.parser = createParser({ onEvent: (e) => this.onEvent(e.data) });
  }

  /** Feeds raw bytes of the stream, as received. */
  feed(bytes: Uint8Array): void {
    this.parser.feed(this.decoder.decode(bytes, { stream: true }));
  }

  private onEvent(data: string): void {
    let event: {
      type?: string;
      message?: { usage?: unknown };
      usage?: unknown;
      delta?: { text?: unknown; partial_json?: unknown; thinking?: unknown };
    };
    try {
      event = JSON.parse(data);
    } catch {
      return; // not ours to judge: the client sees the event as the gateway sent it
    }
    if (event?.type === 'message_start' && hasUsage(event.message?.usage)) this.start = event.message.usage;
    else if (event?.type === 'message_delta' && hasUsage(event.usage)) this.delta = { ...this.delta, ...event.usage };
    else if (event?.type === 'content_block_delta') {
      for (const v of [event.delta?.text, event.delta?.partial_json, event.delta?.thinking])
        if (typeof v === 'string') this.deltaBytes += utf8ByteLength(v);
    }
  }

  /**
   * The usage to settle, tokens. `reported` is false when the gateway reported none: then the
   * estimate is `inputBound` in and one token per streamed byte out. Without a message_delta (the
   * stream broke or the client left), output is the larger of message_start's count and the bytes.
   */
  usage(inputBound: number): { usage: Usage; reported: boolean } {
    if (!this.start && !this.delta)
      return {
        usage: { input_tokens: inputBound, output_tokens: this.deltaBytes, cache_read_tokens: 0 },
        reported: false,
      };
    // Field by field the larger: message_delta's counts are cumulative, and a gateway that sends input_tokens: 0 there must not erase message_start's.
    const a = usageFromAnthropic(this.start ?? {});
    const b = usageFromAnthropic(this.delta ?? {});
    const merged: Usage = {
      input_tokens: Math.max(a.input_tokens, b.input_tokens),
      output_tokens: Math.max(a.output_tokens, b.output_tokens),
      cache_read_tokens: Math.max(a.cache_read_tokens, b.cache_read_tokens),
    };
    if (!this.delta) merged.output_tokens = Math.max(merged.output_tokens, this.deltaBytes);
    if (!this.start && n(this.delta?.input_tokens) === undefined) merged.input_tokens = inputBound;
    return { usage: merged, reported: true };
  }
}
