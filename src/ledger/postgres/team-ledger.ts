/** What the team ledger is and takes: TeamLedger (HostLedger plus the team's caps) and its options. */
import type { BreakerRecord } from '../../core/breaker';
import type { HostLedger } from '../host-ledger';
import type { LedgerOptions } from '../ledger-options';
import type { TeamCaps } from './team-caps';

/** Options of a team ledger: the ledger's, plus the connection's and the leases'. */
export interface PostgresLedgerOptions extends LedgerOptions {
  /** The database password (OFFLOAD_LEDGER_PASSWORD_COMMAND or SecretStorage); default the URL's or PGPASSWORD. */
  password?: string;
  /** Connections in this process's pool. Default 10. */
  poolSize?: number;
  /** Lease of a reservation or job, ms, extended every leaseTtlMs / 3 while this process runs. Default 30,000. */
  leaseTtlMs?: number;
  /** How often this process's sweeper runs, ms. Default leaseTtlMs / 2. */
  sweepMs?: number;
  /** Called with the stored breaker when any process trips or resets it (LISTEN offload_breaker). */
  onBreakerChange?: (record: BreakerRecord) => void;
  /** The team admin key (OFFLOAD_TEAM_ADMIN_KEY): lets this process set caps without an admin role (admin.ts). */
  adminKey?: string;
  /** Where migration notices go, one line each (a skipped privilege step). Default stderr. */
  log?: (line: string) => void;
}

/** The team ledger: HostLedger's operations (so a host holds either), plus the team's caps. */
export interface TeamLedger extends HostLedger {
  /** The caps stored in the database for the whole team, µUSD (null: none). */
  teamCaps(): Promise<TeamCaps>;
  /**
   * Stores the team's caps, µUSD (an admin's act, admin.ts; setMemberCap follows the same rule).
   * Throws RangeError for a cap that is not an integer ≥ 0, AdminRequiredError for a non-admin.
   */
  setTeamCaps(caps: TeamCaps): Promise<void>;
  /**
   * Stores the salted hash of `key` as the team admin key (replacing the old one); only a database
   * admin by role may. Throws AdminRequiredError otherwise, RangeError for a key under 16 characters.
   */
  setAdminKey(key: string): Promise<void>;
}
