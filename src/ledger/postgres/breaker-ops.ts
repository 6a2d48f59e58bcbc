/** Tripping and resetting the team-wide breaker (the Ledger contract's tripBreaker and resetBreaker), each one transaction under the breaker's row lock. */
import type pg from 'pg';
import { closedAt, opened, type BreakerPolicy, type BreakerRecord, type TripReason } from '../../core/breaker';
import { tripReplaces } from '../breaker-store';
import type { BreakerTrip, LedgerCaps } from '../ledger';
import { effectiveBreaker, readBreaker, refreshBreaker, writeBreaker } from './breaker';
import { inTx } from './pool';

/** The effective caps, the policy, the time (epoch ms) and the member acting (logged in breaker_events). */
export interface BreakerContext {
  caps: LedgerCaps;
  policy: BreakerPolicy;
  nowMs: number;
  member: string;
}

/** Opens the breaker for `trip` unless an open record that is harder to undo holds (tripReplaces). Returns the stored record. */
export function tripIn(pool: pg.Pool, trip: BreakerTrip, o: BreakerContext): Promise<BreakerRecord> {
  return inTx(pool, async (c) => {
    const { stored, current } = await effectiveBreaker(c, o.caps, o.policy, o.nowMs, true);
    const next = tripReplaces(current, trip.reason)
      ? opened({ reason: trip.reason, detail: trip.detail, until: trip.until ?? null }, o.nowMs)
      : current;
    await writeBreaker(c, stored, next, o.nowMs, o.member);
    return next;
  });
}

/** Closes the breaker (or only when it is open for `onlyReason`), then re-evaluates it. Returns the stored record. */
export function resetIn(pool: pg.Pool, onlyReason: TripReason | undefined, o: BreakerContext): Promise<BreakerRecord> {
  return inTx(pool, async (c) => {
    const stored = await readBreaker(c, true);
    if (stored.state !== 'closed' && (onlyReason === undefined || stored.reason === onlyReason))
      await writeBreaker(c, stored, closedAt(o.nowMs), o.nowMs, o.member);
    return refreshBreaker(c, o.caps, o.policy, o.nowMs, o.member);
  });
}
