/** Argument checks every ledger backend applies before it writes (sql.js and PostgreSQL alike), and the in-flight wait's error. */
import { TERMINAL_STATUSES, type JobStatus } from '../core/jobs';
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

/**
 * Throws Error unless `job` (the row of job `jobId`, or null/undefined, or with a null status, when
 * there is no such job) exists and has not ended: reserve's rule for the job a paid call is for, on
 * both backends.
 */
export function assertReservable<T extends { status?: unknown }>(
  jobId: string,
  job: T | null | undefined,
): asserts job is T {
  if (!job?.status) throw new Error(`unknown job ${jobId}: create the job before reserving for it`);
  if (TERMINAL_STATUSES.has(job.status as JobStatus))
    throw new Error(`job ${jobId} is ${String(job.status)}; it may not start paid calls`);
}

/** What settle throws for a reservation that is neither live nor settled (released, or never taken). */
export function unknownReservationError(reservationId: string): Error {
  return new Error(`unknown reservation ${reservationId}: it was released or never taken, so this spend has no job`);
}
