import assert from 'node:assert/strict';
import { Client } from '../../../../src/ledger/postgres/driver';
import { openPostgresLedger } from '../../../../src/ledger/postgres/open';
import { createDatabase, dropDatabase } from '../../../support/pg-server';
import { caps } from '../helpers';

/** The schema's offload_hold statement on its own: all or nothing, and only against the breaker admission read. */
describe('team ledger offload_hold (PostgreSQL)', () => {
  let url: string;
  let c: InstanceType<typeof Client>;
  const hold = (keys: string[], capsOf: Array<number | null>, breaker = 'closed') =>
    c.query('SELECT offload_hold($1, $2, 100, NULL, NULL, $3, $4, $5, 1, 0, $6, $7, $8, 60000, $9)', [
      keys,
      capsOf,
      `r-${Math.random()}`,
      'j',
      'm',
      'ann',
      'box',
      'owner',
      breaker,
    ]);
  const reserved = async () =>
    (await c.query<{ key: string; reserved: string }>('SELECT key, reserved::text FROM scopes ORDER BY key')).rows.map(
      (r) => `${r.key}=${r.reserved}`,
    );
  beforeEach(async () => {
    url = await createDatabase();
    const l = await openPostgresLedger(url, { caps: caps(1_000_000) });
    await l.createJob({ id: 'j', kind: 'llm', model: 'm', request: null });
    await l.close();
    c = new Client({ connectionString: url });
    await c.connect();
    await c.query("INSERT INTO scopes (key) VALUES ('a'), ('b')");
  });
  afterEach(async () => {
    await c.end();
    await dropDatabase(url);
  });

  it('holds in every scope and writes the reservation when all admit', async () => {
    await hold(['a', 'b'], [1000, null]);
    assert.deepEqual(await reserved(), ['a=100', 'b=100']);
    assert.equal((await c.query('SELECT 1 FROM reservations')).rowCount, 1);
  });

  it('holds nothing when a later scope refuses, naming its index', async () => {
    await assert.rejects(hold(['a', 'b'], [1000, 50]), (e: { message: string; detail: string }) => {
      assert.deepEqual([e.message, e.detail], ['offload_scope_refused', '2']);
      return true;
    });
    assert.deepEqual(await reserved(), ['a=0', 'b=0'], 'the first scope was rolled back with the statement');
    assert.equal((await c.query('SELECT 1 FROM reservations')).rowCount, 0);
  });

  it('refuses when the breaker row is no longer the one admission evaluated', async () => {
    await c.query("UPDATE breaker SET state = 'open', reason = 'manual', opened_at = 5 WHERE id = 1");
    await assert.rejects(hold(['a'], [1000]), /offload_breaker_changed/);
    assert.deepEqual(await reserved(), ['a=0', 'b=0']);
    await hold(['a'], [1000], 'open|manual|5');
    assert.deepEqual(await reserved(), ['a=100', 'b=0']);
  });
});
