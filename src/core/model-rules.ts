/**
 * Per-model request rules: what a provider refuses for some models, in one place, shared by every
 * caller that builds an OpenAI chat-completions request (the one-call runners through
 * jobs/runners/metered-chat.ts; the adapter's translate-request.ts). Pure.
 *
 * Sources (OpenAI's own answers, 400 `invalid_request_error`, as reported verbatim):
 * - o-series and gpt-5 reasoning models refuse `max_tokens`: "Unsupported parameter: 'max_tokens'
 *   is not supported with this model. Use 'max_completion_tokens' instead." (`unsupported_parameter`,
 *   param `max_tokens`). The chat-completions reference says max_tokens "is now deprecated in favor
 *   of max_completion_tokens, and is not compatible with o-series models"
 *   (platform.openai.com/docs/api-reference/chat/create#chat-create-max_tokens; quoted in
 *   teilomillet/gollm#33 for o1 and o3-mini, ITSpecialist111/ai_automation_suggester#38 for the body,
 *   dsp05/overleaf-copilot#43 for gpt-5.x).
 * - o1-mini and o1-preview refuse the `system` and the `developer` role: "Unsupported value:
 *   'messages[0].role' does not support 'system' with this model." (`unsupported_value`, param
 *   `messages[0].role`). OpenAI's reasoning guide (platform.openai.com/docs/guides/reasoning,
 *   "Beta limitations": user and assistant messages only). Checked model by model in
 *   microsoft/agent-framework#1077: o1-mini and o1-mini-2024-09-12 fail, o1, o3-mini, o3 and o4-mini
 *   take a system message; the developer role is refused the same way
 *   (community.openai.com/t/developer-role-not-accepted-for-o1-o1-mini-o3-mini/1110750).
 * - Reasoning models accept only the default sampling: "Unsupported value: 'temperature' does not
 *   support 0.2 with this model. Only the default (1) value is supported." (`unsupported_value`;
 *   o1-mini in cline/cline#341, o3 in BeehiveInnovations/pal-mcp-server#78, gpt-5-mini in
 *   QwenLM/qwen-code#921); o3-mini refuses the parameter itself ("Unsupported parameter:
 *   'temperature' is not supported with this model.", `unsupported_parameter`, same issue #78).
 *   The same holds for top_p (the community table of thread 1110750 above).
 * - Structured outputs (`response_format: {type: "json_schema"}`) are OpenAI's, from gpt-4o and
 *   o1 on; o1-mini and o1-preview refuse `response_format` (OpenAI's reasoning guide, "Beta
 *   limitations"), and DeepSeek offers only `{type: "json_object"}` (api-docs.deepseek.com, "JSON
 *   Output"). Unknown models are assumed not to take it (fail closed: edit mode then asks for the
 *   fenced-block fallback of core/edits.ts, which every chat model can answer).
 */

/** What one model accepts. */
export interface ModelRequestRules {
  /** The output-token cap's field: OpenAI's reasoning models know only `max_completion_tokens`; DeepSeek and most gateways only `max_tokens`. */
  maxTokensField: 'max_tokens' | 'max_completion_tokens';
  /** False: no `system` or `developer` message; their text goes at the start of the first user turn. */
  systemRole: boolean;
  /** False: `temperature` and `top_p` are dropped (only the default is accepted). */
  sampling: boolean;
  /** True: takes `response_format: {type: "json_schema", …}` (OpenAI structured outputs). */
  jsonSchemaOutput: boolean;
}

/** The shape of a chat-completions request these rules read and rewrite (a structural subset of the openai package's params). */
export interface ChatRequestLike {
  messages: readonly { role: string; content?: unknown }[];
  max_tokens?: number | null;
  max_completion_tokens?: number | null;
  temperature?: number | null;
  top_p?: number | null;
}

// A gateway's vendor prefix ("openai/o1-mini" on OpenRouter and OneAPI-style gateways) names the same model.
const baseName = (model: string) => model.slice(model.lastIndexOf('/') + 1).toLowerCase();

/** o1, o1-mini, o3, o3-mini, o4-mini and their dated snapshots; gpt-5 and its minis, but not gpt-5-chat (a non-reasoning model). */
const REASONING = /^(o\d(-|$)|gpt-5(?!-chat))/;
/** The first o1 releases: no system or developer role. */
const NO_SYSTEM_ROLE = /^o1-(mini|preview)(-\d{4}-\d{2}-\d{2})?$/;

/** OpenAI models with structured outputs: gpt-4o, gpt-4.1, gpt-5 and their minis, o1 (not o1-mini, o1-preview), o3, o4-mini. */
const JSON_SCHEMA_OUTPUT = /^(gpt-4o|gpt-4\.1|gpt-5|o1(?!-mini|-preview)|o3|o4)/;

/** The request rules of `model` (a gateway model id, optionally with a `vendor/` prefix). */
export function modelRequestRules(model: string): ModelRequestRules {
  const name = baseName(model);
  const reasoning = REASONING.test(name);
  return {
    maxTokensField: reasoning ? 'max_completion_tokens' : 'max_tokens',
    systemRole: !NO_SYSTEM_ROLE.test(name),
    sampling: !reasoning,
    jsonSchemaOutput: JSON_SCHEMA_OUTPUT.test(name),
  };
}

/** The text of a system/developer message's content (a string, or text parts). */
function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content))
    return content
      .map((p) =>
        p && typeof p === 'object' && typeof (p as { text?: unknown }).text === 'string'
          ? (p as { text: string }).text
          : '',
      )
      .filter(Boolean)
      .join('\n');
  return '';
}

/** Moves every system/developer message's text to the start of the first user turn (a new one at the front if there is none). */
function foldSystemIntoUser(
  messages: readonly { role: string; content?: unknown }[],
): { role: string; content?: unknown }[] {
  const instructions = messages
    .filter((m) => m.role === 'system' || m.role === 'developer')
    .map((m) => textOf(m.content))
    .filter(Boolean)
    .join('\n\n');
  const rest = messages.filter((m) => m.role !== 'system' && m.role !== 'developer');
  if (!instructions) return rest;
  const first = rest.findIndex((m) => m.role === 'user');
  if (first < 0) return [{ role: 'user', content: instructions }, ...rest];
  const user = rest[first]!;
  const content = Array.isArray(user.content)
    ? [{ type: 'text', text: instructions }, ...user.content]
    : `${instructions}\n\n${textOf(user.content)}`;
  return rest.map((m, i) => (i === first ? { ...m, content } : m));
}

/**
 * `params` rewritten to what `model` accepts (see the sources above); a new object, `params` is not
 * changed. The output cap moves to the model's field (`max_completion_tokens ?? max_tokens`, the
 * other one removed); system and developer messages are folded into the first user turn when the
 * model has no system role; `temperature` and `top_p` are removed when it takes only the default.
 * Everything else passes through. Never throws.
 */
export function shapeChatRequest<P extends ChatRequestLike>(model: string, params: P): P {
  const rules = modelRequestRules(model);
  const out: Record<string, unknown> = { ...(params as object) };
  const cap = params.max_completion_tokens ?? params.max_tokens;
  delete out.max_tokens;
  delete out.max_completion_tokens;
  if (cap !== undefined && cap !== null) out[rules.maxTokensField] = cap;
  if (!rules.systemRole) out.messages = foldSystemIntoUser(params.messages);
  if (!rules.sampling) {
    delete out.temperature;
    delete out.top_p;
  }
  return out as P;
}
