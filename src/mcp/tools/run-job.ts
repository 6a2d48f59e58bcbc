import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { RunJobSchema } from '../../core/requests';
import { shapeResult } from '../../core/results';
import type { ToolDeps } from '../deps';
import { elicitationApprover } from '../elicit-approver';
import { jobResult } from '../result';

/**
 * `run_job`: a tiered agent (mini/balanced/premium-worker) does one task; waits for the result.
 * premium-worker (and over-threshold) jobs are asked about through MCP elicitation when the
 * client supports it, else through the host's approver (VS Code: a notification or the jobs panel), else rejected.
 */
export function registerRunJobTool(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'run_job',
    {
      title: 'Run a job on a cheap model',
      description:
        'Hand a bulk task (format, rename, summarize, small edit) to a cheap worker model and get the compact result. ' +
        "agent: mini-worker (cheapest), balanced-worker, premium-worker, or auto (classifies the task and picks the cheapest tier its class allows within ROUTING_MAX_COST_USD; the result's routing says why). " +
        "input_refs: files given as context. apply: true edits the input_refs files in place (or in a worktree under WORKER_ISOLATION=worktree) and returns changed_files and diff; discard undoes it, as for start. With apply, checks (as start's) run after the edits; a failing one gets up to max_revisions revise calls (default 1). " +
        'Spend is metered against the monthly budget. ' +
        'not_after (ISO 8601 UTC deadline, within 7 days) or when:"cheapest" (within 24 h): a model with time-of-day prices (DeepSeek off-peak 16:30-00:30 UTC) waits, queued and reserving nothing, ' +
        'for the cheapest window starting by then; the call returns at once with job_id, scheduled_for and schedule (price and forecast now vs scheduled); use wait or get.',
      inputSchema: RunJobSchema,
    },
    async (args) => {
      const job = await deps.jobs.runJob(RunJobSchema.parse(args), elicitationApprover(server) ?? deps.approve);
      return jobResult(shapeResult(job), deps.jobLink);
    },
  );
}
