/**
 * Budget windows: the calendar month and the calendar day, in UTC (DESIGN.md, money rules: "the
 * month is the calendar month in UTC"). All instants are epoch milliseconds; a window is the
 * half-open interval [start, end). Pure functions, no clock of their own.
 */

/** A half-open window [startMs, endMs) of epoch ms. */
export interface Period {
  startMs: number;
  endMs: number;
}

function check(nowMs: number): void {
  if (!Number.isFinite(nowMs)) throw new RangeError(`time must be finite epoch ms, got ${nowMs}`);
}

/** Epoch ms of 00:00:00.000 UTC on the 1st of the month containing `nowMs`. Throws RangeError on NaN/∞. */
export function monthStart(nowMs: number): number {
  check(nowMs);
  const d = new Date(nowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1);
}

/** Epoch ms of 00:00:00.000 UTC on the 1st of the month after the one containing `nowMs` (December rolls to January). */
export function nextMonthStart(nowMs: number): number {
  check(nowMs);
  const d = new Date(nowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 1);
}

/** Epoch ms of 00:00:00.000 UTC of the day containing `nowMs`. */
export function dayStart(nowMs: number): number {
  check(nowMs);
  const d = new Date(nowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
}

/** Epoch ms of 00:00:00.000 UTC of the day after the one containing `nowMs`. */
export function nextDayStart(nowMs: number): number {
  check(nowMs);
  const d = new Date(nowMs);
  return Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + 1);
}

/** The UTC calendar month containing `nowMs`, as [monthStart, nextMonthStart). */
export function monthPeriod(nowMs: number): Period {
  return { startMs: monthStart(nowMs), endMs: nextMonthStart(nowMs) };
}

/** The UTC calendar day containing `nowMs`, as [dayStart, nextDayStart). */
export function dayPeriod(nowMs: number): Period {
  return { startMs: dayStart(nowMs), endMs: nextDayStart(nowMs) };
}

/** "YYYY-MM" label of the UTC month containing `nowMs`, e.g. "2025-06" (what get_spend_stats reports as `month`). */
export function monthLabel(nowMs: number): string {
  check(nowMs);
  const d = new Date(nowMs);
  return `${String(d.getUTCFullYear()).padStart(4, '0')}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}
