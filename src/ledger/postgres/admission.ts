/**
 * Admission of one paid call on the team ledger, without a lock server (ARCHITECTURE.md, "Team ledger"): the job must exist and not be ended, the breaker
 * must admit it (core/breaker.ts admitThrough), then each scope's counter row is raised by a
 * conditional UPDATE, in the fixed lock order of scopes.ts (team month, team day, member month,
 * job, then the machine's in-flight slots):
 *   UPDATE scopes SET reserved = reserved + x WHERE key = k AND settled + reserved + x <= cap
 * A row lock makes a concurrent admission wait and re-check the condition on the committed row,
 * so no interleaving passes a cap; the first scope that refuses throws BudgetExceededError for it
 * (and the statement rolls back: nothing is held).
 */
import { admitThrough, type BreakerPolicy, type BreakerRecord } from '../../core/breaker';
import { BudgetExceededError, type CapKind } from '../../core/budget';
import type { JobStatus } from '../../core/jobs';
import { sameRecord } from '../breaker-store';
import type { Identity, LedgerCaps, Reservation } from '../ledger';
import { effectiveBreaker, writeBreaker, type Q } from './breaker';
import type pg from 'pg';
import { inTx } from './pool';
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
import { assertReservable } from '../ledger-checks';
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
 * Admits `o.reservation` and returns it. The reads (job, caps, breaker) take no lock; the counters
 * and the reservation row are then written by one statement (offload_hold, schema.ts) in its own
 * transaction, so the hot team month row is locked for one round trip and a commit. A half-open
 * trial decides again under the breaker's row lock, in one transaction with the hold. Throws Error
 * for an unknown or ended job, BreakerOpenError, BudgetExceededError naming the scope that refused,
 * SlotsFull when the machine's MAX_OPENAI_CONCURRENCY calls are in flight (the caller waits and
 * tries again).
 */
export async function admitPg(pool: pg.Pool, o: PgAdmission): Promise<Reservation> {
  const r = o.reservation;
  const now = r.createdAt;
  const { rows } = await pool.query<AdmissionRow>(
    `SELECT j.status, j.max_cost_micros, COALESCE(j.request_json::jsonb->>'mode', '') = 'batch' AS batch_item,
      t.monthly_cap_micros AS team_monthly, t.daily_cap_micros AS team_daily,
      (SELECT monthly_cap_micros FROM members WHERE member = $2) AS member_cap
    FROM team t LEFT JOIN jobs j ON j.id = $1 WHERE t.id = 1`,
    [r.jobId, o.identity.member],
  );
  const row = rows[0];
  if (!row) throw new Error('the team ledger has no team row: its schema is damaged');
  assertReservable(r.jobId, row);
  const caps = effectiveCaps(o.localCaps, { monthlyMicros: row.team_monthly, dailyMicros: row.team_daily });

  const trialLive = async (c: Q, rec: { trialId: string | null }) =>
    rec.trialId !== null &&
    ((await c.query('SELECT 1 FROM reservations WHERE id = $1', [rec.trialId])).rowCount ?? 0) > 0;
  const first = await effectiveBreaker(pool, caps, o.policy, now);
  const live = await trialLive(pool, first.current);
  const breaker = admitThrough(first.current, r.id, () => live);

  const scopes = scopesOf(
    { jobId: r.jobId, member: o.identity.member, now },
    caps,
    row.member_cap,
    row.max_cost_micros,
  );
  const ordered = lockOrder(scopes.map((s) => s.key)).map((k) => scopes.find((s) => s.key === k)!);
  const slot = o.maxInFlight !== null && !row.batch_item ? slotKey(o.identity.machine) : null;
  if (sameRecord(first.stored, breaker)) {
    try {
      await holdIn(pool, pool, o, ordered, slot, first.stored);
      return r;
    } catch (err) {
      if (!(err instanceof BreakerChanged)) throw err;
    }
  }
  // A half-open trial, another change, or a breaker that changed since it was read: decide again under
  // its row lock (so one trial wins), in one transaction with the hold.
  await inTx(pool, async (c) => {
    const locked = await effectiveBreaker(c, caps, o.policy, now, true);
    const liveNow = await trialLive(c, locked.current);
    const next = admitThrough(locked.current, r.id, () => liveNow);
    await holdIn(c, pool, o, ordered, slot, locked.stored);
    await writeBreaker(c, locked.stored, next, now, o.identity.member);
  });
  return r;
}

/** The breaker row as offload_hold compares it (the columns joined as concat_ws('|', …) does: NULLs left out). */
function breakerStamp(b: BreakerRecord): string {
  return [b.state, b.reason, b.since, b.until, b.trialId].filter((v) => v !== null).join('|');
}

class BreakerChanged extends Error {}

/**
 * Runs offload_hold on `c`, which first checks that the breaker row is still `breaker`; turns its
 * refusals into BudgetExceededError (with the scope's figures, read on `pool`), SlotsFull or
 * BreakerChanged.
 */
async function holdIn(
  c: Q,
  pool: pg.Pool,
  o: PgAdmission,
  scopes: ReadonlyArray<{ key: ScopeKey; kind: CapKind; cap: number | null }>,
  slot: ScopeKey | null,
  breaker: BreakerRecord,
): Promise<void> {
  const r = o.reservation;
  try {
    await c.query('SELECT offload_hold($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)', [
      scopes.map((s) => s.key),
      scopes.map((s) => s.cap),
      r.micros,
      slot,
      o.maxInFlight,
      r.id,
      r.jobId,
      r.model,
      r.pid,
      r.createdAt,
      o.identity.member,
      o.identity.machine,
      o.owner,
      o.ttlMs,
      breakerStamp(breaker),
    ]);
  } catch (err) {
    const e = err as { message?: string; detail?: string };
    if (e.message === 'offload_slots_full') throw new SlotsFull();
    if (e.message === 'offload_breaker_changed') throw new BreakerChanged();
    if (e.message !== 'offload_scope_refused') throw err;
    const s = scopes[Number(e.detail) - 1]!;
    const used = await scopeUsage(pool, s.key);
    throw new BudgetExceededError(s.kind, s.cap! - used.settled - used.reserved, r.micros, s.cap!);
  }
}
