import type { JobRecord, JobStatus } from './jobs';
import { microsToUsd } from './money';

/** One item of a provider batch, as get_job_status on the batch shows it. */
interface BatchItemRow {
  job_id: string;
  job_status: JobStatus;
  cost_usd: number;
  error?: string;
}

/**
 * get_job_status on a provider batch id: the batch's status, each item (job id, status, settled
 * cost in USD, error) by its place in the batch (`batch.item`), how many items are in each status, and the
 * settled cost of all of them (USD). The batch status is the newest one an item recorded (every
 * poll writes it to the running items, the end to all). `items` are the batch's `llm` jobs
 * (their result's `batch.id` is `batchId`); at least one.
 */
export function shapeBatchResult(batchId: string, items: readonly JobRecord[]) {
  const place = (job: JobRecord) => {
    const item = (job.result as { batch?: { item?: unknown } } | null)?.batch?.item;
    return typeof item === 'number' ? item : Number.MAX_SAFE_INTEGER;
  };
  const sorted = [...items].sort((a, b) => place(a) - place(b) || a.createdAt - b.createdAt);
  const newest = [...items].sort((a, b) => b.updatedAt - a.updatedAt)[0];
  const status = (newest?.result as { batch?: { status?: unknown } } | null)?.batch?.status;
  const counts: Partial<Record<JobStatus, number>> = {};
  for (const job of sorted) counts[job.status] = (counts[job.status] ?? 0) + 1;
  const micros = sorted.reduce((sum, job) => sum + job.costMicros, 0);
  return {
    batch_id: batchId,
    batch_status: typeof status === 'string' ? status : 'unknown',
    counts,
    items: sorted.map((job): BatchItemRow => {
      const row: BatchItemRow = {
        job_id: job.id,
        job_status: job.status,
        cost_usd: Number(microsToUsd(job.costMicros).toFixed(6)),
      };
      if (job.error) row.error = job.error;
      return row;
    }),
    cost_usd: Number(microsToUsd(micros).toFixed(6)),
  };
}
