/**
 * Turning a reservation into spend (settle, and the sweeper's `orphaned` settle) and dropping one
 * (release), inside the caller's transaction. The reservation row is deleted first (DELETE …
 * RETURNING takes its row lock), so of two concurrent settles or sweeps only one finds it: the
 * other sees it gone, which makes both idempotent per reservation id.
 */
import type { BreakerPolicy } from '../../core/breaker';
import type { LedgerCaps, SettleInput } from '../ledger';
import { refreshBreaker } from './breaker';
import type { ReservationRow } from './job-rows';
import type { Tx } from './pool';
import { jobKey, memberMonthKey, teamDayKey, teamMonthKey, unholdAndCharge, type ScopeKey } from './scopes';
import { effectiveCaps, type TeamCaps } from './team-caps';

/** Deletes the live reservation `id` and returns its row, or undefined when it is not live. */
export async function takeReservation(c: Tx, id: string): Promise<ReservationRow | undefined> {
  const { rows } = await c.query<ReservationRow>('DELETE FROM reservations WHERE id = $1 RETURNING *', [id]);
  return rows[0];
}

/** True when a spend row exists for this reservation id (it was settled). */
export async function isSettled(c: Tx, id: string): Promise<boolean> {
  return ((await c.query('SELECT 1 FROM model_calls WHERE reservation_id = $1', [id])).rowCount ?? 0) > 0;
}

/** The team row's caps. */
export async function teamCaps(c: Tx | { query: Tx['query'] }): Promise<TeamCaps> {
  const { rows } = await c.query<{ m: number | null; d: number | null }>(
    'SELECT monthly_cap_micros AS m, daily_cap_micros AS d FROM team WHERE id = 1',
  );
  return { monthlyMicros: rows[0]?.m ?? null, dailyMicros: rows[0]?.d ?? null };
}

/**
 * Writes the spend row of the taken reservation `r` (attributed to its member and machine) at
 * `nowMs`, moves its money from reserved to settled in its scopes, frees its slot and refreshes the
 * breaker.
 */
export async function chargeTaken(
  c: Tx,
  r: ReservationRow,
  input: SettleInput,
  o: { nowMs: number; localCaps: LedgerCaps; policy: BreakerPolicy; member: string },
): Promise<void> {
  await c.query(
    `INSERT INTO model_calls (job_id, reservation_id, model, input_tokens, output_tokens, cache_read_tokens, cost_micros,
      status, route, latency_ms, created_at, member, machine) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)`,
    [
      r.job_id,
      r.id,
      input.model,
      input.usage.input_tokens,
      input.usage.output_tokens,
      input.usage.cache_read_tokens,
      input.costMicros,
      input.status,
      input.route ?? null,
      input.latencyMs ?? null,
      o.nowMs,
      r.member,
      r.machine,
    ],
  );
  const job = jobKey(r.job_id);
  const charged: ScopeKey[] = [teamMonthKey(o.nowMs), teamDayKey(o.nowMs), memberMonthKey(r.member, o.nowMs)];
  if (r.scope_keys.includes(job)) charged.push(job);
  await unholdAndCharge(c, {
    held: r.scope_keys as ScopeKey[],
    micros: r.micros,
    charged,
    cost: input.costMicros,
    slot: r.slot_key as ScopeKey | null,
  });
  const caps = effectiveCaps(o.localCaps, await teamCaps(c));
  await refreshBreaker(c, caps, o.policy, o.nowMs, o.member);
}

/** Gives back what the taken reservation `r` held (a release: the call never went out). */
export async function unholdTaken(c: Tx, r: ReservationRow): Promise<void> {
  await unholdAndCharge(c, {
    held: r.scope_keys as ScopeKey[],
    micros: r.micros,
    charged: [],
    cost: 0,
    slot: r.slot_key as ScopeKey | null,
  });
}
