import { InputError } from '../core/errors';
import type { JobRecord } from '../core/jobs';
import type { ToolDeps } from './deps';

/**
 * The job `jobId` names, for every tool that takes one (get_job_status/get, wait, tail, cancel).
 * Throws InputError on `job_id`, naming the fix, when the ledger has no such job.
 */
export async function knownJob(deps: ToolDeps, jobId: string): Promise<JobRecord> {
  const job = await deps.jobs.engine.get(jobId);
  if (!job) throw new InputError('job_id', `no job ${jobId}; use a job_id returned by start or run_job`);
  return job;
}
