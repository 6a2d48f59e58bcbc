import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, unlinkSync, utimesSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FileStore, LedgerFileError } from '../../../src/ledger/file-store';
import { LedgerVersionError } from '../../../src/ledger/schema';
import { loadSqlJs } from '../../../src/ledger/sqljs';
import { openLedger } from '../../../src/ledger/sqlite-ledger';
import { caps, queryLedgerFile as query, spend, tempDir } from './helpers';

/** In one process; the tests with writer processes (SIGKILL mid-write, cap contention) are in test/integration/ledger-processes.test.ts. */
describe('ledger file store', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    tmp = tempDir();
    file = path.join(tmp.dir, 'ledger.sqlite');
  });
  afterEach(() => tmp.cleanup());

  it('lets the next process take over the lock of a killed writer once it is stale', async () => {
    mkdirSync(`${file}.lock`);
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${file}.lock`, old, old);
    const l = await openLedger(file, { caps: caps(1000), lockRetries: 0 });
    await l.createJob({ id: 'j', kind: 'llm', model: 'm', request: null });
    await l.close();
    assert.deepEqual(await query(file, 'SELECT id FROM jobs'), [['j']]);
  });

  it('fails closed with a clear error while another process holds the lock', async () => {
    mkdirSync(`${file}.lock`);
    await assert.rejects(openLedger(file, { caps: caps(1000), lockRetries: 2 }), (err: unknown) => {
      return err instanceof LedgerFileError && /stayed locked by another process/.test(err.message);
    });
  });

  it('loses no rows when two ledgers in one process interleave writes on one file', async () => {
    const a = await openLedger(file, { caps: caps(1e9), pid: 1 });
    const b = await openLedger(file, { caps: caps(1e9), pid: 2 });
    await a.createJob({ id: 'ja', kind: 'llm', model: 'm', request: null });
    await b.createJob({ id: 'jb', kind: 'llm', model: 'm', request: null });
    const work = (l: typeof a, jobId: string) =>
      Array.from({ length: 15 }, async () => {
        const r = await l.reserve({ jobId, model: 'm', micros: 100 });
        await l.settle(r.id, spend(7, 'm'));
      });
    await Promise.all([...work(a, 'ja'), ...work(b, 'jb')]);
    assert.deepEqual(
      await query(file, 'SELECT job_id, COUNT(*), SUM(cost_micros) FROM model_calls GROUP BY job_id ORDER BY job_id'),
      [
        ['ja', 15, 105],
        ['jb', 15, 105],
      ],
    );
    assert.deepEqual(await query(file, 'SELECT COUNT(*) FROM reservations'), [[0]]);
    await Promise.all([a.close(), b.close()]);
  });

  it('reloads when another ledger wrote the file, for reads and for admission', async () => {
    const a = await openLedger(file, { caps: caps(10_000) });
    const b = await openLedger(file, { caps: caps(10_000) });
    await a.createJob({ id: 'j', kind: 'llm', model: 'm', request: { from: 'a' } });
    assert.deepEqual((await b.getJob('j'))?.request, { from: 'a' });
    await a.reserve({ jobId: 'j', model: 'm', micros: 9_000 });
    await assert.rejects(b.reserve({ jobId: 'j', model: 'm', micros: 1_001 }), /monthly budget exceeded/);
    assert.equal((await b.spendStats()).reservations_in_flight, 1);
    await Promise.all([a.close(), b.close()]);
  });

  it('refuses a file that is not a database and leaves it untouched', async () => {
    writeFileSync(file, "this is not sqlite, but it is somebody's data".repeat(200));
    const before = readFileSync(file);
    await assert.rejects(
      openLedger(file, { caps: caps(1) }),
      (err: unknown) =>
        err instanceof LedgerFileError && /not a SQLite database/.test(err.message) && err.message.includes(file),
    );
    assert.deepEqual(readFileSync(file), before);
  });

  it('refuses a ledger written by a newer Offload and leaves it untouched', async () => {
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    db.run('PRAGMA user_version = 99');
    writeFileSync(file, db.export());
    db.close();
    const before = readFileSync(file);
    await assert.rejects(
      openLedger(file, { caps: caps(1) }),
      (err: unknown) => err instanceof LedgerVersionError && err.found === 99,
    );
    assert.deepEqual(readFileSync(file), before);
  });

  it('fails closed when the file disappears under an open ledger', async () => {
    const l = await openLedger(file, { caps: caps(1) });
    unlinkSync(file);
    await assert.rejects(
      l.getJob('x'),
      (err: unknown) => err instanceof LedgerFileError && /disappeared/.test(err.message) && err.message.includes(file),
    );
    await l.close();
  });

  it('keeps the old file and removes its temp file when an atomic write cannot complete', async () => {
    writeFileSync(file, 'old');
    const store = new FileStore(file);
    const lost = {
      assertHeld: () => {
        throw new LedgerFileError('lost the lock');
      },
    };
    await assert.rejects(
      store.withLock(() => store.write(new Uint8Array([1, 2, 3]), lost)),
      /lost the lock/,
    );
    assert.equal(readFileSync(file, 'utf8'), 'old');
    assert.deepEqual(
      readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp')),
      [],
    );
  });
});
