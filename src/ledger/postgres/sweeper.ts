/**
 * Leases and the sweeper of the team ledger. Every reservation and every queued or running job
 * carries a lease (server time) that the open ledger holding it extends with one UPDATE every
 * TTL/3 while it runs (extendLeases). A process that vanished (SIGKILL, a laptop shut mid-call)
 * stops extending; then the sweeper of any other process applies the dead process's rule
 * (ARCHITECTURE.md, "The dead-process rule"; the sql.js ledger applies it by pid in orphans.ts):
 * its reservations are settled `orphaned` at their held amount and its live jobs end `failed`, but
 * for those waiting for their off-peak start, which a live process adopts (adopt.ts). Each
 * expired reservation is ended by one statement that takes it with FOR UPDATE SKIP LOCKED
 * (offload_unhold), so two sweepers never settle one twice.
 */
import type pg from 'pg';
import type { BreakerPolicy } from '../../core/breaker';
import type { LedgerCaps } from '../ledger';
import type { ReservationRow } from './job-rows';
import type { ScopeKey } from './scopes';
import { WAITING_JOB } from './adopt';
import { endReservation, refreshAfterSpend } from './settle';

/** A running provider batch item (request mode "batch"): its batch lives at the provider. */
const RUNNING_BATCH_ITEM = `status = 'running' AND COALESCE(request_json::jsonb->>'mode', '') = 'batch'`;

/**
 * Extends the leases of every live reservation and job held by `owner` to now + ttlMs (server
 * time). Runs on the side connection (side-connection.ts) while it is up, not the pool: a pool
 * busy with admissions waiting on row locks must not delay the beat past the lease.
 */
export async function extendLeases(c: pg.ClientBase | pg.Pool, owner: string, ttlMs: number): Promise<void> {
  await c.query(
    // A row being settled or updated is skipped, not waited for (the beat must not queue behind it); NO KEY
    // UPDATE does not conflict with the key-share lock an admission or settle takes on its job (the foreign keys).
    `WITH r AS (UPDATE reservations SET expires_at = clock_timestamp() + $2 * interval '1 millisecond'
      WHERE id IN (SELECT id FROM reservations WHERE owner = $1 FOR NO KEY UPDATE SKIP LOCKED))
    UPDATE jobs SET lease_expires_at = clock_timestamp() + $2 * interval '1 millisecond'
    WHERE id IN (SELECT id FROM jobs WHERE owner = $1 AND status IN ('queued', 'running') FOR NO KEY UPDATE SKIP LOCKED)`,
    [owner, ttlMs],
  );
}

/** Who sweeps (never its own leases), the time for the rows it writes (epoch ms), the caps and breaker policy. */
export interface SweepContext {
  owner: string;
  member: string;
  now: () => number;
  localCaps: () => LedgerCaps;
  policy: BreakerPolicy;
  /** Creates missing scope rows (the settle time's month or day). */
  ensure: (keys: ScopeKey[]) => Promise<void>;
}

/**
 * Settles every expired reservation of other holders `orphaned` and ends their expired jobs
 * `failed`, but for waiting ones: those are left for adoption (adopt.ts), or `cancelled` when a
 * cancel was asked for. Returns how many reservations it settled.
 */
export async function sweep(pool: pg.Pool, o: SweepContext): Promise<number> {
  const { rows } = await pool.query<ReservationRow>(
    `SELECT * FROM reservations WHERE expires_at < clock_timestamp() AND owner <> $1
      AND job_id NOT IN (SELECT id FROM jobs WHERE ${RUNNING_BATCH_ITEM}) ORDER BY expires_at`,
    [o.owner],
  );
  let settled = 0;
  const usage = { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0 };
  for (const r of rows) {
    const orphaned = { model: r.model, usage, costMicros: r.micros, status: 'orphaned' };
    if (await endReservation(pool, r, orphaned, { nowMs: o.now(), sweep: true, ensure: o.ensure })) settled++;
  }
  if (settled)
    await refreshAfterSpend(pool, { localCaps: o.localCaps(), policy: o.policy, nowMs: o.now(), member: o.member });
  const expired = `owner <> $1 AND status IN ('queued', 'running') AND lease_expires_at < clock_timestamp()`;
  // A waiting job is left for adoption (adopt.ts), unless a cancel was asked for it (requestCancel marks, then sweeps).
  await pool.query(
    `UPDATE jobs SET status = 'cancelled', updated_at = $2, error = 'cancelled while waiting to start; the Offload process holding it (' || COALESCE(member, '?') || ' on ' || COALESCE(machine, '?') || ') had stopped renewing its lease; nothing was spent'
    WHERE ${expired} AND ${WAITING_JOB} AND cancel_requested_at IS NOT NULL`,
    [o.owner, o.now()],
  );
  await pool.query(
    `UPDATE jobs SET status = 'failed', updated_at = $2, error = 'the Offload process that ran this job (' || COALESCE(member, '?') || ' on ' || COALESCE(machine, '?') || ', pid ' || COALESCE(pid::text, '?') || ') stopped renewing its lease before it finished (it exited or lost the database); its spend so far is kept'
    WHERE ${expired} AND NOT (${RUNNING_BATCH_ITEM}) AND NOT ${WAITING_JOB}`,
    [o.owner, o.now()],
  );
  return settled;
}
