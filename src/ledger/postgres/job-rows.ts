/** Jobs and reservations as the team ledger reads them (the sql.js ledger's queries.ts, in PostgreSQL's SQL). */
import type { JobKind, JobRecord, JobStatus } from '../../core/jobs';
import type { Reservation } from '../ledger';
import type { Q } from './breaker';

/** Jobs with their settled spend and usage summed over their model calls (µUSD, tokens). */
const JOB_SELECT = `
  SELECT j.*,
    COALESCE(c.cost, 0)::int8 AS cost_micros, COALESCE(c.i, 0)::int8 AS input_tokens,
    COALESCE(c.o, 0)::int8 AS output_tokens, COALESCE(c.cr, 0)::int8 AS cache_read_tokens, c.last_call
  FROM jobs j LEFT JOIN LATERAL (
    SELECT SUM(cost_micros) AS cost, SUM(input_tokens) AS i, SUM(output_tokens) AS o, SUM(cache_read_tokens) AS cr,
      MAX(created_at) AS last_call FROM model_calls WHERE job_id = j.id) c ON true`;

interface JobRow {
  id: string;
  kind: string;
  status: string;
  agent: string | null;
  model: string;
  request_json: string;
  result_json: string | null;
  error: string | null;
  created_at: number;
  updated_at: number;
  max_cost_micros: number | null;
  cost_micros: number;
  input_tokens: number;
  output_tokens: number;
  cache_read_tokens: number;
  member: string | null;
  machine: string | null;
  last_call: number | null;
}

function toJob(r: JobRow): JobRecord {
  return {
    id: r.id,
    kind: r.kind as JobKind,
    status: r.status as JobStatus,
    agent: r.agent,
    model: r.model,
    request: JSON.parse(r.request_json) as unknown,
    result: r.result_json === null ? null : (JSON.parse(r.result_json) as unknown),
    error: r.error,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    maxCostMicros: r.max_cost_micros,
    costMicros: r.cost_micros,
    usage: { input_tokens: r.input_tokens, output_tokens: r.output_tokens, cache_read_tokens: r.cache_read_tokens },
    member: r.member,
    machine: r.machine,
  };
}

/** One job with its spend, or undefined. */
export async function selectJob(c: Q, id: string): Promise<JobRecord | undefined> {
  const { rows } = await c.query<JobRow>(`${JOB_SELECT} WHERE j.id = $1`, [id]);
  return rows[0] && toJob(rows[0]);
}

/** The newest `limit` jobs (creation time, then insertion order), newest first. */
export async function selectJobs(c: Q, limit: number): Promise<JobRecord[]> {
  const { rows } = await c.query<JobRow>(`${JOB_SELECT} ORDER BY j.created_at DESC, j.seq DESC LIMIT $1`, [limit]);
  return rows.map(toJob);
}

/** Jobs whose row or model calls changed at or after `sinceMs`, oldest change first (the Ledger contract). */
export async function selectJobsChangedSince(
  c: Q,
  sinceMs: number,
  limit: number,
): Promise<{ jobs: JobRecord[]; latest: number | null }> {
  const { rows } = await c.query<JobRow & { changed_at: number }>(
    `SELECT * FROM (SELECT x.*, GREATEST(x.updated_at, COALESCE(x.last_call, 0))::int8 AS changed_at FROM (${JOB_SELECT}
      WHERE j.updated_at >= $1 OR j.id IN (SELECT job_id FROM model_calls WHERE created_at >= $1)) x) y
    ORDER BY changed_at, created_at, id LIMIT $2`,
    [sinceMs, limit],
  );
  return { jobs: rows.map(toJob), latest: rows.length ? rows[rows.length - 1]!.changed_at : null };
}

/** A reservation row as stored (with its holder, lease and the scopes it holds). */
export interface ReservationRow {
  id: string;
  job_id: string;
  model: string;
  micros: number;
  pid: number;
  created_at: number;
  member: string;
  machine: string;
  scope_keys: string[];
  slot_key: string | null;
}

/** The Ledger's view of a reservation row. */
export function toReservation(r: ReservationRow): Reservation {
  return { id: r.id, jobId: r.job_id, model: r.model, micros: r.micros, createdAt: r.created_at, pid: r.pid };
}

/** Of `ids`, the live jobs whose cancel was requested (Ledger.cancelRequested). */
export async function selectCancelRequested(c: Q, ids: readonly string[]): Promise<string[]> {
  const { rows } = await c.query<{ id: string }>(
    `SELECT id FROM jobs WHERE cancel_requested_at IS NOT NULL AND status IN ('queued', 'running') AND id = ANY($1)`,
    [ids],
  );
  return rows.map((r) => r.id);
}

/** Every live reservation, oldest first (HostLedger.listReservations). */
export async function selectReservations(c: Q): Promise<Reservation[]> {
  const { rows } = await c.query<ReservationRow>('SELECT * FROM reservations ORDER BY created_at, seq');
  return rows.map(toReservation);
}
