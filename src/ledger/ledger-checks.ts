/** Checks and probes of the sql.js ledger (sqlite-ledger.ts): caps and token counts, a process's liveness, the in-flight wait's error. */
import { assertMicros } from '../core/money';
import type { LedgerCaps, SettleInput } from './ledger';

/** Thrown when no in-flight slot freed up within `inFlightWaitMs`; nothing is held. */
export class InFlightLimitError extends Error {
  override name = 'InFlightLimitError';
}

/** True when a process with this pid exists (signal 0 probes without signalling; EPERM means it exists). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
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
