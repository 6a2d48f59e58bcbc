import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { LedgerDamageError } from '../../../src/ledger/damage';
import { headerLine } from '../../../src/ledger/journal';
import { checkLedger } from '../../../src/ledger/integrity-check';
import { repairLedger } from '../../../src/ledger/repair';
import { ensureSchema, LedgerVersionError, SCHEMA, SCHEMA_VERSION, schemaVersion } from '../../../src/ledger/schema';
import { loadSqlJs, type Database } from '../../../src/ledger/sqljs';
import { openLedger } from '../../../src/ledger/sqlite-ledger';
import { caps, spend, tempDir } from './helpers';

function names(db: Database, type: 'table' | 'index'): string[] {
  return (
    db.exec(`SELECT name FROM sqlite_master WHERE type = '${type}' AND name NOT LIKE 'sqlite_%' ORDER BY name`)[0]
      ?.values ?? []
  ).map((r) => String(r[0]));
}

/** Every table's columns (type, default, NOT NULL, key), foreign keys and seed rows, and every index's columns: what a schema builds. */
function shape(db: Database): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const type of ['table', 'index'] as const) {
    for (const name of names(db, type)) {
      out[`${type} ${name}`] =
        type === 'table'
          ? [
              db.exec(`PRAGMA table_xinfo(${name})`)[0]?.values,
              db.exec(`PRAGMA foreign_key_list(${name})`)[0]?.values,
              db.exec(`SELECT * FROM ${name}`)[0]?.values,
            ]
          : db.exec(`PRAGMA index_xinfo(${name})`)[0]?.values;
    }
  }
  return out;
}

async function fileDb(file: string): Promise<Database> {
  return new (await loadSqlJs()).Database(readFileSync(file));
}

describe('ledger schema', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    tmp = tempDir();
    file = path.join(tmp.dir, 'ledger.sqlite');
  });
  afterEach(() => tmp.cleanup());

  it('gives a new database every table and index at the current version, once', async () => {
    const db = new (await loadSqlJs()).Database();
    assert.equal(ensureSchema(db), 0);
    assert.equal(schemaVersion(db), SCHEMA_VERSION);
    assert.deepEqual(names(db, 'table'), [
      'breaker',
      'breaker_events',
      'jobs',
      'journal_state',
      'ledger_info',
      'model_calls',
      'reservations',
      'spend_hours',
    ]);
    assert.deepEqual(names(db, 'index'), [
      'jobs_created_at',
      'jobs_member',
      'jobs_pid_status',
      'jobs_status',
      'model_calls_created_at_cost',
      'model_calls_job_id_cost',
      'model_calls_member_created_at_cost',
      'reservations_job_id',
    ]);
    assert.equal(ensureSchema(db), SCHEMA_VERSION, 'a second run finds the current version and changes nothing');
    db.close();
  });

  it('builds exactly the database the ten pre-release migrations built (the last of them: version 10)', async () => {
    const SQL = await loadSqlJs();
    const migrated = new SQL.Database();
    migrated.exec(readFileSync(path.join(__dirname, 'fixtures', 'pre-release-migrations.sql'), 'utf8'));
    const squashed = new SQL.Database();
    squashed.exec(SCHEMA);
    assert.deepEqual(shape(squashed), shape(migrated));
    assert.equal(Object.keys(shape(squashed)).length, 13);
    migrated.close();
    squashed.close();
  });

  it('creates all of the schema or none: a clashing table leaves version and tables as they were', async () => {
    const db = new (await loadSqlJs()).Database();
    db.run('CREATE TABLE reservations (x)');
    assert.throws(() => ensureSchema(db), /already exists/);
    assert.equal(schemaVersion(db), 0);
    assert.deepEqual(names(db, 'table'), ['reservations']);
    db.close();
  });

  it('refuses an empty (0-byte) snapshot instead of starting a new ledger, and leaves it untouched', async () => {
    writeFileSync(file, '');
    await assert.rejects(
      openLedger(file, { caps: caps(1) }),
      (err: unknown) =>
        err instanceof LedgerDamageError &&
        err.file === file &&
        /empty \(0 bytes\)/.test(err.message) &&
        /ledger repair/.test(err.message),
    );
    assert.equal(readFileSync(file).length, 0);
  });

  it('adopts a SQLite file without ledger tables (version 0), keeping its other tables', async () => {
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

  it('reopens a ledger of the current version, keeping its spend', async () => {
    const l = await openLedger(file, { caps: caps(1e9) });
    await l.createJob({ id: 'j', kind: 'llm', model: 'gpt-4o-mini', request: null });
    await l.settle((await l.reserve({ jobId: 'j', model: 'gpt-4o-mini', micros: 500 })).id, spend(210));
    await l.close();
    const again = await openLedger(file, { caps: caps(1e9) });
    assert.equal((await again.getJob('j'))?.costMicros, 210);
    await again.close();
  });

  for (const version of [1, 5, 9]) {
    it(`refuses a pre-release ledger of schema version ${version}, naming the fix, and changes no file`, async () => {
      const db = new (await loadSqlJs()).Database();
      db.exec(SCHEMA);
      db.run(`PRAGMA user_version = ${version}`);
      writeFileSync(file, db.export());
      db.close();
      writeFileSync(`${file}.journal`, headerLine(0));
      const before = [readFileSync(file), readFileSync(`${file}.journal`)];
      await assert.rejects(
        openLedger(file, { caps: caps(1) }),
        (err: unknown) =>
          err instanceof LedgerVersionError &&
          err.found === version &&
          err.message.includes(file) &&
          /pre-release/.test(err.message) &&
          /ledger repair/.test(err.message) &&
          /OFFLOAD_LEDGER/.test(err.message),
      );
      assert.deepEqual([readFileSync(file), readFileSync(`${file}.journal`)], before);
      const check = await checkLedger(file);
      assert.equal(check.damaged, true);
      assert.match(check.lines.join('\n'), /pre-release/);
    });
  }

  it('lets `ledger repair` start a new ledger beside the copies of a pre-release one, as the error says', async () => {
    const db = new (await loadSqlJs()).Database();
    db.exec(SCHEMA);
    db.run('PRAGMA user_version = 7');
    writeFileSync(file, db.export());
    db.close();
    writeFileSync(`${file}.journal`, headerLine(0));
    await repairLedger(file, new Date('2026-01-02T03:04:05.678Z'));
    assert.deepEqual(
      readdirSync(tmp.dir)
        .filter((f) => f.includes('damaged'))
        .sort(),
      ['ledger.sqlite.damaged-2026-01-02T03-04-05-678Z', 'ledger.sqlite.journal.damaged-2026-01-02T03-04-05-678Z'],
    );
    const l = await openLedger(file, { caps: caps(1e9) });
    await l.createJob({ id: 'new', kind: 'llm', model: 'gpt-4o-mini', request: null });
    await l.close();
    assert.equal(schemaVersion(await fileDb(file)), SCHEMA_VERSION);
    assert.ok(existsSync(`${file}.journal`));
  });

  it('refuses to repair a ledger of a newer Offload, which it could only throw away, and changes no file', async () => {
    const db = new (await loadSqlJs()).Database();
    db.exec(SCHEMA);
    db.run(`PRAGMA user_version = ${SCHEMA_VERSION + 1}`);
    writeFileSync(file, db.export());
    db.close();
    writeFileSync(`${file}.journal`, headerLine(0));
    const before = readdirSync(tmp.dir).map((f) => [f, readFileSync(path.join(tmp.dir, f)).toString('base64')]);
    const report = await repairLedger(file);
    assert.match(
      report.lines.at(-1) ?? '',
      new RegExp(`refused: .* schema version ${SCHEMA_VERSION + 1}, written by a newer Offload .*update Offload`),
    );
    assert.deepEqual(
      readdirSync(tmp.dir).map((f) => [f, readFileSync(path.join(tmp.dir, f)).toString('base64')]),
      before,
    );
  });

  it('answers the sums of every admission from covering indexes, not from a table row per call', async () => {
    const db = new (await loadSqlJs()).Database();
    ensureSchema(db);
    const plan = (sql: string) =>
      (db.exec(`EXPLAIN QUERY PLAN ${sql}`)[0]?.values ?? []).map((r) => String(r[3])).join('; ');
    assert.match(
      plan("SELECT SUM(cost_micros) FROM model_calls WHERE job_id = 'j'"),
      /COVERING INDEX model_calls_job_id_cost/,
    );
    assert.match(
      plan('SELECT SUM(cost_micros) FROM model_calls WHERE created_at >= 0 AND created_at < 10'),
      /COVERING INDEX model_calls_created_at_cost/,
    );
    db.close();
  });
});
