/**
 * The admission counters (table `scopes`): one row per scope a reservation is held against, with
 * the µUSD settled and reserved in it. Keys sort in the one lock order every transaction takes them
 * in (team month, team day, member month, job, then in-flight slots), so two transactions never
 * wait on each other in a cycle. A UTC month or day is part of its key, so a new period starts at 0.
 */
import { monthLabel } from '../../core/period';
import type { Tx } from './pool';

/** A scope's key; its leading digit is its place in the lock order. */
export type ScopeKey = string & { readonly __scope: unique symbol };

function dayLabel(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** The team's month of `ms` (UTC). */
export const teamMonthKey = (ms: number) => `1 team month ${monthLabel(ms)}` as ScopeKey;
/** The team's day of `ms` (UTC). */
export const teamDayKey = (ms: number) => `2 team day ${dayLabel(ms)}` as ScopeKey;
/** A member's month of `ms` (UTC). */
export const memberMonthKey = (member: string, ms: number) => `3 member ${monthLabel(ms)} ${member}` as ScopeKey;
/** A job with a max cost. */
export const jobKey = (jobId: string) => `4 job ${jobId}` as ScopeKey;
/** The in-flight calls of a machine (`reserved` counts calls, not µUSD). */
export const slotKey = (machine: string) => `5 slots ${machine}` as ScopeKey;

/** `keys` without repeats, in lock order. */
export function lockOrder(keys: Iterable<ScopeKey>): ScopeKey[] {
  return [...new Set(keys)].sort();
}

/** Creates the rows of `keys` that do not exist yet (a new month or day, a new member). */
export async function ensureScopes(c: Pick<Tx, 'query'>, keys: readonly ScopeKey[]): Promise<void> {
  await c.query('INSERT INTO scopes (key) SELECT unnest($1::text[]) ON CONFLICT DO NOTHING', [keys]);
}

/** Settled and reserved of one scope, µUSD (0, 0 when it has no row). */
export async function scopeUsage(c: Pick<Tx, 'query'>, key: ScopeKey): Promise<{ settled: number; reserved: number }> {
  const { rows } = await c.query<{ settled: number; reserved: number }>(
    'SELECT settled, reserved FROM scopes WHERE key = $1',
    [key],
  );
  return rows[0] ?? { settled: 0, reserved: 0 };
}
