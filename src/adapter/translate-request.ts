import type {
  ChatCompletionAssistantMessageParam,
  ChatCompletionContentPart,
  ChatCompletionCreateParams,
  ChatCompletionFunctionTool,
  ChatCompletionMessageParam,
  ChatCompletionToolChoiceOption,
} from 'openai/resources/chat/completions';
import type { AnthropicContentBlock, AnthropicMessageParam, AnthropicRequest } from './anthropic-schema';
import { ToolNameMap } from './tool-names';
import { shapeChatRequest, type ChatRequestLike } from '../core/model-rules';

/** What the translation needs to know about the job and the gateway. */
export interface TranslateRequestOptions {
  /** The job's gateway model; Claude model names are sent as this (MeteredJob.model). */
  gatewayModel: string;
  /** PER_JOB_TOKEN_LIMIT: no single call may ask for more output tokens. */
  perJobTokenLimit: number;
  /** The gateway model's output limit in tokens, if known. */
  modelOutputLimit?: number;
}

/** The OpenAI request plus what the response translation needs to map back. */
export interface TranslatedRequest {
  params: ChatCompletionCreateParams;
  /** The model name the client asked for: responses carry it back. */
  requestedModel: string;
  /** The model sent upstream (and priced). */
  upstreamModel: string;
  /** Output tokens allowed, after clamping: min(max_tokens, perJobTokenLimit, modelOutputLimit). */
  maxTokens: number;
  toolNames: ToolNameMap;
}

/** An assistant message as DeepSeek's thinking mode wants it back: with its reasoning_content. */
export type AssistantMessageWithReasoning = ChatCompletionAssistantMessageParam & { reasoning_content?: string };

const CLAUDE_ALIASES = /^(claude-.*|sonnet|opus|haiku|default)(\[[^\]]*\])?$/i;

/** The upstream model for a requested name: Claude names and the CLI's aliases → the job's gateway model; other names pass through. */
export function resolveModel(requested: string, gatewayModel: string): string {
  return CLAUDE_ALIASES.test(requested) ? gatewayModel : requested;
}

/**
 * Anthropic Messages request → OpenAI chat-completions request. Pure; never throws on a request
 * that passed AnthropicRequestSchema. Dropped on purpose: top_k, metadata, the `thinking` and
 * `output_config` parameters (the gateway model decides whether it reasons), server tools without
 * input_schema, redacted_thinking blocks, cache_control and other Anthropic-only fields.
 * Claude Code's wire habits handled here are recorded in docs/notes-claude-code.md.
 */
export function translateRequest(req: AnthropicRequest, opts: TranslateRequestOptions): TranslatedRequest {
  const toolNames = new ToolNameMap();
  const upstreamModel = resolveModel(req.model, opts.gatewayModel);
  const maxTokens = Math.max(1, Math.min(req.max_tokens, opts.perJobTokenLimit, opts.modelOutputLimit ?? Infinity));
  const params: Record<string, unknown> = {
    model: upstreamModel,
    messages: translateMessages(req, toolNames),
    max_tokens: maxTokens,
  };
  const tools = (req.tools ?? [])
    .filter((t) => t.input_schema !== undefined)
    .map((t): ChatCompletionFunctionTool => ({
      type: 'function',
      function: {
        name: toolNames.toUpstream(t.name),
        ...(t.description !== undefined && { description: t.description }),
        parameters: withoutSchemaKeyword(t.input_schema),
      },
    }));
  if (tools.length > 0) {
    params.tools = tools;
    if (req.tool_choice) params.tool_choice = translateToolChoice(req.tool_choice, toolNames);
    if (req.tool_choice?.disable_parallel_tool_use) params.parallel_tool_calls = false;
  }
  // OpenAI accepts at most 4 stop sequences.
  if (req.stop_sequences?.length) params.stop = req.stop_sequences.slice(0, 4);
  if (req.temperature !== undefined) params.temperature = req.temperature;
  if (req.top_p !== undefined) params.top_p = req.top_p;
  if (req.stream) {
    params.stream = true;
    params.stream_options = { include_usage: true };
  }
  // The upstream model's own request rules (o-series output cap, o1-mini's missing system role, reasoning models' sampling): src/core/model-rules.ts.
  const shaped = shapeChatRequest(upstreamModel, params as unknown as ChatRequestLike & Record<string, unknown>);
  return {
    params: shaped as unknown as ChatCompletionCreateParams,
    requestedModel: req.model,
    upstreamModel,
    maxTokens,
    toolNames,
  };
}

// Claude Code's input schemas carry "$schema" (draft 2020-12), which some OpenAI-compatible providers reject.
function withoutSchemaKeyword(schema: Record<string, unknown> | undefined): Record<string, unknown> | undefined {
  if (!schema || !('$schema' in schema)) return schema;
  const { $schema: _dropped, ...rest } = schema;
  return rest;
}

/** tool_choice: auto → "auto", any → "required", tool → the named function, none → "none". */
export function translateToolChoice(
  choice: NonNullable<AnthropicRequest['tool_choice']>,
  names: ToolNameMap,
): ChatCompletionToolChoiceOption {
  switch (choice.type) {
    case 'any':
      return 'required';
    case 'none':
      return 'none';
    case 'tool':
      return choice.name ? { type: 'function', function: { name: names.toUpstream(choice.name) } } : 'required';
    default:
      return 'auto';
  }
}

// Claude Code's first system block "x-anthropic-billing-header: cc_version=…" changes between runs and would defeat the gateway's prompt cache.
const BILLING_HEADER = /^x-anthropic-billing-header:/;

function textOf(content: AnthropicMessageParam['content']): string {
  if (typeof content === 'string') return content;
  return content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n\n');
}

/** The system prompt, its billing-header block dropped. */
function systemPrompt(req: AnthropicRequest): string {
  const blocks =
    typeof req.system === 'string'
      ? [req.system]
      : (req.system ?? []).map((b) => b.text).filter((t) => !BILLING_HEADER.test(t));
  return blocks.filter((t) => t !== '').join('\n\n');
}

/**
 * A role "system" message of the conversation (Claude Code sends one every ten requests or so) as
 * a user turn in place, framed as the CLI frames reminders. Not hoisted into the leading system
 * prompt: that would rewrite the start of the prompt, and the provider's prefix cache would bill
 * the whole history after it uncached again. In place is also what chat templates that accept a
 * system message only first (Qwen, Llama, some gateways) can take.
 */
function reminderTurn(message: AnthropicMessageParam): ChatCompletionMessageParam {
  return { role: 'user', content: `<system-reminder>\n${textOf(message.content)}\n</system-reminder>` };
}

function translateMessages(req: AnthropicRequest, names: ToolNameMap): ChatCompletionMessageParam[] {
  const out: ChatCompletionMessageParam[] = [];
  const system = systemPrompt(req);
  if (system) out.push({ role: 'system', content: system });
  let pendingCalls: string[] = [];
  // A reminder right after an assistant's tool calls waits until their tool messages are out:
  // OpenAI wants those directly after the calls.
  let deferred: ChatCompletionMessageParam[] = [];
  for (const message of req.messages) {
    if (message.role === 'system') {
      if (textOf(message.content) === '') continue;
      if (pendingCalls.length > 0) deferred.push(reminderTurn(message));
      else out.push(reminderTurn(message));
      continue;
    }
    if (message.role === 'assistant') {
      out.push(...deferred);
      deferred = [];
      out.push(translateAssistant(message, names));
      const last = out[out.length - 1] as ChatCompletionAssistantMessageParam;
      pendingCalls = (last.tool_calls ?? []).map((c) => c.id);
    } else {
      out.push(...translateUser(message, pendingCalls), ...deferred);
      deferred = [];
      pendingCalls = [];
    }
  }
  out.push(...deferred);
  return out;
}

function translateAssistant(message: AnthropicMessageParam, names: ToolNameMap): AssistantMessageWithReasoning {
  if (typeof message.content === 'string') return { role: 'assistant', content: message.content };
  const text: string[] = [];
  const reasoning: string[] = [];
  const toolCalls: NonNullable<ChatCompletionAssistantMessageParam['tool_calls']> = [];
  for (const block of message.content) {
    if (block.type === 'text') text.push(block.text);
    else if (block.type === 'thinking') reasoning.push(block.thinking);
    else if (block.type === 'tool_use') {
      toolCalls.push({
        id: block.id,
        type: 'function',
        function: { name: names.toUpstream(block.name), arguments: JSON.stringify(block.input ?? {}) },
      });
    }
  }
  const msg: AssistantMessageWithReasoning = {
    role: 'assistant',
    content: text.length > 0 ? text.join('\n') : toolCalls.length > 0 ? null : '',
  };
  if (toolCalls.length > 0) msg.tool_calls = toolCalls;
  // DeepSeek's thinking mode needs the reasoning_content of earlier tool-calling turns sent back.
  if (reasoning.length > 0) msg.reasoning_content = reasoning.join('\n');
  return msg;
}

/**
 * A user turn: its tool_result blocks become `tool` messages first, in the order of the previous
 * assistant's tool_calls (every call gets an answer, or OpenAI rejects the request), then one
 * user message with the text and images, including images that came inside tool results.
 */
function translateUser(message: AnthropicMessageParam, pendingCalls: string[]): ChatCompletionMessageParam[] {
  if (typeof message.content === 'string')
    return [...unanswered(pendingCalls, new Set()), { role: 'user', content: message.content }];
  const results = new Map<string, string>();
  const parts: ChatCompletionContentPart[] = [];
  for (const block of message.content) {
    if (block.type === 'tool_result') {
      const { text, images } = toolResultContent(block);
      const content = block.is_error ? `Error: ${text}` : text;
      if (pendingCalls.includes(block.tool_use_id)) results.set(block.tool_use_id, content);
      else parts.push({ type: 'text', text: `Result of tool call ${block.tool_use_id}:\n${content}` });
      parts.push(...images);
    } else if (block.type === 'text') parts.push({ type: 'text', text: block.text });
    else if (block.type === 'image') parts.push(imagePart(block));
  }
  const out: ChatCompletionMessageParam[] = pendingCalls
    .filter((id) => results.has(id))
    .map((id) => ({ role: 'tool', tool_call_id: id, content: results.get(id) ?? '' }));
  out.push(...unanswered(pendingCalls, new Set(results.keys())));
  if (parts.length > 0) out.push({ role: 'user', content: userContent(parts) });
  return out;
}

function unanswered(pendingCalls: string[], answered: Set<string>): ChatCompletionMessageParam[] {
  return pendingCalls
    .filter((id) => !answered.has(id))
    .map((id) => ({ role: 'tool', tool_call_id: id, content: '(no result: the tool call was interrupted)' }));
}

// Text-only content goes as a plain string: DeepSeek and several OneAPI-style gateways reject content arrays for non-vision models.
function userContent(parts: ChatCompletionContentPart[]): string | ChatCompletionContentPart[] {
  if (parts.every((p) => p.type === 'text')) return parts.map((p) => (p as { text: string }).text).join('\n');
  return parts;
}

function toolResultContent(block: Extract<AnthropicContentBlock, { type: 'tool_result' }>): {
  text: string;
  images: ChatCompletionContentPart[];
} {
  if (typeof block.content === 'string' || block.content === undefined)
    return { text: block.content ?? '', images: [] };
  const text = block.content.filter((b) => b.type === 'text').map((b) => b.text);
  const images = block.content.filter((b) => b.type === 'image').map(imagePart);
  if (images.length > 0) text.push(`(${images.length} image(s) attached in the next user message)`);
  return { text: text.join('\n'), images };
}

function imagePart(block: Extract<AnthropicContentBlock, { type: 'image' }>): ChatCompletionContentPart {
  const url =
    block.source.type === 'base64' ? `data:${block.source.media_type};base64,${block.source.data}` : block.source.url;
  return { type: 'image_url', image_url: { url } };
}
