import { calcPrice } from '@pydantic/genai-prices';
import type { PriceOverride } from './config';
import { usdToMicros, usdToMicrosCeil, type Micros } from './money';
import type { Usage } from './usage';

/** Thrown for a model with neither a price-table entry nor an override. */
export class UnknownPriceError extends Error {
  override name = 'UnknownPriceError';
  constructor(readonly model: string) {
    super(`no price known for model "${model}": add an override (OFFLOAD_PRICES='{"${model}":{"input_mtok":0.1,"output_mtok":0.4}}' or the offload.prices setting)`);
  }
}

/**
 * Prices of model calls, from @pydantic/genai-prices' bundled table (works offline) with
 * per-model overrides in USD per million tokens. Pure: the table is data in memory.
 */
export class PriceBook {
  constructor(private readonly overrides: Record<string, PriceOverride> = {}) {}

  /**
   * Real cost of a call, µUSD (rounded). Cache reads are counted once at the cached price:
   * genai-prices takes input_tokens as the total including cache reads, so we pass
   * input + cache_read. `at` selects time-of-day prices (DeepSeek's off-peak rates).
   * Throws UnknownPriceError.
   */
  cost(model: string, usage: Usage, at: Date = new Date()): Micros {
    const o = this.overrides[model];
    if (o) {
      const usd = (usage.input_tokens * o.input_mtok + usage.cache_read_tokens * (o.cache_read_mtok ?? o.input_mtok) + usage.output_tokens * o.output_mtok) / 1e6;
      return usdToMicros(usd);
    }
    const price = calcPrice(
      { input_tokens: usage.input_tokens + usage.cache_read_tokens, cache_read_tokens: usage.cache_read_tokens, output_tokens: usage.output_tokens },
      model,
      { timestamp: at },
    );
    if (!price) throw new UnknownPriceError(model);
    return usdToMicros(price.total_price);
  }

  /**
   * Worst case of a call for a reservation, µUSD rounded up: every input token uncached, every
   * allowed output token produced. Throws UnknownPriceError.
   */
  worstCase(model: string, inputTokensBound: number, maxOutputTokens: number, at: Date = new Date()): Micros {
    const o = this.overrides[model];
    if (o) return usdToMicrosCeil((inputTokensBound * o.input_mtok + maxOutputTokens * o.output_mtok) / 1e6);
    const price = calcPrice({ input_tokens: inputTokensBound, output_tokens: maxOutputTokens }, model, { timestamp: at });
    if (!price) throw new UnknownPriceError(model);
    return usdToMicrosCeil(price.total_price);
  }

  /** True when the model has a price (table or override). */
  has(model: string): boolean {
    return model in this.overrides || calcPrice({ input_tokens: 1, output_tokens: 1 }, model) !== null;
  }
}
