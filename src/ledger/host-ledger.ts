/** The ledger interface of a host: Ledger plus the operations of app.ts and the engine. */
import type { LedgerCaps, Ledger, Reservation } from './ledger';

/**
 * The Ledger a host (app.ts) holds: the shared contract plus the operations the composition root
 * and the engine need. Both backends implement it: the sql.js file ledger (sqlite-ledger.ts) and
 * the team ledger on PostgreSQL (postgres/).
 */
export interface HostLedger extends Ledger {
  /** The caps reserve() enforces now, µUSD. */
  readonly caps: LedgerCaps;
  /** Replaces the caps (a setting changed). Throws RangeError for a cap that is not an integer ≥ 0. */
  setCaps(caps: LedgerCaps): void;
  /** All live reservations, oldest first. */
  listReservations(): Promise<Reservation[]>;
  /**
   * Settles the reservations of processes that are gone (`isAlive(pid)` false; never this
   * ledger's own pid) at their full held amount with status 'orphaned': the call may have been
   * billed, so the worst case is charged rather than the budget silently freed. Its queued or running
   * jobs end `failed` but those waiting for their start (for adoptWaiting). Returns how many were reclaimed.
   */
  reclaimOrphans(isAlive: (pid: number) => boolean): Promise<number>;
  /**
   * Takes the jobs dead processes left waiting for their off-peak start for this pid, or ends them
   * `failed` past their deadline on `clockNow` (epoch ms, the engine's clock): orphans.ts
   * adoptWaitingIn. Writes only when a read finds one. Resolves with the adopted job ids, oldest first.
   */
  adoptWaiting(isAlive: (pid: number) => boolean, clockNow: number): Promise<string[]>;
  /** Spend settled in [startMs, endMs), µUSD (the breaker's drift rule compares it with the provider's costs). */
  settledBetween(startMs: number, endMs: number): Promise<number>;
}
