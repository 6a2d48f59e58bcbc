import { stat } from 'node:fs/promises';
import type { Forecast } from '../core/approval';
import { forecastJson, forecastOneCall } from '../core/forecast';
import { cheapestStart, forecastAt } from '../core/off-peak';
import type { PriceBook } from '../core/pricing';
import type { RunJobRequest } from '../core/requests';
import { MAX_INPUT_REF_BYTES } from './runners/llm';

/** Prompt overhead beyond the task and files (system prompt, file tags), bytes. */
const OVERHEAD_BYTES = 512;

/**
 * The UTF-8 size of a run_job's prompt before it is built, bytes: the task, each input_ref's size
 * (capped like the runner's, MAX_INPUT_REF_BYTES) and OVERHEAD_BYTES for the system prompt and each
 * file's tags. `paths` are the resolved input_refs (their sizes are read). At least the runner's
 * input bound (core/token-bound.ts) of the messages it sends.
 */
export async function runJobInputBytes(request: Pick<RunJobRequest, 'task'>, paths: string[]): Promise<number> {
  let bytes = Buffer.byteLength(request.task, 'utf8') + OVERHEAD_BYTES;
  for (const p of paths) bytes += Math.min((await stat(p)).size, MAX_INPUT_REF_BYTES) + OVERHEAD_BYTES;
  return bytes;
}

/** Output tokens a run_job may produce: caps.max_tokens clamped by PER_JOB_TOKEN_LIMIT. */
export function runJobMaxTokens(request: Pick<RunJobRequest, 'caps'>, perJobTokenLimit: number): number {
  return Math.min(request.caps?.max_tokens ?? perJobTokenLimit, perJobTokenLimit);
}

/**
 * A run_job's cost range before it runs, µUSD (core/forecast.ts forecastOneCall over
 * runJobInputBytes and runJobMaxTokens). `paths` are the resolved input_refs.
 */
export async function forecastRunJob(
  prices: PriceBook,
  model: string,
  request: RunJobRequest,
  paths: string[],
  perJobTokenLimit: number,
): Promise<Forecast> {
  return forecastOneCall(
    prices,
    model,
    await runJobInputBytes(request, paths),
    runJobMaxTokens(request, perJobTokenLimit),
  );
}

/**
 * When a scheduled run_job starts (core/off-peak.ts cheapestStart: the cheapest price window of
 * `model` that begins by `deadline`, epoch ms) and its `schedule`: the deadline, the model's price
 * per million tokens now and at the start, and the job's cost range (USD) at each.
 */
export async function scheduleRunJob(
  prices: PriceBook,
  perJobTokenLimit: number,
  request: RunJobRequest,
  model: string,
  paths: string[],
  when: { now: number; deadline: number },
): Promise<{ startAtMs: number; schedule: object }> {
  const pick = cheapestStart(prices, model, when.now, when.deadline);
  const bytes = await runJobInputBytes(request, paths);
  const maxTokens = runJobMaxTokens(request, perJobTokenLimit);
  const at = (ms: number) => forecastJson(forecastAt(prices, model, bytes, maxTokens, ms));
  return {
    startAtMs: pick.startMs,
    schedule: {
      not_after: new Date(when.deadline).toISOString(),
      price_now: pick.priceNow,
      price_scheduled: pick.priceAtStart,
      forecast_now: at(when.now),
      forecast_scheduled: at(pick.startMs),
    },
  };
}
