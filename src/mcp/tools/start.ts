import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { StartSchema } from '../../core/requests';
import { shapeResult } from '../../core/results';
import type { ToolDeps } from '../deps';
import { jobResult } from '../result';

/** `start`: a Claude Code agent job in the background; returns its job_id at once. */
export function registerStartTool(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'start',
    {
      title: 'Start an agent job',
      description:
        'Start a Claude Code job in the background on a cheap gateway model (read-edit-test loops). ' +
        'Returns job_id and its cost forecast {low_usd, high_usd} at once; use wait, tail, get and cancel. checks run after the agent; scoped_patch limits where it may change files. ' +
        'max_cost_usd defaults to AGENT_JOB_MAX_COST_USD; a job reaching its cap is stopped mid-loop and ends budget_exceeded.',
      inputSchema: StartSchema,
    },
    async (args) => {
      const job = await deps.jobs.start(StartSchema.parse(args));
      return jobResult(shapeResult(job), deps.jobLink);
    },
  );
}
