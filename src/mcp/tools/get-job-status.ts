import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { jobRefSchema } from '../../core/requests';
import { shapeResult } from '../../core/results';
import type { ToolDeps } from '../deps';
import { knownJob } from '../known-job';
import { jobResult } from '../result';

/** `get_job_status` and its alias `get`: a job's current compact result. */
export function registerGetJobStatusTool(server: McpServer, deps: ToolDeps): void {
  const handler = async ({ job_id }: { job_id: string }) => {
    const job = await knownJob(deps, job_id);
    return jobResult({ ...shapeResult(job), elapsed_ms: deps.jobs.engine.elapsedMs(job_id) }, deps.jobLink);
  };
  const description = 'The status and compact result of a job (job_status, changed_files, checks, cost_usd).';
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
