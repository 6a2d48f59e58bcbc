import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { jobRefSchema } from '../../core/requests';
import { shapeResult } from '../../core/results';
import { InputError } from '../../core/errors';
import type { ToolDeps } from '../deps';
import { jsonResult } from '../result';

/** `cancel`: stops a job and kills its process tree; spend so far stays in the ledger. */
export function registerCancelTool(server: McpServer, deps: ToolDeps): void {
  server.registerTool('cancel', {
    title: 'Cancel a job',
    description: 'Cancel a queued or running job (kills the agent\'s process tree). Spend so far is kept.',
    inputSchema: jobRefSchema('cancel'),
  }, async ({ job_id }) => {
    const known = await deps.jobs.engine.get(job_id);
    if (!known) throw new InputError('job_id', `no job ${job_id}; use a job_id returned by start or run_job`);
    const cancelled = await deps.jobs.engine.cancel(job_id);
    const job = cancelled ? await deps.jobs.engine.wait(job_id, 10_000) : known;
    return jsonResult({ ...shapeResult(job), cancelled });
  });
}
