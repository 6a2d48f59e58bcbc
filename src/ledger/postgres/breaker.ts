/**
 * The team-wide circuit breaker on PostgreSQL: one `breaker` row, evaluated with the same pure rules
 * as the sql.js ledger (core/breaker.ts evaluate, breaker-store.ts sameRecord). Every change of state
 * or reason is logged in breaker_events (with the member who caused it) and sent with
 * NOTIFY offload_breaker, so every process's LISTEN connection hears of it at commit.
 */
import {
  evaluate,
  velocityWindowStart,
  type BreakerPolicy,
  type BreakerRecord,
  type BreakerState,
  type SpendSnapshot,
  type TripReason,
} from '../../core/breaker';
import { sameRecord } from '../breaker-store';
import type { LedgerCaps } from '../ledger';
import type pg from 'pg';
import { teamDayKey, teamMonthKey } from './scopes';

/** The NOTIFY channel of breaker changes; the payload is the new state. */
export const BREAKER_CHANNEL = 'offload_breaker';

/** A pool or a client in a transaction. */
export type Q = pg.Pool | pg.PoolClient;

interface BreakerRow {
  state: string;
  reason: string | null;
  detail: string | null;
  opened_at: number | null;
  until: number | null;
  trial_id: string | null;
}

/** The stored breaker; `lock` takes its row lock (FOR UPDATE) for a write in the same transaction. */
export async function readBreaker(c: Q, lock = false): Promise<BreakerRecord> {
  const { rows } = await c.query<BreakerRow>(
    `SELECT state, reason, detail, opened_at, until, trial_id FROM breaker WHERE id = 1${lock ? ' FOR UPDATE' : ''}`,
  );
  return toRecord(rows[0]);
}

function toRecord(r: BreakerRow | undefined): BreakerRecord {
  if (!r) throw new Error('the team ledger has no breaker row: its schema is damaged');
  return {
    state: r.state as BreakerState,
    reason: r.reason as TripReason | null,
    detail: r.detail,
    since: r.opened_at,
    until: r.until,
    trialId: r.trial_id,
  };
}

/** Stores `next` if it differs from `prev`; a change of state or reason is logged and notified. */
export async function writeBreaker(
  c: Q,
  prev: BreakerRecord,
  next: BreakerRecord,
  nowMs: number,
  member: string,
): Promise<void> {
  if (sameRecord(prev, next)) return;
  await c.query(
    'UPDATE breaker SET state = $1, reason = $2, detail = $3, opened_at = $4, until = $5, trial_id = $6, updated_at = $7 WHERE id = 1',
    [next.state, next.reason, next.detail, next.since, next.until, next.trialId, nowMs],
  );
  if (prev.state !== next.state || prev.reason !== next.reason) {
    await c.query('INSERT INTO breaker_events (at, state, reason, detail, member) VALUES ($1, $2, $3, $4, $5)', [
      nowMs,
      next.state,
      next.reason,
      next.detail,
      member,
    ]);
    await c.query('SELECT pg_notify($1, $2)', [BREAKER_CHANNEL, next.state]);
  }
}

/** Settled spend in [startMs, endMs), µUSD, summed in SQL over the calls. */
export async function settledIn(c: Q, startMs: number, endMs: number): Promise<number> {
  const { rows } = await c.query<{ s: number }>(
    'SELECT COALESCE(SUM(cost_micros), 0)::int8 AS s FROM model_calls WHERE created_at >= $1 AND created_at < $2',
    [startMs, endMs],
  );
  return rows[0]!.s;
}

/**
 * The stored breaker re-evaluated against the spend at `nowMs`, and that spend (µUSD: the team's
 * month and day from their scope rows, kept equal to the calls' sums by every settle, read with the
 * breaker row in one query; the velocity window summed over the calls, 0 when the rule is off);
 * `lock` takes the breaker's row lock for a write in the same transaction. Writes nothing.
 */
export async function effectiveBreaker(
  c: Q,
  caps: LedgerCaps,
  policy: BreakerPolicy,
  nowMs: number,
  lock = false,
): Promise<{ stored: BreakerRecord; current: BreakerRecord; spend: SpendSnapshot }> {
  const { rows } = await c.query<BreakerRow & { month_settled: number; day_settled: number }>(
    `SELECT b.state, b.reason, b.detail, b.opened_at, b.until, b.trial_id,
      COALESCE((SELECT settled FROM scopes WHERE key = $1), 0) AS month_settled,
      COALESCE((SELECT settled FROM scopes WHERE key = $2), 0) AS day_settled
    FROM breaker b WHERE b.id = 1${lock ? ' FOR UPDATE OF b' : ''}`,
    [teamMonthKey(nowMs), teamDayKey(nowMs)],
  );
  const stored = toRecord(rows[0]);
  const velocityOn = policy.velocityPct > 0 && caps.monthlyMicros > 0;
  const spend: SpendSnapshot = {
    monthSettled: rows[0]!.month_settled,
    monthCap: caps.monthlyMicros,
    daySettled: rows[0]!.day_settled,
    dayCap: caps.dailyMicros,
    windowSettled: velocityOn ? await settledIn(c, velocityWindowStart(stored, policy, nowMs), nowMs + 1) : 0,
  };
  return { stored, current: evaluate(stored, spend, policy, nowMs), spend };
}

/**
 * Re-evaluates the breaker after spend changed and stores it when it changed (then under its row
 * lock, evaluated again). Returns the effective record.
 */
export async function refreshBreaker(
  c: pg.PoolClient,
  caps: LedgerCaps,
  policy: BreakerPolicy,
  nowMs: number,
  member: string,
): Promise<BreakerRecord> {
  const first = await effectiveBreaker(c, caps, policy, nowMs);
  if (sameRecord(first.stored, first.current)) return first.current;
  const { stored, current } = await effectiveBreaker(c, caps, policy, nowMs, true);
  await writeBreaker(c, stored, current, nowMs, member);
  return current;
}
