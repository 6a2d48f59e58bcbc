/**
 * Attribution on the sql.js ledger (issue 16): who spent what, read from the `member` and
 * `machine` columns of jobs, model_calls and reservations (schema version 11; NULL on rows written
 * before it, which belong to no member). A file ledger has no member caps: those need a team
 * ledger, where every member's spend is admitted against the same numbers.
 */
import { TEAM_LEDGER_FIX } from '../core/ledger-url';
import { microsToUsd } from '../core/money';
import { dayPeriod, monthPeriod } from '../core/period';
import type { Identity, MemberRecord, SpendStats } from './ledger';
import { all, num } from './rows';
import type { Database } from './sqljs';

/** What setMemberCap on a file ledger throws: the fix is a team ledger. */
export const MEMBER_CAPS_NEED_TEAM_LEDGER = `member caps need a team ledger: ${TEAM_LEDGER_FIX}; this ledger is a local file, where only the team caps (MONTHLY_BUDGET, DAILY_BUDGET) apply`;

/** A member's settled spend in [startMs, endMs), µUSD (reads the member index only). */
function memberSettled(db: Database, member: string, startMs: number, endMs: number): number {
  return num(db, 'SELECT SUM(cost_micros) FROM model_calls WHERE member = ? AND created_at >= ? AND created_at < ?', [
    member,
    startMs,
    endMs,
  ]);
}

/**
 * SpendStats' `member` and `by_member` at `nowMs` for `identity` (UTC windows, µUSD summed,
 * reported in USD). A file ledger has no member cap, so `monthly_cap` and `remaining` are null.
 * `by_member` covers the month's attributed calls; calls settled before attribution (member NULL)
 * count in the team's figures only.
 */
export function memberStats(db: Database, identity: Identity, nowMs: number): Pick<SpendStats, 'member' | 'by_member'> {
  const month = monthPeriod(nowMs);
  const day = dayPeriod(nowMs);
  const byMember: SpendStats['by_member'] = {};
  for (const r of all(
    db,
    `SELECT member, SUM(cost_micros) AS cost, COUNT(*) AS calls FROM model_calls
      WHERE member IS NOT NULL AND created_at >= ? AND created_at < ? GROUP BY member ORDER BY member`,
    [month.startMs, month.endMs],
  ))
    byMember[String(r.member)] = { cost_usd: microsToUsd(Number(r.cost)), calls: Number(r.calls) };
  return {
    member: {
      name: identity.member,
      current_month: microsToUsd(memberSettled(db, identity.member, month.startMs, month.endMs)),
      today: microsToUsd(memberSettled(db, identity.member, day.startMs, day.endMs)),
      reserved: microsToUsd(num(db, 'SELECT SUM(micros) FROM reservations WHERE member = ?', [identity.member])),
      monthly_cap: null,
      remaining: null,
    },
    by_member: byMember,
  };
}

/**
 * Every member with a job or a model call (a file ledger stores no caps), sorted by name: settled
 * spend this UTC month and held now (USD), jobs created (all time), the newest job change or call
 * (ISO time), and the machines seen. `monthly_cap` is null: a file ledger has no member caps.
 */
export function listMembersIn(db: Database, nowMs: number): MemberRecord[] {
  const month = monthPeriod(nowMs);
  const rows = all(
    db,
    `SELECT m.member AS member,
      (SELECT COALESCE(SUM(cost_micros), 0) FROM model_calls WHERE member = m.member AND created_at >= ? AND created_at < ?) AS month,
      (SELECT COALESCE(SUM(micros), 0) FROM reservations WHERE member = m.member) AS reserved,
      (SELECT COUNT(*) FROM jobs WHERE member = m.member) AS jobs,
      MAX(COALESCE((SELECT MAX(updated_at) FROM jobs WHERE member = m.member), 0),
        COALESCE((SELECT MAX(created_at) FROM model_calls WHERE member = m.member), 0)) AS last_seen,
      (SELECT json_group_array(machine) FROM (SELECT machine FROM jobs WHERE member = m.member AND machine IS NOT NULL
        UNION SELECT machine FROM model_calls WHERE member = m.member AND machine IS NOT NULL ORDER BY 1)) AS machines
    FROM (SELECT member FROM jobs WHERE member IS NOT NULL UNION SELECT member FROM model_calls WHERE member IS NOT NULL) m
    ORDER BY m.member`,
    [month.startMs, month.endMs],
  );
  return rows.map((r) => ({
    member: String(r.member),
    monthly_cap: null,
    current_month: microsToUsd(Number(r.month)),
    reserved: microsToUsd(Number(r.reserved)),
    jobs: Number(r.jobs),
    last_seen: Number(r.last_seen) > 0 ? new Date(Number(r.last_seen)).toISOString() : null,
    machines: JSON.parse(String(r.machines)) as string[],
  }));
}
