/**
 * The ledger's tables (DESIGN.md: jobs and the spend table, all history kept for auditing).
 * Money is INTEGER µUSD, times are INTEGER epoch ms (UTC), tokens are INTEGER. Each entry of
 * MIGRATIONS upgrades the schema from version i to i + 1; the version is PRAGMA user_version
 * (stored in the file header, so it travels with the file). Never edit a shipped migration:
 * append a new one.
 */
export const MIGRATIONS: readonly string[] = [
  // v0 → v1: the three tables.
  `CREATE TABLE jobs (
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
     max_cost_micros INTEGER CHECK (max_cost_micros IS NULL OR max_cost_micros >= 0)
   );
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
   CREATE TABLE reservations (
     id TEXT PRIMARY KEY,
     job_id TEXT NOT NULL REFERENCES jobs(id),
     model TEXT NOT NULL,
     micros INTEGER NOT NULL CHECK (micros >= 0),
     pid INTEGER NOT NULL,
     created_at INTEGER NOT NULL
   );`,
  // v1 → v2: indexes for the month/day sums and the per-job lookups.
  `CREATE INDEX model_calls_created_at ON model_calls(created_at);
   CREATE INDEX model_calls_job_id ON model_calls(job_id);
   CREATE INDEX reservations_job_id ON reservations(job_id);
   CREATE INDEX jobs_created_at ON jobs(created_at);
   CREATE INDEX jobs_status ON jobs(status);`,
  // v2 → v3: the circuit breaker, shared by every process (one row), and its history.
  `CREATE TABLE breaker (
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
   );`,
  // v3 → v4: the snapshot's journal generation (journaled-store.ts): lines of `<ledger>.journal`
  // apply only to the snapshot whose generation they carry. Also keeps pre-journal Offload, which
  // would ignore the journal, from opening the file (it refuses a newer schema).
  `CREATE TABLE journal_state (
     id INTEGER PRIMARY KEY CHECK (id = 1),
     generation INTEGER NOT NULL
   );
   INSERT INTO journal_state (id, generation) VALUES (1, 0);`,
  // v4 → v5: the month/day/window sums read only this index (covering), not one table row per call:
  // 35 → 9 ms for a month of 37k calls in sql.js. Its created_at prefix serves every old use.
  `CREATE INDEX model_calls_created_at_cost ON model_calls(created_at, cost_micros);
   DROP INDEX model_calls_created_at;`,
  // v5 → v6: settled spend per UTC hour (µUSD), kept by every model_calls insert (queries.ts
  // addSpend), so the month and day sums of every admission read ≤ 744 rows instead of a month
  // of calls. Backfilled from the calls already there.
  `CREATE TABLE spend_hours (
     hour_start INTEGER PRIMARY KEY,
     cost_micros INTEGER NOT NULL CHECK (cost_micros >= 0)
   );
   INSERT INTO spend_hours (hour_start, cost_micros)
     SELECT (created_at / 3600000) * 3600000, SUM(cost_micros) FROM model_calls GROUP BY 1;`,
  // v6 → v7: the process that runs each job, so the jobs of a process that died can be ended
  // (reclaimOrphans) instead of staying `running` forever. NULL for jobs written before.
  `ALTER TABLE jobs ADD COLUMN pid INTEGER;
   CREATE INDEX jobs_pid_status ON jobs(pid, status);`,
  // v7 → v8: a job's settled sum, read by every reservation of a job with max_cost_usd, reads
  // only this index (covering), not one table row per call of the job: 3,000 calls 2.15 → 0.50 ms
  // in sql.js. Its job_id prefix serves every old use.
  `CREATE INDEX model_calls_job_id_cost ON model_calls(job_id, cost_micros);
   DROP INDEX model_calls_job_id;`,
  // v8 → v9: what the snapshot folded in (journaled-store.ts): the generation before it and the
  // last journal record of that generation, so a journal that the snapshot does not continue (a
  // snapshot older than its journal, or from another ledger) is told apart from the leftover of
  // an interrupted compaction.
  `ALTER TABLE journal_state ADD COLUMN prev_generation INTEGER NOT NULL DEFAULT 0;
   ALTER TABLE journal_state ADD COLUMN folded_seq INTEGER NOT NULL DEFAULT 0;`,
  // v9 → v10: a cancel asked for by another process (the `cancel` tool in another window or the
  // CLI). The process that runs the job polls it (JobEngine) and aborts the job; epoch ms or NULL.
  `ALTER TABLE jobs ADD COLUMN cancel_requested_at INTEGER;`,
];

/** The schema version this code reads and writes: the number of migrations. */
export const SCHEMA_VERSION = MIGRATIONS.length;
