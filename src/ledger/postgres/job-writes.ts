/** Writing jobs on the team ledger: creating one (with its holder's lease) and patching one (the Ledger contract's rules). */
import type pg from 'pg';
import { assertTransition, TERMINAL_STATUSES, type JobRecord, type JobStatus } from '../../core/jobs';
import type { Identity, JobPatch, NewJob } from '../ledger';
import { selectJob } from './job-rows';
import { inTx } from './pool';
import { ensureScopes, jobKey } from './scopes';

/** Who holds a new job: the member and machine, the pid, the open ledger (lease owner) and its lease, ms. */
export type JobHolder = Identity & { pid: number; owner: string; ttlMs: number };

/** Inserts `job` at `nowMs` (epoch ms) held by `h`, with its job scope when it has a max cost. Throws Error when the id exists. */
export function insertJob(pool: pg.Pool, job: NewJob, h: JobHolder, nowMs: number): Promise<JobRecord> {
  const maxCost = job.maxCostMicros ?? null;
  return inTx(pool, async (c) => {
    const { rowCount } = await c.query(
      `INSERT INTO jobs (id, kind, status, agent, model, request_json, created_at, updated_at, max_cost_micros, pid,
        member, machine, owner, lease_expires_at, result_json)
      VALUES ($1, $2, $3, $4, $5, $6, $7, $7, $8, $9, $10, $11, $12, clock_timestamp() + $13 * interval '1 millisecond', $14)
      ON CONFLICT (id) DO NOTHING`,
      [
        job.id,
        job.kind,
        job.status ?? 'queued',
        job.agent ?? null,
        job.model,
        JSON.stringify(job.request ?? null),
        nowMs,
        maxCost,
        h.pid,
        h.member,
        h.machine,
        h.owner,
        h.ttlMs,
        job.result == null ? null : JSON.stringify(job.result),
      ],
    );
    if (rowCount !== 1) throw new Error(`job ${job.id} already exists`);
    if (maxCost !== null) await ensureScopes(c, [jobKey(job.id)]);
    return (await selectJob(c, job.id))!;
  });
}

/** Applies `patch` under the job's row lock, stamping updatedAt = `nowMs`. Throws Error on an unknown id or an illegal transition. */
export function patchJob(pool: pg.Pool, id: string, patch: JobPatch, nowMs: number): Promise<JobRecord> {
  return inTx(pool, async (c) => {
    const { rows } = await c.query<{ status: JobStatus }>('SELECT status FROM jobs WHERE id = $1 FOR UPDATE', [id]);
    const job = rows[0];
    if (!job) throw new Error(`unknown job ${id}`);
    if (patch.status !== undefined && patch.status !== job.status) assertTransition(job.status, patch.status);
    const result = 'result' in patch ? (patch.result === undefined ? null : JSON.stringify(patch.result)) : undefined;
    await c.query(
      `UPDATE jobs SET status = COALESCE($2, status), model = COALESCE($3, model),
        error = CASE WHEN $4 THEN $5 ELSE error END, result_json = CASE WHEN $6 THEN $7 ELSE result_json END, updated_at = $8
      WHERE id = $1`,
      [
        id,
        patch.status ?? null,
        patch.model ?? null,
        patch.error !== undefined,
        patch.error ?? null,
        result !== undefined,
        result ?? null,
        nowMs,
      ],
    );
    return (await selectJob(c, id))!;
  });
}

/**
 * Marks a queued or running job's cancel request at `nowMs` (a terminal job is left as it is).
 * Returns true when the job is not terminal and its holder (another open ledger) let its lease
 * expire: nobody will read the mark. Throws Error on an unknown id.
 */
export function markCancel(pool: pg.Pool, id: string, nowMs: number, owner: string): Promise<boolean> {
  return inTx(pool, async (c) => {
    const { rows } = await c.query<{ status: JobStatus; gone: boolean }>(
      `UPDATE jobs SET cancel_requested_at = CASE WHEN status IN ('queued', 'running') THEN COALESCE(cancel_requested_at, $2)
        ELSE cancel_requested_at END WHERE id = $1
      RETURNING status, (owner IS NOT NULL AND owner <> $3 AND lease_expires_at < clock_timestamp()) AS gone`,
      [id, nowMs, owner],
    );
    if (!rows[0]) throw new Error(`unknown job ${id}: use a job_id returned by start or run_job`);
    return rows[0].gone && !TERMINAL_STATUSES.has(rows[0].status);
  });
}
