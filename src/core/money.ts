/**
 * Money is counted in integer micro-USD (1 USD = 1,000,000 µUSD) everywhere it is stored or
 * compared; floating point is for display only (DESIGN.md, money rules). The price table returns
 * values like 0.9900000000000001, so every conversion into micros rounds, and cost estimates
 * round up so that a reservation is never smaller than the charge it covers.
 */
import { usd } from '../shared/usd';

export type Micros = number;

export const MICROS_PER_USD = 1_000_000;

/** USD (float) to micro-USD, rounded to the nearest micro. Throws RangeError on NaN/negative/∞. */
export function usdToMicros(usd: number): Micros {
  if (!Number.isFinite(usd) || usd < 0) throw new RangeError(`amount must be a finite USD value ≥ 0, got ${usd}`);
  return Math.round(usd * MICROS_PER_USD) + 0; // + 0 turns -0 into 0
}

/** USD (float) to micro-USD, rounded up: for worst-case reservations. */
export function usdToMicrosCeil(usd: number): Micros {
  if (!Number.isFinite(usd) || usd < 0) throw new RangeError(`amount must be a finite USD value ≥ 0, got ${usd}`);
  // Strip float noise before ceil so 0.9900000000000001 USD is 990000 µUSD, not 990001.
  return Math.ceil(Number((usd * MICROS_PER_USD).toFixed(3))) + 0;
}

/** True for a valid stored amount: a safe integer ≥ 0, µUSD. */
export function isMicros(value: unknown): value is Micros {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0;
}

/** Throws RangeError naming `what` unless `value` is a safe integer ≥ 0 (µUSD). */
export function assertMicros(value: unknown, what: string): asserts value is Micros {
  if (!isMicros(value)) throw new RangeError(`${what} must be an integer amount of µUSD ≥ 0, got ${String(value)}`);
}

/** micro-USD to USD (float), for display and JSON results. */
export function microsToUsd(micros: Micros): number {
  return micros / MICROS_PER_USD;
}

/** µUSD for display, through the one money formatter (src/shared/usd.ts): "$19.77", "$0.0002". */
export function formatUsd(micros: Micros): string {
  return usd(microsToUsd(micros));
}
