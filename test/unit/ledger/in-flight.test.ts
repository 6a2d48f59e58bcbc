import { strict as assert } from 'node:assert';
import path from 'node:path';
import { InFlightLimitError, openLedger } from '../../../src/ledger/sqlite-ledger';
import { caps, spend, tempDir } from './helpers';

/** MAX_OPENAI_CONCURRENCY counted across processes: ledgers with different pids on one file stand in for processes. */
describe('in-flight limit across processes (maxInFlight)', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => { tmp = tempDir(); });
  afterEach(() => tmp.cleanup());

  it('never holds more reservations than the limit across two ledgers, and admits every call in the end', async () => {
    const file = path.join(tmp.dir, 'ledger.sqlite');
    const a = await openLedger(file, { caps: caps(1e9), pid: process.pid, maxInFlight: 3 });
    const b = await openLedger(file, { caps: caps(1e9), pid: process.pid, maxInFlight: 3 });
    await a.createJob({ id: 'j', kind: 'llm', model: 'gpt-4o-mini', request: null });
    let inFlight = 0;
    let peak = 0;
    const call = async (ledger: typeof a) => {
      const r = await ledger.reserve({ jobId: 'j', model: 'gpt-4o-mini', micros: 100 });
      peak = Math.max(peak, ++inFlight);
      peak = Math.max(peak, (await ledger.listReservations()).length);
      await new Promise((resolve) => setTimeout(resolve, 15));
      inFlight--;
      await ledger.settle(r.id, spend(50));
    };
    await Promise.all([...Array.from({ length: 8 }, () => call(a)), ...Array.from({ length: 8 }, () => call(b))]);
    assert.ok(peak <= 3, `peak in flight ${peak}`);
    assert.equal(peak, 3, 'the limit was reached, so the test exercised it');
    const stats = await a.spendStats();
    assert.equal(stats.current_month, 16 * 50 / 1e6);
    assert.equal(stats.reservations_in_flight, 0);
    await Promise.all([a.close(), b.close()]);
  });

  it('stops waiting when the job is cancelled, holding nothing', async () => {
    const file = path.join(tmp.dir, 'ledger.sqlite');
    const l = await openLedger(file, { caps: caps(1e9), pid: process.pid, maxInFlight: 1 });
    await l.createJob({ id: 'j', kind: 'llm', model: 'gpt-4o-mini', request: null });
    await l.reserve({ jobId: 'j', model: 'gpt-4o-mini', micros: 100 });
    const controller = new AbortController();
    const waiting = l.reserve({ jobId: 'j', model: 'gpt-4o-mini', micros: 100, signal: controller.signal });
    setTimeout(() => controller.abort(new Error('cancelled')), 50);
    await assert.rejects(waiting, /cancelled/);
    assert.equal((await l.listReservations()).length, 1);
    await l.close();
  });

  it('gives up after inFlightWaitMs with an error naming MAX_OPENAI_CONCURRENCY', async () => {
    const l = await openLedger(path.join(tmp.dir, 'ledger.sqlite'), { caps: caps(1e9), pid: process.pid, maxInFlight: 1, inFlightWaitMs: 100 });
    await l.createJob({ id: 'j', kind: 'llm', model: 'gpt-4o-mini', request: null });
    await l.reserve({ jobId: 'j', model: 'gpt-4o-mini', micros: 100 });
    await assert.rejects(l.reserve({ jobId: 'j', model: 'gpt-4o-mini', micros: 100 }), (err: Error) => err instanceof InFlightLimitError && /MAX_OPENAI_CONCURRENCY/.test(err.message));
    await l.close();
  });

  it('frees the slots held by a process that died', async () => {
    const file = path.join(tmp.dir, 'ledger.sqlite');
    const dead = await openLedger(file, { caps: caps(1e9), pid: 2 ** 22 + 12345, maxInFlight: 1 });
    const me = await openLedger(file, { caps: caps(1e9), pid: process.pid, maxInFlight: 1, inFlightWaitMs: 10_000 });
    await dead.createJob({ id: 'j', kind: 'llm', model: 'gpt-4o-mini', request: null });
    await dead.reserve({ jobId: 'j', model: 'gpt-4o-mini', micros: 100 });
    await me.createJob({ id: 'k', kind: 'llm', model: 'gpt-4o-mini', request: null });
    const r = await me.reserve({ jobId: 'k', model: 'gpt-4o-mini', micros: 100 });
    assert.equal(r.jobId, 'k');
    await Promise.all([dead.close(), me.close()]);
  });
});
