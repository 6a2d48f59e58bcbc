/**
 * Who may set the team ledger's caps (the rule, once; issue 16). An admin is either
 * - a database user that is superuser, the database's owner (or a member of the owner role), or a
 *   member of the role `offload_admin` (when that role exists; without it only superuser and owner), or
 * - a process presenting the team admin key (OFFLOAD_TEAM_ADMIN_KEY), whose salted SHA-256 hash a
 *   database admin stored with `team admin-key set` (the key itself is never stored).
 * Anyone else is refused with AdminRequiredError. The database enforces it too (migration 2):
 * caps are written through offload_set_caps, which checks the same rule (offload_role_admin) or the
 * key's hash itself, and restrictCapWrites keeps members from writing `team`, `members` and
 * `team_admin_key` with their own SQL.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type pg from 'pg';

/** The database role whose members may set caps. */
export const ADMIN_ROLE = 'offload_admin';

/** Thrown when a process that is no admin tries to set caps; the message names both fixes. */
export class AdminRequiredError extends Error {
  override name = 'AdminRequiredError';
  constructor(user: string) {
    super(
      `caps need the ${ADMIN_ROLE} role (GRANT ${ADMIN_ROLE} TO ${user}) or OFFLOAD_TEAM_ADMIN_KEY; ` +
        `${user} is neither superuser, the database's owner nor a member of ${ADMIN_ROLE}`,
    );
  }
}

type Queryable = Pick<pg.Pool, 'query'>;

/** Salt of the stored admin key hash, bytes. */
const SALT_BYTES = 16;

/** SHA-256 of salt ‖ key (UTF-8): what team_admin_key.hash holds and offload_set_caps recomputes. */
function keyHash(salt: Buffer, key: string): Buffer {
  return createHash('sha256').update(salt).update(key, 'utf8').digest();
}

/** A new random team admin key (32 bytes, base64url: 43 characters). */
export function newAdminKey(): string {
  return randomBytes(32).toString('base64url');
}

/** The session's database user, and whether it is an admin by role (offload_role_admin, migration 2). */
async function roleAdmin(db: Queryable): Promise<{ user: string; admin: boolean }> {
  const { rows } = await db.query<{ user: string; admin: boolean }>(
    'SELECT session_user AS user, offload_role_admin() AS admin',
  );
  return rows[0]!;
}

/** The database refused what the app allowed (the role or key changed in between): the same refusal. */
async function refusedAs<T>(db: Queryable, p: Promise<T>): Promise<T> {
  try {
    return await p;
  } catch (err) {
    if ((err as Error).message !== 'offload_not_admin') throw err;
    throw new AdminRequiredError((await roleAdmin(db)).user);
  }
}

/** True when `key` matches the stored admin key hash (compared in constant time); false when none is stored. */
async function keyMatches(db: Queryable, key: string): Promise<boolean> {
  const { rows } = await db.query<{ salt: Buffer; hash: Buffer }>('SELECT salt, hash FROM team_admin_key WHERE id = 1');
  const stored = rows[0];
  if (!stored) return false;
  const given = keyHash(stored.salt, key);
  return given.length === stored.hash.length && timingSafeEqual(given, stored.hash);
}

/** A cap change: one member's monthly cap, or the team's caps (µUSD; null clears). */
export type CapWrite =
  | { member: string; monthlyMicros: number | null }
  | { member: null; monthlyMicros: number | null; dailyMicros: number | null };

/**
 * Writes `w` if this process is an admin: by the admin key (`adminKey`, its hash compared in
 * constant time) or by its database role. The write goes through offload_set_caps, which checks
 * the same again in the database (members may not write the tables themselves). `nowMs`: epoch
 * ms for updated_at. Throws AdminRequiredError otherwise (a wrong key counts as none), or the
 * driver's error.
 */
export async function writeCaps(
  db: Queryable,
  w: CapWrite,
  adminKey: string | undefined,
  nowMs: number,
): Promise<void> {
  const byKey = adminKey !== undefined && (await keyMatches(db, adminKey));
  if (!byKey) {
    const { user, admin } = await roleAdmin(db);
    if (!admin) throw new AdminRequiredError(user);
  }
  const daily = w.member === null ? w.dailyMicros : null;
  const args = [byKey ? adminKey : null, w.member, w.monthlyMicros, daily, nowMs];
  await refusedAs(db, db.query('SELECT offload_set_caps($1, $2, $3, $4, $5)', args));
}

/**
 * Stores the salted hash of `key` as the team admin key (replacing any before), `nowMs` epoch ms.
 * Only a database admin by role may (a key holder cannot replace the key). Throws
 * AdminRequiredError otherwise, RangeError for a key shorter than 16 characters.
 */
export async function storeAdminKey(db: Queryable, key: string, nowMs: number): Promise<void> {
  if (key.length < 16) throw new RangeError('a team admin key must be at least 16 characters');
  const { user, admin } = await roleAdmin(db);
  if (!admin) throw new AdminRequiredError(user);
  const salt = randomBytes(SALT_BYTES);
  await refusedAs(db, db.query('SELECT offload_set_admin_key($1, $2, $3)', [salt, keyHash(salt, key), nowMs]));
}

/**
 * Migration 2's SQL: the admin key's table, the role rule (offload_role_admin: superuser, member of
 * the database's owner role, or of offload_admin when it exists; for session_user, so it holds
 * inside the definer functions too) and the two writes (SECURITY DEFINER: they check the rule, or
 * the key's hash, themselves, so members need no write grant on the tables).
 */
export const ADMIN_MIGRATION_SQL = `
  CREATE TABLE team_admin_key (
    id INT PRIMARY KEY CHECK (id = 1),
    salt BYTEA NOT NULL,
    hash BYTEA NOT NULL,
    set_at BIGINT NOT NULL
  );
  CREATE FUNCTION offload_role_admin() RETURNS boolean LANGUAGE sql STABLE AS $$
    SELECT r.rolsuper OR pg_has_role(session_user, d.datdba, 'MEMBER')
      OR CASE WHEN EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '${ADMIN_ROLE}')
         THEN pg_has_role(session_user, '${ADMIN_ROLE}', 'MEMBER') ELSE false END
    FROM pg_roles r, pg_database d WHERE r.rolname = session_user AND d.datname = current_database()
  $$;
  CREATE FUNCTION offload_set_caps(p_key TEXT, p_member TEXT, p_monthly BIGINT, p_daily BIGINT, p_now BIGINT)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$
  BEGIN
    IF NOT (offload_role_admin() OR (p_key IS NOT NULL AND EXISTS (SELECT 1 FROM team_admin_key
        WHERE id = 1 AND hash = sha256(salt || convert_to(p_key, 'UTF8'))))) THEN
      RAISE EXCEPTION 'offload_not_admin';
    END IF;
    IF p_member IS NULL THEN
      UPDATE team SET monthly_cap_micros = p_monthly, daily_cap_micros = p_daily, updated_at = p_now WHERE id = 1;
    ELSE
      INSERT INTO members (member, monthly_cap_micros, updated_at) VALUES (p_member, p_monthly, p_now)
      ON CONFLICT (member) DO UPDATE SET monthly_cap_micros = excluded.monthly_cap_micros, updated_at = excluded.updated_at;
    END IF;
  END $$;
  CREATE FUNCTION offload_set_admin_key(p_salt BYTEA, p_hash BYTEA, p_now BIGINT)
    RETURNS void LANGUAGE plpgsql SECURITY DEFINER AS $$
  BEGIN
    IF NOT offload_role_admin() THEN RAISE EXCEPTION 'offload_not_admin'; END IF;
    INSERT INTO team_admin_key (id, salt, hash, set_at) VALUES (1, p_salt, p_hash, p_now)
    ON CONFLICT (id) DO UPDATE SET salt = excluded.salt, hash = excluded.hash, set_at = excluded.set_at;
  END $$;
  -- definer functions must not find a member's temporary tables or functions first
  DO $$ BEGIN
    EXECUTE format('ALTER FUNCTION offload_set_caps(TEXT, TEXT, BIGINT, BIGINT, BIGINT) SET search_path = %I, pg_temp',
      current_schema());
    EXECUTE format('ALTER FUNCTION offload_set_admin_key(BYTEA, BYTEA, BIGINT) SET search_path = %I, pg_temp',
      current_schema());
  END $$;
`;

/** The grants migration 2 makes where the migrating user owns the tables (also logged when it cannot). */
function grantsSql(schema: string, adminRoleExists: boolean): string {
  const s = `"${schema.replace(/"/g, '""')}"`;
  return [
    `GRANT SELECT, INSERT, UPDATE, DELETE ON jobs, model_calls, reservations, scopes, breaker, breaker_events TO PUBLIC`,
    `GRANT SELECT ON schema_migrations, team, members, team_admin_key TO PUBLIC`,
    `GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA ${s} TO PUBLIC`,
    `REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON team, members, team_admin_key FROM PUBLIC`,
    ...(adminRoleExists
      ? [`GRANT SELECT, INSERT, UPDATE, DELETE ON team, members, team_admin_key TO ${ADMIN_ROLE}`]
      : []),
  ].join('; ');
}

/**
 * Migration 2's privileges, inside its transaction: every role that may connect gets what a member
 * needs, but only admins may write the caps (REVOKE from PUBLIC, GRANT to offload_admin when the
 * role exists), so a member's own SQL cannot raise their cap. When the migrating user does not own
 * the tables it may not change their grants: it skips, and `log` gets one line with the SQL to run
 * as the owner. Throws the driver's error.
 */
export async function restrictCapWrites(c: pg.ClientBase, log: (line: string) => void): Promise<void> {
  const { rows } = await c.query<{ owner: boolean; schema: string; role: boolean }>(
    `SELECT bool_and(pg_has_role(current_user, relowner, 'USAGE')) AS owner, current_schema() AS schema,
       EXISTS (SELECT 1 FROM pg_roles WHERE rolname = $1) AS role
     FROM pg_class WHERE oid IN ('team'::regclass, 'members'::regclass, 'jobs'::regclass, 'team_admin_key'::regclass)`,
    [ADMIN_ROLE],
  );
  const { owner, schema, role } = rows[0]!;
  const sql = grantsSql(schema, role);
  if (!owner) {
    log(
      `offload: team ledger migration 2 skipped the cap privileges (${schema}'s ledger tables are not owned by this user); ` +
        `members can write caps with their own SQL until the tables' owner runs: ${grantsSql(schema, true)}`,
    );
    return;
  }
  await c.query(sql);
}
