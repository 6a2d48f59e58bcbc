import type { BreakerRecord } from '../core/breaker';
import { remainingMicros, type CapKind } from '../core/budget';
import { microsToUsd, type Micros } from '../core/money';
import { DEFAULT_WARN_THRESHOLDS, normalizeThresholds, thresholdsCrossed } from '../core/thresholds';
import { dayPeriod, monthLabel, monthPeriod } from '../core/period';
import type { BudgetLeft, LedgerCaps, SpendStats } from './ledger';
import { reservedTotal, settledIn } from './queries';
import { all, num } from './rows';
import type { Database } from './sqljs';

/** Percentage of `cap` that `used` is, clamped to 0–100, two decimals. A cap of 0 is fully used. */
export function percentageUsed(used: Micros, cap: Micros): number {
  if (cap <= 0) return 100;
  return Math.min(100, Math.max(0, Math.round((used / cap) * 10_000) / 100));
}

/**
 * What the caps still admit at `nowMs` (BudgetLeft, µUSD): for the UTC month and, with a daily cap,
 * the UTC day, cap − settled in it − reserved in flight, never below 0. Three statements on
 * spend_hours and reservations, whatever the number of jobs.
 */
export function computeBudgetLeft(db: Database, caps: LedgerCaps, nowMs: number): BudgetLeft {
  const reserved = reservedTotal(db);
  const left = (cap: CapKind, limitMicros: Micros, settledMicros: Micros) =>
    remainingMicros({ cap, limitMicros, settledMicros, reservedMicros: reserved });
  return {
    monthlyMicros: left('monthly', caps.monthlyMicros, settledIn(db, monthPeriod(nowMs))),
    dailyMicros: caps.dailyMicros === null ? null : left('daily', caps.dailyMicros, settledIn(db, dayPeriod(nowMs))),
  };
}

/**
 * The get_spend_stats summary at `nowMs` (UTC windows; all sums in µUSD, reported in USD):
 * - `current_month`: spend settled this calendar month; `today`: settled this UTC day;
 * - `remaining`: what a new reservation could still take from the monthly cap,
 *   cap − settled this month − reserved in flight, never below 0 (remainingMicros, as computeBudgetLeft);
 * - `percentage_used`: settled this month over the monthly cap, 0–100;
 * - `reserved` / `reservations_in_flight`: held by live reservations;
 * - `by_model`: this month's calls per model; `by_kind`: jobs created this month per kind, with
 *   the spend settled this month by jobs of that kind; `jobs`: all jobs ever, and those running;
 * - `savings`: the savings receipts of this month's jobs, summed (count, saved_usd, tokens, bytes);
 * - `thresholds` / `thresholds_crossed`: the warning thresholds (percent) and those reached;
 * - `breaker`: the breaker record given in `extra` (closed when none is given).
 * The member's own figures and `by_member` come from memberStats (members.ts).
 */
export function computeSpendStats(
  db: Database,
  caps: LedgerCaps,
  nowMs: number,
  extra: { thresholds?: readonly number[]; breaker?: BreakerRecord } = {},
): Omit<SpendStats, 'member' | 'by_member'> {
  const month = monthPeriod(nowMs);

  const byModel: SpendStats['by_model'] = {};
  for (const r of all(
    db,
    `SELECT model, SUM(cost_micros) AS cost, COUNT(*) AS calls, SUM(input_tokens) AS i,
      SUM(output_tokens) AS o, SUM(cache_read_tokens) AS c FROM model_calls
      WHERE created_at >= ? AND created_at < ? GROUP BY model ORDER BY model`,
    [month.startMs, month.endMs],
  )) {
    byModel[String(r.model)] = {
      cost_usd: microsToUsd(Number(r.cost)),
      calls: Number(r.calls),
      input_tokens: Number(r.i),
      output_tokens: Number(r.o),
      cache_read_tokens: Number(r.c),
    };
  }

  const byKind: SpendStats['by_kind'] = {};
  const kind = (k: unknown) => (byKind[String(k)] ??= { cost_usd: 0, jobs: 0 });
  for (const r of all(
    db,
    'SELECT kind, COUNT(*) AS n FROM jobs WHERE created_at >= ? AND created_at < ? GROUP BY kind',
    [month.startMs, month.endMs],
  )) {
    kind(r.kind).jobs = Number(r.n);
  }
  for (const r of all(
    db,
    `SELECT j.kind AS kind, SUM(c.cost_micros) AS cost FROM model_calls c JOIN jobs j ON j.id = c.job_id
      WHERE c.created_at >= ? AND c.created_at < ? GROUP BY j.kind`,
    [month.startMs, month.endMs],
  )) {
    kind(r.kind).cost_usd = microsToUsd(Number(r.cost));
  }

  // Receipts live in each terminal job's result_json (written once by the engine), so no column is needed.
  const s =
    all(
      db,
      `SELECT COUNT(*) AS n, SUM(json_extract(result_json, '$.savings.saved_usd')) AS saved,
      SUM(json_extract(result_json, '$.savings.caller_tokens_avoided')) AS avoided, SUM(json_extract(result_json, '$.savings.transcript_bytes')) AS tb,
      SUM(json_extract(result_json, '$.savings.returned_bytes')) AS rb FROM jobs
      WHERE created_at >= ? AND created_at < ? AND json_extract(result_json, '$.savings') IS NOT NULL`,
      [month.startMs, month.endMs],
    )[0] ?? {};

  return shapeSpendStats(
    caps,
    nowMs,
    {
      settledMonth: settledIn(db, month),
      settledToday: settledIn(db, dayPeriod(nowMs)),
      reserved: reservedTotal(db),
      reservations: num(db, 'SELECT COUNT(*) FROM reservations'),
      jobs: num(db, 'SELECT COUNT(*) FROM jobs'),
      running: num(db, "SELECT COUNT(*) FROM jobs WHERE status = 'running'"),
      byModel,
      byKind,
      savings: {
        jobs: Number(s.n ?? 0),
        savedUsd: Number(s.saved ?? 0),
        callerTokensAvoided: Number(s.avoided ?? 0),
        transcriptBytes: Number(s.tb ?? 0),
        returnedBytes: Number(s.rb ?? 0),
      },
    },
    extra,
  );
}

/** What a backend sums for get_spend_stats (µUSD, counts; by model and kind already in USD), before shapeSpendStats. */
export interface SpendSums {
  settledMonth: Micros;
  settledToday: Micros;
  reserved: Micros;
  reservations: number;
  jobs: number;
  running: number;
  byModel: SpendStats['by_model'];
  byKind: SpendStats['by_kind'];
  savings: {
    jobs: number;
    savedUsd: number;
    callerTokensAvoided: number;
    transcriptBytes: number;
    returnedBytes: number;
  };
}

/**
 * The team's get_spend_stats figures from a backend's sums at `nowMs` (the fields computeSpendStats
 * lists): the one place both backends (this file, postgres/stats.ts) turn sums into the summary —
 * `remaining` by remainingMicros (core/budget.ts), the percentage, thresholds and the breaker.
 */
export function shapeSpendStats(
  caps: LedgerCaps,
  nowMs: number,
  sums: SpendSums,
  extra: { thresholds?: readonly number[]; breaker?: BreakerRecord } = {},
): Omit<SpendStats, 'member' | 'by_member'> {
  const percentage = percentageUsed(sums.settledMonth, caps.monthlyMicros);
  const thresholds = normalizeThresholds(extra.thresholds ?? DEFAULT_WARN_THRESHOLDS);
  const b = extra.breaker;
  const remaining = remainingMicros({
    cap: 'monthly',
    limitMicros: caps.monthlyMicros,
    settledMicros: sums.settledMonth,
    reservedMicros: sums.reserved,
  });
  return {
    month: monthLabel(nowMs),
    current_month: microsToUsd(sums.settledMonth),
    total_budget: microsToUsd(caps.monthlyMicros),
    remaining: microsToUsd(remaining),
    percentage_used: percentage,
    today: microsToUsd(sums.settledToday),
    daily_budget: caps.dailyMicros === null ? null : microsToUsd(caps.dailyMicros),
    reserved: microsToUsd(sums.reserved),
    reservations_in_flight: sums.reservations,
    by_model: sums.byModel,
    by_kind: sums.byKind,
    jobs: { total: sums.jobs, running: sums.running },
    savings: {
      jobs: sums.savings.jobs,
      saved_usd: Number(sums.savings.savedUsd.toFixed(6)),
      caller_tokens_avoided: sums.savings.callerTokensAvoided,
      transcript_bytes: sums.savings.transcriptBytes,
      returned_bytes: sums.savings.returnedBytes,
    },
    thresholds,
    thresholds_crossed: thresholdsCrossed(percentage, thresholds),
    breaker: {
      state: b?.state ?? 'closed',
      reason: b?.reason ?? null,
      detail: b?.detail ?? null,
      since: b?.since != null ? new Date(b.since).toISOString() : null,
    },
  };
}

/** One UTC day, ms (dailySpend's buckets, both backends). */
export const DAY_MS = 86_400_000;

/** "YYYY-MM-DD" of the UTC day starting at `dayStartMs`. */
function dayLabel(dayStartMs: number): string {
  return new Date(dayStartMs).toISOString().slice(0, 10);
}

/**
 * Spend settled per UTC day of the month containing `nowMs`, oldest first: every day from the 1st
 * up to today, zeros included (and up to the last day holding spend, should another process's
 * clock be ahead, so the sum always equals `current_month`). Summed in SQL from spend_hours, the
 * rows `current_month` sums (a UTC day is whole hours, so it is exactly settledIn of that day).
 * Only settled model calls count: in-flight reservations are not spend (get_spend_stats reports
 * them as `reserved`). USD, 6 decimals.
 */
export function computeDailySpend(db: Database, nowMs: number): Array<{ day: string; cost_usd: number }> {
  const month = monthPeriod(nowMs);
  const sums = new Map<number, number>();
  for (const r of all(
    db,
    `SELECT hour_start / ${DAY_MS} AS d, SUM(cost_micros) AS cost FROM spend_hours
      WHERE hour_start >= ? AND hour_start < ? GROUP BY d`,
    [month.startMs, month.endMs],
  )) {
    sums.set(Number(r.d) * DAY_MS, Number(r.cost));
  }
  return dailySeries(nowMs, sums);
}

/**
 * The days of the month of `nowMs` from the 1st up to today (or the last day in `sums`), oldest
 * first, zeros included: `sums` maps a UTC day's start (epoch ms) to its settled µUSD; USD, 6
 * decimals. Both backends' dailySpend end here (postgres/stats.ts too).
 */
export function dailySeries(
  nowMs: number,
  sums: ReadonlyMap<number, Micros>,
): Array<{ day: string; cost_usd: number }> {
  const month = monthPeriod(nowMs);
  const last = Math.max(dayPeriod(nowMs).startMs, ...sums.keys());
  const out: Array<{ day: string; cost_usd: number }> = [];
  for (let d = month.startMs; d <= last; d += DAY_MS)
    out.push({ day: dayLabel(d), cost_usd: Number(microsToUsd(sums.get(d) ?? 0).toFixed(6)) });
  return out;
}
