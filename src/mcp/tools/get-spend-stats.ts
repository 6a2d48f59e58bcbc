import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolDeps } from '../deps';
import { jsonResult } from '../result';

/** `get_spend_stats`: month spend, budget, remaining, percentage used, today, reserved, per model. USD. */
export function registerGetSpendStatsTool(server: McpServer, deps: ToolDeps): void {
  server.registerTool('get_spend_stats', {
    title: 'Get spend stats',
    description: 'Spend this month against the budget (USD): current_month, total_budget, remaining, percentage_used, today, reserved in flight, per model.',
    inputSchema: {},
  }, async () => jsonResult(await deps.jobs.engine.spendStats()));
}
