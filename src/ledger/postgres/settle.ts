/**
 * Ending a reservation on the team ledger: settle (its spend row at the real cost), the sweeper's
 * `orphaned` settle at the held amount, and release (no spend). The reservation is read without a
 * lock, then one statement (offload_unhold, schema.ts) deletes it, writes the spend row and moves
 * the money of its scopes in lock order. Of two concurrent settles or sweeps only one deletes it;
 * the other finds it gone, which makes each idempotent per reservation id.
 */
import type pg from 'pg';
import type { BreakerPolicy } from '../../core/breaker';
import type { LedgerCaps, SettleInput } from '../ledger';
import { effectiveBreaker, writeBreaker, type Q } from './breaker';
import type { ReservationRow } from './job-rows';
import { inTx } from './pool';
import { jobKey, lockOrder, memberMonthKey, teamDayKey, teamMonthKey, type ScopeKey } from './scopes';
import { effectiveCaps, type TeamCaps } from './team-caps';

/** The live reservation `id`, or undefined. */
export async function readReservation(c: Q, id: string): Promise<ReservationRow | undefined> {
  return (await c.query<ReservationRow>('SELECT * FROM reservations WHERE id = $1', [id])).rows[0];
}

/** True when a spend row exists for this reservation id (it was settled). */
export async function isSettled(c: Q, id: string): Promise<boolean> {
  return ((await c.query('SELECT 1 FROM model_calls WHERE reservation_id = $1', [id])).rowCount ?? 0) > 0;
}

/** The team row's caps. */
export async function teamCaps(c: Q): Promise<TeamCaps> {
  const { rows } = await c.query<{ m: number | null; d: number | null }>(
    'SELECT monthly_cap_micros AS m, daily_cap_micros AS d FROM team WHERE id = 1',
  );
  return { monthlyMicros: rows[0]?.m ?? null, dailyMicros: rows[0]?.d ?? null };
}

/** The scopes a spend row of `r` written at `nowMs` is counted in (the settle time's month and day, its member's month, its capped job). */
export function chargedKeys(r: ReservationRow, nowMs: number): ScopeKey[] {
  const keys = [teamMonthKey(nowMs), teamDayKey(nowMs), memberMonthKey(r.member, nowMs)];
  if (r.scope_keys.includes(jobKey(r.job_id))) keys.push(jobKey(r.job_id));
  return keys;
}

/**
 * Ends `r` at `nowMs`: with `input` its spend row is written (attributed to its member and
 * machine) and charged, without it the hold is only given back (a release); `sweep` ends it only
 * if its lease expired and no other transaction holds it. `ensure` creates missing scope rows
 * first (a new month or day). Returns false when `r` was no longer live.
 */
export async function endReservation(
  pool: pg.Pool,
  r: ReservationRow,
  input: SettleInput | null,
  o: { nowMs: number; sweep: boolean; ensure: (keys: ScopeKey[]) => Promise<void> },
): Promise<boolean> {
  const held = new Set(r.scope_keys as ScopeKey[]);
  const charged = new Set(input ? chargedKeys(r, o.nowMs) : []);
  await o.ensure([...charged]);
  const keys = lockOrder([...held, ...charged]);
  const u = input?.usage;
  const { rows } = await pool.query<{ ended: boolean }>(
    'SELECT offload_unhold($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) AS ended',
    [
      r.id,
      o.sweep,
      keys,
      keys.map((k) => (held.has(k) ? r.micros : 0)),
      keys.map((k) => (charged.has(k) ? input!.costMicros : 0)),
      input?.model ?? null,
      u?.input_tokens ?? 0,
      u?.output_tokens ?? 0,
      u?.cache_read_tokens ?? 0,
      input?.costMicros ?? 0,
      input?.status ?? null,
      input?.route ?? null,
      input?.latencyMs ?? null,
      o.nowMs,
    ],
  );
  return rows[0]!.ended;
}

/**
 * Re-evaluates the breaker after spend changed (a trip on a cap or on velocity) and stores it when
 * it changed, under its row lock. Returns nothing: every read evaluates it again anyway.
 */
export async function refreshAfterSpend(
  pool: pg.Pool,
  o: { localCaps: LedgerCaps; policy: BreakerPolicy; nowMs: number; member: string },
): Promise<void> {
  const caps = effectiveCaps(o.localCaps, await teamCaps(pool));
  const first = await effectiveBreaker(pool, caps, o.policy, o.nowMs);
  if (first.stored === first.current) return; // evaluate returns the stored record itself when nothing changes
  await inTx(pool, async (c) => {
    const { stored, current } = await effectiveBreaker(c, caps, o.policy, o.nowMs, true);
    await writeBreaker(c, stored, current, o.nowMs, o.member);
  });
}
