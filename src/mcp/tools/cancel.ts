import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { jobRefSchema } from '../../core/requests';
import { shapeResult } from '../../core/results';
import type { ToolDeps } from '../deps';
import { knownJob } from '../known-job';
import { jobResult } from '../result';

/**
 * `cancel`: stops a job and kills its process tree; spend so far stays in the ledger. Works for
 * jobs of any process sharing the ledger: `cancel` in the result says how (CancelOutcome:
 * `stopped` here, `stopped_by_owner`, `requested` when its process has not confirmed within 5 s,
 * `owner_gone`, `already_ended`); `cancelled` is true when the job ended cancelled or was asked to.
 */
export function registerCancelTool(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'cancel',
    {
      title: 'Cancel a job',
      description:
        "Cancel a queued or running job (kills the agent's process tree), whichever Offload process runs it. Spend so far is kept.",
      inputSchema: jobRefSchema('cancel'),
    },
    async ({ job_id }) => {
      await knownJob(deps, job_id);
      const { cancel, cancelled, job } = await deps.jobs.engine.cancelAnywhere(job_id);
      return jobResult({ ...shapeResult(job), cancelled, cancel }, deps.jobLink);
    },
  );
}
