import { evaluate, velocityWindowStart, type BreakerPolicy, type BreakerRecord, type BreakerState, type SpendSnapshot, type TripReason } from '../core/breaker';
import { dayPeriod, monthPeriod } from '../core/period';
import type { LedgerCaps } from './ledger';
import { settledIn } from './queries';
import { one, run } from './rows';
import type { Database } from './sqljs';

/** The stored breaker row (migration v3 seeds it closed). Opened_at holds `since`. */
export function readBreaker(db: Database): BreakerRecord {
  const r = one(db, 'SELECT * FROM breaker WHERE id = 1');
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
  if (JSON.stringify(prev) === JSON.stringify(next)) return;
  run(db, 'UPDATE breaker SET state = ?, reason = ?, detail = ?, opened_at = ?, until = ?, trial_id = ?, updated_at = ? WHERE id = 1',
    [next.state, next.reason, next.detail, next.since, next.until, next.trialId, nowMs]);
  if (prev.state !== next.state || prev.reason !== next.reason) {
    run(db, 'INSERT INTO breaker_events (at, state, reason, detail) VALUES (?, ?, ?, ?)', [nowMs, next.state, next.reason, next.detail]);
  }
}

/** The spend figures of the breaker's spend rules at `nowMs`, µUSD. */
export function spendSnapshot(db: Database, caps: LedgerCaps, rec: BreakerRecord, policy: BreakerPolicy, nowMs: number): SpendSnapshot {
  return {
    monthSettled: settledIn(db, monthPeriod(nowMs)),
    monthCap: caps.monthlyMicros,
    daySettled: settledIn(db, dayPeriod(nowMs)),
    dayCap: caps.dailyMicros,
    windowSettled: settledIn(db, { startMs: velocityWindowStart(rec, policy, nowMs), endMs: nowMs + 1 }),
  };
}

/** The effective breaker at `nowMs` (stored record re-evaluated against the spend now); nothing is written. */
export function effectiveBreaker(db: Database, caps: LedgerCaps, policy: BreakerPolicy, nowMs: number): { stored: BreakerRecord; current: BreakerRecord } {
  const stored = readBreaker(db);
  return { stored, current: evaluate(stored, spendSnapshot(db, caps, stored, policy, nowMs), policy, nowMs) };
}

/** Re-evaluates and stores the breaker (after spend changed). Returns the stored record. */
export function refreshBreaker(db: Database, caps: LedgerCaps, policy: BreakerPolicy, nowMs: number): BreakerRecord {
  const { stored, current } = effectiveBreaker(db, caps, policy, nowMs);
  writeBreaker(db, stored, current, nowMs);
  return current;
}

/** How hard a trip is to undo; a trip never replaces an open record of a higher rank. */
const RANK: Record<TripReason, number> = { upstream_failures: 1, provider_cost: 2, monthly_cap: 2, daily_cap: 2, velocity: 3, manual: 3 };

/** True when a trip for `reason` may replace `current`. */
export function tripReplaces(current: BreakerRecord, reason: TripReason): boolean {
  return current.state === 'closed' || current.reason === null || RANK[reason] >= RANK[current.reason];
}

/** Whether the reservation `id` is still live. */
export function reservationLive(db: Database, id: string): boolean {
  return one(db, 'SELECT 1 AS x FROM reservations WHERE id = ?', [id]) !== undefined;
}
