/**
 * The batch price multiplier of a gateway: what share of the list price the provider charges for a
 * request sent through its Batch API (queue_batch `mode: "batch"`). The price table has no batch
 * field, so the discount is a per-gateway number, looked up here and nowhere else.
 */

/** A gateway as configured: its name in the config (`primary` = OPENAI_BASE_URL, `fallback` = FALLBACK_BASE_URL) and base URL. */
export interface BatchGateway {
  name: 'primary' | 'fallback';
  baseUrl: string;
}

/** What decides a gateway's multiplier (Config's fields of the same names). */
export interface BatchPriceConfig {
  /** BATCH_PRICE_MULTIPLIERS: gateway name (`primary`, `fallback`) or base-URL host (`api.groq.com`) → multiplier. */
  batchPriceMultipliers: Readonly<Record<string, number>>;
  /** BATCH_PRICE_MULTIPLIER, the older single setting: an override for the primary gateway only. */
  batchPriceMultiplier?: number | undefined;
}

/** A gateway's multiplier (0 < m ≤ 1, a share of list price) and where it came from, for messages and results. */
export interface BatchPrice {
  multiplier: number;
  source: string;
}

/**
 * The discount of providers whose Batch API is OpenAI's shape (`/v1/files` + `/v1/batches`, which
 * adapter/batch-client.ts speaks), by base-URL host, from each provider's own pages. Providers with
 * no Batch API are listed at 1 so the reason shows; queue_batch finds them by the 404 and runs the
 * jobs as mode "queue" anyway. Not listed, so charged list price until configured: Mistral (a
 * Batch API at half price, but at `/v1/batch/jobs`, another shape), Fireworks (its Batch API is
 * paused, docs.fireworks.ai/guides/large-workloads), Groq (no page at hand to confirm its figure).
 */
const KNOWN: Readonly<Record<string, { multiplier: number; provider: string; source: string }>> = {
  'api.openai.com': { multiplier: 0.5, provider: 'OpenAI', source: 'platform.openai.com/docs/guides/batch' },
  'api.together.xyz': { multiplier: 0.5, provider: 'Together AI', source: 'docs.together.ai/docs/batch-inference' },
  'api.deepinfra.com': { multiplier: 0.8, provider: 'DeepInfra', source: 'deepinfra.com/blog/batch-api' },
  'api.moonshot.ai': { multiplier: 0.6, provider: 'Moonshot (Kimi)', source: 'platform.kimi.ai/docs/pricing/batch' },
  'api.deepseek.com': { multiplier: 1, provider: 'DeepSeek', source: 'no Batch API' },
};

/** The host of a base URL, lower case; '' when it does not parse (then only a name entry can match). */
function hostOf(baseUrl: string): string {
  try {
    return new URL(baseUrl).hostname.toLowerCase();
  } catch {
    return '';
  }
}

/**
 * The multiplier of the gateway a batch runs on. First match wins: a BATCH_PRICE_MULTIPLIERS entry
 * for the gateway's name, then one for its host; BATCH_PRICE_MULTIPLIER (primary only); the known
 * provider of its host (KNOWN above: OpenAI 0.5); else 1, the list price — an unknown gateway is
 * never charged less than it may bill (fail closed). Throws nothing.
 */
export function batchPriceOf(gateway: BatchGateway, config: BatchPriceConfig): BatchPrice {
  const host = hostOf(gateway.baseUrl);
  const byName = config.batchPriceMultipliers[gateway.name];
  if (byName !== undefined) return { multiplier: byName, source: `BATCH_PRICE_MULTIPLIERS.${gateway.name}` };
  const byHost = host ? config.batchPriceMultipliers[host] : undefined;
  if (byHost !== undefined) return { multiplier: byHost, source: `BATCH_PRICE_MULTIPLIERS["${host}"]` };
  if (gateway.name === 'primary' && config.batchPriceMultiplier !== undefined)
    return { multiplier: config.batchPriceMultiplier, source: 'BATCH_PRICE_MULTIPLIER' };
  const known = KNOWN[host];
  if (known) return { multiplier: known.multiplier, source: `${known.provider} (${known.source})` };
  return { multiplier: 1, source: `list price: no batch discount known for ${host || gateway.baseUrl}` };
}
