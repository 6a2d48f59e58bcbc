import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { noArgsSchema } from '../../core/requests';
import type { ToolDeps } from '../deps';
import { jsonResult } from '../result';
import { SpendStatsOutputShape } from './spend-stats-output';

/**
 * `get_spend_stats`: the team's month spend, budget, remaining, percentage used, today, reserved,
 * per model and kind (USD), the warning thresholds and those crossed (percent), the breaker's
 * state, and the caller's member's own figures (`member`) and the month per member
 * (`by_member`). On a local ledger the "team" is everyone sharing the file. Output schema:
 * spend-stats-output.ts.
 */
export function registerGetSpendStatsTool(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'get_spend_stats',
    {
      title: 'Get spend stats',
      description:
        'Spend this month against the budget (USD): current_month, total_budget, remaining, percentage_used, today, reserved in flight, per model; ' +
        'thresholds/thresholds_crossed (warning percentages of the monthly budget) and the circuit breaker state. ' +
        "These are the team's figures (everyone sharing the ledger); member has your own (name, current_month, today, reserved, " +
        'monthly_cap and remaining, null without a member cap) and by_member the month per member.',
      inputSchema: noArgsSchema('get_spend_stats'),
      outputSchema: SpendStatsOutputShape,
    },
    async () => jsonResult(await deps.jobs.engine.spendStats()),
  );
}
