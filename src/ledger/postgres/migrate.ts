/**
 * Brings a team ledger database to TEAM_SCHEMA_VERSION (schema.ts) under a transaction-scoped
 * advisory lock, so members starting at once migrate once: the first takes the lock and applies the
 * missing migrations, the others wait for it, then find nothing to do.
 */
import type pg from 'pg';
import { inTx } from './pool';
import { MIGRATIONS, TEAM_SCHEMA_VERSION } from './schema';

/** pg_advisory_xact_lock key of the migrations (any fixed int8; "offload1" in ASCII). */
const MIGRATION_LOCK = 0x6f66666c6f616431n;

/**
 * Thrown when the database's schema is newer than this Offload knows (another member updated
 * first). Nothing is changed; the message names both versions and the fix.
 */
export class TeamSchemaVersionError extends Error {
  override name = 'TeamSchemaVersionError';
  constructor(
    readonly found: number,
    readonly known: number,
  ) {
    super(`team ledger schema version ${found}, this Offload knows up to ${known}: update Offload`);
  }
}

/**
 * Applies the missing migrations in one transaction (all or nothing) and returns the versions it
 * applied ([] when the database was current); `log` gets a migration's notices (one line each). Throws TeamSchemaVersionError for a newer database,
 * or the SQL error (after rolling back).
 */
export function migrate(pool: pg.Pool, log: (line: string) => void): Promise<number[]> {
  return inTx(pool, async (c) => {
    await c.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK.toString()]);
    // A member may not CREATE in the schema (PostgreSQL 15+), even where IF NOT EXISTS would do nothing.
    const { rows: had } = await c.query<{ t: string | null }>("SELECT to_regclass('schema_migrations') AS t");
    if (!had[0]?.t)
      await c.query(
        'CREATE TABLE IF NOT EXISTS schema_migrations (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
      );
    const { rows } = await c.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
    const found = rows[0]?.v ?? 0;
    if (found > TEAM_SCHEMA_VERSION) throw new TeamSchemaVersionError(found, TEAM_SCHEMA_VERSION);
    const applied: number[] = [];
    for (const m of MIGRATIONS) {
      if (m.version <= found) continue;
      await c.query(m.sql);
      await m.after?.(c, log);
      await c.query('INSERT INTO schema_migrations (version) VALUES ($1)', [m.version]);
      applied.push(m.version);
    }
    return applied;
  });
}
