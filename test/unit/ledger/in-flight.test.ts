import { strict as assert } from 'node:assert';
import path from 'node:path';
import { InFlightLimitError, openLedger } from '../../../src/ledger/sqlite-ledger';
import { fakeTimers, settleOn, type FakeClock } from '../fake-clock';
import { caps, spend, tempDir } from './helpers';

/**
 * MAX_OPENAI_CONCURRENCY counted across processes: ledgers with different pids on one file stand in
 * for processes. reserve's waits sleep on a fake clock (`timers`), skipped by settleOn; the files and
 * their lock are real.
 */
describe('in-flight limit across processes (maxInFlight)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let clock: FakeClock;
  beforeEach(() => {
    tmp = tempDir();
    clock = fakeTimers();
  });
  afterEach(() => tmp.cleanup());

  it('never holds more reservations than the limit across two ledgers, and admits every call in the end', async () => {
    const file = path.join(tmp.dir, 'ledger.sqlite');
    const a = await openLedger(file, { caps: caps(1e9), pid: process.pid, maxInFlight: 3, timers: clock });
    const b = await openLedger(file, { caps: caps(1e9), pid: process.pid, maxInFlight: 3, timers: clock });
    await a.createJob({ id: 'j', kind: 'llm', model: 'gpt-4o-mini', request: null });
    let inFlight = 0;
    let peak = 0;
    const call = async (ledger: typeof a) => {
      const r = await ledger.reserve({ jobId: 'j', model: 'gpt-4o-mini', micros: 100 });
      peak = Math.max(peak, ++inFlight);
      peak = Math.max(peak, (await ledger.listReservations()).length);
      await new Promise((resolve) => clock.setTimeout(resolve, 15)); // the paid call
      inFlight--;
      await ledger.settle(r.id, spend(50));
    };
    await settleOn(
      clock,
      Promise.all([...Array.from({ length: 8 }, () => call(a)), ...Array.from({ length: 8 }, () => call(b))]),
    );
    assert.ok(peak <= 3, `peak in flight ${peak}`);
    assert.equal(peak, 3, 'the limit was reached, so the test exercised it');
    const stats = await a.spendStats();
    assert.equal(stats.current_month, (16 * 50) / 1e6);
    assert.equal(stats.reservations_in_flight, 0);
    await Promise.all([a.close(), b.close()]);
  });

  it('gives provider batch items (request mode "batch") no slot: they neither wait for one nor take one', async () => {
    const l = await openLedger(path.join(tmp.dir, 'ledger.sqlite'), {
      caps: caps(1e9),
      pid: process.pid,
      maxInFlight: 1,
      inFlightWaitMs: 5_000,
      timers: clock,
    });
    await l.createJob({ id: 'item', kind: 'llm', model: 'gpt-4o-mini', request: { task: 't', mode: 'batch' } });
    await l.createJob({ id: 'j', kind: 'llm', model: 'gpt-4o-mini', request: { task: 't' } });
    for (let i = 0; i < 3; i++)
      await settleOn(clock, l.reserve({ jobId: 'item', model: 'gpt-4o-mini', micros: 100 }), 0);
    await settleOn(clock, l.reserve({ jobId: 'j', model: 'gpt-4o-mini', micros: 100 }), 0); // the one slot is still free
    await assert.rejects(
      settleOn(clock, l.reserve({ jobId: 'j', model: 'gpt-4o-mini', micros: 100 })),
      InFlightLimitError,
    );
    assert.equal((await l.listReservations()).length, 4);
    await l.close();
  });

  it('stops waiting when the job is cancelled, holding nothing', async () => {
    const file = path.join(tmp.dir, 'ledger.sqlite');
    const l = await openLedger(file, { caps: caps(1e9), pid: process.pid, maxInFlight: 1, timers: clock });
    await l.createJob({ id: 'j', kind: 'llm', model: 'gpt-4o-mini', request: null });
    await l.reserve({ jobId: 'j', model: 'gpt-4o-mini', micros: 100 });
    const controller = new AbortController();
    const waiting = l.reserve({ jobId: 'j', model: 'gpt-4o-mini', micros: 100, signal: controller.signal });
    clock.setTimeout(() => controller.abort(new Error('cancelled')), 50);
    await assert.rejects(settleOn(clock, waiting), /cancelled/);
    assert.equal((await l.listReservations()).length, 1);
    await l.close();
  });

  it('gives up after inFlightWaitMs with an error naming MAX_OPENAI_CONCURRENCY', async () => {
    const l = await openLedger(path.join(tmp.dir, 'ledger.sqlite'), {
      caps: caps(1e9),
      pid: process.pid,
      maxInFlight: 1,
      inFlightWaitMs: 5_000,
      timers: clock,
    });
    await l.createJob({ id: 'j', kind: 'llm', model: 'gpt-4o-mini', request: null });
    await l.reserve({ jobId: 'j', model: 'gpt-4o-mini', micros: 100 });
    const start = clock.now;
    await assert.rejects(
      settleOn(clock, l.reserve({ jobId: 'j', model: 'gpt-4o-mini', micros: 100 })),
      (err: Error) => err instanceof InFlightLimitError && /MAX_OPENAI_CONCURRENCY\); waited 5 s/.test(err.message),
    );
    assert.ok(
      clock.now - start >= 5_000 && clock.now - start < 5_000 + 200,
      `gave up after ${clock.now - start} ms of waiting, not before 5 s nor a sleep after`,
    );
    assert.equal((await l.listReservations()).length, 1, 'holding nothing of its own');
    await l.close();
  });

  it('frees the slots held by a process that died', async () => {
    const file = path.join(tmp.dir, 'ledger.sqlite');
    const dead = await openLedger(file, { caps: caps(1e9), pid: 2 ** 22 + 12345, maxInFlight: 1 });
    const me = await openLedger(file, {
      caps: caps(1e9),
      pid: process.pid,
      maxInFlight: 1,
      inFlightWaitMs: 10_000,
      timers: clock,
    });
    await dead.createJob({ id: 'j', kind: 'llm', model: 'gpt-4o-mini', request: null });
    await dead.reserve({ jobId: 'j', model: 'gpt-4o-mini', micros: 100 });
    await me.createJob({ id: 'k', kind: 'llm', model: 'gpt-4o-mini', request: null });
    const start = clock.now;
    const r = await settleOn(clock, me.reserve({ jobId: 'k', model: 'gpt-4o-mini', micros: 100 }));
    assert.equal(r.jobId, 'k');
    assert.ok(clock.now - start >= 2_000, 'freed by the orphan check every 2 s of waiting, not at once');
    assert.deepEqual(
      (await me.listReservations()).map((x) => x.jobId),
      ['k'],
      "the dead process's slot is gone",
    );
    await Promise.all([dead.close(), me.close()]);
  });
});
