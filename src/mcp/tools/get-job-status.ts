import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { shapeBatchResult } from '../../core/batch-result';
import { jobRefSchema } from '../../core/requests';
import { shapeResult } from '../../core/results';
import type { ToolDeps } from '../deps';
import { knownJob } from '../known-job';
import { jobResult, jsonResult } from '../result';

/**
 * `get_job_status` and its alias `get`: a job's current compact result; given the id of a provider
 * batch (queue_batch `mode: "batch"`, each item's `batch.id`), the batch's status and its items.
 */
export function registerGetJobStatusTool(server: McpServer, deps: ToolDeps): void {
  const handler = async ({ job_id }: { job_id: string }) => {
    if (!(await deps.jobs.engine.get(job_id))) {
      const items = await deps.jobs.batchItems(job_id);
      if (items.length) return jsonResult(shapeBatchResult(job_id, items));
    }
    const job = await knownJob(deps, job_id);
    return jobResult({ ...shapeResult(job), elapsed_ms: deps.jobs.engine.elapsedMs(job_id) }, deps.jobLink);
  };
  const description =
    'The status and compact result of a job (job_status, changed_files, checks, cost_usd); ' +
    "given a provider batch id (an item's batch.id), the batch's status, its items and their cost.";
  server.registerTool(
    'get_job_status',
    { title: 'Get job status', description, inputSchema: jobRefSchema('get_job_status') },
    handler,
  );
  server.registerTool(
    'get',
    { title: 'Get job status (alias of get_job_status)', description, inputSchema: jobRefSchema('get') },
    handler,
  );
}
