import { z } from 'zod';

/**
 * The Anthropic Messages request as Claude Code sends it (https://docs.anthropic.com/en/api/messages).
 * Objects use zod's default strip mode: Anthropic-only fields we cannot forward (cache_control,
 * citations, betas, output_config, context_management, container, …) are tolerated and dropped.
 */

const TextBlock = z.object({ type: z.literal('text'), text: z.string() });

const ImageBlock = z.object({
  type: z.literal('image'),
  source: z.discriminatedUnion('type', [
    z.object({ type: z.literal('base64'), media_type: z.string(), data: z.string() }),
    z.object({ type: z.literal('url'), url: z.string() }),
  ]),
});

const ToolUseBlock = z.object({
  type: z.literal('tool_use'),
  id: z.string(),
  name: z.string(),
  input: z.unknown(),
});

const ToolResultBlock = z.object({
  type: z.literal('tool_result'),
  tool_use_id: z.string(),
  content: z.union([z.string(), z.array(z.discriminatedUnion('type', [TextBlock, ImageBlock]))]).optional(),
  is_error: z.boolean().optional(),
});

const ThinkingBlock = z.object({ type: z.literal('thinking'), thinking: z.string(), signature: z.string().optional() });
const RedactedThinkingBlock = z.object({ type: z.literal('redacted_thinking'), data: z.string() });

const ContentBlock = z.discriminatedUnion('type', [
  TextBlock,
  ImageBlock,
  ToolUseBlock,
  ToolResultBlock,
  ThinkingBlock,
  RedactedThinkingBlock,
]);

/** role "system" inside messages: Claude Code's mid-conversation-system beta (docs/notes-claude-code.md). */
const Message = z.object({
  role: z.enum(['user', 'assistant', 'system']),
  content: z.union([z.string(), z.array(ContentBlock)]),
});

/** A tool definition. Server tools (web_search_…, with a `type` and no input_schema) are accepted and not forwarded. */
const Tool = z.object({
  name: z.string().min(1),
  description: z.string().optional(),
  input_schema: z.record(z.string(), z.unknown()).optional(),
  type: z.string().optional(),
});

const ToolChoice = z.object({
  type: z.enum(['auto', 'any', 'tool', 'none']),
  name: z.string().optional(),
  disable_parallel_tool_use: z.boolean().optional(),
});

const CountTokensRequestSchema = z.object({
  model: z.string().min(1),
  system: z.union([z.string(), z.array(TextBlock)]).optional(),
  messages: z.array(Message),
  tools: z.array(Tool).optional(),
  tool_choice: ToolChoice.optional(),
  thinking: z.object({ type: z.string(), budget_tokens: z.number().optional() }).optional(),
});

/** Schema of POST /v1/messages/count_tokens: the request without max_tokens and sampling fields. */
export const AnthropicCountTokensRequest = CountTokensRequestSchema;

/** Schema of POST /v1/messages. max_tokens is required and counts output tokens. */
export const AnthropicRequestSchema = CountTokensRequestSchema.extend({
  max_tokens: z.number().int().positive(),
  stop_sequences: z.array(z.string()).optional(),
  temperature: z.number().min(0).optional(),
  top_p: z.number().min(0).max(1).optional(),
  top_k: z.number().int().optional(),
  stream: z.boolean().optional(),
  metadata: z.object({ user_id: z.string().nullish() }).optional(),
});

export type AnthropicRequest = z.infer<typeof AnthropicRequestSchema>;
export type AnthropicCountTokensRequest = z.infer<typeof CountTokensRequestSchema>;
export type AnthropicMessageParam = z.infer<typeof Message>;
export type AnthropicContentBlock = z.infer<typeof ContentBlock>;

/** Result of parsing a request body: the typed request, or the 400 message naming the field. */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; message: string };

/**
 * Parses a JSON body against `schema`. On failure the message names the first bad field the way
 * Anthropic does, e.g. `messages.0.content.1.type: Invalid input: expected "text" | …`.
 */
export function parseAnthropic<T>(schema: z.ZodType<T>, body: unknown): ParseResult<T> {
  const r = schema.safeParse(body);
  if (r.success) return { ok: true, value: r.data };
  return { ok: false, message: describeIssue(r.error.issues[0]) };
}

type Issue = z.core.$ZodIssue;

/** Path and message of an issue; for a union, the branch that got furthest explains it best. */
function describeIssue(issue: Issue | undefined, prefix: PropertyKey[] = []): string {
  if (!issue) return 'invalid request';
  const path = [...prefix, ...issue.path];
  if (issue.code === 'invalid_union' && issue.errors.length > 0) {
    const deepest = issue.errors
      .map((branch) => branch[0])
      .filter((i): i is Issue => i !== undefined)
      .sort((a, b) => b.path.length - a.path.length)[0];
    if (deepest && deepest.path.length > 0) return describeIssue(deepest, path);
  }
  const where = path.map(String).join('.');
  return where ? `${where}: ${issue.message}` : issue.message;
}
