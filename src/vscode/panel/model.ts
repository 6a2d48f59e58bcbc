/**
 * Pure mapping of ledger records to the panel's protocol shapes (src/shared/protocol.ts). No
 * vscode import, no I/O: the panel controller reads the ledger and sends what these return.
 */
import type { JobRecord } from '../../core/jobs';
import type { JobRow, JobDetail, Spend } from '../../shared/protocol';

const LIVE = new Set(['queued', 'running']);
const obj = (v: unknown): Record<string, unknown> => (v && typeof v === 'object' ? (v as Record<string, unknown>) : {});

/** The prompt or task of a job's stored request, '' when it has none. */
export function promptOf(job: Pick<JobRecord, 'request'>): string {
  const r = obj(job.request);
  const text = r.prompt ?? r.task ?? r.question ?? r.source;
  return typeof text === 'string' ? text : '';
}

/** One queue row; `now` (epoch ms) ends the duration of a live job. */
export function toRow(job: JobRecord, now: number): JobRow {
  const undo = obj(obj(job.result).undo).state;
  const end = LIVE.has(job.status) ? now : job.updatedAt;
  return {
    id: job.id, kind: job.kind, status: job.status, agent: job.agent, model: job.model,
    cost_usd: job.costMicros / 1e6, created_at: job.createdAt, updated_at: job.updatedAt,
    duration_ms: Math.max(0, Math.round(end - job.createdAt)), title: promptOf(job).slice(0, 200),
    undo: undo === 'applied' || undo === 'discarded' ? undo : null,
  };
}

/** A job's detail; `log` its last lines, `forecast` from core forecastOf. */
export function toDetail(job: JobRecord, now: number, log: string[], forecast: JobDetail['forecast']): JobDetail {
  const result = obj(job.result);
  const row = toRow(job, now);
  const ended = !LIVE.has(job.status);
  const undoable = ended && row.undo === null && Boolean(obj(result.workspace).after_tree);
  const checks = Array.isArray(result.check_runs) ? (result.check_runs as JobDetail['checks']) : [];
  const { workspace: _w, check_runs: _c, ...shown } = result;
  return {
    row, prompt: promptOf(job), result: job.result === null ? null : shown,
    changed_files: Array.isArray(result.changed_files) ? (result.changed_files as string[]) : [],
    checks, forecast, diff: typeof result.diff === 'string' ? result.diff : '', error: job.error,
    receipt: result.savings && typeof result.savings === 'object' ? (result.savings as Record<string, unknown>) : null,
    log, can: { cancel: !ended, apply: undoable, discard: undoable, retry: ended },
  };
}

/** get_spend_stats' figures this needs, USD. */
export interface SpendInput {
  month: string; current_month: number; total_budget: number; remaining: number; percentage_used: number;
  today: number; daily_budget: number | null; reserved: number; reservations_in_flight: number;
  by_model: Record<string, { cost_usd: number; calls: number }>;
}

/** Spend as the panel shows it, from spend stats, per-day spend, jobs (for per-kind sums and savings) and the breaker. */
export function toSpend(stats: SpendInput, byDay: Spend['by_day'], jobs: readonly JobRecord[], thresholds: number[], breaker: Spend['breaker']): Spend {
  const byKind: Spend['by_kind'] = {};
  let saved = 0; let avoided = 0; let savedJobs = 0;
  for (const j of jobs) {
    if (!(new Date(j.createdAt).toISOString().startsWith(stats.month))) continue;
    const k = (byKind[j.kind] ??= { cost_usd: 0, jobs: 0 });
    k.cost_usd += j.costMicros / 1e6; k.jobs += 1;
    const s = obj(obj(j.result).savings);
    if (typeof s.saved_usd === 'number') { saved += s.saved_usd; savedJobs += 1; }
    if (typeof s.caller_tokens_avoided === 'number') avoided += s.caller_tokens_avoided;
  }
  return {
    month: stats.month, current_month: stats.current_month, total_budget: stats.total_budget, remaining: stats.remaining,
    percentage_used: stats.percentage_used, today: stats.today, daily_budget: stats.daily_budget, reserved: stats.reserved,
    reservations_in_flight: stats.reservations_in_flight, thresholds, by_model: stats.by_model, by_kind: byKind, by_day: byDay,
    savings: { jobs: savedJobs, saved_usd: saved, caller_tokens_avoided: avoided }, breaker,
  };
}
