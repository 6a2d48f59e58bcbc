/** The options every sql.js ledger takes (openLedger, openMemoryLedger; src/ledger/sqlite-ledger.ts). */
import type { BreakerPolicy } from '../core/breaker';
import type { Timers } from '../core/timers';
import type { Identity, LedgerCaps } from './ledger';

/** Options of every ledger. */
export interface LedgerOptions {
  /** Caps enforced by reserve(), µUSD. Each process enforces its own caps against the shared spend. */
  caps: LedgerCaps;
  /** Epoch ms; stamps rows and picks the UTC month/day windows. Default Date.now. */
  clock?: () => number;
  /** Recorded on reservations, to find those of dead processes. Default process.pid. */
  pid?: number;
  /** Reservation ids. Default crypto.randomUUID. */
  newId?: () => string;
  /** The breaker's spend rules and cooldown. Default DEFAULT_BREAKER_POLICY. */
  breaker?: BreakerPolicy;
  /** Warning thresholds reported by spendStats, percent of the monthly cap. Default 80, 95. */
  warnThresholds?: number[];
  /**
   * MAX_OPENAI_CONCURRENCY counted across processes: at most this many reservations (paid calls in
   * flight) in the whole ledger; reserve waits for a free slot. Default: no limit.
   */
  maxInFlight?: number;
  /** How long reserve waits for a free slot before throwing InFlightLimitError, ms. Default 10 minutes. */
  inFlightWaitMs?: number;
  /** Whether a process still runs (requestCancel's check of a job's process). Default processAlive. */
  isAlive?: (pid: number) => boolean;
  /**
   * The clock reserve's wait for a free in-flight slot runs on (its sleeps, its inFlightWaitMs and
   * its orphan check every 2 s; a file ledger's lock waits too). Default globalThis.
   */
  timers?: Timers;
  /** Who this process spends as. Default identityOf() (src/ledger/identity.ts): OS user at host, host name. */
  identity?: Identity;
}
