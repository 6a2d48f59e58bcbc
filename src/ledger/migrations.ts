import { SCHEMA_VERSION, MIGRATIONS } from './schema';
import type { Database } from './sqljs';

/** Thrown when a ledger file was written by a newer Offload (a higher schema version): it is left untouched. */
export class LedgerVersionError extends Error {
  override name = 'LedgerVersionError';
  constructor(readonly found: number, readonly supported: number) {
    super(`ledger schema version ${found} is newer than this Offload supports (${supported}); update Offload, the ledger was not changed`);
  }
}

/** The schema version stored in the database (PRAGMA user_version; 0 for a new or empty file). */
export function schemaVersion(db: Database): number {
  const rows = db.exec('PRAGMA user_version');
  return Number(rows[0]?.values[0]?.[0] ?? 0);
}

/**
 * Brings `db` to SCHEMA_VERSION by running the missing migrations in order, all in one
 * transaction (all or nothing). Returns the version found before, so callers know whether to
 * persist. Throws LedgerVersionError for a newer file, or the SQL error of a failed migration
 * (after rolling back).
 */
export function migrate(db: Database): number {
  const found = schemaVersion(db);
  if (found > SCHEMA_VERSION) throw new LedgerVersionError(found, SCHEMA_VERSION);
  if (found === SCHEMA_VERSION) return found;
  db.run('BEGIN IMMEDIATE');
  try {
    for (let v = found; v < SCHEMA_VERSION; v++) db.exec(MIGRATIONS[v] ?? '');
    db.run(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.run('COMMIT');
  } catch (err) {
    db.run('ROLLBACK');
    throw err;
  }
  return found;
}
