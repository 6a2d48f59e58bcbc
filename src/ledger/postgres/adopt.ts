/**
 * Adopting, on the team ledger, the jobs a vanished process left waiting for their off-peak start
 * (HostLedger.adoptWaiting; the sql.js ledger's rule is orphans.ts adoptWaitingIn). A waiting job
 * holds no reservation, so nothing is lost by handing it to a live process: its lease expired
 * (sweeper.ts), so its holder stopped renewing it. One statement per step, rows taken with FOR
 * UPDATE SKIP LOCKED, so of two processes adopting at once exactly one gets each job.
 */
import type { Q } from './breaker';

/** A queued job waiting for its off-peak start (engine-contract.ts submitResult: result.scheduled_for). */
export const WAITING_JOB = `(status = 'queued' AND (result_json::jsonb->>'scheduled_for') IS NOT NULL)`;
/** A waiting job whose holder's lease ran out, not held by $1. */
const EXPIRED_WAITING = `owner <> $1 AND ${WAITING_JOB} AND lease_expires_at < clock_timestamp()`;
/** Its deadline: schedule.not_after, else scheduled_for (ISO times). */
const DEADLINE = `COALESCE(result_json::jsonb#>>'{schedule,not_after}', result_json::jsonb->>'scheduled_for')::timestamptz`;

/** Who adopts: the open ledger (lease owner), its pid and lease, ms, the row time and the engine's clock, epoch ms. */
export interface PgAdoption {
  owner: string;
  pid: number;
  ttlMs: number;
  nowMs: number;
  clockNow: number;
}

/**
 * Ends `failed`, naming why, the expired waiting jobs whose deadline passed on `clockNow`, then
 * takes the others for `o.owner` (lease renewed, pid set; member and machine stay those of who
 * submitted it). Resolves with the adopted ids, oldest first.
 */
export async function adoptWaitingPg(c: Q, o: PgAdoption): Promise<string[]> {
  const clock = `to_timestamp($3::float8 / 1000)`;
  await c.query(
    `UPDATE jobs SET status = 'failed', updated_at = $2, error = 'the Offload process holding this scheduled job (' ||
      COALESCE(member, '?') || ' on ' || COALESCE(machine, '?') || ', pid ' || COALESCE(pid::text, '?') ||
      ') stopped renewing its lease, and its deadline passed before another process could take it up; nothing was spent: submit it again'
    WHERE id IN (SELECT id FROM jobs WHERE ${EXPIRED_WAITING} AND ${DEADLINE} < ${clock} FOR UPDATE SKIP LOCKED)`,
    [o.owner, o.nowMs, o.clockNow],
  );
  const { rows } = await c.query<{ id: string; created_at: number }>(
    `UPDATE jobs SET owner = $1, pid = $4, updated_at = $2, lease_expires_at = clock_timestamp() + $5 * interval '1 millisecond'
    WHERE id IN (SELECT id FROM jobs WHERE ${EXPIRED_WAITING} AND ${DEADLINE} >= ${clock} FOR UPDATE SKIP LOCKED)
    RETURNING id, created_at`,
    [o.owner, o.nowMs, o.clockNow, o.pid, o.ttlMs],
  );
  return rows.sort((a, b) => Number(a.created_at) - Number(b.created_at) || a.id.localeCompare(b.id)).map((r) => r.id);
}
