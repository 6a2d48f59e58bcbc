/**
 * `agent: "auto"` for run_job and queue_batch items (core/routing.ts): the routing decision of one
 * job, with the input sizes read from its files. JobService adds the approval question.
 */
import type { Forecast } from '../core/approval';
import type { Config } from '../core/config';
import { InputError } from '../core/errors';
import { usdToMicros } from '../core/money';
import type { PriceBook } from '../core/pricing';
import { AUTO_AGENT, type RunJobRequest } from '../core/requests';
import { routeTask, routingJson, type RoutingDecision } from '../core/routing';
import { runJobInputBytes, runJobMaxTokens } from './forecast';

/** A routed job's metadata: the tier (AUTO_AGENT when refused), model, cost cap (µUSD), forecast and the decision as JSON. */
export interface RoutedMeta {
  agent: string;
  model: string;
  maxCostMicros: number;
  forecast: Forecast;
  routing: ReturnType<typeof routingJson>;
}

/**
 * Classifies the task, forecasts each tier ROUTING_POLICY allows for its class, and takes the
 * cheapest whose worst case fits ROUTING_MAX_COST_USD (or the job's caps.max_cost_usd, `userCap`
 * µUSD, when lower) and the budget left. The routed job's cap is that limit, so the ledger holds it
 * to it too. When no tier fits, `refused` says why: the job is refused before it starts
 * (`budget_exceeded`), stored with the cheapest allowed tier's model and forecast. Throws
 * InputError naming `<prefix>agent` when no allowed tier has a price.
 */
export async function routeRunJob(
  deps: {
    config: Pick<Config, 'routingMaxCostUsd' | 'perJobTokenLimit' | 'agents' | 'routingPolicy'>;
    prices: PriceBook;
    budget: { remainingMicros: number; dailyRemainingMicros: number | null };
  },
  request: RunJobRequest,
  paths: string[],
  userCap: number | null,
  prefix: string,
): Promise<{ meta: RoutedMeta; refused?: string }> {
  const capMicros = Math.min(usdToMicros(deps.config.routingMaxCostUsd), userCap ?? Infinity);
  const decision = routeTask({
    task: request.task,
    inputFiles: paths.length,
    inputBytes: await runJobInputBytes(request, paths),
    maxOutputTokens: runJobMaxTokens(request, deps.config.perJobTokenLimit),
    agents: deps.config.agents,
    policy: deps.config.routingPolicy,
    prices: deps.prices,
    capMicros,
    ...deps.budget,
  });
  const shown = chosenOrCheapest(decision);
  if (!shown) throw new InputError(`${prefix}agent`, `auto cannot route this task: ${decision.reason}`);
  const meta = {
    agent: decision.agent ?? AUTO_AGENT,
    model: shown.model,
    maxCostMicros: capMicros,
    forecast: shown.forecast,
    routing: routingJson(decision),
  };
  return decision.agent ? { meta } : { meta, refused: decision.reason };
}

/** The tier to show: the chosen one, else the cheapest priced one (for a refusal's forecast). */
function chosenOrCheapest(d: RoutingDecision): { model: string; forecast: Forecast } | null {
  const priced = d.tiers.filter((t) => t.forecast !== null);
  const chosen =
    priced.find((t) => t.agent === d.agent) ??
    priced.reduce<(typeof priced)[number] | null>(
      (a, t) => (a === null || t.forecast!.highMicros < a.forecast!.highMicros ? t : a),
      null,
    );
  return chosen ? { model: chosen.model, forecast: chosen.forecast! } : null;
}
