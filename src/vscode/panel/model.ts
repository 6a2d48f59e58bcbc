/**
 * Pure mapping of ledger records to the panel's protocol shapes (src/shared/protocol.ts). No
 * vscode import, no I/O: the panel controller reads the ledger and sends what these return.
 */
import type { JobRecord } from '../../core/jobs';
import type { App } from '../../app';
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
    id: job.id,
    kind: job.kind,
    status: job.status,
    agent: job.agent,
    model: job.model,
    cost_usd: job.costMicros / 1e6,
    created_at: job.createdAt,
    updated_at: job.updatedAt,
    duration_ms: Math.max(0, Math.round(end - job.createdAt)),
    title: promptOf(job).slice(0, 200),
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
    row,
    prompt: promptOf(job),
    result: job.result === null ? null : shown,
    changed_files: Array.isArray(result.changed_files) ? (result.changed_files as string[]) : [],
    checks,
    forecast,
    diff: typeof result.diff === 'string' ? result.diff : '',
    error: job.error,
    receipt: result.savings && typeof result.savings === 'object' ? (result.savings as Record<string, unknown>) : null,
    log,
    can: { cancel: !ended, apply: undoable, discard: undoable, retry: ended },
  };
}

/** get_spend_stats' shape (the ledger's SpendStats). */
export type SpendStats = Awaited<ReturnType<App['engine']['spendStats']>>;

const BREAKER_STATES = new Set(['closed', 'open', 'half-open']);

/**
 * Spend as the panel shows it: get_spend_stats' figures (month, caps, reserved, per model, per
 * kind, savings, thresholds, the breaker every process sees) and the spend per UTC day.
 */
export function toSpend(stats: SpendStats, byDay: Spend['by_day']): Spend {
  const by_model: Spend['by_model'] = {};
  for (const [model, m] of Object.entries(stats.by_model)) by_model[model] = { cost_usd: m.cost_usd, calls: m.calls };
  const state = BREAKER_STATES.has(stats.breaker.state) ? (stats.breaker.state as Spend['breaker']['state']) : 'open';
  return {
    month: stats.month,
    current_month: stats.current_month,
    total_budget: stats.total_budget,
    remaining: stats.remaining,
    percentage_used: stats.percentage_used,
    today: stats.today,
    daily_budget: stats.daily_budget,
    reserved: stats.reserved,
    reservations_in_flight: stats.reservations_in_flight,
    thresholds: stats.thresholds,
    by_model,
    by_kind: stats.by_kind,
    by_day: byDay,
    savings: {
      jobs: stats.savings.jobs,
      saved_usd: stats.savings.saved_usd,
      caller_tokens_avoided: stats.savings.caller_tokens_avoided,
    },
    breaker: { ...stats.breaker, state },
  };
}
