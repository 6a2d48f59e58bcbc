import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { jobRefSchema } from '../../core/requests';
import type { ToolDeps } from '../deps';
import { undoResult } from './undo-result';

/** `apply`: brings an ended job's change into the user's checkout (three-way), or refuses naming the conflicting files. */
export function registerApplyTool(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'apply',
    {
      title: 'Apply a job',
      description:
        "Bring an ended start job's (or run_job edit job's) changes into the checkout (three-way merge for WORKER_ISOLATION=worktree jobs; in place they are kept). Refuses on conflict, naming the files, and changes nothing then. Removes the job's worktree and branch.",
      inputSchema: jobRefSchema('apply'),
    },
    ({ job_id }) => undoResult(job_id, () => deps.jobs.apply(job_id)),
  );
}
