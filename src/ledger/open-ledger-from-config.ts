import type { Config } from '../core/config';
import { ledgerLabel } from '../core/ledger-url';
import { identityOf } from './identity';
import { openLedger, type FileLedgerOptions, type HostLedger } from './sqlite-ledger';

/** The config fields that choose and reach the ledger. */
export type LedgerConfig = Pick<
  Config,
  'ledgerPath' | 'ledgerUrl' | 'ledgerPassword' | 'teamAdminKey' | 'member' | 'machine'
>;

/**
 * Opens the ledger the config names: the team ledger on PostgreSQL when `ledgerUrl` is set
 * (OFFLOAD_LEDGER=postgres://…, offload.ledgerUrl; its password from `ledgerPassword`, the team admin key from `teamAdminKey`), else the
 * sql.js file at `ledgerPath`. Either way rows and reservations are attributed to `opts.identity`,
 * or else to `identityOf(config.member, config.machine)` (OFFLOAD_MEMBER, OFFLOAD_MACHINE).
 * Throws what openLedger throws (LedgerFileError, LedgerDamageError, LedgerVersionError,
 * RangeError); for a team ledger what openPostgresLedger throws (the driver's connection error,
 * TeamSchemaVersionError for a database newer than this Offload).
 */
export async function openLedgerFromConfig(config: LedgerConfig, opts: FileLedgerOptions): Promise<HostLedger> {
  const identity = opts.identity ?? identityOf(config.member, config.machine);
  if (config.ledgerUrl !== undefined) {
    // Loaded only for a team ledger: the pg driver stays out of a local ledger's start-up.
    const { openPostgresLedger, TeamSchemaVersionError } = await import('./postgres/open');
    try {
      return await openPostgresLedger(config.ledgerUrl, {
        ...opts,
        identity,
        password: config.ledgerPassword,
        adminKey: config.teamAdminKey,
      });
    } catch (err) {
      if (err instanceof TeamSchemaVersionError || err instanceof RangeError) throw err;
      throw new Error(
        `cannot open the ${ledgerLabel(config)}: ${(err as Error).message}; check OFFLOAD_LEDGER (offload.ledgerUrl), that the server runs and the password (OFFLOAD_LEDGER_PASSWORD_COMMAND or Offload: Set Team Ledger Password)`,
        { cause: err },
      );
    }
  }
  return openLedger(config.ledgerPath, { ...opts, identity });
}
