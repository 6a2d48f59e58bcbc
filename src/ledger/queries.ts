import type { JobKind, JobRecord, JobStatus } from '../core/jobs';
import type { Micros } from '../core/money';
import type { Period } from '../core/period';
import type { Reservation } from './ledger';
import { all, num, one, run, values, type Row } from './rows';
import type { Database } from './sqljs';

/** Jobs with their settled spend and usage summed over their model calls (µUSD, tokens). */
const JOB_SELECT = `
  SELECT j.*,
    (SELECT COALESCE(SUM(cost_micros), 0) FROM model_calls WHERE job_id = j.id) AS cost_micros,
    (SELECT COALESCE(SUM(input_tokens), 0) FROM model_calls WHERE job_id = j.id) AS input_tokens,
    (SELECT COALESCE(SUM(output_tokens), 0) FROM model_calls WHERE job_id = j.id) AS output_tokens,
    (SELECT COALESCE(SUM(cache_read_tokens), 0) FROM model_calls WHERE job_id = j.id) AS cache_read_tokens
  FROM jobs j`;

function parseJson(text: unknown): unknown {
  return typeof text === 'string' ? JSON.parse(text) : null;
}

function toJob(r: Row): JobRecord {
  return {
    id: String(r.id),
    kind: String(r.kind) as JobKind,
    status: String(r.status) as JobStatus,
    agent: r.agent === null ? null : String(r.agent),
    model: String(r.model),
    request: parseJson(r.request_json),
    result: parseJson(r.result_json),
    error: r.error === null ? null : String(r.error),
    createdAt: Number(r.created_at),
    updatedAt: Number(r.updated_at),
    maxCostMicros: r.max_cost_micros === null ? null : Number(r.max_cost_micros),
    costMicros: Number(r.cost_micros),
    usage: {
      input_tokens: Number(r.input_tokens),
      output_tokens: Number(r.output_tokens),
      cache_read_tokens: Number(r.cache_read_tokens),
    },
    member: typeof r.member === 'string' ? r.member : null,
    machine: typeof r.machine === 'string' ? r.machine : null,
  };
}

/** One job with its spend, or undefined. */
export function selectJob(db: Database, id: string): JobRecord | undefined {
  const row = one(db, `${JOB_SELECT} WHERE j.id = ?`, [id]);
  return row && toJob(row);
}

/** The newest `limit` jobs (by creation time, then insertion order), newest first. */
export function selectJobs(db: Database, limit: number): JobRecord[] {
  return all(db, `${JOB_SELECT} ORDER BY j.created_at DESC, j.rowid DESC LIMIT ?`, [limit]).map(toJob);
}

/**
 * Jobs changed at or after `sinceMs` (epoch ms): their row was written (`updated_at`) or a model
 * call of theirs settled (`model_calls.created_at`, so a running job's cost shows as it grows),
 * oldest change first, at most `limit`. `latest` is the newest change among them (null when none).
 * Scans `jobs` (no index on updated_at, and no migration for one: 10,000 rows are read in a few ms).
 */
export function selectJobsChangedSince(
  db: Database,
  sinceMs: number,
  limit: number,
): { jobs: JobRecord[]; latest: number | null } {
  const rows = all(
    db,
    `SELECT * FROM (SELECT x.*,
      MAX(x.updated_at, COALESCE((SELECT MAX(created_at) FROM model_calls WHERE job_id = x.id), 0)) AS changed_at
    FROM (${JOB_SELECT} WHERE j.updated_at >= ? OR j.id IN (SELECT job_id FROM model_calls WHERE created_at >= ?)) x)
    ORDER BY changed_at, created_at, id LIMIT ?`,
    [sinceMs, sinceMs, limit],
  );
  return { jobs: rows.map(toJob), latest: rows.length ? Number(rows[rows.length - 1]!.changed_at) : null };
}

/** One live reservation, or undefined. */
export function selectReservation(db: Database, id: string): Reservation | undefined {
  const r = one(db, 'SELECT * FROM reservations WHERE id = ?', [id]);
  return (
    r && {
      id: String(r.id),
      jobId: String(r.job_id),
      model: String(r.model),
      micros: Number(r.micros),
      createdAt: Number(r.created_at),
      pid: Number(r.pid),
    }
  );
}

/** Spend settled in [startMs, endMs), µUSD. */
export function settledIn(db: Database, p: Period): Micros {
  // Whole UTC hours come from spend_hours; the ragged ends (a sliding window's) from the calls.
  const a = Math.ceil(p.startMs / HOUR_MS) * HOUR_MS;
  const b = Math.floor(p.endMs / HOUR_MS) * HOUR_MS;
  if (a >= b) return callsIn(db, p.startMs, p.endMs);
  return (
    num(db, 'SELECT SUM(cost_micros) FROM spend_hours WHERE hour_start >= ? AND hour_start < ?', [a, b]) +
    callsIn(db, p.startMs, a) +
    callsIn(db, b, p.endMs)
  );
}

/** One UTC hour, ms: the unit of spend_hours. */
export const HOUR_MS = 3_600_000;

/**
 * For each range, the sum of spend_hours rows whose hour_start lies in [startMs, endMs), µUSD, all
 * in one statement (one scan of the hours they span). For a range on whole UTC hours (a UTC month
 * or day) that is exactly settledIn. For [start floored to its hour, end) it is an upper bound of
 * settledIn([start, end)) — every call counts in its hour, costs are ≥ 0 — read from a couple of rows
 * however many calls they hold. Each statement is a round trip into sql.js, so the admission sums
 * go together.
 */
export function hourSums(db: Database, ranges: readonly Period[]): Micros[] {
  if (ranges.length === 0) return [];
  const params: number[] = [];
  let lo = Infinity;
  let hi = -Infinity;
  for (const r of ranges) {
    params.push(r.startMs, r.endMs);
    lo = Math.min(lo, r.startMs);
    hi = Math.max(hi, r.endMs);
  }
  params.push(lo, hi);
  const row = values(db, hourSumsSql(ranges.length), params);
  return ranges.map((_, i) => Number(row[i] ?? 0));
}

const hourSumsSqls: string[] = [];

function hourSumsSql(n: number): string {
  const column = 'COALESCE(SUM(CASE WHEN hour_start >= ? AND hour_start < ? THEN cost_micros END), 0)';
  return (hourSumsSqls[n] ??=
    `SELECT ${Array(n).fill(column).join(', ')} FROM spend_hours WHERE hour_start >= ? AND hour_start < ?`);
}

/** True when `p` starts and ends on whole UTC hours (spend_hours alone then sums it exactly). */
export function onWholeHours(p: Period): boolean {
  return p.startMs % HOUR_MS === 0 && p.endMs % HOUR_MS === 0;
}

function callsIn(db: Database, startMs: number, endMs: number): Micros {
  if (startMs >= endMs) return 0;
  return num(db, 'SELECT SUM(cost_micros) FROM model_calls WHERE created_at >= ? AND created_at < ?', [startMs, endMs]);
}

/**
 * Adds a settled call's cost (µUSD) to its UTC hour in spend_hours. Every INSERT into model_calls
 * must call this in the same transaction, so settledIn's hour sums equal the calls' sums.
 */
export function addSpend(db: Database, createdAtMs: number, micros: Micros): void {
  run(
    db,
    `INSERT INTO spend_hours (hour_start, cost_micros) VALUES (?, ?)
    ON CONFLICT(hour_start) DO UPDATE SET cost_micros = cost_micros + excluded.cost_micros`,
    [Math.floor(createdAtMs / HOUR_MS) * HOUR_MS, micros],
  );
}

/** Everything held by live reservations, whenever taken, µUSD. */
export function reservedTotal(db: Database): Micros {
  return num(db, 'SELECT SUM(micros) FROM reservations');
}

/** A job's settled spend over all time, µUSD. */
export function jobSettled(db: Database, jobId: string): Micros {
  return num(db, 'SELECT SUM(cost_micros) FROM model_calls WHERE job_id = ?', [jobId]);
}

/** What a job's live reservations hold, µUSD. */
export function jobReserved(db: Database, jobId: string): Micros {
  return num(db, 'SELECT SUM(micros) FROM reservations WHERE job_id = ?', [jobId]);
}

/** True when a spend row exists for this reservation id (it was settled). */
export function isSettled(db: Database, reservationId: string): boolean {
  return one(db, 'SELECT 1 AS x FROM model_calls WHERE reservation_id = ?', [reservationId]) !== undefined;
}
