/**
 * Admission of one paid call, inside one write transaction (DESIGN.md, money rules): the job must
 * exist and not be ended; the in-flight cap (MAX_OPENAI_CONCURRENCY; provider batch items take no
 * slot) and the breaker must admit it; the monthly, daily and job caps must hold settled +
 * reserved + the call's worst case (core/budget.ts admit). Then the reservation row is written.
 */
import { admitThrough, type BreakerPolicy } from '../core/breaker';
import { admit, type CapUsage } from '../core/budget';
import { effectiveBreaker, reservationLive, writeBreaker } from './breaker-store';
import type { Identity, LedgerCaps, Reservation } from './ledger';
import { assertReservable } from './ledger-checks';
import { BATCH_ITEM } from './orphans';
import { jobReserved, jobSettled, reservedTotal } from './queries';
import { num, one, run } from './rows';
import type { Database } from './sqljs';

/** Reservations that take an in-flight slot: all but those of provider batch items. */
const IN_FLIGHT = `SELECT COUNT(*) FROM reservations JOIN jobs ON jobs.id = reservations.job_id WHERE NOT (${BATCH_ITEM})`;

/** The call to admit (its reservation row, id and pid set), who makes it, the caps and breaker policy, the in-flight cap (null: none), the time (epoch ms). */
export interface AdmissionContext {
  reservation: Reservation;
  identity: Identity;
  caps: LedgerCaps;
  policy: BreakerPolicy;
  maxInFlight: number | null;
  now: number;
}

/**
 * Admits `o.reservation` on `db` and returns it, or null when the in-flight cap is full (the
 * caller waits and tries again). Throws for an unknown or ended job, BreakerOpenError from the
 * breaker, BudgetExceededError naming the cap that refused.
 */
export function admitIn(db: Database, o: AdmissionContext): Reservation | null {
  const job = one(db, `SELECT status, max_cost_micros, ${BATCH_ITEM} AS batch_item FROM jobs WHERE id = ?`, [
    o.reservation.jobId,
  ]);
  assertReservable(o.reservation.jobId, job);
  if (o.maxInFlight !== null && !job.batch_item && num(db, IN_FLIGHT) >= o.maxInFlight) return null;
  const { stored, current, spend } = effectiveBreaker(db, o.caps, o.policy, o.now);
  const breaker = admitThrough(current, o.reservation.id, (id) => reservationLive(db, id));
  const reserved = reservedTotal(db);
  const usage: CapUsage[] = [
    {
      cap: 'monthly',
      limitMicros: o.caps.monthlyMicros,
      settledMicros: spend.monthSettled,
      reservedMicros: reserved,
    },
  ];
  if (o.caps.dailyMicros !== null)
    usage.push({
      cap: 'daily',
      limitMicros: o.caps.dailyMicros,
      settledMicros: spend.daySettled,
      reservedMicros: reserved,
    });
  if (job.max_cost_micros !== null) {
    usage.push({
      cap: 'job',
      limitMicros: Number(job.max_cost_micros),
      settledMicros: jobSettled(db, o.reservation.jobId),
      reservedMicros: jobReserved(db, o.reservation.jobId),
    });
  }
  admit(usage, o.reservation.micros);
  run(
    db,
    'INSERT INTO reservations (id, job_id, model, micros, pid, created_at, member, machine) VALUES (?, ?, ?, ?, ?, ?, ?, ?)',
    [
      o.reservation.id,
      o.reservation.jobId,
      o.reservation.model,
      o.reservation.micros,
      o.reservation.pid,
      o.now,
      o.identity.member,
      o.identity.machine,
    ],
  );
  writeBreaker(db, stored, breaker, o.now);
  return o.reservation;
}
