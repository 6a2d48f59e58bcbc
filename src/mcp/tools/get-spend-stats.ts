import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { noArgsSchema } from '../../core/requests';
import type { ToolDeps } from '../deps';
import { jsonResult } from '../result';

/**
 * `get_spend_stats`: month spend, budget, remaining, percentage used, today, reserved, per model
 * and kind (USD), the warning thresholds and those crossed (percent), and the breaker's state.
 */
export function registerGetSpendStatsTool(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'get_spend_stats',
    {
      title: 'Get spend stats',
      description:
        'Spend this month against the budget (USD): current_month, total_budget, remaining, percentage_used, today, reserved in flight, per model; ' +
        'thresholds/thresholds_crossed (warning percentages of the monthly budget) and the circuit breaker state.',
      inputSchema: noArgsSchema('get_spend_stats'),
    },
    async () => jsonResult(await deps.jobs.engine.spendStats()),
  );
}
