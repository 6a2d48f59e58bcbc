/** Argument checks every ledger backend applies before it writes (sql.js and PostgreSQL alike), and the in-flight wait's error. */
import { assertMicros } from '../core/money';
import type { LedgerCaps, SettleInput } from './ledger';

/** Thrown when no in-flight slot freed up within `inFlightWaitMs`; nothing is held. */
export class InFlightLimitError extends Error {
  override name = 'InFlightLimitError';
}

/** A copy of `caps` after checking them. Throws RangeError for a cap that is not an integer ≥ 0 (µUSD). */
export function assertCaps(caps: LedgerCaps): LedgerCaps {
  assertMicros(caps.monthlyMicros, 'caps.monthlyMicros');
  if (caps.dailyMicros !== null) assertMicros(caps.dailyMicros, 'caps.dailyMicros');
  return { ...caps };
}

/** Throws RangeError unless the settle's cost is integer µUSD ≥ 0 and every token count an integer ≥ 0. */
export function assertSettleInput(input: SettleInput): void {
  assertMicros(input.costMicros, 'costMicros');
  for (const [k, v] of Object.entries(input.usage)) {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new RangeError(`usage.${k} must be an integer token count ≥ 0, got ${v}`);
  }
}
