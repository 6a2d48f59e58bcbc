import assert from 'node:assert/strict';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import path from 'node:path';
import { foldFiles } from '../../../src/ledger/compaction';
import { LedgerDamageError, snapshotDamage } from '../../../src/ledger/damage';
import { checkLedger } from '../../../src/ledger/integrity-check';
import { repairLedger } from '../../../src/ledger/repair';
import { all } from '../../../src/ledger/rows';
import { openLedger } from '../../../src/ledger/sqlite-ledger';
import { loadSqlJs } from '../../../src/ledger/sqljs';
import { fakeTimers, settleOn } from '../fake-clock';
import { caps, readLedgerFile, spend, tempDir } from './helpers';

const isDamage = (file: string, re: RegExp) => (err: unknown) =>
  err instanceof LedgerDamageError && err.file === file && re.test(err.message);

describe('ledger damage', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    tmp = tempDir();
    file = path.join(tmp.dir, 'ledger.sqlite');
  });
  afterEach(() => tmp.cleanup());

  /** A ledger with a job and `calls` settled calls; returns it open. Its compactions fold on this thread (compaction.test.ts covers the worker). */
  async function withCalls(calls: number, opts: { journalMaxLines?: number } = {}) {
    const l = await openLedger(file, { caps: caps(1e12), fold: foldFiles, ...opts });
    if (!(await l.getJob('j'))) await l.createJob({ id: 'j', kind: 'llm', model: 'm', request: null });
    for (let i = 0; i < calls; i++) {
      const r = await l.reserve({ jobId: 'j', model: 'm', micros: 100 });
      await l.settle(r.id, spend(10, 'm'));
    }
    return l;
  }

  describe('snapshotDamage (SQLite header check)', () => {
    it('passes a real snapshot and names each kind of bad bytes', async () => {
      const db = new (await loadSqlJs()).Database();
      db.run('CREATE TABLE t (x); INSERT INTO t VALUES (1)');
      const good = db.export();
      db.close();
      assert.equal(snapshotDamage(good), null);
      const table: Array<[string, Uint8Array, RegExp]> = [
        ['empty', new Uint8Array(0), /empty \(0 bytes\)/],
        ['cut to a page and a half', good.subarray(0, good.length - 1000), /truncated/],
        ['not SQLite', Buffer.from('x'.repeat(4096)), /not a SQLite database/],
        [
          'a header with a garbage page size',
          Buffer.concat([Buffer.from(good.subarray(0, 16)), Buffer.from([0, 3]), Buffer.from(good.subarray(18))]),
          /garbage header/,
        ],
        [
          'padded past its page count',
          Buffer.concat([Buffer.from(good), Buffer.alloc(good.length)]),
          /truncated or padded/,
        ],
      ];
      for (const [name, bytes, re] of table) assert.match(snapshotDamage(bytes) ?? 'null', re, name);
    });
  });

  it("a lock-free reader that sees the header ahead of the records waits for the writer's lock instead of calling it damage", async () => {
    const a = await withCalls(2);
    await a.close();
    const journal = `${file}.journal`;
    const full = readFileSync(journal, 'utf8');
    const cut = full.slice(0, full.lastIndexOf('\n', full.length - 2) + 1); // the header already counts the last record; its line is not read yet
    assert.ok(cut.length < full.length);
    mkdirSync(`${file}.lock`); // a writer holds the lock, between its append and our read
    writeFileSync(journal, cut);
    const clock = fakeTimers(); // the reader's lock waits sleep on it, and the writer finishes 300 ms in
    clock.setTimeout(() => {
      writeFileSync(journal, full);
      rmSync(`${file}.lock`, { recursive: true });
    }, 300);
    const b = await settleOn(clock, openLedger(file, { caps: caps(1e12), timers: clock }));
    try {
      assert.equal((await b.spendStats()).current_month, 20e-6, 'every record, once the writer is done');
    } finally {
      await b.close();
    }
    writeFileSync(journal, cut); // at rest, no writer: the same bytes are a cut journal
    await assert.rejects(openLedger(file, { caps: caps(1e12) }), isDamage(journal, /is truncated: its header records/));
  });

  it('a running process refuses when every file is replaced by an older consistent copy of all of them', async () => {
    const a = await withCalls(2);
    copyFileSync(file, `${file}.old`);
    copyFileSync(`${file}.journal`, `${file}.journal.old`);
    const r = await a.reserve({ jobId: 'j', model: 'm', micros: 100 });
    await a.settle(r.id, spend(10, 'm'));
    writeFileSync(file, readFileSync(`${file}.old`));
    writeFileSync(`${file}.journal`, readFileSync(`${file}.journal.old`));
    await assert.rejects(
      a.reserve({ jobId: 'j', model: 'm', micros: 100 }),
      isDamage(`${file}.journal`, /went back from record 7 to 5/),
    );
    await a.close();
  });

  it('creates a new ledger again where a creation was cut short (a journal with no record, no snapshot)', async () => {
    const l = await openLedger(file, { caps: caps(1) });
    await l.close();
    rmSync(file);
    assert.match(
      (await checkLedger(file)).lines.join('\n'),
      /ok: no ledger at .* yet \(only the empty journal of a creation cut short\)/,
    );
    const again = await openLedger(file, { caps: caps(1) });
    assert.equal((await again.listJobs()).length, 0);
    await again.close();
    assert.ok(existsSync(file));
  });

  it('still reads a journal written by an Offload before `last` (header without it)', async () => {
    const l = await withCalls(1);
    await l.close();
    const text = readFileSync(`${file}.journal`, 'utf8');
    const [header, ...rest] = text.split('\n');
    const { g } = JSON.parse(header!) as { g: number };
    writeFileSync(`${file}.journal`, [JSON.stringify({ journal: 1, g }), ...rest].join('\n'));
    const b = await withCalls(1);
    assert.equal((await b.spendStats()).current_month, 0.00002);
    await b.close();
  });

  describe('check and repair', () => {
    it('check reports a sound ledger, damage (exit-1 state) and no ledger at all, writing nothing', async () => {
      assert.deepEqual(await checkLedger(file), {
        damaged: false,
        lines: [`ok: no ledger at ${file} yet; a new one is created on first use`],
      });
      assert.ok(!existsSync(file), 'check created nothing');
      await (await withCalls(2)).close();
      assert.equal((await checkLedger(file)).damaged, false);
      chmodSync(`${file}.journal`, 0o444);
      const report = await checkLedger(file);
      assert.equal(report.damaged, true);
      assert.match(report.lines.join('\n'), /journal is read-only/);
      assert.equal(statSync(`${file}.journal`).mode & 0o777, 0o444, 'check repaired nothing');
    });

    it('repair restores write permission, moves a lock file aside and keeps every record', async () => {
      await (await withCalls(2)).close();
      chmodSync(file, 0o444);
      writeFileSync(`${file}.lock`, 'x');
      const { lines } = await repairLedger(file, new Date('2026-01-02T03:04:05.678Z'));
      const text = lines.join('\n');
      assert.match(text, /moved aside: .*ledger\.sqlite\.lock was a file/);
      assert.match(text, /restored write permission on .*ledger\.sqlite$/m);
      assert.match(text, /kept: the snapshot/);
      assert.match(text, /kept: 5 journal records/);
      assert.doesNotMatch(text, /cannot recover/);
      assert.deepEqual(
        readdirSync(tmp.dir)
          .filter((n) => n.includes('damaged-2026-01-02T03-04-05-678Z'))
          .sort(),
        [
          'ledger.sqlite.damaged-2026-01-02T03-04-05-678Z',
          'ledger.sqlite.journal.damaged-2026-01-02T03-04-05-678Z',
          'ledger.sqlite.lock.damaged-2026-01-02T03-04-05-678Z',
        ],
      );
      assert.equal((await checkLedger(file)).damaged, false);
      const db = await readLedgerFile(file);
      assert.equal(all(db, 'SELECT id FROM model_calls').length, 2);
      db.close();
    });

    it('repair says a journal of a generation the snapshot does not continue is not applied, and keeps it in the damaged copy', async () => {
      const l = await withCalls(1, { journalMaxLines: 4 });
      const early = readFileSync(file);
      const more = await withCalls(3, { journalMaxLines: 4 });
      await Promise.all([l.close(), more.close()]);
      writeFileSync(file, early);
      const { lines } = await repairLedger(file);
      assert.match(
        lines.join('\n'),
        /cannot recover: the journal .* is of generation \d+, which the snapshot \(generation \d+\) does not continue; its \d+ records were not applied/,
      );
      assert.equal((await checkLedger(file)).damaged, false);
    });

    it('repair leaves a sound ledger, or none, as it is', async () => {
      assert.match((await repairLedger(file)).lines.join('\n'), /nothing to repair/);
      assert.ok(!existsSync(file));
      await (await withCalls(1)).close();
      const before = readFileSync(file);
      assert.match((await repairLedger(file)).lines.join('\n'), /nothing to repair: the ledger is sound/);
      assert.deepEqual(readFileSync(file), before);
      assert.ok(!readdirSync(tmp.dir).some((n) => n.includes('damaged-')));
    });

    it('repair refuses while a live process holds the lock, and changes nothing', async () => {
      await (await withCalls(1)).close();
      chmodSync(`${file}.journal`, 0o444); // damage, so that repair has work to do
      mkdirSync(`${file}.lock`);
      const before = readFileSync(file);
      const clock = fakeTimers(); // the waits between its 21 attempts sleep on it; the lock folder and its mtime are real
      const start = clock.now;
      await assert.rejects(
        settleOn(clock, repairLedger(file, new Date(), clock)),
        isDamage(`${file}.lock`, /stayed locked/),
      );
      assert.ok(
        clock.now - start >= 1_500,
        `it waited out its retries (~2 s) before refusing, not ${clock.now - start} ms`,
      );
      assert.deepEqual(readFileSync(file), before);
      assert.ok(!readdirSync(tmp.dir).some((n) => n.includes('damaged-')));
    });
  });
});
