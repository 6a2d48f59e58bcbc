import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LedgerDamageError } from '../../../src/ledger/damage';
import { migrate, schemaVersion } from '../../../src/ledger/migrations';
import { MIGRATIONS, SCHEMA_VERSION } from '../../../src/ledger/schema';
import { loadSqlJs, type Database } from '../../../src/ledger/sqljs';
import { openLedger } from '../../../src/ledger/sqlite-ledger';
import { caps, tempDir } from './helpers';

function names(db: Database, type: 'table' | 'index'): string[] {
  return (db.exec(`SELECT name FROM sqlite_master WHERE type = '${type}' AND name NOT LIKE 'sqlite_%' ORDER BY name`)[0]?.values ?? []).map((r) => String(r[0]));
}

async function fileDb(file: string): Promise<Database> {
  return new (await loadSqlJs()).Database(readFileSync(file));
}

describe('ledger migrations', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => { tmp = tempDir(); });
  afterEach(() => tmp.cleanup());

  it('brings a new database to the current version with all tables and indexes', async () => {
    const db = new (await loadSqlJs()).Database();
    assert.equal(migrate(db), 0);
    assert.equal(schemaVersion(db), SCHEMA_VERSION);
    assert.deepEqual(names(db, 'table'), ['breaker', 'breaker_events', 'jobs', 'journal_state', 'model_calls', 'reservations', 'spend_hours']);
    assert.deepEqual(names(db, 'index'), ['jobs_created_at', 'jobs_pid_status', 'jobs_status', 'model_calls_created_at_cost', 'model_calls_job_id_cost', 'reservations_job_id']);
    assert.equal(migrate(db), SCHEMA_VERSION, 'a second run finds the current version and changes nothing');
    db.close();
  });

  it('runs every migration or none: a failing step leaves version and tables as they were', async () => {
    const db = new (await loadSqlJs()).Database();
    db.run('CREATE TABLE reservations (x)'); // clashes with migration 1
    assert.throws(() => migrate(db), /already exists/);
    assert.equal(schemaVersion(db), 0);
    assert.deepEqual(names(db, 'table'), ['reservations']);
    db.close();
  });

  it('refuses an empty (0-byte) snapshot instead of starting a new ledger, and leaves it untouched', async () => {
    const file = path.join(tmp.dir, 'ledger.sqlite');
    writeFileSync(file, '');
    await assert.rejects(openLedger(file, { caps: caps(1) }), (err: unknown) => err instanceof LedgerDamageError && err.file === file && /empty \(0 bytes\)/.test(err.message) && /ledger repair/.test(err.message));
    assert.equal(readFileSync(file).length, 0);
  });

  it('migrates a v0 file that already holds other tables, keeping them', async () => {
    const file = path.join(tmp.dir, 'ledger.sqlite');
    const old = new (await loadSqlJs()).Database();
    old.run("CREATE TABLE notes (t TEXT); INSERT INTO notes VALUES ('kept')");
    writeFileSync(file, old.export());
    old.close();
    const l = await openLedger(file, { caps: caps(1) });
    await l.close();
    const db = await fileDb(file);
    assert.equal(schemaVersion(db), SCHEMA_VERSION);
    assert.deepEqual(db.exec('SELECT t FROM notes')[0]?.values, [['kept']]);
    db.close();
  });

  it('migrates a v1 file to the current version, keeping its jobs and spend', async () => {
    const file = path.join(tmp.dir, 'ledger.sqlite');
    const v1 = new (await loadSqlJs()).Database();
    v1.exec(MIGRATIONS[0] as string);
    v1.run('PRAGMA user_version = 1');
    v1.run(`INSERT INTO jobs (id, kind, status, model, request_json, created_at, updated_at) VALUES ('old', 'llm', 'completed', 'gpt-4o-mini', '{"p":1}', 1, 2)`);
    v1.run(`INSERT INTO model_calls (job_id, reservation_id, model, input_tokens, output_tokens, cost_micros, status, created_at) VALUES ('old', 'r1', 'gpt-4o-mini', 1000, 100, 210, 'ok', 1)`);
    writeFileSync(file, v1.export());
    v1.close();
    const l = await openLedger(file, { caps: caps(1) });
    const job = await l.getJob('old');
    assert.deepEqual([job?.costMicros, job?.usage.input_tokens, job?.request], [210, 1000, { p: 1 }]);
    await l.close();
    const db = await fileDb(file);
    assert.equal(schemaVersion(db), SCHEMA_VERSION);
    assert.ok(names(db, 'index').includes('model_calls_created_at_cost'));
    db.close();
  });

  it('answers the sums of every admission from covering indexes, not from a table row per call', async () => {
    const db = new (await loadSqlJs()).Database();
    migrate(db);
    const plan = (sql: string) => (db.exec(`EXPLAIN QUERY PLAN ${sql}`)[0]?.values ?? []).map((r) => String(r[3])).join('; ');
    assert.match(plan("SELECT SUM(cost_micros) FROM model_calls WHERE job_id = 'j'"), /COVERING INDEX model_calls_job_id_cost/);
    assert.match(plan('SELECT SUM(cost_micros) FROM model_calls WHERE created_at >= 0 AND created_at < 10'), /COVERING INDEX model_calls_created_at_cost/);
    db.close();
  });
});
