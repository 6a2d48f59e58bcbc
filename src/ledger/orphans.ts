/**
 * What the ledger does about a process that is gone (reclaimOrphans, Ledger): the dead-process rule
 * (ARCHITECTURE.md, "The dead-process rule", which the team ledger applies to expired leases in
 * postgres/sweeper.ts): its live reservations are settled `orphaned` at their held amount
 * (attributed to the member and machine that reserved them), its queued or running jobs end
 * `failed`. Two exceptions: a provider batch item (its batch lives at the provider, and any process
 * resumes polling it, src/jobs/provider-batch.ts), and a job waiting for its off-peak start (it
 * holds nothing; a live process adopts it, adoptWaitingIn, and re-queues it in its own engine).
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
/** A job waiting for its off-peak start (engine-contract.ts submitResult: result.scheduled_for): queued, holding no reservation. */
const WAITING_JOB = "status = 'queued' AND json_extract(result_json, '$.scheduled_for') IS NOT NULL";
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
      `INSERT INTO model_calls (job_id, reservation_id, model, cost_micros, status, created_at, member, machine)
      SELECT job_id, id, model, micros, 'orphaned', ?, member, machine FROM reservations WHERE id = ?`,
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
    // A waiting job is left for adoptWaitingIn, unless a cancel was asked for it (requestCancel marks, then reclaims).
    run(
      db,
      `UPDATE jobs SET status = 'cancelled', error = ?, updated_at = ?
      WHERE pid = ? AND ${WAITING_JOB} AND cancel_requested_at IS NOT NULL`,
      [
        `cancelled while waiting for its start time (its process, pid ${pid}, had exited); nothing was spent`,
        o.now,
        pid,
      ],
    );
    run(
      db,
      `UPDATE jobs SET status = 'failed', error = ?, updated_at = ?
      WHERE pid = ? AND status IN ('queued', 'running') AND NOT (${RUNNING_BATCH_ITEM}) AND NOT (${WAITING_JOB})`,
      [
        `the Offload process that ran this job (pid ${pid}) exited before it finished; its spend so far is kept`,
        o.now,
        pid,
      ],
    );
  }
  return orphans.length;
}

/** Who adopts: this process's pid, the ledger's time (epoch ms, for updated_at), the engine's time (epoch ms, what start times and deadlines are on), a liveness probe. */
export interface AdoptContext {
  pid: number;
  now: number;
  clockNow: number;
  isAlive: (pid: number) => boolean;
}

/** A waiting job of a dead process, as adoptWaitingIn finds it. */
interface WaitingOrphan {
  id: string;
  pid: number;
  deadline: number;
}

/** The waiting jobs whose process is gone (not `o.pid`), with their deadline (schedule.not_after, else scheduled_for), epoch ms. */
export function waitingOrphansIn(db: Database, o: Pick<AdoptContext, 'pid' | 'isAlive'>): WaitingOrphan[] {
  return all(
    db,
    `SELECT id, pid, COALESCE(json_extract(result_json, '$.schedule.not_after'), json_extract(result_json, '$.scheduled_for')) AS deadline
    FROM jobs WHERE ${WAITING_JOB} AND pid IS NOT NULL AND pid <> ? ORDER BY created_at, id`,
    [o.pid],
  )
    .map((r) => ({ id: String(r.id), pid: Number(r.pid), deadline: Date.parse(String(r.deadline)) }))
    .filter((r) => !o.isAlive(r.pid));
}

/**
 * Inside one write transaction (the file lock, after catching up with every other process): takes
 * each waiting job of a dead process for `o.pid` (its pid column; the UPDATE is conditional on the
 * old pid and `queued`, so of two processes adopting at once exactly one gets each job), or ends it
 * `failed` naming why when its deadline passed on the engine's clock (a deadline that does not
 * parse counts as passed: fail closed). Returns the ids adopted, oldest first, and how many ended.
 */
export function adoptWaitingIn(db: Database, o: AdoptContext): { adopted: string[]; expired: number } {
  const adopted: string[] = [];
  let expired = 0;
  for (const job of waitingOrphansIn(db, o)) {
    if (!(job.deadline >= o.clockNow)) {
      const deadline = Number.isNaN(job.deadline) ? 'unreadable' : new Date(job.deadline).toISOString();
      run(
        db,
        `UPDATE jobs SET status = 'failed', error = ?, updated_at = ? WHERE id = ? AND pid = ? AND status = 'queued'`,
        [
          `the Offload process holding this scheduled job (pid ${job.pid}) exited, and its deadline (${deadline}) passed before another process could take it up (${new Date(o.clockNow).toISOString()}); nothing was spent: submit it again`,
          o.now,
          job.id,
          job.pid,
        ],
      );
      expired++;
      continue;
    }
    run(db, `UPDATE jobs SET pid = ?, updated_at = ? WHERE id = ? AND pid = ? AND status = 'queued'`, [
      o.pid,
      o.now,
      job.id,
      job.pid,
    ]);
    adopted.push(job.id);
  }
  return { adopted, expired };
}
