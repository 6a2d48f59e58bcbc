/** Checks and probes of the sql.js ledger (sqlite-ledger.ts): caps and token counts, the in-flight wait's error (a process's liveness is process-alive.ts). */
import { assertMicros } from '../core/money';
import type { LedgerCaps, SettleInput } from './ledger';

/** Thrown when no in-flight slot freed up within `inFlightWaitMs`; nothing is held. */
export class InFlightLimitError extends Error {
  override name = 'InFlightLimitError';
}

/** The caps, copied, after checking each is integer µUSD ≥ 0. Throws RangeError naming the cap. */
export function assertCaps(caps: LedgerCaps): LedgerCaps {
  assertMicros(caps.monthlyMicros, 'caps.monthlyMicros');
  if (caps.dailyMicros !== null) assertMicros(caps.dailyMicros, 'caps.dailyMicros');
  return { ...caps };
}

/** Throws RangeError for a token count that is not an integer ≥ 0. */
export function assertTokens(input: SettleInput): void {
  for (const [k, v] of Object.entries(input.usage)) {
    if (!Number.isSafeInteger(v) || v < 0)
      throw new RangeError(`usage.${k} must be an integer token count ≥ 0, got ${v}`);
  }
}
