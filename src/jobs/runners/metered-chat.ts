import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { shapeChatRequest } from '../../core/model-rules';
import type { PriceBook } from '../../core/pricing';
import { redactValue } from '../../core/redact';
import { promptTokensUpperBound } from '../../core/token-bound';
import { usageFromOpenAI, type Usage } from '../../core/usage';
import type { Ledger } from '../../ledger/ledger';
import type { RunContext } from '../runner';
import { formatUsd } from '../../core/money';

/** A non-streaming chat call to the gateway; `route` says which gateway answered. */
export type ChatCall = (params: ChatCompletionCreateParamsNonStreaming, signal: AbortSignal) => Promise<{ completion: ChatCompletion; route: 'primary' | 'fallback' }>;

export interface MeteredChatDeps {
  ledger: Ledger;
  prices: PriceBook;
  chat: ChatCall;
  /** The configured secrets: masked (with key shapes) in the messages before they are bounded and sent. */
  secrets?: () => readonly (string | undefined)[];
}

/** What one metered call produced. Usage in tokens. */
export interface MeteredChatResult {
  output: string;
  finishReason: string | null;
  usage: Usage;
  route: 'primary' | 'fallback';
}

/**
 * One paid chat call under the money rules (DESIGN.md), its messages redacted first (README,
 * Security) and shaped to the model's request rules (core/model-rules.ts shapeChatRequest): reserve the worst case (input bound from
 * UTF-8 bytes, `maxTokens` output) before it goes out, settle to the reported usage after,
 * release in finally if it never completed. Throws BudgetExceededError (nothing sent),
 * UnknownPriceError, or the upstream's error (nothing billed: a non-streaming call that failed
 * returned no tokens).
 */
export async function meteredChat(deps: MeteredChatDeps, ctx: RunContext, model: string, prompt: ChatCompletionMessageParam[], maxTokens: number): Promise<MeteredChatResult> {
  const messages = redactValue(prompt, deps.secrets?.() ?? []); // before the bound: a short secret's marker may be longer than it
  // The model's request rules (core/model-rules.ts: o-series caps, o1-mini's missing system role) before the bound: it bounds what is sent.
  const params = shapeChatRequest(model, { model, messages, max_tokens: maxTokens });
  const bound = promptTokensUpperBound({ messages: params.messages });
  const micros = deps.prices.worstCase(model, bound, maxTokens);
  ctx.log(`reserving ${formatUsd(micros)} for ${model} (≤${bound} input tokens, ≤${maxTokens} output tokens)`);
  const hold = await deps.ledger.reserve({ jobId: ctx.job.id, model, micros, signal: ctx.signal });
  const started = Date.now();
  let settled = false;
  try {
    const { completion, route } = await deps.chat(params, ctx.signal);
    const usage = usageFromOpenAI(completion.usage);
    await deps.ledger.settle(hold.id, { model, usage, costMicros: deps.prices.cost(model, usage), status: 'ok', latencyMs: Date.now() - started, route });
    settled = true;
    const choice = completion.choices[0];
    ctx.log(`${model} answered via ${route}: ${usage.input_tokens}+${usage.cache_read_tokens} in, ${usage.output_tokens} out`);
    return { output: choice?.message?.content ?? '', finishReason: choice?.finish_reason ?? null, usage, route };
  } finally {
    if (!settled) await deps.ledger.release(hold.id);
  }
}
