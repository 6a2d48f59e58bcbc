/**
 * Admission of one paid call on the team ledger, in one READ COMMITTED transaction and without a
 * lock server (ARCHITECTURE.md, "Team ledger"): the job must exist and not be ended, the breaker
 * must admit it (core/breaker.ts admitThrough), then each scope's counter row is raised by a
 * conditional UPDATE, in the fixed lock order of scopes.ts (team month, team day, member month,
 * job, then the machine's in-flight slots):
 *   UPDATE scopes SET reserved = reserved + x WHERE key = k AND settled + reserved + x <= cap
 * A row lock makes a concurrent admission wait and re-check the condition on the committed row,
 * so no interleaving passes a cap; the first scope that refuses throws BudgetExceededError for it
 * (and the transaction rolls back: nothing is held).
 */
import { admitThrough, type BreakerPolicy } from '../../core/breaker';
import { BudgetExceededError, type CapKind } from '../../core/budget';
import { TERMINAL_STATUSES, type JobStatus } from '../../core/jobs';
import { sameRecord } from '../breaker-store';
import type { Identity, LedgerCaps, Reservation } from '../ledger';
import { effectiveBreaker, writeBreaker } from './breaker';
import type { Tx } from './pool';
import {
  jobKey,
  lockOrder,
  memberMonthKey,
  scopeUsage,
  slotKey,
  teamDayKey,
  teamMonthKey,
  type ScopeKey,
} from './scopes';
import { effectiveCaps } from './team-caps';

/** What admission needs: the call's reservation (id, pid, time set), who holds it, its lease, the caps, breaker policy and in-flight cap. */
export interface PgAdmission {
  reservation: Reservation;
  identity: Identity;
  /** The open ledger holding it (its heartbeat extends the lease). */
  owner: string;
  /** Lease length, ms (server time). */
  ttlMs: number;
  /** This process's configured caps (tightening the team row's: team-caps.ts). */
  localCaps: LedgerCaps;
  policy: BreakerPolicy;
  maxInFlight: number | null;
}

/** Thrown inside the transaction when the machine's in-flight slots are full, to roll it back. */
export class SlotsFull extends Error {
  override name = 'SlotsFull';
}

interface AdmissionRow {
  status: JobStatus | null;
  max_cost_micros: number | null;
  batch_item: boolean | null;
  team_monthly: number | null;
  team_daily: number | null;
  member_cap: number | null;
}

/** The scopes a reservation of `micros` for this job and member holds, with each one's cap (null: counted, not capped). */
export function scopesOf(
  o: { jobId: string; member: string; now: number },
  caps: LedgerCaps,
  memberCap: number | null,
  jobCap: number | null,
): Array<{ key: ScopeKey; kind: CapKind; cap: number | null }> {
  const out: Array<{ key: ScopeKey; kind: CapKind; cap: number | null }> = [
    { key: teamMonthKey(o.now), kind: 'monthly', cap: caps.monthlyMicros },
    { key: teamDayKey(o.now), kind: 'daily', cap: caps.dailyMicros },
    { key: memberMonthKey(o.member, o.now), kind: 'member', cap: memberCap },
  ];
  if (jobCap !== null) out.push({ key: jobKey(o.jobId), kind: 'job', cap: jobCap });
  return out;
}

/**
 * Admits `o.reservation` and returns it. Throws Error for an unknown or ended job, BreakerOpenError,
 * BudgetExceededError naming the scope that refused, SlotsFull when the machine's
 * MAX_OPENAI_CONCURRENCY calls are in flight (the caller waits and tries again).
 */
export async function admitPg(c: Tx, o: PgAdmission): Promise<Reservation> {
  const r = o.reservation;
  const now = r.createdAt;
  const { rows } = await c.query<AdmissionRow>(
    `SELECT j.status, j.max_cost_micros, COALESCE(j.request_json::jsonb->>'mode', '') = 'batch' AS batch_item,
      t.monthly_cap_micros AS team_monthly, t.daily_cap_micros AS team_daily,
      (SELECT monthly_cap_micros FROM members WHERE member = $2) AS member_cap
    FROM team t LEFT JOIN jobs j ON j.id = $1 WHERE t.id = 1`,
    [r.jobId, o.identity.member],
  );
  const row = rows[0];
  if (!row?.status) throw new Error(`unknown job ${r.jobId}: create the job before reserving for it`);
  if (TERMINAL_STATUSES.has(row.status))
    throw new Error(`job ${r.jobId} is ${row.status}; it may not start paid calls`);
  const caps = effectiveCaps(o.localCaps, { monthlyMicros: row.team_monthly, dailyMicros: row.team_daily });

  const first = await effectiveBreaker(c, caps, o.policy, now);
  const trialLive = async (rec: { trialId: string | null }) =>
    rec.trialId !== null && (await c.query('SELECT 1 FROM reservations WHERE id = $1', [rec.trialId])).rowCount! > 0;
  const live = await trialLive(first.current);
  let breaker = admitThrough(first.current, r.id, () => live);

  const scopes = scopesOf(
    { jobId: r.jobId, member: o.identity.member, now },
    caps,
    row.member_cap,
    row.max_cost_micros,
  );
  const byKey = new Map(scopes.map((s) => [s.key, s]));
  for (const key of lockOrder(byKey.keys())) {
    const s = byKey.get(key)!;
    const { rowCount } = await c.query(
      `UPDATE scopes SET reserved = reserved + $2 WHERE key = $1 AND ($3::int8 IS NULL OR settled + reserved + $2 <= $3::int8)`,
      [key, r.micros, s.cap],
    );
    if (rowCount === 1) continue;
    const used = await scopeUsage(c, key);
    throw new BudgetExceededError(s.kind, s.cap! - used.settled - used.reserved, r.micros, s.cap!);
  }
  const slot = o.maxInFlight !== null && !row.batch_item ? slotKey(o.identity.machine) : null;
  if (slot) {
    const { rowCount } = await c.query(
      'UPDATE scopes SET reserved = reserved + 1 WHERE key = $1 AND reserved + 1 <= $2',
      [slot, o.maxInFlight],
    );
    if (rowCount !== 1) throw new SlotsFull();
  }
  await c.query(
    `INSERT INTO reservations (id, job_id, model, micros, pid, created_at, member, machine, owner, expires_at, scope_keys, slot_key)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, clock_timestamp() + $10 * interval '1 millisecond', $11, $12)`,
    [
      r.id,
      r.jobId,
      r.model,
      r.micros,
      r.pid,
      now,
      o.identity.member,
      o.identity.machine,
      o.owner,
      o.ttlMs,
      [...byKey.keys()],
      slot,
    ],
  );
  if (!sameRecord(first.stored, breaker)) {
    // A half-open trial (or another change): decide again under the breaker's row lock, so one trial wins.
    const locked = await effectiveBreaker(c, caps, o.policy, now, true);
    const liveNow = await trialLive(locked.current);
    breaker = admitThrough(locked.current, r.id, () => liveNow);
    await writeBreaker(c, locked.stored, breaker, now, o.identity.member);
  }
  return r;
}
