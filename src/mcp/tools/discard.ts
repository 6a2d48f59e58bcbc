import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { DiscardSchema } from '../../core/requests';
import type { ToolDeps } from '../deps';
import { undoResult } from './undo-result';

/** `discard`: restores every file an ended job changed to the pre-job snapshot, or removes its worktree and branch. */
export function registerDiscardTool(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'discard',
    {
      title: 'Discard a job',
      description:
        'Undo an ended start job (or run_job edit job): restore every file it changed to the pre-job state (created files removed, deleted ones back), or remove its worktree and branch. Refuses, naming them, files changed after the job ended unless force is true.',
      inputSchema: DiscardSchema,
    },
    ({ job_id, force }) => undoResult(job_id, () => deps.jobs.discard(job_id, force)),
  );
}
