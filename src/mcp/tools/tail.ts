import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { TailSchema } from '../../core/requests';
import type { ToolDeps } from '../deps';
import { knownJob } from '../known-job';
import { jsonResult } from '../result';

/**
 * `tail`: the last lines of a job's log (tool calls, checks, errors), secrets redacted, whichever
 * process runs it: from memory for this process's jobs, else from the job's log file beside the
 * ledger (`log_source`).
 */
export function registerTailTool(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'tail',
    {
      title: 'Tail a job log',
      description:
        "The last lines of a job's live log: agent steps, tool calls, checks. Works for jobs run by any Offload process sharing the ledger.",
      inputSchema: TailSchema,
    },
    async ({ job_id, lines }) => {
      const job = await knownJob(deps, job_id);
      const tail = await deps.jobs.engine.tail(job_id, lines);
      return jsonResult({
        job_id,
        job_status: job.status,
        lines: tail.lines,
        total_lines: tail.total,
        log_source: tail.source,
      });
    },
  );
}
