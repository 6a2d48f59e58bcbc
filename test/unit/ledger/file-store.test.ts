import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, rmSync, unlinkSync, utimesSync, watch, writeFileSync } from 'node:fs';
import path from 'node:path';
import { FileStore, LedgerFileError } from '../../../src/ledger/file-store';
import { LedgerVersionError } from '../../../src/ledger/schema';
import { loadSqlJs } from '../../../src/ledger/sqljs';
import { openLedger } from '../../../src/ledger/sqlite-ledger';
import { caps, readLedgerFile, spend, tempDir } from './helpers';

const WRITER = path.join(__dirname, 'fixtures', 'ledger-writer.ts');

/** write-file-atomic's temp files beside the snapshot and the journal: `<file>.<number>`. */
const isTemp = (name: string) => /^ledger\.sqlite(\.journal)?\.\d+$/.test(name);

/** Starts the writer fixture in its own process. */
function writer(args: string[], env: Record<string, string> = {}) {
  return spawn(process.execPath, ['--import', 'tsx', WRITER, ...args], { cwd: process.cwd(), env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
}

/** Reads snapshot + journal with a fresh sql.js (no lock, no ledger code) and runs `sql`. */
async function query(file: string, sql: string): Promise<unknown[][]> {
  const db = await readLedgerFile(file);
  try {
    return db.exec(sql)[0]?.values ?? [];
  } finally {
    db.close();
  }
}

describe('ledger file store', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    tmp = tempDir();
    file = path.join(tmp.dir, 'ledger.sqlite');
  });
  afterEach(() => tmp.cleanup());

  it('leaves a complete ledger with every committed row when a writer is killed mid-append or mid-compaction (SIGKILL)', async function () {
    this.timeout(60_000);
    // The writer compacts every 5 transactions. Kill moments: as a temp file appears (inside a
    // compaction's atomic snapshot or journal replacement), as the journal changes (an append), as
    // the lock is taken, and right after a commit was reported. The writer's lock is removed after
    // each kill so the next round need not wait for it to go stale (that takeover has its own test).
    const rounds: Array<(name: string, committed: number) => boolean> = [
      (name, n) => n >= 3 && isTemp(name),
      (name, n) => n >= 3 && isTemp(name),
      (name, n) => n >= 4 && name === 'ledger.sqlite.journal',
      (name, n) => n >= 5 && name === 'ledger.sqlite.journal',
      (name, n) => n >= 6 && name.endsWith('.lock'),
      (_name, n) => n >= 9,
    ];
    let midWrite = 0;
    for (const shouldKill of rounds) {
      const child = writer(['loop', file], { JOURNAL_MAX_LINES: '5' });
      let committed = 0;
      let stderr = '';
      const watcher = watch(tmp.dir, (_event, name) => {
        if (name && shouldKill(name, committed)) child.kill('SIGKILL');
      });
      child.stderr.on('data', (d) => { stderr += d; });
      await new Promise<void>((resolve, reject) => {
        child.stdout.on('data', (d: Buffer) => {
          const last = /committed (\d+)\n$/.exec(d.toString());
          if (last) committed = Number(last[1]);
          if (shouldKill('', committed)) child.kill('SIGKILL');
        });
        child.on('exit', (_code, signal) => (signal === 'SIGKILL' ? resolve() : reject(new Error(`writer exited early: ${stderr}`))));
      });
      watcher.close();
      if (readdirSync(tmp.dir).some(isTemp)) midWrite++;
      rmSync(`${file}.lock`, { recursive: true, force: true });
      assert.deepEqual(await query(file, 'PRAGMA integrity_check'), [['ok']]);
      const [[rows]] = (await query(file, `SELECT COUNT(*) FROM model_calls WHERE job_id = 'w-${child.pid}'`)) as [[number]];
      assert.ok(rows >= committed, `${rows} rows on disk, ${committed} reported committed`);
    }
    assert.ok(midWrite >= 1, 'at least one kill landed inside a compaction (its temp file was left behind)');
    const reopened = await openLedger(file, { caps: caps(1e12) });
    assert.equal((await reopened.listJobs()).length, rounds.length);
    await reopened.close();
  });

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
    const work = (l: typeof a, jobId: string) => Array.from({ length: 15 }, async () => {
      const r = await l.reserve({ jobId, model: 'm', micros: 100 });
      await l.settle(r.id, spend(7, 'm'));
    });
    await Promise.all([...work(a, 'ja'), ...work(b, 'jb')]);
    assert.deepEqual(await query(file, 'SELECT job_id, COUNT(*), SUM(cost_micros) FROM model_calls GROUP BY job_id ORDER BY job_id'), [['ja', 15, 105], ['jb', 15, 105]]);
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

  it('admits no more than the cap across processes contending for it', async function () {
    this.timeout(60_000);
    const seed = await openLedger(file, { caps: caps(0) });
    await seed.close();
    const children = [1, 2, 3].map(() => writer(['contend', file, '25'], { CAP_MICROS: String(40 * 1000) }));
    const admitted = await Promise.all(children.map((c) => new Promise<number>((resolve, reject) => {
      let out = '';
      let err = '';
      c.stdout.on('data', (d) => { out += d; });
      c.stderr.on('data', (d) => { err += d; });
      c.on('exit', (code) => (code === 0 ? resolve(Number(/admitted (\d+)/.exec(out)?.[1])) : reject(new Error(err))));
    })));
    assert.equal(admitted.reduce((x, y) => x + y, 0), 40);
    assert.deepEqual(await query(file, 'SELECT COUNT(*), SUM(micros) FROM reservations'), [[40, 40_000]]);
  });

  it('refuses a file that is not a database and leaves it untouched', async () => {
    writeFileSync(file, 'this is not sqlite, but it is somebody\'s data'.repeat(200));
    const before = readFileSync(file);
    await assert.rejects(openLedger(file, { caps: caps(1) }), (err: unknown) => err instanceof LedgerFileError && /not a SQLite database/.test(err.message) && err.message.includes(file));
    assert.deepEqual(readFileSync(file), before);
  });

  it('refuses a ledger written by a newer Offload and leaves it untouched', async () => {
    const SQL = await loadSqlJs();
    const db = new SQL.Database();
    db.run('PRAGMA user_version = 99');
    writeFileSync(file, db.export());
    db.close();
    const before = readFileSync(file);
    await assert.rejects(openLedger(file, { caps: caps(1) }), (err: unknown) => err instanceof LedgerVersionError && err.found === 99);
    assert.deepEqual(readFileSync(file), before);
  });

  it('fails closed when the file disappears under an open ledger', async () => {
    const l = await openLedger(file, { caps: caps(1) });
    unlinkSync(file);
    await assert.rejects(l.getJob('x'), (err: unknown) => err instanceof LedgerFileError && /disappeared/.test(err.message) && err.message.includes(file));
    await l.close();
  });

  it('keeps the old file and removes its temp file when an atomic write cannot complete', async () => {
    writeFileSync(file, 'old');
    const store = new FileStore(file);
    const lost = { assertHeld: () => { throw new LedgerFileError('lost the lock'); } };
    await assert.rejects(store.withLock(() => store.write(new Uint8Array([1, 2, 3]), lost)), /lost the lock/);
    assert.equal(readFileSync(file, 'utf8'), 'old');
    assert.deepEqual(readdirSync(tmp.dir).filter((f) => f.endsWith('.tmp')), []);
  });
});
