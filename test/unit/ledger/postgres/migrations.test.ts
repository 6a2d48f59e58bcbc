import assert from 'node:assert/strict';
import { Client } from '../../../../src/ledger/postgres/driver';
import { TeamSchemaVersionError } from '../../../../src/ledger/postgres/migrate';
import { openPostgresLedger } from '../../../../src/ledger/postgres/open';
import { TEAM_SCHEMA_VERSION } from '../../../../src/ledger/postgres/schema';
import { createDatabase, dropDatabase } from '../../../support/pg-server';
import { caps } from '../helpers';

async function query(url: string, sql: string): Promise<unknown[][]> {
  const c = new Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query({ text: sql, rowMode: 'array' })).rows as unknown[][];
  } finally {
    await c.end();
  }
}

describe('team ledger schema migrations (PostgreSQL)', () => {
  let url: string;
  beforeEach(async () => {
    url = await createDatabase();
  });
  afterEach(() => dropDatabase(url));

  it('migrates once when ten members open a new database at the same time', async () => {
    const ledgers = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        openPostgresLedger(url, { caps: caps(1_000_000), poolSize: 2, identity: { member: `m${i}`, machine: 'x' } }),
      ),
    );
    await Promise.all(ledgers.map((l) => l.close()));
    const rows = await query(url, 'SELECT version, COUNT(*) FROM schema_migrations GROUP BY version ORDER BY version');
    assert.deepEqual(
      rows.map(([v, n]) => [v, Number(n)]),
      Array.from({ length: TEAM_SCHEMA_VERSION }, (_, i) => [i + 1, 1]),
    );
    assert.deepEqual(await query(url, 'SELECT COUNT(*)::int FROM breaker'), [[1]], 'seed rows written once');
  });

  it('refuses a database whose schema is newer than this Offload knows, naming both versions, and changes nothing', async () => {
    await (await openPostgresLedger(url, { caps: caps(1) })).close();
    const newer = TEAM_SCHEMA_VERSION + 1;
    await query(url, `INSERT INTO schema_migrations (version) VALUES (${newer})`);
    await assert.rejects(openPostgresLedger(url, { caps: caps(1) }), (e: unknown) => {
      assert.ok(e instanceof TeamSchemaVersionError);
      assert.equal(
        e.message,
        `team ledger schema version ${newer}, this Offload knows up to ${TEAM_SCHEMA_VERSION}: update Offload`,
      );
      return true;
    });
    assert.deepEqual(await query(url, 'SELECT MAX(version) FROM schema_migrations'), [[newer]]);
  });

  it('refuses a URL that is not postgres:// or postgresql://, without showing its password', async () => {
    await assert.rejects(openPostgresLedger('mysql://u:secret@h/db', { caps: caps(1) }), (e: unknown) => {
      assert.match((e as Error).message, /not a PostgreSQL URL/);
      assert.doesNotMatch((e as Error).message, /secret/);
      return true;
    });
  });

  it('stores money as BIGINT and reads amounts beyond 2^31 µUSD exactly', async () => {
    const l = await openPostgresLedger(url, { caps: caps(5_000_000_000_000) });
    await l.createJob({ id: 'j', kind: 'llm', model: 'm', request: null });
    const r = await l.reserve({ jobId: 'j', model: 'm', micros: 3_000_000_001 });
    await l.settle(r.id, {
      model: 'm',
      costMicros: 2_999_999_999,
      status: 'ok',
      usage: { input_tokens: 1, output_tokens: 1, cache_read_tokens: 0 },
    });
    assert.equal((await l.getJob('j'))?.costMicros, 2_999_999_999);
    assert.equal(await l.settledBetween(0, Number.MAX_SAFE_INTEGER), 2_999_999_999);
    await l.close();
  });
});
