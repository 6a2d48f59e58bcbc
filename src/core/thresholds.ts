/**
 * Budget warning thresholds (DESIGN.md: warnings at 80% and 95%, separate from the hard cap).
 * Percentages of the monthly cap, 0–100. Crossing one only warns; the cap and the breaker refuse.
 */
import { usd } from '../shared/usd';

/** Default warning thresholds, percent of the monthly cap. */
export const DEFAULT_WARN_THRESHOLDS: readonly number[] = [80, 95];

/** The thresholds (sorted ascending, deduplicated) that `percentageUsed` (0–100) has reached. */
export function thresholdsCrossed(percentageUsed: number, thresholds: readonly number[]): number[] {
  return normalizeThresholds(thresholds).filter((t) => percentageUsed >= t);
}

/** Sorted ascending, without duplicates. Throws RangeError for a value outside (0, 100]. */
export function normalizeThresholds(thresholds: readonly number[]): number[] {
  for (const t of thresholds) {
    if (!Number.isFinite(t) || t <= 0 || t > 100)
      throw new RangeError(`warning thresholds are percentages in (0, 100], got ${t}`);
  }
  return [...new Set(thresholds)].sort((a, b) => a - b);
}

/** One budget warning to show: the threshold (percent) and how loudly (the highest threshold is an error). */
export interface ThresholdNotice {
  threshold: number;
  level: 'warning' | 'error';
}

/**
 * What a host announces after reading spend stats: every crossed threshold not yet announced this
 * month is to be remembered (`remember`), but only the highest of them is shown (`notice`), so a
 * jump from 70% to 97% gives one error, not a warning and an error. The highest configured
 * threshold is `error` level, the others `warning`. `crossed` and `announced` are percents for
 * the same month (SpendStats.thresholds_crossed; the host's memory of what it showed).
 */
export function thresholdsToAnnounce(
  thresholds: readonly number[],
  crossed: readonly number[],
  announced: readonly number[],
): { notice: ThresholdNotice | null; remember: number[] } {
  const all = normalizeThresholds(thresholds);
  const remember = normalizeThresholds(crossed).filter((t) => !announced.includes(t));
  const top = remember.at(-1);
  if (top === undefined) return { notice: null, remember };
  return { notice: { threshold: top, level: top === all.at(-1) ? 'error' : 'warning' }, remember };
}

/**
 * The notification text for `notice`: percent reached, spend and cap (USD, 2 decimals), and what
 * happens at the cap. `spentUsd`/`capUsd` are SpendStats.current_month / total_budget.
 */
export function thresholdMessage(notice: ThresholdNotice, month: string, spentUsd: number, capUsd: number): string {
  return (
    `Offload: ${notice.threshold}% of the ${month} budget is spent (${usd(spentUsd)} of ${usd(capUsd)}). ` +
    'Paid jobs are refused once the cap is reached.'
  );
}
