import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { AdminRequiredError } from '../../../../src/ledger/postgres/admin';
import { Client } from '../../../../src/ledger/postgres/driver';
import { openPostgresLedger, type TeamLedger } from '../../../../src/ledger/postgres/open';
import { MIGRATIONS } from '../../../../src/ledger/postgres/schema';
import { createDatabase, dropDatabase } from '../../../support/pg-server';
import { caps } from '../helpers';

/** Runs `sql` on `url` as its user; returns the rows. */
async function query(url: string, sql: string, params: unknown[] = []): Promise<Record<string, unknown>[]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query(sql, params)).rows as Record<string, unknown>[];
  } finally {
    await c.end();
  }
}

/** `url` (user postgres, from pg-server.ts) as another login role, same socket, trust auth. */
const as = (url: string, role: string) => url.replace('postgresql://postgres@', `postgresql://${role}@`);

const KEY = 'team-admin-key-for-tests-0123456789';

describe('team ledger: only an admin sets caps (PostgreSQL)', () => {
  let url: string;
  let role: string;
  let createdAdminRole = false;
  const opened: TeamLedger[] = [];
  const open = async (u: string, adminKey?: string, log?: (line: string) => void) => {
    const l = await openPostgresLedger(u, {
      caps: caps(10_000_000),
      poolSize: 2,
      identity: { member: 'bob', machine: 'lap' },
      adminKey,
      log,
    });
    opened.push(l);
    return l;
  };

  beforeEach(async () => {
    url = await createDatabase();
    role = `offload_member_${randomBytes(4).toString('hex')}`;
    const server = url.replace(/@\/[^?]+/, '@/postgres');
    const exists = await query(server, "SELECT 1 FROM pg_roles WHERE rolname = 'offload_admin'");
    if (!exists.length) {
      await query(server, 'CREATE ROLE offload_admin NOLOGIN');
      createdAdminRole = true;
    }
    await query(server, `CREATE ROLE ${role} LOGIN`);
  });

  afterEach(async () => {
    await Promise.allSettled(opened.splice(0).map((l) => l.close()));
    await dropDatabase(url);
    const server = url.replace(/@\/[^?]+/, '@/postgres');
    await query(server, `DROP ROLE ${role}`);
    if (createdAdminRole) await query(server, 'DROP ROLE offload_admin');
    createdAdminRole = false;
  });

  it('refuses a plain member, by the app and by the database, and lets the member use the ledger', async () => {
    const owner = await open(url); // the superuser migrates, so the grants are made
    const member = await open(as(url, role));
    await assert.rejects(member.setMemberCap('bob', 5_000_000), (err: Error) => {
      assert.ok(err instanceof AdminRequiredError);
      assert.match(err.message, new RegExp(`caps need the offload_admin role \\(GRANT offload_admin TO ${role}\\)`));
      assert.match(err.message, /OFFLOAD_TEAM_ADMIN_KEY/);
      return true;
    });
    await assert.rejects(member.setTeamCaps({ monthlyMicros: 1, dailyMicros: null }), AdminRequiredError);
    // the member's own SQL may not raise a cap either
    const memberUrl = as(url, role);
    await assert.rejects(query(memberUrl, "INSERT INTO members VALUES ('bob', 99, 0)"), /permission denied/);
    await assert.rejects(query(memberUrl, 'UPDATE team SET monthly_cap_micros = NULL'), /permission denied/);
    await assert.rejects(query(memberUrl, 'DELETE FROM team_admin_key'), /permission denied/);
    await assert.rejects(query(memberUrl, "SELECT offload_set_caps('guess', 'bob', 99, NULL, 0)"), /offload_not_admin/);
    await assert.rejects(query(memberUrl, "SELECT offload_set_admin_key('\\x00', '\\x00', 0)"), /offload_not_admin/);
    // but it may do a member's work: a job, a reservation, a settled call
    const job = await member.createJob({ id: 'j1', kind: 'llm', model: 'm', request: {} });
    const r = await member.reserve({ jobId: job.id, model: 'm', micros: 1000 });
    const usage = { input_tokens: 1, output_tokens: 1, cache_read_tokens: 0 };
    await member.settle(r.id, { model: 'm', usage, costMicros: 700, status: 'ok' });
    assert.equal((await owner.spendStats()).member?.current_month, 0.0007);
    assert.deepEqual(await query(url, 'SELECT * FROM members'), []);
  });

  it('without an offload_admin role, only the superuser and the database owner are admins', async function () {
    const server = url.replace(/@\/[^?]+/, '@/postgres');
    if (!createdAdminRole) this.skip(); // someone else's offload_admin: not ours to drop
    await query(server, 'DROP ROLE offload_admin');
    createdAdminRole = false;
    const owner = await open(url);
    const member = await open(as(url, role));
    await assert.rejects(member.setMemberCap('bob', 1), AdminRequiredError);
    await owner.setMemberCap('bob', 7); // the superuser
    const dbName = /@\/([^?]+)/.exec(url)![1]!;
    await query(url, `ALTER DATABASE ${dbName} OWNER TO ${role}`);
    await member.setTeamCaps({ monthlyMicros: 8, dailyMicros: null }); // the database's owner
    assert.deepEqual(await owner.teamCaps(), { monthlyMicros: 8, dailyMicros: null });
    await query(url, `ALTER DATABASE ${dbName} OWNER TO postgres`);
  });

  it('skips the cap privileges with a log line when the migrating user does not own the tables', async () => {
    // version 1 made by the superuser; the member role, granted the tables directly, migrates to 2
    await query(url, MIGRATIONS[0]!.sql);
    await query(
      url,
      'CREATE TABLE schema_migrations (version INT PRIMARY KEY, applied_at TIMESTAMPTZ NOT NULL DEFAULT now())',
    );
    await query(url, 'INSERT INTO schema_migrations (version) VALUES (1)');
    await query(url, `GRANT ALL ON ALL TABLES IN SCHEMA public TO ${role}; GRANT CREATE ON SCHEMA public TO ${role}`);
    const lines: string[] = [];
    const member = await open(as(url, role), undefined, (line) => lines.push(line));
    assert.equal(lines.length, 1);
    assert.match(
      lines[0]!,
      /migration 2 skipped the cap privileges .*not owned by this user.*REVOKE INSERT, UPDATE, DELETE, TRUNCATE ON team, members/,
    );
    await assert.rejects(member.setMemberCap('bob', 1), AdminRequiredError, 'the app still refuses');
  });

  it('lets a member of offload_admin, the admin key, the superuser and the database owner set caps; a wrong key not', async () => {
    const owner = await open(url);
    await assert.rejects(
      (await open(as(url, role), KEY)).setMemberCap('bob', 1),
      AdminRequiredError,
      'no key stored yet',
    );
    await owner.setAdminKey(KEY);
    const stored = await query(url, 'SELECT salt, hash FROM team_admin_key');
    assert.equal(stored.length, 1);
    assert.ok(!(stored[0]!.hash as Buffer).toString('latin1').includes(KEY), 'only a hash is stored');

    const wrong = await open(as(url, role), `${KEY}x`);
    await assert.rejects(wrong.setMemberCap('bob', 1), AdminRequiredError);
    await assert.rejects(wrong.setAdminKey('another-key-0123456789'), AdminRequiredError);

    const keyed = await open(as(url, role), KEY);
    await keyed.setMemberCap('bob', 2_000_000);
    await keyed.setTeamCaps({ monthlyMicros: 9_000_000, dailyMicros: 1_000_000 });
    await assert.rejects(
      keyed.setAdminKey('another-key-0123456789'),
      AdminRequiredError,
      'the key cannot replace itself',
    );
    assert.deepEqual(await owner.teamCaps(), { monthlyMicros: 9_000_000, dailyMicros: 1_000_000 });

    await query(url, `GRANT offload_admin TO ${role}`);
    const granted = await open(as(url, role));
    await granted.setMemberCap('bob', 3_000_000);
    await granted.setTeamCaps({ monthlyMicros: null, dailyMicros: null });
    await query(as(url, role), "UPDATE members SET monthly_cap_micros = 4000000 WHERE member = 'bob'"); // its own SQL too
    assert.deepEqual(await query(url, 'SELECT member, monthly_cap_micros AS cap FROM members'), [
      { member: 'bob', cap: '4000000' },
    ]);
    assert.deepEqual(await owner.teamCaps(), { monthlyMicros: null, dailyMicros: null });

    await query(url, `REVOKE offload_admin FROM ${role}`);
    await assert.rejects(granted.setMemberCap('bob', 1), AdminRequiredError, 'revoked: refused again');
    const dbName = /@\/([^?]+)/.exec(url)![1]!;
    await query(url, `ALTER DATABASE ${dbName} OWNER TO ${role}`);
    await granted.setMemberCap('bob', 5_000_000);
    assert.equal((await query(url, 'SELECT monthly_cap_micros AS cap FROM members'))[0]!.cap, '5000000');
    await query(url, `ALTER DATABASE ${dbName} OWNER TO postgres`);
  });
});
