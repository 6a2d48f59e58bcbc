import type { JobRecord, JobStatus } from './jobs';
import { microsToUsd } from './money';
import type { Usage } from './usage';

/**
 * The compact result an agent gets back (DESIGN.md, "Typical start request and result"):
 * job_status, changed_files, checks as one line each, diff (empty when include_diff is false),
 * cost_usd (USD, settled), usage (tokens). A failed job is such a result, never a transport error.
 */
export interface JobResult {
  job_id: string;
  job_status: JobStatus;
  kind: string;
  model: string;
  cost_usd: number;
  usage: Usage;
  changed_files?: string[];
  checks?: string[];
  diff?: string;
  output?: string;
  error?: string;
  [extra: string]: unknown;
}

/** Shapes the stored job into the compact result; runner-specific fields come from job.result. */
export function shapeResult(job: JobRecord): JobResult {
  // `workspace` (pre/post trees, paths) is for apply/discard and `check_runs` (each check's output
  // tail) for the panel, not for the calling agent: it has `checks`, one line each.
  const {
    workspace: _workspace,
    check_runs: _checkRuns,
    ...extra
  } = (job.result && typeof job.result === 'object' ? job.result : {}) as Record<string, unknown>;
  const out: JobResult = {
    job_id: job.id,
    job_status: job.status,
    kind: job.kind,
    model: job.model,
    ...extra,
    cost_usd: Number(microsToUsd(job.costMicros).toFixed(6)),
    usage: job.usage,
  };
  if (job.error) out.error = job.error;
  return out;
}

/** The text a tool result carries for `value`: pretty JSON, 2 spaces (mcp/result.ts sends it; the savings receipt counts it). */
export function resultText(value: unknown): string {
  return JSON.stringify(value, null, 2);
}
