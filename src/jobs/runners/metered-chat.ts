import type {
  ChatCompletion,
  ChatCompletionCreateParamsNonStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { meteredCall } from '../../adapter/metered-call';
import { NO_METRICS, type MetricsSink } from '../../adapter/metrics';
import type { CallHooks, ServedBy } from '../../adapter/upstream';
import { shapeChatRequest } from '../../core/model-rules';
import { formatUsd } from '../../core/money';
import type { PriceBook } from '../../core/pricing';
import { redactValue } from '../../core/redact';
import { promptTokensUpperBound } from '../../core/token-bound';
import { usageFromOpenAI, type Usage } from '../../core/usage';
import type { Ledger } from '../../ledger/ledger';
import type { RunContext } from '../runner';

/** A non-streaming chat call to the gateway (Upstream.complete); `route` and `model` say which gateway and model answered. */
export type ChatCall = (
  params: ChatCompletionCreateParamsNonStreaming,
  signal: AbortSignal,
  hooks: CallHooks,
) => Promise<ServedBy & { completion: ChatCompletion }>;

export interface MeteredChatDeps {
  ledger: Ledger;
  prices: PriceBook;
  chat: ChatCall;
  /** The configured secrets: masked (with key shapes) in the messages before they are bounded and sent. */
  secrets?: () => readonly (string | undefined)[];
  /** WORKER_METRICS_FILE: one line per upstream attempt (default: none). */
  metrics?: MetricsSink;
  /** Epoch ms, for prices and latency (default Date.now). */
  clock?: () => number;
}

/** What one metered call produced. Usage in tokens. */
export interface MeteredChatResult {
  output: string;
  finishReason: string | null;
  usage: Usage;
  route: 'primary' | 'fallback';
}

/**
 * A chat request as Offload sends it, and the upper bound of its input tokens: the messages
 * redacted (README, Security; before the bound: a short secret's marker may be longer than it),
 * shaped to the model's request rules (core/model-rules.ts: o-series caps, o1-mini's missing
 * system role), a `response_format`'s schema bounded like a tool definition (the provider counts
 * it as prompt tokens). Shared by meteredChat and the provider Batch API (provider-batch.ts).
 */
export function shapeChat(
  model: string,
  prompt: ChatCompletionMessageParam[],
  maxTokens: number,
  secrets: readonly (string | undefined)[],
  responseFormat?: ChatCompletionCreateParamsNonStreaming['response_format'],
): { params: ChatCompletionCreateParamsNonStreaming; bound: number } {
  const messages = redactValue(prompt, secrets);
  const params = shapeChatRequest(model, {
    model,
    messages,
    max_tokens: maxTokens,
    ...(responseFormat ? { response_format: responseFormat } : {}),
  });
  const bound = promptTokensUpperBound({
    messages: params.messages,
    tools: params.response_format ? [params.response_format] : undefined,
  });
  return { params, bound };
}

/**
 * One paid chat call under the money rules (DESIGN.md), its messages redacted first (README,
 * Security) and shaped to the model's request rules (core/model-rules.ts shapeChatRequest), as one
 * meteredCall (src/adapter/metered-call.ts, the adapter's rule too): reserve the worst case (input
 * bound from UTF-8 bytes, `maxTokens` output) before it goes out, settle to the reported usage
 * after, an upstream failure to zero tokens with its status label; one WORKER_METRICS_FILE line
 * per attempt. `responseFormat` (edit mode's structured output) is sent as `response_format`. Throws BudgetExceededError (nothing sent), UnknownPriceError, or the upstream's
 * error (nothing billed: a non-streaming call that failed returned no tokens).
 */
export async function meteredChat(
  deps: MeteredChatDeps,
  ctx: RunContext,
  model: string,
  prompt: ChatCompletionMessageParam[],
  maxTokens: number,
  responseFormat?: ChatCompletionCreateParamsNonStreaming['response_format'],
): Promise<MeteredChatResult> {
  const { params, bound } = shapeChat(model, prompt, maxTokens, deps.secrets?.() ?? [], responseFormat);
  const metering = {
    ledger: deps.ledger,
    prices: deps.prices,
    clock: deps.clock ?? Date.now,
    metrics: deps.metrics ?? NO_METRICS,
  };
  return meteredCall(
    metering,
    { jobId: ctx.job.id, model, inputTokensBound: bound, maxOutputTokens: maxTokens, signal: ctx.signal },
    async (call) => {
      ctx.log(`reserved ${formatUsd(call.micros)} for ${model} (≤${bound} input tokens, ≤${maxTokens} output tokens)`);
      let served;
      try {
        served = await deps.chat(params, ctx.signal, call.hooks);
      } catch (err) {
        await call.fail(err, ctx.signal);
        throw err;
      }
      const { completion, route } = served;
      const usage = usageFromOpenAI(completion.usage);
      await call.settle({ model: served.model, usage, status: 'ok', route });
      const choice = completion.choices[0];
      ctx.log(
        `${served.model} answered via ${route}: ${usage.input_tokens}+${usage.cache_read_tokens} in, ${usage.output_tokens} out`,
      );
      return { output: choice?.message?.content ?? '', finishReason: choice?.finish_reason ?? null, usage, route };
    },
  );
}
