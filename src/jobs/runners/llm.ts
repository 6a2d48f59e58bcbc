import { readFile } from 'node:fs/promises';
import type { ChatCompletion, ChatCompletionCreateParamsNonStreaming, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import type { Config } from '../../core/config';
import type { PriceBook } from '../../core/pricing';
import type { RunJobRequest } from '../../core/requests';
import { promptTokensUpperBound } from '../../core/token-bound';
import { usageFromOpenAI } from '../../core/usage';
import type { Ledger } from '../../ledger/ledger';
import type { Runner } from '../runner';

/** Largest file given to a model as context, bytes; bigger files are cut with a marker. */
export const MAX_INPUT_REF_BYTES = 256 * 1024;

/** A non-streaming chat call to the gateway; `route` says which gateway answered. */
export type ChatCall = (params: ChatCompletionCreateParamsNonStreaming, signal: AbortSignal) => Promise<{ completion: ChatCompletion; route: 'primary' | 'fallback' }>;

export interface LlmRunnerDeps {
  config: Pick<Config, 'agents' | 'perJobTokenLimit'>;
  ledger: Ledger;
  prices: PriceBook;
  chat: ChatCall;
  /** Resolves a user path (symlinks too) inside the sandbox roots; throws naming `field` otherwise. */
  resolvePath: (path: string, field: string) => Promise<string>;
}

const SYSTEM = 'You are a careful worker model. Do exactly the task. Answer with the result only: no preamble, no commentary.';

/**
 * The `run_job` runner (the original OpenAI worker): one chat call by the agent's model on the
 * task and the referenced files. The call is reserved at its worst case before it goes out
 * (input bound from UTF-8 bytes, max_tokens clamped by PER_JOB_TOKEN_LIMIT), settled to the
 * reported usage afterwards, and released if it never completed.
 */
export function createLlmRunner(deps: LlmRunnerDeps): Runner<RunJobRequest> {
  return {
    kind: 'llm',
    async run(ctx, request) {
      const model = ctx.job.model;
      const messages: ChatCompletionMessageParam[] = [{ role: 'system', content: SYSTEM }];
      const refs: string[] = [];
      for (const [i, ref] of (request.input_refs ?? []).entries()) {
        const path = await deps.resolvePath(ref, `input_refs[${i}]`);
        const bytes = await readFile(path);
        const text = bytes.subarray(0, MAX_INPUT_REF_BYTES).toString('utf8') + (bytes.length > MAX_INPUT_REF_BYTES ? '\n[… truncated by Offload]' : '');
        refs.push(`<file path="${ref}">\n${text}\n</file>`);
      }
      messages.push({ role: 'user', content: refs.length ? `${request.task}\n\n${refs.join('\n\n')}` : request.task });
      const maxTokens = Math.min(request.caps?.max_tokens ?? deps.config.perJobTokenLimit, deps.config.perJobTokenLimit);
      const bound = promptTokensUpperBound({ messages });
      const micros = deps.prices.worstCase(model, bound, maxTokens);
      ctx.log(`reserving $${(micros / 1e6).toFixed(6)} for ${model} (≤${bound} input tokens, ≤${maxTokens} output tokens)`);
      const hold = await deps.ledger.reserve({ jobId: ctx.job.id, model, micros });
      const started = Date.now();
      let settled = false;
      try {
        const { completion, route } = await deps.chat({ model, messages, max_tokens: maxTokens }, ctx.signal);
        const usage = usageFromOpenAI(completion.usage);
        await deps.ledger.settle(hold.id, { model, usage, costMicros: deps.prices.cost(model, usage), status: 'ok', latencyMs: Date.now() - started, route });
        settled = true;
        const choice = completion.choices[0];
        const output = choice?.message?.content ?? '';
        ctx.log(`${model} answered via ${route}: ${usage.input_tokens}+${usage.cache_read_tokens} in, ${usage.output_tokens} out`);
        return { status: 'completed', result: { output, finish_reason: choice?.finish_reason ?? null, agent: ctx.job.agent } };
      } finally {
        if (!settled) await deps.ledger.release(hold.id);
      }
    },
  };
}
