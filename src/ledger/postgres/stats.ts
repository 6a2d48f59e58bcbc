/**
 * get_spend_stats, the daily spend and the member list of the team ledger, summed in SQL. The
 * fields mean what computeSpendStats (src/ledger/spend-stats.ts) says; the team figures use the
 * effective caps (team-caps.ts), and `member` is this process's member inside them.
 */
import type { BreakerRecord } from '../../core/breaker';
import { microsToUsd } from '../../core/money';
import { remainingMicros } from '../../core/budget';
import { dayPeriod, monthPeriod } from '../../core/period';
import type { LedgerCaps, MemberRecord, SpendStats } from '../ledger';
import { DAY_MS, dailySeries, shapeSpendStats } from '../spend-stats';
import { settledIn, type Q } from './breaker';

async function rowsOf<T extends object>(c: Q, sql: string, params: unknown[] = []): Promise<T[]> {
  return (await c.query<T>(sql, params)).rows;
}

/** The summary at `nowMs` for `member`, whose own monthly cap is `memberCap` (µUSD, null: none). */
export async function pgSpendStats(
  c: Q,
  o: {
    caps: LedgerCaps;
    nowMs: number;
    member: string;
    memberCap: number | null;
    thresholds?: readonly number[];
    breaker: BreakerRecord;
  },
): Promise<SpendStats> {
  const month = monthPeriod(o.nowMs);
  const day = dayPeriod(o.nowMs);
  const range = [month.startMs, month.endMs];
  const settled = await settledIn(c, month.startMs, month.endMs);
  const [totals] = await rowsOf<{ reserved: number; n: number; jobs: number; running: number; mine: number }>(
    c,
    `SELECT (SELECT COALESCE(SUM(micros), 0)::int8 FROM reservations) AS reserved, (SELECT COUNT(*) FROM reservations) AS n,
      (SELECT COUNT(*) FROM jobs) AS jobs, (SELECT COUNT(*) FROM jobs WHERE status = 'running') AS running,
      (SELECT COALESCE(SUM(micros), 0)::int8 FROM reservations WHERE member = $1) AS mine`,
    [o.member],
  );
  const byModel: SpendStats['by_model'] = {};
  for (const r of await rowsOf<{ model: string; cost: number; calls: number; i: number; o: number; c: number }>(
    c,
    `SELECT model, SUM(cost_micros)::int8 AS cost, COUNT(*) AS calls, SUM(input_tokens)::int8 AS i,
      SUM(output_tokens)::int8 AS o, SUM(cache_read_tokens)::int8 AS c FROM model_calls
    WHERE created_at >= $1 AND created_at < $2 GROUP BY model ORDER BY model`,
    range,
  )) {
    byModel[r.model] = {
      cost_usd: microsToUsd(r.cost),
      calls: r.calls,
      input_tokens: r.i,
      output_tokens: r.o,
      cache_read_tokens: r.c,
    };
  }
  const byKind: SpendStats['by_kind'] = {};
  const kind = (k: string) => (byKind[k] ??= { cost_usd: 0, jobs: 0 });
  for (const r of await rowsOf<{ kind: string; n: number }>(
    c,
    'SELECT kind, COUNT(*) AS n FROM jobs WHERE created_at >= $1 AND created_at < $2 GROUP BY kind',
    range,
  ))
    kind(r.kind).jobs = r.n;
  for (const r of await rowsOf<{ kind: string; cost: number }>(
    c,
    `SELECT j.kind, SUM(c.cost_micros)::int8 AS cost FROM model_calls c JOIN jobs j ON j.id = c.job_id
    WHERE c.created_at >= $1 AND c.created_at < $2 GROUP BY j.kind`,
    range,
  ))
    kind(r.kind).cost_usd = microsToUsd(r.cost);
  const byMember: SpendStats['by_member'] = {};
  for (const r of await rowsOf<{ member: string; cost: number; calls: number }>(
    c,
    `SELECT member, SUM(cost_micros)::int8 AS cost, COUNT(*) AS calls FROM model_calls
    WHERE member IS NOT NULL AND created_at >= $1 AND created_at < $2 GROUP BY 1 ORDER BY 1`,
    range,
  ))
    byMember[r.member] = { cost_usd: microsToUsd(r.cost), calls: r.calls };
  const [s] = await rowsOf<{
    n: number;
    saved: number | null;
    avoided: number | null;
    tb: number | null;
    rb: number | null;
  }>(
    c,
    `SELECT COUNT(*) AS n, SUM((x.v->>'saved_usd')::float8) AS saved, SUM((x.v->>'caller_tokens_avoided')::float8) AS avoided,
      SUM((x.v->>'transcript_bytes')::float8) AS tb, SUM((x.v->>'returned_bytes')::float8) AS rb
    FROM (SELECT result_json::jsonb->'savings' AS v FROM jobs WHERE created_at >= $1 AND created_at < $2 AND result_json IS NOT NULL) x
    WHERE x.v IS NOT NULL AND jsonb_typeof(x.v) <> 'null'`,
    range,
  );
  const [me] = await rowsOf<{ month: number; today: number }>(
    c,
    `SELECT COALESCE(SUM(cost_micros) FILTER (WHERE created_at >= $2::int8), 0)::int8 AS month,
      COALESCE(SUM(cost_micros) FILTER (WHERE created_at >= $4::int8), 0)::int8 AS today
    FROM model_calls WHERE member = $1 AND created_at >= LEAST($2::int8, $4::int8) AND created_at < GREATEST($3::int8, $5::int8)`,
    [o.member, month.startMs, month.endMs, day.startMs, day.endMs],
  );
  const team = shapeSpendStats(
    o.caps,
    o.nowMs,
    {
      settledMonth: settled,
      settledToday: await settledIn(c, day.startMs, day.endMs),
      reserved: totals!.reserved,
      reservations: totals!.n,
      jobs: totals!.jobs,
      running: totals!.running,
      byModel,
      byKind,
      savings: {
        jobs: s?.n ?? 0,
        savedUsd: s?.saved ?? 0,
        callerTokensAvoided: s?.avoided ?? 0,
        transcriptBytes: s?.tb ?? 0,
        returnedBytes: s?.rb ?? 0,
      },
    },
    { thresholds: o.thresholds, breaker: o.breaker },
  );
  // the member's own cap, or the team's when tighter (core/budget.ts remainingMicros for both)
  const memberLeft =
    o.memberCap === null
      ? null
      : Math.min(
          remainingMicros({
            cap: 'monthly',
            limitMicros: o.caps.monthlyMicros,
            settledMicros: settled,
            reservedMicros: totals!.reserved,
          }),
          remainingMicros({
            cap: 'member',
            limitMicros: o.memberCap,
            settledMicros: me!.month,
            reservedMicros: totals!.mine,
          }),
        );
  return {
    ...team,
    member: {
      name: o.member,
      current_month: microsToUsd(me!.month),
      today: microsToUsd(me!.today),
      reserved: microsToUsd(totals!.mine),
      monthly_cap: o.memberCap === null ? null : microsToUsd(o.memberCap),
      remaining: memberLeft === null ? null : microsToUsd(memberLeft),
    },
    by_member: byMember,
  };
}

/** Settled spend per UTC day of the month of `nowMs`, oldest first, zeros included (computeDailySpend's contract). */
export async function pgDailySpend(c: Q, nowMs: number): Promise<Array<{ day: string; cost_usd: number }>> {
  const month = monthPeriod(nowMs);
  const sums = new Map<number, number>();
  for (const r of await rowsOf<{ d: number; cost: number }>(
    c,
    `SELECT (created_at / ${DAY_MS})::int8 AS d, SUM(cost_micros)::int8 AS cost FROM model_calls
    WHERE created_at >= $1 AND created_at < $2 GROUP BY 1`,
    [month.startMs, month.endMs],
  ))
    sums.set(r.d * DAY_MS, r.cost);
  return dailySeries(nowMs, sums);
}

/** Every member with a job, a call or a cap at `nowMs`, sorted by name (MemberRecord's fields). */
export async function pgListMembers(c: Q, nowMs: number): Promise<MemberRecord[]> {
  const month = monthPeriod(nowMs);
  const rows = await rowsOf<{
    member: string;
    cap: number | null;
    month: number;
    reserved: number;
    jobs: number;
    last_seen: number | null;
    machines: string[];
  }>(
    c,
    `WITH names AS (SELECT member FROM members UNION SELECT member FROM jobs WHERE member IS NOT NULL
        UNION SELECT member FROM model_calls WHERE member IS NOT NULL)
    SELECT n.member, m.monthly_cap_micros AS cap,
      (SELECT COALESCE(SUM(cost_micros), 0)::int8 FROM model_calls WHERE member = n.member AND created_at >= $1 AND created_at < $2) AS month,
      (SELECT COALESCE(SUM(micros), 0)::int8 FROM reservations WHERE member = n.member) AS reserved,
      (SELECT COUNT(*) FROM jobs WHERE member = n.member) AS jobs,
      GREATEST((SELECT MAX(updated_at) FROM jobs WHERE member = n.member), (SELECT MAX(created_at) FROM model_calls WHERE member = n.member)) AS last_seen,
      ARRAY(SELECT machine FROM jobs WHERE member = n.member AND machine IS NOT NULL
        UNION SELECT machine FROM model_calls WHERE member = n.member AND machine IS NOT NULL ORDER BY 1) AS machines
    FROM names n LEFT JOIN members m ON m.member = n.member ORDER BY n.member`,
    [month.startMs, month.endMs],
  );
  return rows.map((r) => ({
    member: r.member,
    monthly_cap: r.cap === null ? null : microsToUsd(r.cap),
    current_month: microsToUsd(r.month),
    reserved: microsToUsd(r.reserved),
    jobs: r.jobs,
    last_seen: r.last_seen === null ? null : new Date(r.last_seen).toISOString(),
    machines: r.machines,
  }));
}
