/**
 * Adopting, on the team ledger, the jobs a vanished process left waiting for their off-peak start
 * (HostLedger.adoptWaiting; the sql.js ledger's rule is orphans.ts adoptWaitingIn). A waiting job
 * holds no reservation, so nothing is lost by handing it to a live process: its lease expired
 * (sweeper.ts), so its holder stopped renewing it. One transaction takes the candidates with FOR
 * UPDATE SKIP LOCKED, so of two processes adopting at once exactly one gets each job. A waiting job
 * whose cancel was asked for is left to the sweeper, which cancels it.
 */
import type pg from 'pg';
import { inTx } from './pool';

/** A queued job waiting for its off-peak start (engine-contract.ts submitResult: result.scheduled_for). */
export const WAITING_JOB = `(status = 'queued' AND (result_json::jsonb->>'scheduled_for') IS NOT NULL)`;

/** Who adopts: the open ledger (lease owner), its pid and lease, ms, the row time and the engine's clock, epoch ms. */
export interface PgAdoption {
  owner: string;
  pid: number;
  ttlMs: number;
  nowMs: number;
  clockNow: number;
}

interface WaitingRow {
  id: string;
  member: string | null;
  machine: string | null;
  pid: number | null;
  deadline: string | null;
}

/**
 * Ends `failed`, naming why, the expired waiting jobs (lease run out, holder not `o.owner`) whose
 * deadline (schedule.not_after, else scheduled_for; one that does not parse counts as passed: fail
 * closed) passed on `o.clockNow`, and takes the others for `o.owner` (lease renewed, pid set;
 * member and machine stay those of who submitted it). Resolves with the adopted ids, oldest first.
 * Throws the driver's error (nothing changed then).
 */
export function adoptWaitingPg(pool: pg.Pool, o: PgAdoption): Promise<string[]> {
  return inTx(pool, async (c) => {
    const { rows } = await c.query<WaitingRow>(
      `SELECT id, member, machine, pid,
        COALESCE(result_json::jsonb#>>'{schedule,not_after}', result_json::jsonb->>'scheduled_for') AS deadline
      FROM jobs WHERE owner <> $1 AND ${WAITING_JOB} AND cancel_requested_at IS NULL AND lease_expires_at < clock_timestamp()
      ORDER BY created_at, seq FOR UPDATE SKIP LOCKED`,
      [o.owner],
    );
    const adopted: string[] = [];
    for (const job of rows) {
      const deadline = Date.parse(job.deadline ?? '');
      if (deadline >= o.clockNow) {
        await c.query(
          `UPDATE jobs SET owner = $2, pid = $3, updated_at = $4,
            lease_expires_at = clock_timestamp() + $5 * interval '1 millisecond' WHERE id = $1`,
          [job.id, o.owner, o.pid, o.nowMs, o.ttlMs],
        );
        adopted.push(job.id);
        continue;
      }
      const shown = Number.isNaN(deadline) ? 'unreadable' : new Date(deadline).toISOString();
      const holder = `${job.member ?? '?'} on ${job.machine ?? '?'}, pid ${job.pid ?? '?'}`;
      await c.query(`UPDATE jobs SET status = 'failed', updated_at = $2, error = $3 WHERE id = $1`, [
        job.id,
        o.nowMs,
        `the Offload process holding this scheduled job (${holder}) stopped renewing its lease, and its deadline ` +
          `(${shown}) passed before another process could take it up (${new Date(o.clockNow).toISOString()}); ` +
          'nothing was spent: submit it again',
      ]);
    }
    return adopted;
  });
}
