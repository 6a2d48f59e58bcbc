import {
  evaluate,
  velocityWindowStart,
  type BreakerPolicy,
  type BreakerRecord,
  type BreakerState,
  type SpendSnapshot,
  type TripReason,
} from '../core/breaker';
import { dayPeriod, monthPeriod } from '../core/period';
import type { LedgerCaps } from './ledger';
import { HOUR_MS, hourSums, onWholeHours, settledIn } from './queries';
import { one, run } from './rows';
import type { Database } from './sqljs';

/** The stored breaker row (migration v3 seeds it closed). Opened_at holds `since`. */
export function readBreaker(db: Database): BreakerRecord {
  const r = one(db, 'SELECT state, reason, detail, opened_at, until, trial_id FROM breaker WHERE id = 1');
  if (!r) return { state: 'closed', reason: null, detail: null, since: null, until: null, trialId: null };
  return {
    state: String(r.state) as BreakerState,
    reason: r.reason === null ? null : (String(r.reason) as TripReason),
    detail: r.detail === null ? null : String(r.detail),
    since: r.opened_at === null ? null : Number(r.opened_at),
    until: r.until === null ? null : Number(r.until),
    trialId: r.trial_id === null ? null : String(r.trial_id),
  };
}

/** Stores `next` if it differs from `prev`, with a breaker_events row when the state or reason changed. */
export function writeBreaker(db: Database, prev: BreakerRecord, next: BreakerRecord, nowMs: number): void {
  if (sameRecord(prev, next)) return;
  run(
    db,
    'UPDATE breaker SET state = ?, reason = ?, detail = ?, opened_at = ?, until = ?, trial_id = ?, updated_at = ? WHERE id = 1',
    [next.state, next.reason, next.detail, next.since, next.until, next.trialId, nowMs],
  );
  if (prev.state !== next.state || prev.reason !== next.reason) {
    run(db, 'INSERT INTO breaker_events (at, state, reason, detail) VALUES (?, ?, ?, ?)', [
      nowMs,
      next.state,
      next.reason,
      next.detail,
    ]);
  }
}

/** True when two breaker records are the same (nothing to store). */
export function sameRecord(a: BreakerRecord, b: BreakerRecord): boolean {
  return (
    a === b ||
    (a.state === b.state &&
      a.reason === b.reason &&
      a.detail === b.detail &&
      a.since === b.since &&
      a.until === b.until &&
      a.trialId === b.trialId)
  );
}

/**
 * The spend figures of the breaker's spend rules at `nowMs`, µUSD, from one query of spend_hours.
 * The month and day sums are exact (UTC months and days are whole hours). `windowSettled` is exact
 * only where the velocity rule could trip: usually it is the whole UTC hours the window touches,
 * an upper bound still below the rule's threshold, so `evaluate` decides the same, and only when
 * that bound reaches the threshold are the window's calls summed. That keeps the sums from reading
 * every call of the last hour on each reserve and settle. `windowSettled` is 0 when the rule is off
 * (velocityPct 0 or a monthly cap of 0), which `evaluate` does not read then.
 */
export function spendSnapshot(
  db: Database,
  caps: LedgerCaps,
  rec: BreakerRecord,
  policy: BreakerPolicy,
  nowMs: number,
): SpendSnapshot {
  const month = monthPeriod(nowMs);
  const day = dayPeriod(nowMs);
  const velocityOn = policy.velocityPct > 0 && caps.monthlyMicros > 0;
  const window = { startMs: velocityWindowStart(rec, policy, nowMs), endMs: nowMs + 1 };
  const hours = { startMs: Math.floor(window.startMs / HOUR_MS) * HOUR_MS, endMs: window.endMs };
  const [monthHours, dayHours, windowBound] = hourSums(db, velocityOn ? [month, day, hours] : [month, day]);
  let windowSettled = 0;
  if (velocityOn)
    windowSettled = windowBound! * 100 < policy.velocityPct * caps.monthlyMicros ? windowBound! : settledIn(db, window);
  return {
    monthSettled: onWholeHours(month) ? monthHours! : settledIn(db, month),
    monthCap: caps.monthlyMicros,
    daySettled: onWholeHours(day) ? dayHours! : settledIn(db, day),
    dayCap: caps.dailyMicros,
    windowSettled,
  };
}

/**
 * The effective breaker at `nowMs` (stored record re-evaluated against the spend now), and the spend
 * it was evaluated on (admission reuses its month and day sums); nothing is written.
 */
export function effectiveBreaker(
  db: Database,
  caps: LedgerCaps,
  policy: BreakerPolicy,
  nowMs: number,
): { stored: BreakerRecord; current: BreakerRecord; spend: SpendSnapshot } {
  const stored = readBreaker(db);
  const spend = spendSnapshot(db, caps, stored, policy, nowMs);
  return { stored, current: evaluate(stored, spend, policy, nowMs), spend };
}

/** Re-evaluates and stores the breaker (after spend changed). Returns the stored record. */
export function refreshBreaker(db: Database, caps: LedgerCaps, policy: BreakerPolicy, nowMs: number): BreakerRecord {
  const { stored, current } = effectiveBreaker(db, caps, policy, nowMs);
  writeBreaker(db, stored, current, nowMs);
  return current;
}

/** How hard a trip is to undo; a trip never replaces an open record of a higher rank. */
const RANK: Record<TripReason, number> = {
  upstream_failures: 1,
  provider_cost: 2,
  monthly_cap: 2,
  daily_cap: 2,
  velocity: 3,
  manual: 3,
};

/** True when a trip for `reason` may replace `current`. */
export function tripReplaces(current: BreakerRecord, reason: TripReason): boolean {
  return current.state === 'closed' || current.reason === null || RANK[reason] >= RANK[current.reason];
}

/** Whether the reservation `id` is still live. */
export function reservationLive(db: Database, id: string): boolean {
  return one(db, 'SELECT 1 AS x FROM reservations WHERE id = ?', [id]) !== undefined;
}
