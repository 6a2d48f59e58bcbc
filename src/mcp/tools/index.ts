import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { ToolDeps } from '../deps';
import { registerAnalyzeTool } from './analyze';
import { registerApplyTool } from './apply';
import { registerBreakerStatusTool } from './breaker-status';
import { registerCancelTool } from './cancel';
import { registerDiscardTool } from './discard';
import { registerGetJobStatusTool } from './get-job-status';
import { registerGetSpendStatsTool } from './get-spend-stats';
import { registerQueueBatchTool } from './queue-batch';
import { registerRunJobTool } from './run-job';
import { registerStartTool } from './start';
import { registerTailTool } from './tail';
import { registerWaitTool } from './wait';

/** The one list of Offload's MCP tools. Bump TOOLS_VERSION when it changes (VS Code caches the list). */
export const TOOL_REGISTRARS = [
  registerRunJobTool,
  registerQueueBatchTool,
  registerGetJobStatusTool,
  registerGetSpendStatsTool,
  registerStartTool,
  registerWaitTool,
  registerTailTool,
  registerCancelTool,
  registerAnalyzeTool,
  registerBreakerStatusTool,
  registerApplyTool,
  registerDiscardTool,
] as const;

export const TOOLS_VERSION = '11'; // 11: get_spend_stats has an outputSchema with member and by_member; 10: get_job_status takes a provider batch id; 9: queue_batch takes mode and queue_fallback; 8: run_job takes checks and max_revisions (edit mode); 7: run_job takes apply (edit mode) and not_after / when; run_job and queue_batch items take agent "auto" (6)

export function registerTools(server: McpServer, deps: ToolDeps): void {
  for (const register of TOOL_REGISTRARS) register(server, deps);
}
