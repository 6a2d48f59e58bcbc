import type { Config } from '../core/config';
import { identityOf } from './identity';
import { openLedger, type FileLedgerOptions, type HostLedger } from './sqlite-ledger';

/** The config fields that choose and reach the ledger. */
export type LedgerConfig = Pick<Config, 'ledgerPath' | 'ledgerUrl' | 'ledgerPassword' | 'member' | 'machine'>;

/**
 * Opens the ledger the config names: the team ledger on PostgreSQL when `ledgerUrl` is set
 * (OFFLOAD_LEDGER=postgres://…, offload.ledgerUrl; its password from `ledgerPassword`), else the
 * sql.js file at `ledgerPath`. Either way rows and reservations are attributed to `opts.identity`,
 * or else to `identityOf(config.member, config.machine)` (OFFLOAD_MEMBER, OFFLOAD_MACHINE).
 * Throws what openLedger throws (LedgerFileError, LedgerDamageError, LedgerVersionError,
 * RangeError); for a team ledger, Error while this build has no PostgreSQL backend.
 */
export async function openLedgerFromConfig(config: LedgerConfig, opts: FileLedgerOptions): Promise<HostLedger> {
  const identity = opts.identity ?? identityOf(config.member, config.machine);
  if (config.ledgerUrl !== undefined) {
    // wired to openPostgresLedger (src/ledger/postgres/open.ts) when the PostgreSQL backend lands
    throw new Error(
      'OFFLOAD_LEDGER names a team ledger (postgres://…), but team ledger support is not built in this branch; unset OFFLOAD_LEDGER (or offload.ledgerUrl) to use the local ledger file',
    );
  }
  return openLedger(config.ledgerPath, { ...opts, identity });
}
