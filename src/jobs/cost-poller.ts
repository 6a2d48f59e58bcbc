import { costsWindow, parseCostsPage, ProviderCostError } from '../core/provider-costs';
import type { Micros } from '../core/money';

/** Where and how to ask the provider for its cost data. */
export interface CostSource {
  /** The costs endpoint, e.g. https://api.openai.com/v1/organization/costs. */
  url: string;
  /** An OpenAI admin key (sent as a bearer token; never logged). */
  adminKey: string;
  /** fetch to use (tests, proxies). Default globalThis.fetch. */
  fetch?: typeof fetch;
  /** Per request, ms. Default 10,000. */
  timeoutMs?: number;
}

/** Most pages read per poll: two daily buckets fit one page; this only bounds a misbehaving server. */
const MAX_PAGES = 5;

function excerpt(text: string): string {
  return text.replace(/\s+/g, ' ').slice(0, 200);
}

/**
 * The provider's cost today and yesterday (UTC) in µUSD, summed over the daily buckets of every
 * page. Throws ProviderCostError for a network error, a non-2xx answer (status and a body
 * excerpt), malformed JSON or an answer that is not the documented shape; the caller then leaves
 * the breaker as it was and surfaces the error.
 */
export async function fetchProviderCosts(
  src: CostSource,
  nowMs: number,
): Promise<{ totalMicros: Micros; startMs: number; endMs: number }> {
  const { startMs, endMs, query } = costsWindow(nowMs);
  const doFetch = src.fetch ?? fetch;
  let total = 0;
  let page: string | null = null;
  for (let i = 0; i < MAX_PAGES; i++) {
    const url = new URL(src.url);
    for (const [k, v] of Object.entries(query)) url.searchParams.set(k, v);
    if (page) url.searchParams.set('page', page);
    let res: Response;
    try {
      res = await doFetch(url, {
        headers: { authorization: `Bearer ${src.adminKey}`, accept: 'application/json' },
        signal: AbortSignal.timeout(src.timeoutMs ?? 10_000),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      throw new ProviderCostError(
        `cost API unreachable (${cause ?? (err instanceof Error ? err.message : String(err))})`,
        { cause: err },
      );
    }
    const text = await res.text().catch(() => '');
    if (!res.ok) throw new ProviderCostError(`cost API answered HTTP ${res.status}: ${excerpt(text)}`);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new ProviderCostError(`cost API answered malformed JSON: ${excerpt(text)}`);
    }
    const parsed = parseCostsPage(body);
    total += parsed.totalMicros;
    page = parsed.nextPage;
    if (!page) return { totalMicros: total, startMs, endMs };
  }
  throw new ProviderCostError(`cost API kept paging after ${MAX_PAGES} pages; the total is not known`);
}
