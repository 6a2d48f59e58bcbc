/**
 * What the ledger does about a process that is gone (reclaimOrphans, Ledger): the dead-process rule
 * (ARCHITECTURE.md, "The dead-process rule", which the team ledger applies to expired leases in
 * postgres/sweeper.ts): its live reservations are settled `orphaned` at their held amount, its
 * queued or running jobs end `failed`; a provider batch item is the exception
 * (src/jobs/provider-batch.ts).
 */
import type { BreakerPolicy } from '../core/breaker';
import { refreshBreaker } from './breaker-store';
import type { LedgerCaps } from './ledger';
import { addSpend } from './queries';
import { all, run } from './rows';
import type { Database } from './sqljs';

/**
 * A provider batch item (queue_batch mode "batch", src/jobs/provider-batch.ts; its stored request
 * says `mode: "batch"`): the provider runs it within 24 h on no connection of ours, so its
 * reservation holds budget but no MAX_OPENAI_CONCURRENCY slot.
 */
export const BATCH_ITEM = "IFNULL(json_extract(request_json, '$.mode'), '') = 'batch'";
/** A provider batch item whose batch was created and is followed by whichever process polls it. */
const RUNNING_BATCH_ITEM = `status = 'running' AND ${BATCH_ITEM}`;
/** Who is asking and how: this process's pid (never reclaimed), the time (epoch ms), a liveness probe, the caps and breaker policy for the breaker refresh. */
export interface ReclaimContext {
  pid: number;
  now: number;
  isAlive: (pid: number) => boolean;
  caps: LedgerCaps;
  policy: BreakerPolicy;
}

/** Reclaims inside one write transaction on `db`; returns how many reservations were settled `orphaned`. */
export function reclaimIn(db: Database, o: ReclaimContext): number {
  // A running provider batch item is not orphaned with its process: any process resumes its batch (provider-batch.ts).
  const orphans = all(
    db,
    `SELECT id, pid, micros FROM reservations WHERE pid <> ? AND job_id NOT IN (SELECT id FROM jobs WHERE ${RUNNING_BATCH_ITEM})`,
    [o.pid],
  ).filter((r) => !o.isAlive(Number(r.pid)));
  for (const { id, micros } of orphans) {
    run(
      db,
      `INSERT INTO model_calls (job_id, reservation_id, model, cost_micros, status, created_at)
      SELECT job_id, id, model, micros, 'orphaned', ? FROM reservations WHERE id = ?`,
      [o.now, id ?? null],
    );
    addSpend(db, o.now, Number(micros));
    run(db, 'DELETE FROM reservations WHERE id = ?', [id ?? null]);
  }
  if (orphans.length) refreshBreaker(db, o.caps, o.policy, o.now);
  // Jobs left queued or running by a process that is gone can never finish: end them as failed.
  const deadPids = all(
    db,
    "SELECT DISTINCT pid FROM jobs WHERE status IN ('queued', 'running') AND pid IS NOT NULL AND pid <> ?",
    [o.pid],
  )
    .map((r) => Number(r.pid))
    .filter((pid) => !o.isAlive(pid));
  for (const pid of deadPids) {
    // A job waiting for its off-peak start (result.scheduled_for) waits on its process's timer; nobody else resumes it.
    run(
      db,
      `UPDATE jobs SET status = 'failed', error = ?, updated_at = ?
      WHERE pid = ? AND status = 'queued' AND json_extract(result_json, '$.scheduled_for') IS NOT NULL`,
      [
        `the Offload process holding this scheduled job (pid ${pid}) exited before its start time, and a waiting job is not resumed by another process; nothing was spent: submit it again`,
        o.now,
        pid,
      ],
    );
    run(
      db,
      `UPDATE jobs SET status = 'failed', error = ?, updated_at = ? WHERE pid = ? AND status IN ('queued', 'running') AND NOT (${RUNNING_BATCH_ITEM})`,
      [
        `the Offload process that ran this job (pid ${pid}) exited before it finished; its spend so far is kept`,
        o.now,
        pid,
      ],
    );
  }
  return orphans.length;
}
