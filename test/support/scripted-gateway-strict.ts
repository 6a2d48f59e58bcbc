/**
 * The scripted gateway's strict mode (stand-in for the model provider): what OpenAI's
 * chat-completions endpoint refuses for its reasoning models, with OpenAI's status, error type,
 * param, code and message as reported verbatim by its users. Kept apart from Offload's own rules
 * (src/core/model-rules.ts) on purpose: this file plays the provider, so a rule Offload forgets
 * fails a test here instead of passing unnoticed. Sources, per rule:
 * - `max_tokens` on o-series / gpt-5: teilomillet/gollm#33, ITSpecialist111/ai_automation_suggester#38;
 * - `system` / `developer` role on o1-mini and o1-preview: microsoft/agent-framework#1077,
 *   CherryHQ/cherry-studio#4973, community.openai.com/t/…/1110750 (developer);
 * - non-default `temperature`: cline/cline#341 (o1-mini), BeehiveInnovations/pal-mcp-server#78
 *   (o3: unsupported_value; o3-mini: unsupported_parameter). `top_p` is refused in the same words
 *   (the community table of thread 1110750 lists it refused; its exact message is modelled on temperature's);
 * - `response_format` (structured outputs): o1-mini and o1-preview refuse it (OpenAI's reasoning
 *   guide, "Beta limitations"; message modelled on max_tokens'); a `json_schema` format without
 *   `json_schema.name` or `json_schema.schema` is refused as a missing parameter, for every model
 *   (platform.openai.com/docs/api-reference/chat/create#chat-create-response_format).
 */
import type { ErrorReply } from './scripted-gateway-wire';

/** OpenAI's reasoning models (exact ids and dated snapshots, as OpenAI names them: no vendor prefix). */
const REASONING = /^(o\d(-mini|-preview|-pro)?|gpt-5(-mini|-nano)?)(-\d{4}-\d{2}-\d{2})?$/;
/** Reasoning models without the system and developer roles. */
const NO_SYSTEM_ROLE = /^o1-(mini|preview)(-\d{4}-\d{2}-\d{2})?$/;
/** Reasoning models that refuse the sampling parameters themselves, not only their non-default values. */
const NO_SAMPLING_PARAMS = /^o3-mini(-\d{4}-\d{2}-\d{2})?$/;

const unsupportedParameter = (param: string, extra = ''): ErrorReply['error'] => ({
  status: 400,
  type: 'invalid_request_error',
  param,
  code: 'unsupported_parameter',
  message: `Unsupported parameter: '${param}' is not supported with this model.${extra}`,
});

const unsupportedValue = (param: string, message: string): ErrorReply['error'] => ({
  status: 400,
  type: 'invalid_request_error',
  param,
  code: 'unsupported_value',
  message,
});

/**
 * The error OpenAI answers to this chat-completions body, or null when it would accept it.
 * Checks in this order: `response_format`, `max_tokens`, then message roles (first offending index), then
 * `temperature` and `top_p`. Any body shape is accepted (non-objects → null).
 */
export function openaiRejection(body: unknown): ErrorReply['error'] | null {
  if (!body || typeof body !== 'object') return null;
  const b = body as {
    model?: unknown;
    messages?: unknown;
    max_tokens?: unknown;
    temperature?: unknown;
    top_p?: unknown;
    response_format?: { type?: unknown; json_schema?: { name?: unknown; schema?: unknown } } | null;
  };
  const model = typeof b.model === 'string' ? b.model : '';
  const format = b.response_format;
  if (format && NO_SYSTEM_ROLE.test(model)) return unsupportedParameter('response_format');
  if (format?.type === 'json_schema')
    for (const part of ['name', 'schema'] as const)
      if (!format.json_schema || format.json_schema[part] === undefined)
        return {
          status: 400,
          type: 'invalid_request_error',
          param: `response_format.json_schema.${part}`,
          code: 'missing_required_parameter',
          message: `Missing required parameter: 'response_format.json_schema.${part}'.`,
        };
  if (!REASONING.test(model)) return null;
  if (b.max_tokens !== undefined && b.max_tokens !== null)
    return unsupportedParameter('max_tokens', " Use 'max_completion_tokens' instead.");
  if (NO_SYSTEM_ROLE.test(model) && Array.isArray(b.messages)) {
    const i = b.messages.findIndex(
      (m) => m && typeof m === 'object' && ['system', 'developer'].includes((m as { role?: unknown }).role as string),
    );
    if (i >= 0) {
      const role = (b.messages[i] as { role: string }).role;
      return unsupportedValue(
        `messages[${i}].role`,
        `Unsupported value: 'messages[${i}].role' does not support '${role}' with this model.`,
      );
    }
  }
  for (const param of ['temperature', 'top_p'] as const) {
    const value = b[param];
    if (value === undefined || value === null) continue;
    if (NO_SAMPLING_PARAMS.test(model)) return unsupportedParameter(param);
    if (value !== 1)
      return unsupportedValue(
        param,
        `Unsupported value: '${param}' does not support ${String(value)} with this model. Only the default (1) value is supported.`,
      );
  }
  return null;
}
