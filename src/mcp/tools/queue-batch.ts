import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { JobRecord } from '../../core/jobs';
import { QueueBatchSchema } from '../../core/requests';
import { forecastOf } from '../../core/forecast';
import type { ToolDeps } from '../deps';
import { elicitationApprover } from '../elicit-approver';
import { jsonResult } from '../result';

/**
 * `{ forecast }` when the job has one (core/forecast.ts forecastOf), `{ routing }` for an `auto`
 * job, and `{ scheduled_for, schedule }` for one waiting for a cheaper window (core/off-peak.ts).
 */
function withForecast(job: JobRecord): Record<string, unknown> {
  const forecast = forecastOf(job);
  const stored = (job.result && typeof job.result === 'object' ? job.result : {}) as Record<string, unknown>;
  const out: Record<string, unknown> = forecast ? { forecast } : {};
  for (const key of ['routing', 'scheduled_for', 'schedule']) if (stored[key]) out[key] = stored[key];
  return out;
}

/**
 * `queue_batch`: many small run_job tasks queued at once; returns their job_ids without waiting.
 * Jobs needing approval are asked about in one question (elicitation, else the host's approver),
 * and stored `rejected` on a no.
 */
export function registerQueueBatchTool(server: McpServer, deps: ToolDeps): void {
  server.registerTool(
    'queue_batch',
    {
      title: 'Queue a batch of jobs',
      description:
        'Queue up to 50 run_job tasks (same fields as run_job) at once. Returns job_ids at once; they run under the concurrency limit. ' +
        'Use wait or get per job_id. If any job is invalid, none is queued. premium-worker jobs are asked about once for the whole batch. ' +
        'not_after / when:"cheapest" per job: it waits, queued and reserving nothing, for its model\'s cheapest price window (scheduled_for). ' +
        'mode:"batch" sends them as one provider Batch API batch (OpenAI: half price, results within 24 h; cancel on any job_id cancels the batch); ' +
        'a gateway without one runs them as "queue" and says so in notice, unless queue_fallback is false.',
      inputSchema: QueueBatchSchema,
    },
    async (args) => {
      const { jobs, mode, notice } = await deps.jobs.queueBatch(
        QueueBatchSchema.parse(args),
        elicitationApprover(server) ?? deps.approve,
      );
      return jsonResult({
        mode,
        ...(notice ? { notice } : {}),
        jobs: jobs.map((j) => ({
          job_id: j.id,
          job_status: j.status,
          agent: j.agent,
          model: j.model,
          ...withForecast(j),
        })),
      });
    },
  );
}
