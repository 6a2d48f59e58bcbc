import { randomUUID } from 'node:crypto';
import type { Database } from './sqljs';

/**
 * The ledger's tables (DESIGN.md: jobs and the spend table, all history kept for auditing).
 * Money is INTEGER µUSD, times are INTEGER epoch ms (UTC), tokens are INTEGER. The version is
 * PRAGMA user_version (stored in the file header, so it travels with the file).
 *
 * SCHEMA is version 10: the ten pre-release migrations squashed before the first release, exactly
 * what they built (same tables, columns in the same order, indexes). A ledger of versions 1–9 is
 * refused with LedgerVersionError naming the fix. Since the first release a change appends a
 * migration to MIGRATIONS instead of editing SCHEMA: a new ledger runs SCHEMA and then every
 * migration, a ledger of an older released version runs the migrations it lacks.
 */
export const SCHEMA = `
  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    agent TEXT,
    model TEXT NOT NULL,
    request_json TEXT NOT NULL,
    result_json TEXT,
    error TEXT,
    created_at INTEGER NOT NULL,
    updated_at INTEGER NOT NULL,
    max_cost_micros INTEGER CHECK (max_cost_micros IS NULL OR max_cost_micros >= 0),
    -- the process that runs the job, so the jobs of a process that died can be ended (reclaimOrphans)
    pid INTEGER,
    -- a cancel asked for by another process, epoch ms; the job's own process polls it and aborts the job
    cancel_requested_at INTEGER
  );
  CREATE INDEX jobs_created_at ON jobs(created_at);
  CREATE INDEX jobs_status ON jobs(status);
  CREATE INDEX jobs_pid_status ON jobs(pid, status);

  CREATE TABLE model_calls (
    id INTEGER PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs(id),
    reservation_id TEXT UNIQUE,
    model TEXT NOT NULL,
    input_tokens INTEGER NOT NULL DEFAULT 0,
    output_tokens INTEGER NOT NULL DEFAULT 0,
    cache_read_tokens INTEGER NOT NULL DEFAULT 0,
    cost_micros INTEGER NOT NULL CHECK (cost_micros >= 0),
    status TEXT NOT NULL,
    route TEXT,
    latency_ms INTEGER,
    created_at INTEGER NOT NULL
  );
  -- covering indexes: the window sums and a job's settled sum read only the index, not a row per call
  CREATE INDEX model_calls_created_at_cost ON model_calls(created_at, cost_micros);
  CREATE INDEX model_calls_job_id_cost ON model_calls(job_id, cost_micros);

  CREATE TABLE reservations (
    id TEXT PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs(id),
    model TEXT NOT NULL,
    micros INTEGER NOT NULL CHECK (micros >= 0),
    pid INTEGER NOT NULL,
    created_at INTEGER NOT NULL
  );
  CREATE INDEX reservations_job_id ON reservations(job_id);

  -- settled spend per UTC hour (µUSD), kept by every model_calls insert (queries.ts addSpend), so the
  -- month and day sums of every admission read at most 744 rows instead of a month of calls
  CREATE TABLE spend_hours (
    hour_start INTEGER PRIMARY KEY,
    cost_micros INTEGER NOT NULL CHECK (cost_micros >= 0)
  );

  -- the circuit breaker, shared by every process (one row), and its history
  CREATE TABLE breaker (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    state TEXT NOT NULL CHECK (state IN ('closed', 'open', 'half-open')),
    reason TEXT,
    detail TEXT,
    opened_at INTEGER,
    until INTEGER,
    trial_id TEXT,
    updated_at INTEGER NOT NULL
  );
  INSERT INTO breaker (id, state, updated_at) VALUES (1, 'closed', 0);
  CREATE TABLE breaker_events (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    detail TEXT
  );

  -- the snapshot's journal generation and what it folded in (journaled-store.ts): lines of
  -- <ledger>.journal apply only to the snapshot whose generation they carry; the previous generation
  -- and its last record tell a journal the snapshot does not continue from an interrupted compaction
  CREATE TABLE journal_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation INTEGER NOT NULL,
    prev_generation INTEGER NOT NULL DEFAULT 0,
    folded_seq INTEGER NOT NULL DEFAULT 0
  );
  INSERT INTO journal_state (id, generation) VALUES (1, 0);
`;

/** The version SCHEMA builds (the last pre-release version); the oldest this code opens and migrates. */
const BASE_VERSION = 10;

/**
 * The migrations since the first release, in order: MIGRATIONS[i] takes a ledger from version
 * BASE_VERSION + i to BASE_VERSION + i + 1 (its SQL, then its `after` step). Each adds columns
 * that are NULL on older rows (ALTER TABLE … ADD COLUMN appends, so the journal's INSERTs, which
 * name their columns, still apply). Never journaled: the file store writes the migrated database
 * as a new snapshot (journaled-store.ts), so a random value here is stored once.
 * - 11 (issue 16, attribution): who spent — `member` (OFFLOAD_MEMBER) and `machine`
 *   (OFFLOAD_MACHINE) on jobs, model_calls and reservations, NULL on rows written before;
 *   indexes for a member's sums; `ledger_info.ledger_id`, a random id naming this ledger in
 *   exports (`ledger export`), so an import can tell two ledgers' rows apart.
 */
const MIGRATIONS: ReadonlyArray<{ sql: string; after?: (db: Database) => void }> = [
  {
    sql: `
    ALTER TABLE jobs ADD COLUMN member TEXT;
    ALTER TABLE jobs ADD COLUMN machine TEXT;
    ALTER TABLE model_calls ADD COLUMN member TEXT;
    ALTER TABLE model_calls ADD COLUMN machine TEXT;
    ALTER TABLE reservations ADD COLUMN member TEXT;
    ALTER TABLE reservations ADD COLUMN machine TEXT;
    CREATE INDEX jobs_member ON jobs(member);
    -- a member's month and day sums (get_spend_stats, team members) read only the index
    CREATE INDEX model_calls_member_created_at_cost ON model_calls(member, created_at, cost_micros);
    CREATE TABLE ledger_info (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      ledger_id TEXT NOT NULL
    );
    `,
    after: (db) => db.run('INSERT INTO ledger_info (id, ledger_id) VALUES (1, ?)', [randomUUID()]),
  },
];

/** The schema version this code reads and writes (11: SCHEMA plus MIGRATIONS). */
export const SCHEMA_VERSION = BASE_VERSION + MIGRATIONS.length;

/** True for a version this code opens: 0 (no ledger yet), a released version it migrates, or SCHEMA_VERSION. */
export function openableVersion(version: number): boolean {
  return version === 0 || (version >= BASE_VERSION && version <= SCHEMA_VERSION);
}

/**
 * Thrown when a ledger file's schema version is not SCHEMA_VERSION: written by a newer Offload, or
 * by a pre-release one (versions 1–9, before the schema was squashed). The file is left untouched;
 * the message names the fix.
 */
export class LedgerVersionError extends Error {
  override name = 'LedgerVersionError';
  constructor(
    readonly found: number,
    readonly supported: number,
    file = 'file',
  ) {
    super(
      found > supported
        ? `ledger ${file} has schema version ${found}, newer than this Offload supports (${supported}); update Offload. The ledger was not changed`
        : `ledger ${file} has schema version ${found}, written by a pre-release Offload; this Offload reads versions ${BASE_VERSION}–${supported} and does not migrate older ones. ` +
            'Start a new ledger: `node dist/worker.js ledger repair` keeps copies of the old files (*.damaged-<time>) and starts a new one with what it can recover, ' +
            'or point OFFLOAD_LEDGER at a new path; the old spend then no longer counts against the caps. The ledger was not changed',
    );
  }
}

/** The schema version stored in the database (PRAGMA user_version; 0 for a new or empty file). */
export function schemaVersion(db: Database): number {
  const rows = db.exec('PRAGMA user_version');
  return Number(rows[0]?.values[0]?.[0] ?? 0);
}

/**
 * Brings a database to SCHEMA_VERSION in one transaction (all or nothing): version 0 (new, or a
 * SQLite file that holds no ledger yet; its other tables are kept) gets SCHEMA and every
 * migration, a released older version (10 …) the migrations it lacks. A database already at
 * SCHEMA_VERSION is left as it is. Returns the version found, so callers know whether to persist.
 * Throws LedgerVersionError for any other version, or the SQL error (after rolling back) when a
 * table clashes. Not journaled: the file store writes the result as a new snapshot (journaled-store.ts).
 */
export function ensureSchema(db: Database): number {
  const found = schemaVersion(db);
  if (found === SCHEMA_VERSION) return found;
  if (!openableVersion(found)) throw new LedgerVersionError(found, SCHEMA_VERSION);
  db.run('BEGIN IMMEDIATE');
  try {
    if (found === 0) db.exec(SCHEMA);
    for (const migration of MIGRATIONS.slice(Math.max(found, BASE_VERSION) - BASE_VERSION)) {
      db.exec(migration.sql);
      migration.after?.(db);
    }
    db.run(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    db.run('COMMIT');
  } catch (err) {
    db.run('ROLLBACK');
    throw err;
  }
  return found;
}
