/**
 * Budget warning thresholds (DESIGN.md: warnings at 80% and 95%, separate from the hard cap).
 * Percentages of the monthly cap, 0–100. Crossing one only warns; the cap and the breaker refuse.
 */

/** Default warning thresholds, percent of the monthly cap. */
export const DEFAULT_WARN_THRESHOLDS: readonly number[] = [80, 95];

/** The thresholds (sorted ascending, deduplicated) that `percentageUsed` (0–100) has reached. */
export function thresholdsCrossed(percentageUsed: number, thresholds: readonly number[]): number[] {
  return normalizeThresholds(thresholds).filter((t) => percentageUsed >= t);
}

/** Sorted ascending, without duplicates. Throws RangeError for a value outside (0, 100]. */
export function normalizeThresholds(thresholds: readonly number[]): number[] {
  for (const t of thresholds) {
    if (!Number.isFinite(t) || t <= 0 || t > 100) throw new RangeError(`warning thresholds are percentages in (0, 100], got ${t}`);
  }
  return [...new Set(thresholds)].sort((a, b) => a - b);
}
