import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { FileStore, LedgerFileError, type LockGuard } from '../../../src/ledger/file-store';
import { JournalFile } from '../../../src/ledger/journal';
import { openLedger } from '../../../src/ledger/sqlite-ledger';
import { caps, readLedgerFile, spend, tempDir } from './helpers';

/** The entries of `<file>.journal` after its header: generation, sequence number, statement count. */
const entries = (file: string) =>
  readFileSync(`${file}.journal`, 'utf8')
    .split('\n')
    .filter(Boolean)
    .slice(1)
    .map((line) => JSON.parse(line) as { n: number; s: unknown[] });

/** Counts lock holds (FileStore.withLock calls) while `fn` runs. */
async function countingHolds<T>(fn: () => Promise<T>): Promise<{ result: T; holds: number }> {
  const original = FileStore.prototype.withLock;
  let holds = 0;
  FileStore.prototype.withLock = function <R>(this: FileStore, body: (guard: LockGuard) => Promise<R>): Promise<R> {
    holds++;
    return original.call(this, body) as Promise<R>;
  };
  try {
    return { result: await fn(), holds };
  } finally {
    FileStore.prototype.withLock = original;
  }
}

describe('ledger group commit (writes queued in one process share a lock hold and an fdatasync)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  beforeEach(() => {
    tmp = tempDir();
    file = path.join(tmp.dir, 'ledger.sqlite');
  });
  afterEach(() => tmp.cleanup());

  it('runs writes queued while the lock is held in the next lock hold, one journal line each, and answers each caller', async () => {
    const l = await openLedger(file, { caps: caps(1e9) });
    await l.createJob({ id: 'first', kind: 'llm', model: 'm', request: null });
    const { result: jobs, holds } = await countingHolds(() =>
      Promise.all(
        Array.from({ length: 20 }, (_, i) => l.createJob({ id: `j${i}`, kind: 'llm', model: 'm', request: { i } })),
      ),
    );
    assert.deepEqual(
      jobs.map((j) => j.request),
      Array.from({ length: 20 }, (_, i) => ({ i })),
    );
    assert.ok(holds <= 2, `20 queued writes took ${holds} lock holds`);
    assert.deepEqual(
      entries(file).map((e) => e.n),
      Array.from({ length: 21 }, (_, i) => i + 1),
    );
    const db = await readLedgerFile(file);
    assert.deepEqual(db.exec('SELECT COUNT(*) FROM jobs')[0]?.values, [[21]]);
    db.close();
    await l.close();
  });

  it('gathers the writes issued in one turn of the event loop into one hold, also those issued after awaits', async () => {
    const l = await openLedger(file, { caps: caps(1e9) });
    await l.createJob({ id: 'first', kind: 'llm', model: 'm', request: null });
    const { holds } = await countingHolds(async () => {
      // As in the adapter: each request reaches its reserve a few promise hops after its I/O callback, not all at once.
      const a = l.createJob({ id: 'a', kind: 'llm', model: 'm', request: null });
      await Promise.resolve();
      await Promise.resolve();
      const b = l.createJob({ id: 'b', kind: 'llm', model: 'm', request: null });
      await new Promise<void>((resolve) => process.nextTick(resolve));
      const c = l.createJob({ id: 'c', kind: 'llm', model: 'm', request: null });
      await Promise.all([a, b, c]);
    });
    assert.equal(holds, 1);
    assert.deepEqual((await l.listJobs()).map((j) => j.id).sort(), ['a', 'b', 'c', 'first']);
    await l.close();
  });

  it('fails only the transactions that throw; the others in the same lock hold commit', async () => {
    const l = await openLedger(file, { caps: caps(1000) });
    await l.createJob({ id: 'j', kind: 'llm', model: 'm', request: null });
    const outcomes = await Promise.allSettled([
      l.reserve({ jobId: 'j', model: 'm', micros: 600 }),
      l.reserve({ jobId: 'nope', model: 'm', micros: 1 }),
      l.reserve({ jobId: 'j', model: 'm', micros: 600 }), // sees the first one's hold: over the cap
      l.reserve({ jobId: 'j', model: 'm', micros: 400 }),
      l.createJob({ id: 'j', kind: 'llm', model: 'm', request: null }),
    ]);
    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'rejected', 'fulfilled', 'rejected'],
    );
    const reasons = outcomes.map((o) => (o.status === 'rejected' ? String((o.reason as Error).message) : ''));
    assert.match(reasons[1] ?? '', /unknown job nope/);
    assert.match(reasons[2] ?? '', /monthly budget exceeded/);
    assert.match(reasons[4] ?? '', /already exists/);
    assert.deepEqual(
      (await l.listReservations()).map((r) => r.micros),
      [600, 400],
    );
    const db = await readLedgerFile(file);
    assert.deepEqual(db.exec('SELECT micros FROM reservations ORDER BY rowid')[0]?.values, [[600], [400]]);
    db.close();
    await l.close();
  });

  it('keeps call order around reads: a read sees the writes queued before it and none queued after', async () => {
    const l = await openLedger(file, { caps: caps(1e9) });
    const before = l.createJob({ id: 'before', kind: 'llm', model: 'm', request: null });
    const listed = l.listJobs();
    const after = l.createJob({ id: 'after', kind: 'llm', model: 'm', request: null });
    await Promise.all([before, after]);
    assert.deepEqual(
      (await listed).map((j) => j.id),
      ['before'],
    );
    await l.close();
  });

  it('fails every transaction of a lock hold whose journal append failed, and reloads before the next call', async () => {
    const l = await openLedger(file, { caps: caps(1e9) });
    await l.createJob({ id: 'j', kind: 'llm', model: 'm', request: null });
    const r = await l.reserve({ jobId: 'j', model: 'm', micros: 100 });
    const original = JournalFile.prototype.append;
    JournalFile.prototype.append = async () => {
      throw new LedgerFileError('disk full (simulated)');
    };
    let outcomes: PromiseSettledResult<unknown>[];
    try {
      outcomes = await Promise.allSettled([
        l.settle(r.id, spend(50, 'm')),
        l.reserve({ jobId: 'j', model: 'm', micros: 200 }),
        l.createJob({ id: 'k', kind: 'llm', model: 'm', request: null }),
      ]);
    } finally {
      JournalFile.prototype.append = original;
    }
    for (const o of outcomes)
      assert.ok(o.status === 'rejected' && /disk full/.test(String((o.reason as Error).message)));
    assert.deepEqual(
      (await l.listReservations()).map((x) => x.micros),
      [100],
      'memory was reloaded from the files',
    );
    assert.equal(await l.getJob('k'), undefined);
    await l.settle(r.id, spend(50, 'm'));
    assert.equal((await l.getJob('j'))?.costMicros, 50);
    await l.close();
  });

  it('serves many concurrent paid calls with fewer lock holds than transactions, losing none', async () => {
    const l = await openLedger(file, { caps: caps(1e9) });
    await l.createJob({ id: 'j', kind: 'llm', model: 'm', request: null });
    const { holds } = await countingHolds(() =>
      Promise.all(
        Array.from({ length: 8 }, async () => {
          for (let i = 0; i < 5; i++) {
            const r = await l.reserve({ jobId: 'j', model: 'm', micros: 100 });
            await l.settle(r.id, spend(3, 'm'));
          }
        }),
      ),
    );
    assert.ok(holds < 80 / 2, `80 transactions took ${holds} lock holds`);
    assert.equal((await l.getJob('j'))?.costMicros, 120);
    const db = await readLedgerFile(file);
    assert.deepEqual(db.exec('SELECT COUNT(*), SUM(cost_micros) FROM model_calls')[0]?.values, [[40, 120]]);
    assert.deepEqual(db.exec('SELECT COUNT(*) FROM reservations')[0]?.values, [[0]]);
    db.close();
    await l.close();
  });
});
