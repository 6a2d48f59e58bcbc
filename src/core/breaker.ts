import { BudgetExceededError } from './budget';
import { formatUsd, type Micros } from './money';
import { nextDayStart, nextMonthStart } from './period';

/**
 * The circuit breaker's state machine (DESIGN.md, "Breaker"), pure: the caller passes the stored
 * record, the spend figures and the time. The record lives in the ledger (one row shared by every
 * process), so "open" means nothing new is admitted anywhere.
 *
 * What closes it again depends on why it opened:
 * - `monthly_cap` / `daily_cap`: clears by itself once the condition no longer holds (the UTC
 *   month/day rolled over, or the cap was raised);
 * - `upstream_failures`: after the cooldown it is half-open and admits one trial call; the trial's
 *   success closes it, its failure opens it again (cockatiel's CircuitBreakerPolicy semantics);
 * - `provider_cost`: clears when a later successful poll of the provider's cost data no longer trips;
 * - `velocity`, `manual`: only a manual reset (`offload-worker status --reset`).
 */
export type BreakerState = 'closed' | 'open' | 'half-open';

/** Why the breaker opened. */
export type TripReason = 'monthly_cap' | 'daily_cap' | 'velocity' | 'upstream_failures' | 'provider_cost' | 'manual';

/** The stored breaker. Times are epoch ms. */
export interface BreakerRecord {
  state: BreakerState;
  /** Why it is open or half-open; null when closed. */
  reason: TripReason | null;
  /** Human-readable numbers behind the trip (USD amounts, counts); null when closed. */
  detail: string | null;
  /** When the state last changed (opened, went half-open, or closed), or null if it never changed. */
  since: number | null;
  /** Cap trips: when the window ends; upstream_failures: when the cooldown ends (half-open); else null. */
  until: number | null;
  /** Half-open: the reservation id of the trial call in flight, or null when no trial runs. */
  trialId: string | null;
}

/** A never-tripped breaker. */
export const CLOSED_BREAKER: BreakerRecord = {
  state: 'closed',
  reason: null,
  detail: null,
  since: null,
  until: null,
  trialId: null,
};

/** The breaker's settings (config: BREAKER_*). */
export interface BreakerPolicy {
  /** Spend velocity trip: this percentage (0–100) of the monthly cap settled within the window; 0 disables. Default 20. */
  velocityPct: number;
  /** Sliding window of the velocity rule, ms. Default 3,600,000 (1 h). */
  velocityWindowMs: number;
  /** Consecutive upstream failures that open the breaker. Default 5. */
  failureThreshold: number;
  /** Open time after an upstream-failure trip before the half-open trial, ms. Default 60,000. */
  cooldownMs: number;
}

/** Defaults of every BreakerPolicy field. */
export const DEFAULT_BREAKER_POLICY: BreakerPolicy = {
  velocityPct: 20,
  velocityWindowMs: 3_600_000,
  failureThreshold: 5,
  cooldownMs: 60_000,
};

/** Spend the spend rules look at, µUSD. `windowSettled`: settled in the velocity window (after the last reset). */
export interface SpendSnapshot {
  monthSettled: Micros;
  monthCap: Micros;
  daySettled: Micros;
  dayCap: Micros | null;
  windowSettled: Micros;
}

/** What resets a breaker opened for `reason`, as one sentence for messages and `breaker_status`. */
export function resetHint(reason: TripReason | null): string {
  switch (reason) {
    case 'monthly_cap':
      return 'It closes by itself on the 1st of next month (UTC) or when MONTHLY_BUDGET is raised.';
    case 'daily_cap':
      return 'It closes by itself at 00:00 UTC or when DAILY_BUDGET is raised.';
    case 'upstream_failures':
      return 'After the cooldown (BREAKER_COOLDOWN_MS) one trial call is let through; its success closes it. `offload-worker status --reset` closes it now.';
    case 'provider_cost':
      return 'It closes when a later poll of the provider costs no longer trips, or with `offload-worker status --reset`.';
    case 'velocity':
    case 'manual':
      return 'Only a manual reset closes it: `offload-worker status --reset` (or the Offload: Reset Breaker command in VS Code).';
    default:
      return 'Nothing to reset: the breaker is closed.';
  }
}

/**
 * Thrown by admission while the breaker is open (or half-open with its trial in flight). A
 * BudgetExceededError with cap 'breaker', so every caller that ends a job `budget_exceeded` on a
 * refused reservation handles it; the message says why and how to reset.
 */
export class BreakerOpenError extends BudgetExceededError {
  override name = 'BreakerOpenError';
  constructor(readonly record: BreakerRecord) {
    super('breaker', 0, 0, 0);
    const why =
      record.state === 'half-open'
        ? 'half-open, its one trial call is in flight'
        : `open (${record.reason}: ${record.detail})`;
    this.message = `circuit breaker ${why}: no new paid work is admitted. ${resetHint(record.reason)}`;
  }
}

/** The spend rule that trips now, or null: cap reached (settled ≥ cap), then velocity. */
export function spendTrip(
  s: SpendSnapshot,
  policy: BreakerPolicy,
  nowMs: number,
): Omit<BreakerRecord, 'state' | 'trialId' | 'since'> | null {
  if (s.monthSettled >= s.monthCap) {
    return {
      reason: 'monthly_cap',
      detail: `settled ${formatUsd(s.monthSettled)} of the ${formatUsd(s.monthCap)} monthly cap`,
      until: nextMonthStart(nowMs),
    };
  }
  if (s.dayCap !== null && s.daySettled >= s.dayCap) {
    return {
      reason: 'daily_cap',
      detail: `settled ${formatUsd(s.daySettled)} of the ${formatUsd(s.dayCap)} daily cap`,
      until: nextDayStart(nowMs),
    };
  }
  if (policy.velocityPct > 0 && s.monthCap > 0 && s.windowSettled * 100 >= policy.velocityPct * s.monthCap) {
    const mins = Math.round(policy.velocityWindowMs / 60_000);
    return {
      reason: 'velocity',
      detail: `settled ${formatUsd(s.windowSettled)} within ${mins} min, ≥ ${policy.velocityPct}% of the ${formatUsd(s.monthCap)} monthly cap`,
      until: null,
    };
  }
  return null;
}

/** An open record for `trip` at `nowMs`. */
export function opened(trip: Pick<BreakerRecord, 'reason' | 'detail' | 'until'>, nowMs: number): BreakerRecord {
  return { state: 'open', reason: trip.reason, detail: trip.detail, until: trip.until, since: nowMs, trialId: null };
}

/** A closed record at `nowMs` (a reset). */
export function closedAt(nowMs: number): BreakerRecord {
  return { ...CLOSED_BREAKER, since: nowMs };
}

/**
 * The effective record at `nowMs`: cap trips whose condition cleared close; an upstream-failure
 * trip past its cooldown is half-open; a closed breaker opens when a spend rule trips. Returns
 * `rec` itself when nothing changes.
 */
export function evaluate(rec: BreakerRecord, s: SpendSnapshot, policy: BreakerPolicy, nowMs: number): BreakerRecord {
  let cur = rec;
  if (cur.state === 'open' && (cur.reason === 'monthly_cap' || cur.reason === 'daily_cap')) {
    const still = spendTrip(s, policy, nowMs);
    if ((cur.until !== null && nowMs >= cur.until) || still?.reason !== cur.reason) cur = closedAt(nowMs);
  }
  if (cur.state === 'open' && cur.reason === 'upstream_failures' && cur.until !== null && nowMs >= cur.until) {
    cur = { ...cur, state: 'half-open', since: nowMs, trialId: null };
  }
  if (cur.state === 'closed') {
    const trip = spendTrip(s, policy, nowMs);
    if (trip) cur = opened(trip, nowMs);
  }
  return cur;
}

/**
 * Admission through the breaker for a new reservation `reservationId`. Closed admits; half-open
 * admits one trial (when no trial is live per `trialLive`) and records it; open refuses. Returns
 * the record to store. Throws BreakerOpenError when refused.
 */
export function admitThrough(
  rec: BreakerRecord,
  reservationId: string,
  trialLive: (id: string) => boolean,
): BreakerRecord {
  if (rec.state === 'closed') return rec;
  if (rec.state === 'half-open' && !(rec.trialId !== null && trialLive(rec.trialId)))
    return { ...rec, trialId: reservationId };
  throw new BreakerOpenError(rec);
}

/** Start of the velocity window at `nowMs`: the window, but never before the last close (a reset starts afresh). */
export function velocityWindowStart(rec: BreakerRecord, policy: BreakerPolicy, nowMs: number): number {
  const start = nowMs - policy.velocityWindowMs;
  return rec.state === 'closed' && rec.since !== null ? Math.max(start, rec.since) : start;
}
