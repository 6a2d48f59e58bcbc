import type { Forecast } from './approval';
import type { JobRecord } from './jobs';
import { microsToUsd, type Micros } from './money';
import type { PriceBook } from './pricing';

/**
 * Input-token floor of a Claude Code job's first upstream request, tokens: the adapter's input
 * bound (src/core/token-bound.ts) of the CLI's system prompt and tool list before any work.
 * Measured through the adapter with Claude Code 2.1.x (`-p hi`, default tools, as the runner runs
 * it): 114,769 tokens (a 114 KB upstream body); with only Read,Edit,Write,Bash: 43,738. The floor
 * sits under the default-tools measurement, so every first reservation needs at least this much.
 */
export const CLAUDE_CODE_FIRST_REQUEST_TOKENS = 100_000;

/**
 * A `start` job's forecast, µUSD: `low` is the first request's input floor at the model's input
 * price with no output (no job can cost less and still make one call); `high` is the job's cap
 * (max_cost_usd, else AGENT_JOB_MAX_COST_USD), which the adapter enforces per request.
 * Throws UnknownPriceError for an unpriced model.
 */
export function forecastStart(prices: PriceBook, model: string, capMicros: Micros): Forecast {
  return { lowMicros: prices.worstCase(model, CLAUDE_CODE_FIRST_REQUEST_TOKENS, 0), highMicros: capMicros };
}

/**
 * A one-call job's cost range before it runs (run_job, each queue_batch item, and each tier that
 * `agent: "auto"` routing weighs), µUSD: `high` is the worst case the runner will reserve (every
 * input byte a token — the UTF-8 upper bound of core/token-bound.ts — and `maxOutputTokens` all
 * produced); `low` bills ~4 bytes per input token and no output. `inputBytes` is the prompt's
 * UTF-8 size with its overhead (jobs/forecast.ts counts it). Throws UnknownPriceError for an
 * unpriced model.
 */
export function forecastOneCall(
  prices: PriceBook,
  model: string,
  inputBytes: number,
  maxOutputTokens: number,
): Forecast {
  return {
    lowMicros: prices.worstCase(model, Math.ceil(inputBytes / 4), 0),
    highMicros: prices.worstCase(model, inputBytes, maxOutputTokens),
  };
}

// Exact to the µUSD: a forecast's low end is often sub-cent, and formatUsd's rounding would hide why it was refused.
const usd = (micros: Micros) => `$${Number(microsToUsd(micros).toFixed(6))}`;

/** A forecast as results show it: `{ low_usd, high_usd }`, USD. */
export function forecastJson(f: Forecast): { low_usd: number; high_usd: number } {
  return {
    low_usd: Number(microsToUsd(f.lowMicros).toFixed(6)),
    high_usd: Number(microsToUsd(f.highMicros).toFixed(6)),
  };
}

/**
 * Why a job is refused before it starts, or null: its forecast's low end already exceeds its own
 * cap (`capMicros`, null for none) or what remains of the budget (`remainingMicros`: the monthly
 * cap minus settled and reserved spend; `dailyRemainingMicros`: the same for DAILY_BUDGET, null
 * when there is none; `memberCapped`: the member whose own monthly cap on a team ledger is what
 * limits `remainingMicros`, null when the team's cap does). Such a job could not finish even its
 * cheapest run, so it ends `budget_exceeded` with no spend. The message names the numbers, the
 * scope and the fix.
 */
export function forecastRefusal(
  f: Forecast,
  capMicros: Micros | null,
  remainingMicros: Micros,
  dailyRemainingMicros: Micros | null = null,
  memberCapped: string | null = null,
): string | null {
  const low = usd(f.lowMicros);
  if (capMicros !== null && f.lowMicros > capMicros) {
    return `refused before it started: its forecast's low end ${low} exceeds its cap of ${usd(capMicros)}; raise max_cost_usd (or AGENT_JOB_MAX_COST_USD / offload.agentJobMaxCostUsd for start jobs)`;
  }
  if (f.lowMicros > remainingMicros && memberCapped !== null) {
    return `refused before it started: its forecast's low end ${low} exceeds the ${usd(Math.max(0, remainingMicros))} left this month under member ${memberCapped}'s cap (scope member); a team admin raises it with team set-cap ${memberCapped} <usd|none>`;
  }
  if (f.lowMicros > remainingMicros) {
    return `refused before it started: its forecast's low end ${low} exceeds the ${usd(Math.max(0, remainingMicros))} left in this month's budget; raise MONTHLY_BUDGET or wait for the month to reset`;
  }
  if (dailyRemainingMicros !== null && f.lowMicros > dailyRemainingMicros) {
    return `refused before it started: its forecast's low end ${low} exceeds the ${usd(Math.max(0, dailyRemainingMicros))} left in today's budget; raise DAILY_BUDGET or wait for 00:00 UTC`;
  }
  return null;
}

/**
 * The forecast a job was given when it was submitted, `{ low_usd, high_usd }` USD, read from where
 * the engine stores it (job.result.forecast, written at submit for start, run_job and queue_batch
 * jobs and kept through the terminal write), or null when the job has none (analyze jobs, adapter
 * sessions) or the stored value is not a pair of finite numbers.
 */
export function forecastOf(job: Pick<JobRecord, 'result'>): { low_usd: number; high_usd: number } | null {
  const f = job.result && typeof job.result === 'object' ? (job.result as { forecast?: unknown }).forecast : undefined;
  if (!f || typeof f !== 'object') return null;
  const { low_usd, high_usd } = f as { low_usd?: unknown; high_usd?: unknown };
  return typeof low_usd === 'number' &&
    Number.isFinite(low_usd) &&
    typeof high_usd === 'number' &&
    Number.isFinite(high_usd)
    ? { low_usd, high_usd }
    : null;
}
