import { z } from 'zod';

const usd = z.number().describe('USD');
const nullableUsd = usd.nullable();

/**
 * get_spend_stats' outputSchema: the ledger's SpendStats (src/ledger/ledger.ts; a unit test checks
 * the two agree). The top-level figures are the team's — the whole ledger, every member — and
 * `member` is this process's member inside them (OFFLOAD_MEMBER). USD are floats from µUSD.
 */
export const SpendStatsOutputShape = {
  month: z.string().describe('UTC month, YYYY-MM'),
  current_month: usd.describe('settled this month, every member (USD)'),
  total_budget: usd.describe('the monthly cap (USD)'),
  remaining: usd.describe('what a new call may still reserve under the monthly cap (USD)'),
  percentage_used: z.number(),
  today: usd,
  daily_budget: nullableUsd,
  reserved: usd.describe('held by calls in flight, every member (USD)'),
  reservations_in_flight: z.number().int(),
  by_model: z.record(
    z.string(),
    z.object({
      cost_usd: usd,
      calls: z.number().int(),
      input_tokens: z.number().int(),
      output_tokens: z.number().int(),
      cache_read_tokens: z.number().int(),
    }),
  ),
  by_kind: z.record(z.string(), z.object({ cost_usd: usd, jobs: z.number().int() })),
  jobs: z.object({ total: z.number().int(), running: z.number().int() }),
  savings: z.object({
    jobs: z.number().int(),
    saved_usd: z.number(),
    caller_tokens_avoided: z.number(),
    transcript_bytes: z.number(),
    returned_bytes: z.number(),
  }),
  thresholds: z.array(z.number()),
  thresholds_crossed: z.array(z.number()),
  breaker: z.object({
    state: z.string(),
    reason: z.string().nullable(),
    detail: z.string().nullable(),
    since: z.string().nullable(),
  }),
  member: z
    .object({
      name: z.string(),
      current_month: usd,
      today: usd,
      reserved: usd,
      monthly_cap: nullableUsd.describe("the member's own cap (USD), null for none"),
      remaining: nullableUsd.describe(
        "left under the member's cap or the team's when tighter (USD), null when uncapped",
      ),
    })
    .describe("this process's member: their own figures inside the team's"),
  by_member: z
    .record(z.string(), z.object({ cost_usd: usd, calls: z.number().int() }))
    .describe('settled this month per member (USD)'),
};
