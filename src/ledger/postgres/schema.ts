import type pg from 'pg';
import { ADMIN_MIGRATION_SQL, restrictCapWrites } from './admin';

/**
 * The team ledger's tables on PostgreSQL, as versioned migrations (schema_migrations holds one row
 * per applied version). They mirror the sql.js ledger's (src/ledger/schema.ts): money is BIGINT µUSD,
 * the ledger's own times BIGINT epoch ms (UTC, the ledger's clock), tokens BIGINT. Beyond it:
 * - member and machine on jobs, model_calls and reservations (who spent, where);
 * - `team` (one row: the team's monthly and daily caps, set by an admin) and `members` (member caps);
 * - `scopes`: the admission counters (settled and reserved µUSD per team month, team day, member
 *   month and capped job, and in-flight calls per machine), see admission.ts;
 * - leases: a reservation's `expires_at` and a job's `lease_expires_at` (server time, so clocks of
 *   different machines do not matter), extended by their holder's heartbeat (sweeper.ts).
 * - 2: the team admin key (`team_admin_key`, offload_set_caps_by_key) and the cap privileges
 *   (admin.ts: only admins write `team` and `members`).
 * - 3: `imported_keys`: the keys of the export lines `ledger import` loaded (import.ts).
 * A change appends a migration; a shipped migration is never edited. `after` runs in the same
 * transaction after `sql`, for steps that depend on who migrates; `log` gets its notices.
 */
export const MIGRATIONS: ReadonlyArray<{
  version: number;
  sql: string;
  after?: (c: pg.ClientBase, log: (line: string) => void) => Promise<void>;
}> = [
  {
    version: 1,
    sql: `
  CREATE TABLE team (
    id INT PRIMARY KEY CHECK (id = 1),
    monthly_cap_micros BIGINT CHECK (monthly_cap_micros IS NULL OR monthly_cap_micros >= 0),
    daily_cap_micros BIGINT CHECK (daily_cap_micros IS NULL OR daily_cap_micros >= 0),
    updated_at BIGINT NOT NULL DEFAULT 0
  );
  INSERT INTO team (id) VALUES (1);
  CREATE TABLE members (
    member TEXT PRIMARY KEY,
    monthly_cap_micros BIGINT CHECK (monthly_cap_micros IS NULL OR monthly_cap_micros >= 0),
    updated_at BIGINT NOT NULL
  );

  CREATE TABLE jobs (
    id TEXT PRIMARY KEY,
    seq BIGSERIAL,
    kind TEXT NOT NULL,
    status TEXT NOT NULL,
    agent TEXT,
    model TEXT NOT NULL,
    request_json TEXT NOT NULL,
    result_json TEXT,
    error TEXT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL,
    max_cost_micros BIGINT CHECK (max_cost_micros IS NULL OR max_cost_micros >= 0),
    pid INT,
    cancel_requested_at BIGINT,
    member TEXT,
    machine TEXT,
    -- the open ledger (one process) that runs the job, and until when its heartbeat keeps it alive
    owner TEXT,
    lease_expires_at TIMESTAMPTZ
  );
  CREATE INDEX jobs_created_at ON jobs(created_at, seq);
  CREATE INDEX jobs_updated_at ON jobs(updated_at);
  CREATE INDEX jobs_owner_live ON jobs(owner) WHERE status IN ('queued', 'running');
  CREATE INDEX jobs_lease_live ON jobs(lease_expires_at) WHERE status IN ('queued', 'running');
  CREATE INDEX jobs_member ON jobs(member);

  CREATE TABLE model_calls (
    id BIGSERIAL PRIMARY KEY,
    job_id TEXT NOT NULL REFERENCES jobs(id),
    reservation_id TEXT UNIQUE,
    model TEXT NOT NULL,
    input_tokens BIGINT NOT NULL DEFAULT 0,
    output_tokens BIGINT NOT NULL DEFAULT 0,
    cache_read_tokens BIGINT NOT NULL DEFAULT 0,
    cost_micros BIGINT NOT NULL CHECK (cost_micros >= 0),
    status TEXT NOT NULL,
    route TEXT,
    latency_ms BIGINT,
    created_at BIGINT NOT NULL,
    member TEXT,
    machine TEXT
  );
  CREATE INDEX model_calls_created_at_cost ON model_calls(created_at) INCLUDE (cost_micros);
  CREATE INDEX model_calls_job_id_cost ON model_calls(job_id) INCLUDE (cost_micros, created_at);
  CREATE INDEX model_calls_member ON model_calls(member, created_at);

  CREATE TABLE reservations (
    id TEXT PRIMARY KEY,
    seq BIGSERIAL,
    job_id TEXT NOT NULL REFERENCES jobs(id),
    model TEXT NOT NULL,
    micros BIGINT NOT NULL CHECK (micros >= 0),
    pid INT NOT NULL,
    created_at BIGINT NOT NULL,
    member TEXT NOT NULL,
    machine TEXT NOT NULL,
    owner TEXT NOT NULL,
    expires_at TIMESTAMPTZ NOT NULL,
    -- the scopes rows holding micros for it, in lock order, and the in-flight slot it holds (or null)
    scope_keys TEXT[] NOT NULL,
    slot_key TEXT
  );
  CREATE INDEX reservations_job_id ON reservations(job_id);
  CREATE INDEX reservations_owner ON reservations(owner);
  CREATE INDEX reservations_expires_at ON reservations(expires_at);

  CREATE TABLE scopes (
    key TEXT PRIMARY KEY,
    settled BIGINT NOT NULL DEFAULT 0 CHECK (settled >= 0),
    reserved BIGINT NOT NULL DEFAULT 0 CHECK (reserved >= 0)
  );

  CREATE TABLE breaker (
    id INT PRIMARY KEY CHECK (id = 1),
    state TEXT NOT NULL CHECK (state IN ('closed', 'open', 'half-open')),
    reason TEXT,
    detail TEXT,
    opened_at BIGINT,
    until BIGINT,
    trial_id TEXT,
    updated_at BIGINT NOT NULL
  );
  INSERT INTO breaker (id, state, updated_at) VALUES (1, 'closed', 0);
  CREATE TABLE breaker_events (
    id BIGSERIAL PRIMARY KEY,
    at BIGINT NOT NULL,
    state TEXT NOT NULL,
    reason TEXT,
    detail TEXT,
    member TEXT
  );

  -- admission's counter updates and the reservation, in one statement (admission.ts): the breaker row
  -- must still be the one admission evaluated (else 'offload_breaker_changed'), then each scope in the
  -- order given (the lock order), refused with 'offload_scope_refused' (DETAIL: its 1-based index) or
  -- 'offload_slots_full', which roll the whole statement back
  CREATE FUNCTION offload_hold(p_keys TEXT[], p_caps BIGINT[], p_micros BIGINT, p_slot TEXT, p_max_slots BIGINT,
    p_id TEXT, p_job TEXT, p_model TEXT, p_pid INT, p_created BIGINT, p_member TEXT, p_machine TEXT, p_owner TEXT,
    p_ttl_ms BIGINT, p_breaker TEXT) RETURNS void LANGUAGE plpgsql AS $$
  BEGIN
    IF NOT EXISTS (SELECT 1 FROM breaker WHERE id = 1 AND concat_ws('|', state, reason, opened_at, until, trial_id) = p_breaker) THEN
      RAISE EXCEPTION 'offload_breaker_changed';
    END IF;
    FOR i IN 1 .. COALESCE(array_length(p_keys, 1), 0) LOOP
      UPDATE scopes SET reserved = reserved + p_micros
        WHERE key = p_keys[i] AND (p_caps[i] IS NULL OR settled + reserved + p_micros <= p_caps[i]);
      IF NOT FOUND THEN RAISE EXCEPTION 'offload_scope_refused' USING DETAIL = i::text; END IF;
    END LOOP;
    IF p_slot IS NOT NULL THEN
      UPDATE scopes SET reserved = reserved + 1 WHERE key = p_slot AND reserved + 1 <= p_max_slots;
      IF NOT FOUND THEN RAISE EXCEPTION 'offload_slots_full'; END IF;
    END IF;
    INSERT INTO reservations (id, job_id, model, micros, pid, created_at, member, machine, owner, expires_at, scope_keys, slot_key)
    VALUES (p_id, p_job, p_model, p_micros, p_pid, p_created, p_member, p_machine, p_owner,
      clock_timestamp() + p_ttl_ms * interval '1 millisecond', p_keys, p_slot);
  END $$;

  -- ends a reservation in one statement (settle.ts): deletes it (a sweep only when its lease expired,
  -- skipping one another transaction holds), writes its model_calls row unless p_status is NULL (a
  -- release), moves the money of each scope in the order given and frees its slot; false when it
  -- was not live
  CREATE FUNCTION offload_unhold(p_id TEXT, p_sweep BOOLEAN, p_keys TEXT[], p_unhold BIGINT[], p_charge BIGINT[],
    p_model TEXT, p_in BIGINT, p_out BIGINT, p_cache BIGINT, p_cost BIGINT, p_status TEXT, p_route TEXT,
    p_latency BIGINT, p_now BIGINT) RETURNS BOOLEAN LANGUAGE plpgsql AS $$
  DECLARE r reservations%ROWTYPE;
  BEGIN
    IF p_sweep THEN
      DELETE FROM reservations WHERE id = (SELECT id FROM reservations WHERE id = p_id AND expires_at < clock_timestamp()
        FOR UPDATE SKIP LOCKED) RETURNING * INTO r;
    ELSE
      DELETE FROM reservations WHERE id = p_id RETURNING * INTO r;
    END IF;
    IF NOT FOUND THEN RETURN false; END IF;
    IF p_status IS NOT NULL THEN
      INSERT INTO model_calls (job_id, reservation_id, model, input_tokens, output_tokens, cache_read_tokens, cost_micros,
        status, route, latency_ms, created_at, member, machine)
      VALUES (r.job_id, r.id, p_model, p_in, p_out, p_cache, p_cost, p_status, p_route, p_latency, p_now, r.member, r.machine);
    END IF;
    FOR i IN 1 .. COALESCE(array_length(p_keys, 1), 0) LOOP
      UPDATE scopes SET reserved = reserved - p_unhold[i], settled = settled + p_charge[i] WHERE key = p_keys[i];
    END LOOP;
    IF r.slot_key IS NOT NULL THEN UPDATE scopes SET reserved = reserved - 1 WHERE key = r.slot_key; END IF;
    RETURN true;
  END $$;
`,
  },
  { version: 2, sql: ADMIN_MIGRATION_SQL, after: restrictCapWrites },
  {
    version: 3,
    // `ledger import` (import.ts): every export line's stable key (core/ledger-export.ts) it has loaded,
    // with the member it was loaded under, so a second import of the same rows adds nothing and an
    // import of them under another member is refused
    sql: `
  CREATE TABLE imported_keys (
    key TEXT PRIMARY KEY,
    member TEXT NOT NULL,
    source_ledger_id TEXT NOT NULL,
    imported_at BIGINT NOT NULL
  );
  -- every member imports under their own name; the migrating user created the table, so it may grant
  GRANT SELECT, INSERT ON imported_keys TO PUBLIC;
`,
  },
];

/** The newest schema version this Offload knows. */
export const TEAM_SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1]!.version;
