import assert from 'node:assert/strict';
import fs from 'node:fs';
import { appendFileSync, copyFileSync, readFileSync, unlinkSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { foldFiles } from '../../../src/ledger/compaction';
import { LedgerDamageError } from '../../../src/ledger/damage';
import type { DbStore } from '../../../src/ledger/db-store';
import { LedgerFileError } from '../../../src/ledger/file-store';
import { fileDbStore } from '../../../src/ledger/journaled-store';
import { all, run } from '../../../src/ledger/rows';
import { openLedger, ledgerOnStore } from '../../../src/ledger/sqlite-ledger';
import type { Database } from '../../../src/ledger/sqljs';
import { caps, fakeClock, readLedgerFile, spend, tempDir } from './helpers';

/** Every table's rows, by rowid: the whole observable state of a ledger database. */
function dump(db: Database): Record<string, unknown[]> {
  const tables = all(
    db,
    "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name",
  ).map((r) => String(r.name));
  return Object.fromEntries(tables.map((t) => [t, all(db, `SELECT rowid AS _rowid, * FROM ${t} ORDER BY rowid`)]));
}

async function onDisk(file: string): Promise<Record<string, unknown[]>> {
  const db = await readLedgerFile(file);
  try {
    return dump(db);
  } finally {
    db.close();
  }
}

const lines = (file: string) => readFileSync(`${file}.journal`, 'utf8').split('\n').filter(Boolean);

describe('ledger journal', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    tmp = tempDir();
    file = path.join(tmp.dir, 'ledger.sqlite');
  });
  afterEach(() => tmp.cleanup());

  for (const journalMaxLines of [10_000, 4]) {
    it(`replays to exactly the writer's database after every kind of ledger operation (compaction every ${journalMaxLines} lines)`, async () => {
      const inner = await fileDbStore(file, { journalMaxLines, fold: foldFiles });
      let writerDb: Database | undefined;
      const spy: DbStore = {
        read: inner.read,
        close: inner.close,
        write: (fn) =>
          inner.write((db) => {
            writerDb = db;
            return fn(db);
          }),
      };
      const clock = fakeClock();
      let ids = 0;
      const l = ledgerOnStore(spy, { caps: caps(50_000, 40_000), clock: clock.now, pid: 1, newId: () => `r${++ids}` });
      await l.createJob({
        id: 'a',
        kind: 'llm',
        model: 'gpt-4o-mini',
        request: { blob: 'ünïcödé\n"quoted"' },
        maxCostMicros: 30_000,
      });
      await l.createJob({ id: 'b', kind: 'claude-code', model: 'm', request: null });
      await l.updateJob('a', { status: 'running' });
      const r1 = await l.reserve({ jobId: 'a', model: 'gpt-4o-mini', micros: 9_000 });
      const r2 = await l.reserve({ jobId: 'b', model: 'm', micros: 2_000 });
      clock.advance(1_000);
      await l.settle(r1.id, { ...spend(7_000), latencyMs: 812.5 });
      await l.release(r2.id);
      await l.release('nobody'); // changes nothing: no journal line
      await l.tripBreaker({ reason: 'manual', detail: 'test' });
      await l.resetBreaker();
      const orphan = ledgerOnStore(spy, { caps: caps(50_000), clock: clock.now, pid: 99, newId: () => 'orphan' });
      await orphan.reserve({ jobId: 'b', model: 'm', micros: 1_500 });
      assert.equal(await l.reclaimOrphans((pid) => pid !== 99), 1);
      await l.updateJob('a', { status: 'completed', result: { ok: true } });
      await l.updateJob('b', { status: 'failed', error: 'boom' });
      const writer = dump(writerDb as Database);
      assert.equal((writer.model_calls ?? []).length, 2);
      assert.deepEqual(await onDisk(file), writer, 'snapshot + journal read by an independent replayer');
      const other = await fileDbStore(file);
      assert.deepEqual(await other.read(dump), writer, 'a second store opened on the file');
      await Promise.all([other.close(), l.close()]);
    });
  }

  it('refuses a write that changes rows without going through rows.run(), and one with nondeterministic SQL', async () => {
    const store = await fileDbStore(file);
    await assert.rejects(
      store.write((db) => db.run("INSERT INTO breaker_events (at, state) VALUES (1, 'open')")),
      /went through rows\.run\(\)/,
    );
    await assert.rejects(
      store.write((db) => run(db, "UPDATE breaker SET updated_at = strftime('%s', 'now') WHERE id = 1")),
      /must be deterministic/,
    );
    assert.deepEqual(await store.read((db) => all(db, 'SELECT COUNT(*) AS n FROM breaker_events')), [{ n: 0 }]);
    assert.deepEqual(lines(file).length, 1, 'only the header');
    await store.close();
  });

  it('writes one journal line per changing transaction and leaves the snapshot alone', async () => {
    const l = await openLedger(file, { caps: caps(1e9) });
    const snapshot = readFileSync(file);
    await l.createJob({ id: 'j', kind: 'llm', model: 'm', request: null });
    const r = await l.reserve({ jobId: 'j', model: 'm', micros: 100 });
    await l.settle(r.id, spend(50, 'm'));
    await l.release('unknown');
    assert.deepEqual(readFileSync(file), snapshot);
    assert.deepEqual(
      lines(file)
        .slice(1)
        .map((x) => (JSON.parse(x) as { n: number }).n),
      [1, 2, 3],
    );
    await l.close();
  });

  for (const [name, tail] of [
    ['without its newline', '{"g":1,"n":9,"s":[["DELETE FR'],
    ['that does not parse', 'garbage\n'],
  ] as const) {
    it(`ignores a torn last line ${name} and lets the next writer cut it off`, async () => {
      const a = await openLedger(file, { caps: caps(1e9) });
      await a.createJob({ id: 'j', kind: 'llm', model: 'm', request: null });
      appendFileSync(`${file}.journal`, tail);
      const notices: string[] = [];
      const b = await openLedger(file, { caps: caps(1e9), notice: (m) => notices.push(m) });
      assert.equal((await b.getJob('j'))?.id, 'j');
      await b.reserve({ jobId: 'j', model: 'm', micros: 100 });
      assert.ok(!readFileSync(`${file}.journal`, 'utf8').includes(tail), 'the tail was cut');
      assert.equal(notices.length, 1);
      assert.match(
        notices[0] ?? '',
        new RegExp(`${file}\\.journal ended in a torn record \\(${Buffer.byteLength(tail)} bytes`),
      );
      assert.equal((await a.listReservations()).length, 1, 'the other ledger reads past the cut');
      assert.equal(((await onDisk(file)).reservations ?? []).length, 1);
      await Promise.all([a.close(), b.close()]);
    });
  }

  it("an append whose fdatasync fails is cut back with the header's last record count, so no process reads it as a cut journal", async () => {
    const a = await openLedger(file, { caps: caps(1e9) });
    await a.createJob({ id: 'j', kind: 'llm', model: 'm', request: null });
    const original = fs.fdatasyncSync;
    fs.fdatasyncSync = () => {
      throw Object.assign(new Error('EIO: i/o error, fdatasync (simulated)'), { code: 'EIO' });
    };
    try {
      await assert.rejects(a.reserve({ jobId: 'j', model: 'm', micros: 100 }), /EIO/);
    } finally {
      fs.fdatasyncSync = original;
    }
    assert.equal(JSON.parse(lines(file)[0]!).last, 1, 'the header counts the one record that is left');
    const b = await openLedger(file, { caps: caps(1e9) });
    await b.reserve({ jobId: 'j', model: 'm', micros: 100 });
    assert.equal((await a.listReservations()).length, 1);
    await Promise.all([a.close(), b.close()]);
  });

  it('fails closed on a journal corrupt before its last line', async () => {
    const a = await openLedger(file, { caps: caps(1e9) });
    await a.createJob({ id: 'j', kind: 'llm', model: 'm', request: null });
    await a.close();
    const [header, entry] = lines(file);
    writeFileSync(`${file}.journal`, `${header}\ngarbage\n${entry}\n`);
    await assert.rejects(
      openLedger(file, { caps: caps(1) }),
      (err: unknown) => err instanceof LedgerFileError && /corrupt/.test(err.message),
    );
  });

  it('after a kill between the new snapshot and the new journal, applies nothing twice and replaces the old journal', async () => {
    const a = await openLedger(file, { caps: caps(1e9), journalMaxLines: 3, fold: foldFiles });
    await a.createJob({ id: 'j', kind: 'llm', model: 'm', request: null });
    await a.reserve({ jobId: 'j', model: 'm', micros: 100 });
    copyFileSync(`${file}.journal`, `${file}.old`); // two lines of the first generation
    await a.reserve({ jobId: 'j', model: 'm', micros: 200 }); // third line: compaction
    assert.equal(lines(file).length, 1, 'compacted: only the new header');
    copyFileSync(`${file}.old`, `${file}.journal`); // as if killed before the journal was replaced
    const b = await openLedger(file, { caps: caps(1e9) });
    assert.deepEqual(
      (await b.listReservations()).map((r) => r.micros),
      [100, 200],
    );
    await b.reserve({ jobId: 'j', model: 'm', micros: 300 });
    assert.equal(lines(file).length, 2, 'a fresh journal: header + one line');
    assert.deepEqual(
      (await a.listReservations()).map((r) => r.micros),
      [100, 200, 300],
    );
    assert.deepEqual(
      ((await onDisk(file)).reservations ?? []).map((r) => (r as { micros: number }).micros),
      [100, 200, 300],
    );
    await Promise.all([a.close(), b.close()]);
  });

  it('keeps readers in step with a writer that appends and compacts', async () => {
    const notices: string[] = [];
    const w = await openLedger(file, {
      caps: caps(1e9),
      journalMaxLines: 3,
      fold: foldFiles,
      notice: (m) => notices.push(m),
    });
    const r = await openLedger(file, { caps: caps(1e9) });
    await w.createJob({ id: 'j', kind: 'llm', model: 'm', request: null });
    for (let i = 1; i <= 10; i++) {
      const res = await w.reserve({ jobId: 'j', model: 'm', micros: 10 });
      await w.settle(res.id, spend(i, 'm'));
      assert.equal((await r.getJob('j'))?.costMicros, (i * (i + 1)) / 2, `after call ${i}`);
    }
    assert.equal(lines(file).length, 1 + (21 % 3), 'it compacted every 3 lines (21 of them)');
    assert.deepEqual(notices, [], 'every compaction folded the files, none fell back');
    await Promise.all([w.close(), r.close()]);
  });

  it('refuses a journal of another ledger beside a new snapshot, naming the journal', async () => {
    const a = await openLedger(file, { caps: caps(1e9) });
    await a.createJob({ id: 'old', kind: 'llm', model: 'm', request: null });
    await a.close();
    copyFileSync(`${file}.journal`, `${file}.old`);
    unlinkSync(file);
    unlinkSync(`${file}.journal`);
    const b = await openLedger(file, { caps: caps(1e9) });
    await b.close();
    copyFileSync(`${file}.old`, `${file}.journal`);
    await assert.rejects(
      openLedger(file, { caps: caps(1e9) }),
      (err: unknown) =>
        err instanceof LedgerDamageError && err.file === `${file}.journal` && /different ledgers/.test(err.message),
    );
  });

  it('fails closed when the journal disappears with committed transactions in it', async () => {
    const a = await openLedger(file, { caps: caps(1e9) });
    await a.createJob({ id: 'j', kind: 'llm', model: 'm', request: null });
    unlinkSync(`${file}.journal`);
    await assert.rejects(
      a.getJob('j'),
      (err: unknown) =>
        err instanceof LedgerDamageError && err.file === `${file}.journal` && /disappeared/.test(err.message),
    );
    await a.close();
  });
});
