import { stat } from 'node:fs/promises';
import type { Forecast } from '../core/approval';
import type { PriceBook } from '../core/pricing';
import type { RunJobRequest } from '../core/requests';
import { MAX_INPUT_REF_BYTES } from './runners/llm';

/** Prompt overhead beyond the task and files (system prompt, file tags), bytes. */
const OVERHEAD_BYTES = 512;

/**
 * A run_job's cost range before it runs, µUSD: `high` is the worst case the runner will reserve
 * (every input byte a token — the UTF-8 upper bound — and max_tokens clamped by
 * PER_JOB_TOKEN_LIMIT all produced); `low` bills ~4 bytes per input token and no output.
 * `paths` are the resolved input_refs (their sizes are read, capped like the runner's).
 */
export async function forecastRunJob(prices: PriceBook, model: string, request: RunJobRequest, paths: string[], perJobTokenLimit: number): Promise<Forecast> {
  let bytes = Buffer.byteLength(request.task, 'utf8') + OVERHEAD_BYTES;
  for (const p of paths) bytes += Math.min((await stat(p)).size, MAX_INPUT_REF_BYTES) + OVERHEAD_BYTES;
  const maxTokens = Math.min(request.caps?.max_tokens ?? perJobTokenLimit, perJobTokenLimit);
  return { lowMicros: prices.worstCase(model, Math.ceil(bytes / 4), 0), highMicros: prices.worstCase(model, bytes, maxTokens) };
}
