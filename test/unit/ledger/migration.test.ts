import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { entryLine, headerLine } from '../../../src/ledger/journal';
import { ensureSchema, SCHEMA, SCHEMA_VERSION, schemaVersion } from '../../../src/ledger/schema';
import { loadSqlJs, type Database } from '../../../src/ledger/sqljs';
import { openLedger } from '../../../src/ledger/sqlite-ledger';
import { caps, fakeClock, queryLedgerFile, spend, tempDir } from './helpers';

const GEN = 77;
const T0 = Date.parse('2025-06-15T10:00:00.000Z');
const JOB_INSERT = `INSERT INTO jobs (id, kind, status, agent, model, request_json, result_json, error, created_at, updated_at, max_cost_micros, pid)
  VALUES (?, 'llm', 'completed', NULL, 'gpt-4o-mini', 'null', NULL, NULL, ?, ?, NULL, 1)`;

/**
 * A ledger as Offload of schema version 10 left it: a snapshot (job `old` with one call of 300
 * µUSD, generation 77) and a journal holding one record (job `journaled`, written after the
 * snapshot by a version-10 process), with the journal's header counting it.
 */
async function writeVersion10(file: string): Promise<void> {
  const db = new (await loadSqlJs()).Database();
  db.exec(SCHEMA);
  db.run('PRAGMA user_version = 10');
  db.run('UPDATE journal_state SET generation = ? WHERE id = 1', [GEN]);
  db.run(JOB_INSERT, ['old', T0, T0]);
  db.run(
    `INSERT INTO model_calls (job_id, reservation_id, model, cost_micros, status, created_at) VALUES ('old', 'r0', 'gpt-4o-mini', 300, 'ok', ?)`,
    [T0],
  );
  db.run('INSERT INTO spend_hours (hour_start, cost_micros) VALUES (?, 300)', [T0]);
  writeFileSync(file, db.export());
  db.close();
  writeFileSync(
    `${file}.journal`,
    headerLine(GEN, 1) + entryLine({ g: GEN, n: 1, s: [[JOB_INSERT, ['journaled', T0 + 1, T0 + 1], 1]] }),
  );
}

const identity = { member: 'ana@box', machine: 'box' };

describe('ledger migration 10 → 11 (attribution)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  const clock = fakeClock('2025-06-15T12:00:00.000Z');
  beforeEach(async () => {
    tmp = tempDir();
    file = path.join(tmp.dir, 'ledger.sqlite');
    await writeVersion10(file);
  });
  afterEach(() => tmp.cleanup());

  it('builds the same database from a version-10 ledger as from nothing', async () => {
    const SQL = await loadSqlJs();
    const columns = (db: Database) =>
      ['jobs', 'model_calls', 'reservations'].map((t) => db.exec(`PRAGMA table_xinfo(${t})`)[0]?.values);
    const indexes = (db: Database) =>
      db.exec("SELECT name, sql FROM sqlite_master WHERE type = 'index' ORDER BY name")[0]?.values;
    const old = new SQL.Database();
    old.exec(readFileSync(path.join(__dirname, 'fixtures', 'pre-release-migrations.sql'), 'utf8'));
    old.run('PRAGMA user_version = 10'); // what the tenth pre-release migration stamped
    assert.equal(ensureSchema(old), 10);
    const fresh = new SQL.Database();
    assert.equal(ensureSchema(fresh), 0);
    assert.deepEqual([schemaVersion(old), columns(old), indexes(old)], [11, columns(fresh), indexes(fresh)]);
    assert.ok(
      JSON.stringify(columns(fresh)).includes('"member"') && JSON.stringify(columns(fresh)).includes('"machine"'),
    );
    old.close();
    fresh.close();
  });

  it('opens a version-10 ledger and migrates it: every row and journal record kept, attributed to nobody', async () => {
    const l = await openLedger(file, { caps: caps(1e9), clock: clock.now, identity });
    const old = await l.getJob('old');
    assert.deepEqual([old?.costMicros, old?.member, old?.machine], [300, null, null]);
    assert.equal((await l.getJob('journaled'))?.member, null);
    await l.createJob({ id: 'new', kind: 'llm', model: 'gpt-4o-mini', request: null });
    await l.settle((await l.reserve({ jobId: 'new', model: 'gpt-4o-mini', micros: 500 })).id, spend(210));
    const stats = await l.spendStats();
    assert.equal(stats.current_month, 0.00051, 'the old call still counts against the team cap');
    assert.deepEqual(stats.by_member, { 'ana@box': { cost_usd: 0.00021, calls: 1 } });
    assert.deepEqual((await l.getJob('new'))?.member, 'ana@box');
    await l.close();
    assert.deepEqual(await queryLedgerFile(file, 'SELECT id, member, machine FROM model_calls ORDER BY id'), [
      [1, null, null],
      [2, 'ana@box', 'box'],
    ]);
  });

  it('writes the migration as a new snapshot folding in the old journal, so nothing replays twice', async () => {
    await (await openLedger(file, { caps: caps(1e9), identity })).close();
    const db = new (await loadSqlJs()).Database(readFileSync(file));
    assert.equal(schemaVersion(db), SCHEMA_VERSION);
    assert.deepEqual(db.exec('SELECT generation, prev_generation, folded_seq FROM journal_state')[0]?.values, [
      [GEN + 1, GEN, 1],
    ]);
    assert.deepEqual(db.exec('SELECT COUNT(*) FROM jobs')[0]?.values, [[2]]);
    db.close();
    assert.equal(JSON.parse(readFileSync(`${file}.journal`, 'utf8').split('\n')[0]!).g, GEN + 1);
    const again = await openLedger(file, { caps: caps(1e9), identity });
    assert.equal((await again.listJobs()).length, 2);
    await again.close();
  });

  it('migrates once when two ledgers open the version-10 file at the same time', async () => {
    const [a, b] = await Promise.all([
      openLedger(file, { caps: caps(1e9), identity }),
      openLedger(file, { caps: caps(1e9), identity: { member: 'bo@lap', machine: 'lap' } }),
    ]);
    await a.createJob({ id: 'a', kind: 'llm', model: 'm', request: null });
    await b.createJob({ id: 'b', kind: 'llm', model: 'm', request: null });
    assert.deepEqual(
      (await a.listMembers()).map((m) => [m.member, m.jobs, m.machines]),
      [
        ['ana@box', 1, ['box']],
        ['bo@lap', 1, ['lap']],
      ],
    );
    await Promise.all([a.close(), b.close()]);
    assert.deepEqual(await queryLedgerFile(file, 'SELECT generation, prev_generation FROM journal_state'), [
      [GEN + 1, GEN],
    ]);
  });

  it('keeps the new columns through compactions', async () => {
    const l = await openLedger(file, { caps: caps(1e9), identity, journalMaxLines: 3 });
    for (let i = 0; i < 8; i++) await l.createJob({ id: `c${i}`, kind: 'llm', model: 'm', request: null });
    await l.close();
    const gen = Number((await queryLedgerFile(file, 'SELECT generation FROM journal_state'))[0]![0]);
    assert.ok(gen > GEN + 1, `compacted at least once (generation ${gen})`);
    assert.deepEqual(await queryLedgerFile(file, "SELECT COUNT(*) FROM jobs WHERE member = 'ana@box'"), [[8]]);
    const again = await openLedger(file, { caps: caps(1e9), identity });
    assert.equal((await again.getJob('c7'))?.machine, 'box');
    await again.close();
  });

  it('reads a version-10 ledger opened read-only, migrated in memory only, leaving both files as they were', async () => {
    const before = [readFileSync(file), readFileSync(`${file}.journal`)];
    const l = await openLedger(file, { caps: caps(1e9), identity, readOnly: true });
    assert.deepEqual(
      (await l.listJobs()).map((j) => [j.id, j.member]),
      [
        ['journaled', null],
        ['old', null],
      ],
    );
    assert.equal((await l.spendStats()).member.current_month, 0);
    await l.close();
    assert.deepEqual([readFileSync(file), readFileSync(`${file}.journal`)], before);
  });
});
