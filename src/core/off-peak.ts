import type { Forecast } from './approval';
import { InputError } from './errors';
import { microsToUsd } from './money';
import type { PriceBook } from './pricing';

/** How far ahead `not_after` may lie, ms (7 days): a waiting job is a timer in one process. */
export const SCHEDULE_MAX_AHEAD_MS = 7 * 24 * 60 * 60 * 1000;

/** How far ahead `when: "cheapest"` without `not_after` looks for a cheaper window, ms (24 h: every daily window once). */
export const CHEAPEST_HORIZON_MS = 24 * 60 * 60 * 1000;

/** A model's price at one instant, USD per million tokens (input, output). */
export interface UnitPrice {
  input_mtok: number;
  output_mtok: number;
}

/** Where `cheapestStart` puts a job: when it starts (epoch ms) and the price now and then. */
export interface StartPick {
  startMs: number;
  priceNow: UnitPrice;
  priceAtStart: UnitPrice;
}

/** The model's price at `atMs`, USD per million tokens (PriceBook.cost of 1M tokens). Throws UnknownPriceError. */
export function unitPrice(prices: PriceBook, model: string, atMs: number): UnitPrice {
  const at = new Date(atMs);
  const mtok = (input: number, output: number) =>
    microsToUsd(prices.cost(model, { input_tokens: input, output_tokens: output, cache_read_tokens: 0 }, at));
  return { input_mtok: mtok(1e6, 0), output_mtok: mtok(0, 1e6) };
}

/**
 * The instant a job should start to pay the least: `nowMs`, or the start of a cheaper price
 * window (a time-of-day window in the price table, e.g. DeepSeek's off-peak 16:30–00:30 UTC)
 * that begins no later than `notAfterMs` (default nowMs + CHEAPEST_HORIZON_MS). Prices are compared by
 * input + output USD per million tokens; on a tie the earlier instant wins, so a model without
 * time-of-day prices, or a job already in its cheapest window, starts now. Times epoch ms.
 * Throws UnknownPriceError for an unpriced model.
 */
export function cheapestStart(prices: PriceBook, model: string, nowMs: number, notAfterMs?: number): StartPick {
  const until = notAfterMs ?? nowMs + CHEAPEST_HORIZON_MS;
  const priceNow = unitPrice(prices, model, nowMs);
  const total = (p: UnitPrice) => p.input_mtok + p.output_mtok;
  let best: StartPick = { startMs: nowMs, priceNow, priceAtStart: priceNow };
  if (until <= nowMs) return best;
  for (const t of prices.priceChanges(model, nowMs, until - nowMs)) {
    if (t > until) break;
    const p = unitPrice(prices, model, t);
    if (total(p) < total(best.priceAtStart)) best = { startMs: t, priceNow, priceAtStart: p };
  }
  return best;
}

/**
 * A one-call job's cost range at the price of one instant, µUSD: `low` ~4 input bytes per token
 * and no output, `high` every input byte a token and every allowed output token (the shape of
 * core/forecast.ts forecastOneCall, but at `atMs`'s price, not the reservation's worst case over
 * the next 24 h). Throws UnknownPriceError.
 */
export function forecastAt(
  prices: PriceBook,
  model: string,
  inputBytes: number,
  maxOutputTokens: number,
  atMs: number,
): Forecast {
  const at = new Date(atMs);
  const cost = (input: number, output: number) =>
    prices.cost(model, { input_tokens: input, output_tokens: output, cache_read_tokens: 0 }, at);
  return { lowMicros: cost(Math.ceil(inputBytes / 4), 0), highMicros: cost(inputBytes, maxOutputTokens) };
}

/**
 * The deadline of a scheduled run_job or queue_batch item, epoch ms: `not_after`, else `now` +
 * CHEAPEST_HORIZON_MS for `when: "cheapest"`; null for a job that starts at once. Throws
 * InputError naming `<prefix>not_after` when it is in the past, more than SCHEDULE_MAX_AHEAD_MS
 * ahead, or given with `when: "now"`.
 */
export function scheduleDeadline(
  request: { not_after?: string; when?: 'now' | 'cheapest' },
  now: number,
  prefix = '',
): number | null {
  if (request.not_after === undefined) return request.when === 'cheapest' ? now + CHEAPEST_HORIZON_MS : null;
  const field = `${prefix}not_after`;
  if (request.when === 'now')
    throw new InputError(field, 'not_after schedules the job, when: "now" starts it at once; drop one of them');
  const at = Date.parse(request.not_after);
  const nowIso = new Date(now).toISOString();
  if (at <= now)
    throw new InputError(field, `${request.not_after} is not in the future (now ${nowIso}); give a later time`);
  if (at > now + SCHEDULE_MAX_AHEAD_MS)
    throw new InputError(
      field,
      `${request.not_after} is more than 7 days ahead (now ${nowIso}); give a time within 7 days`,
    );
  return at;
}
