import type { Config } from './config';
import { assertMicros, formatUsd, usdToMicros, type Micros } from './money';

/** Caps the ledger enforces at reservation time, µUSD; `dailyMicros` null means no daily cap. */
export interface Caps {
  monthlyMicros: Micros;
  dailyMicros: Micros | null;
}

/**
 * The one place a config's budget becomes ledger caps: MONTHLY_BUDGET and DAILY_BUDGET
 * (`offload.monthlyBudgetUsd`, `offload.dailyBudgetUsd`), USD, to µUSD. Used by the app, the
 * extension host (caps changed in settings) and `doctor`.
 */
export function capsOf(config: Pick<Config, 'monthlyBudgetUsd' | 'dailyBudgetUsd'>): Caps {
  return {
    monthlyMicros: usdToMicros(config.monthlyBudgetUsd),
    dailyMicros: config.dailyBudgetUsd !== undefined ? usdToMicros(config.dailyBudgetUsd) : null,
  };
}

/** Which cap refused an admission; 'member' is a team member's own monthly cap (team ledger), 'breaker' the circuit breaker (BreakerOpenError, src/core/breaker.ts). */
export type CapKind = 'monthly' | 'daily' | 'member' | 'job' | 'breaker';

/**
 * Thrown when a reservation would pass a cap. The message says what remains and what was needed,
 * in USD; the fields carry the same in µUSD for callers that shape results.
 */
export class BudgetExceededError extends Error {
  override name = 'BudgetExceededError';
  constructor(
    readonly cap: CapKind,
    readonly remainingMicros: Micros,
    readonly neededMicros: Micros,
    readonly capMicros: Micros,
  ) {
    super(
      `${cap} budget exceeded: ${formatUsd(Math.max(0, remainingMicros))} of ${formatUsd(capMicros)} remains, this call needs up to ${formatUsd(neededMicros)}`,
    );
  }
}

/** One cap to check: its limit and what is already settled and reserved against it, µUSD. */
export interface CapUsage {
  cap: CapKind;
  limitMicros: Micros;
  settledMicros: Micros;
  reservedMicros: Micros;
}

/** What a cap still admits, µUSD: limit − settled − reserved, never below 0. */
export function remainingMicros(c: CapUsage): Micros {
  return Math.max(0, c.limitMicros - c.settledMicros - c.reservedMicros);
}

/**
 * The admission rule (DESIGN.md, money rules): admit only if settled + reserved + need ≤ cap,
 * for every cap, in integer µUSD. Throws BudgetExceededError for the first cap that would be
 * passed, RangeError when `needMicros` is not an integer ≥ 0.
 */
export function admit(caps: readonly CapUsage[], needMicros: Micros): void {
  assertMicros(needMicros, 'needMicros');
  for (const c of caps) {
    const remaining = c.limitMicros - c.settledMicros - c.reservedMicros;
    if (needMicros > remaining) throw new BudgetExceededError(c.cap, remaining, needMicros, c.limitMicros);
  }
}
