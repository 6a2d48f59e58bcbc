import { countTokens } from 'gpt-tokenizer';
import type { AnthropicContentBlock, AnthropicCountTokensRequest } from './anthropic-schema';

/** Tokens added per message for role markers (OpenAI's chat format spends 3–4). */
const PER_MESSAGE_TOKENS = 4;
/** Tokens added per tool definition for the template around it. */
const PER_TOOL_TOKENS = 8;
/** Tokens counted for an image: Anthropic's (width × height) / 750 for a 1,092 × 1,092 image, its recommended maximum. */
const IMAGE_TOKENS = 1_600;

// Text may contain "<|endoftext|>" and the like: count it as plain text instead of throwing.
const asPlainText = { disallowedSpecial: new Set<string>() };

/**
 * Answer of POST /v1/messages/count_tokens, `{ input_tokens }`: system, tools and messages counted
 * with gpt-tokenizer (o200k_base). An estimate of what the gateway model will count — its
 * tokenizer differs — and not on the hot path (DESIGN.md, money rules); reservations use
 * src/core/token-bound.ts instead.
 */
export function countRequestTokens(req: AnthropicCountTokensRequest): { input_tokens: number } {
  let tokens = 0;
  const text = (s: string) => {
    tokens += countTokens(s, asPlainText);
  };
  if (typeof req.system === 'string') text(req.system);
  else for (const block of req.system ?? []) text(block.text);
  for (const tool of req.tools ?? []) {
    tokens += PER_TOOL_TOKENS;
    text(tool.name);
    if (tool.description) text(tool.description);
    if (tool.input_schema) text(JSON.stringify(tool.input_schema));
  }
  for (const message of req.messages) {
    tokens += PER_MESSAGE_TOKENS;
    if (typeof message.content === 'string') text(message.content);
    else for (const block of message.content) tokens += blockTokens(block, text);
  }
  return { input_tokens: tokens };
}

function blockTokens(block: AnthropicContentBlock, text: (s: string) => void): number {
  switch (block.type) {
    case 'text':
      text(block.text);
      return 0;
    case 'thinking':
      text(block.thinking);
      return 0;
    case 'tool_use':
      text(block.name);
      text(JSON.stringify(block.input ?? {}));
      return 0;
    case 'tool_result':
      if (typeof block.content === 'string') text(block.content);
      else for (const inner of block.content ?? []) if (inner.type === 'text') text(inner.text);
      return (
        (typeof block.content === 'string' ? 0 : (block.content ?? []).filter((b) => b.type === 'image').length) *
        IMAGE_TOKENS
      );
    case 'image':
      return IMAGE_TOKENS;
    default:
      return 0;
  }
}
