import { calcPrice, type ConditionalPrice, type ModelPrice } from '@pydantic/genai-prices';
import type { PriceOverride } from './config';
import { usdToMicros, usdToMicrosCeil, type Micros } from './money';
import { dayStart } from './period';
import type { Usage } from './usage';

/** Thrown for a model with neither a price-table entry nor an override. `message` names the model and the fix. */
export class UnknownPriceError extends Error {
  override name = 'UnknownPriceError';
  constructor(readonly model: string) {
    super(
      `no price known for model "${model}": add an override (OFFLOAD_PRICES='{"${model}":{"input_mtok":0.1,"output_mtok":0.4}}' or the offload.prices setting)`,
    );
  }
}

/**
 * How far ahead of the reservation `worstCase` looks for price changes, ms. A reserved call is
 * settled long before this (one upstream request), so any price it can be charged at is covered.
 */
export const WORST_CASE_HORIZON_MS = 24 * 60 * 60 * 1000;

const DAY_MS = 24 * 60 * 60 * 1000;

function checkTokens(what: string, n: number): void {
  if (!Number.isFinite(n) || n < 0) throw new RangeError(`${what} must be a finite token count ≥ 0, got ${n}`);
}

/** "16:30:00Z" → ms after midnight UTC. */
function timeOfDayMs(hhmmss: string): number {
  const [h = 0, m = 0, s = 0] = hhmmss.replace(/Z$/i, '').split(':').map(Number);
  return ((h * 60 + m) * 60 + s) * 1000;
}

/**
 * Instants in (fromMs, fromMs + horizonMs] at which a model's conditional prices can change:
 * the start and end of every time-of-day window on the days concerned, and every start date.
 * Price periods are constant between these instants, so pricing at `fromMs` and at each of them
 * visits every price that can apply in the horizon.
 */
function priceChangeTimes(prices: ConditionalPrice[] | ModelPrice, fromMs: number, horizonMs: number): number[] {
  if (!Array.isArray(prices)) return [];
  const inHorizon = (t: number) => t > fromMs && t <= fromMs + horizonMs;
  const times: number[] = [];
  for (const { constraint } of prices) {
    if (constraint?.type === 'time_of_date') {
      for (let day = dayStart(fromMs); day <= fromMs + horizonMs; day += DAY_MS) {
        times.push(day + timeOfDayMs(constraint.start_time), day + timeOfDayMs(constraint.end_time));
      }
    } else if (constraint?.type === 'start_date') {
      times.push(Date.parse(constraint.start_date));
    }
  }
  return times.filter(inHorizon);
}

/**
 * Prices of model calls, from @pydantic/genai-prices' bundled table (works offline) with
 * per-model overrides in USD per million tokens. Pure: the table is data in memory.
 */
export class PriceBook {
  constructor(private readonly overrides: Record<string, PriceOverride> = {}) {}

  private override(model: string): PriceOverride | undefined {
    // hasOwn: a model named "constructor" or "toString" must not pick up Object.prototype.
    return Object.hasOwn(this.overrides, model) ? this.overrides[model] : undefined;
  }

  /**
   * Real cost of a call, µUSD (rounded to the nearest µUSD). Cache reads are counted once at the
   * cached price (the input price when the model has none): genai-prices takes input_tokens as
   * the total including cache reads, so we pass input + cache_read. `at` selects dated and
   * time-of-day prices (DeepSeek's off-peak rates). Throws UnknownPriceError, RangeError on a
   * negative or non-finite token count.
   */
  cost(model: string, usage: Usage, at: Date = new Date()): Micros {
    checkTokens('input_tokens', usage.input_tokens);
    checkTokens('output_tokens', usage.output_tokens);
    checkTokens('cache_read_tokens', usage.cache_read_tokens);
    const o = this.override(model);
    if (o) {
      const usd =
        (usage.input_tokens * o.input_mtok +
          usage.cache_read_tokens * (o.cache_read_mtok ?? o.input_mtok) +
          usage.output_tokens * o.output_mtok) /
        1e6;
      return usdToMicros(usd);
    }
    const price = calcPrice(
      {
        input_tokens: usage.input_tokens + usage.cache_read_tokens,
        cache_read_tokens: usage.cache_read_tokens,
        output_tokens: usage.output_tokens,
      },
      model,
      { timestamp: at },
    );
    if (!price) throw new UnknownPriceError(model);
    return usdToMicros(price.total_price);
  }

  /**
   * Worst case of a call for a reservation, µUSD rounded up: every input token at the higher of
   * the input and cached price, every allowed output token produced, at the highest price that
   * applies at `at` or within WORST_CASE_HORIZON_MS after it. So a reservation taken just before a
   * price period changes (DeepSeek's off-peak window ending at 00:30 UTC, a dated price change)
   * still covers the charge computed by `cost` at settle time. Throws UnknownPriceError,
   * RangeError on a negative or non-finite token count.
   */
  worstCase(model: string, inputTokensBound: number, maxOutputTokens: number, at: Date = new Date()): Micros {
    checkTokens('inputTokensBound', inputTokensBound);
    checkTokens('maxOutputTokens', maxOutputTokens);
    const o = this.override(model);
    if (o) {
      const inputMtok = Math.max(o.input_mtok, o.cache_read_mtok ?? 0);
      return usdToMicrosCeil((inputTokensBound * inputMtok + maxOutputTokens * o.output_mtok) / 1e6);
    }
    const usage = { input_tokens: inputTokensBound, output_tokens: maxOutputTokens };
    const now = calcPrice(usage, model, { timestamp: at });
    if (!now) throw new UnknownPriceError(model);
    let usd = now.total_price;
    for (const t of priceChangeTimes(now.model.prices, at.getTime(), WORST_CASE_HORIZON_MS)) {
      usd = Math.max(usd, calcPrice(usage, model, { timestamp: new Date(t) })?.total_price ?? 0);
    }
    return usdToMicrosCeil(usd);
  }

  /**
   * Instants in (fromMs, fromMs + horizonMs], epoch ms ascending, at which the model's price can
   * change (its time-of-day windows' edges, dated price changes). Empty for an override or a model
   * with one flat price. Throws UnknownPriceError.
   */
  priceChanges(model: string, fromMs: number, horizonMs: number): number[] {
    if (this.override(model)) return [];
    const found = calcPrice({ input_tokens: 1, output_tokens: 1 }, model, { timestamp: new Date(fromMs) });
    if (!found) throw new UnknownPriceError(model);
    return [...new Set(priceChangeTimes(found.model.prices, fromMs, horizonMs))].sort((a, b) => a - b);
  }

  /** True when the model has a price (table or override). */
  has(model: string): boolean {
    return this.override(model) !== undefined || calcPrice({ input_tokens: 1, output_tokens: 1 }, model) !== null;
  }
}
