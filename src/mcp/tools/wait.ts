import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { WaitSchema } from '../../core/requests';
import { shapeResult } from '../../core/results';
import { TERMINAL_STATUSES } from '../../core/jobs';
import type { ToolDeps } from '../deps';
import { knownJob } from '../known-job';
import { jobResult } from '../result';

/** `wait`: waits up to timeout_ms for a job to end. Never kills the job on timeout. */
export function registerWaitTool(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'wait',
    {
      title: 'Wait for a job',
      description:
        'Wait up to timeout_ms for a job to finish and return its compact result. On timeout the job keeps running (timed_out: true).',
      inputSchema: WaitSchema,
    },
    async ({ job_id, timeout_ms }) => {
      await knownJob(deps, job_id);
      const job = await deps.jobs.engine.wait(job_id, timeout_ms);
      return jobResult({ ...shapeResult(job), timed_out: !TERMINAL_STATUSES.has(job.status) }, deps.jobLink);
    },
  );
}
