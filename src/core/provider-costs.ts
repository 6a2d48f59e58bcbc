import { usdToMicros, type Micros } from './money';
import { dayStart, nextDayStart } from './period';
import { formatUsd } from './money';

/**
 * The provider's own cost data: OpenAI `GET /v1/organization/costs` (admin key), daily buckets.
 * Source: https://platform.openai.com/docs/api-reference/usage/costs — query `start_time`
 * (inclusive, Unix seconds), `end_time` (exclusive), `bucket_width=1d`, `limit` (buckets per
 * page), `page` (cursor); the answer is `{ object: "page", data: [{ start_time, end_time,
 * results: [{ amount: { value, currency } }] }], has_more, next_page }`. Pure: parsing and rules.
 */

/** Thrown for an answer that is not the documented shape. The breaker's state does not change on it. */
export class ProviderCostError extends Error {
  override name = 'ProviderCostError';
}

/** The query for today and yesterday in UTC, Unix seconds: [yesterday 00:00, tomorrow 00:00). */
export function costsWindow(nowMs: number): { startMs: number; endMs: number; query: Record<string, string> } {
  const startMs = dayStart(nowMs) - 86_400_000;
  const endMs = nextDayStart(nowMs);
  return {
    startMs,
    endMs,
    query: { start_time: String(startMs / 1000), end_time: String(endMs / 1000), bucket_width: '1d', limit: '7' },
  };
}

/** One page of the costs answer: its total over every bucket (µUSD), and the next page cursor (null at the end). */
export interface CostsPage {
  totalMicros: Micros;
  buckets: number;
  nextPage: string | null;
}

/**
 * Parses one page (the JSON already decoded). Amounts in a currency other than USD, negative or
 * non-finite amounts, and a missing `data` array are malformed. Throws ProviderCostError.
 */
export function parseCostsPage(body: unknown): CostsPage {
  const page = body as { data?: unknown; has_more?: unknown; next_page?: unknown } | null;
  if (!page || typeof page !== 'object' || !Array.isArray(page.data))
    throw new ProviderCostError('costs answer has no data array');
  let total = 0;
  for (const bucket of page.data as Array<{ results?: unknown }>) {
    if (!bucket || !Array.isArray(bucket.results)) throw new ProviderCostError('costs bucket has no results array');
    for (const r of bucket.results as Array<{ amount?: { value?: unknown; currency?: unknown } }>) {
      const value = Number(r?.amount?.value);
      const currency = String(r?.amount?.currency ?? 'usd').toLowerCase();
      if (!Number.isFinite(value) || value < 0)
        throw new ProviderCostError(`costs result has amount ${JSON.stringify(r?.amount?.value)}`);
      if (currency !== 'usd') throw new ProviderCostError(`costs result in ${currency}, expected usd`);
      total += usdToMicros(value);
    }
  }
  const next = page.has_more === true && typeof page.next_page === 'string' ? page.next_page : null;
  return { totalMicros: total, buckets: page.data.length, nextPage: next };
}

/** How provider cost trips the breaker: `any` (the original breaker: any cost today or yesterday), `drift` (provider − ledger > drift). */
export type CostRule = 'any' | 'drift';

/**
 * The cost rule's verdict: a trip detail (string) when it trips, else null. `driftMicros` is the
 * allowed excess of provider cost over the ledger's settled spend in the same window.
 */
export function costTrip(
  rule: CostRule,
  providerMicros: Micros,
  ledgerMicros: Micros,
  driftMicros: Micros,
): string | null {
  const usd = formatUsd;
  if (rule === 'any')
    return providerMicros > 0 ? `provider reports ${usd(providerMicros)} spent today and yesterday (UTC)` : null;
  const excess = providerMicros - ledgerMicros;
  return excess > driftMicros
    ? `provider reports ${usd(providerMicros)} today and yesterday (UTC), the ledger ${usd(ledgerMicros)}: ${usd(excess)} more than the ${usd(driftMicros)} allowed`
    : null;
}
