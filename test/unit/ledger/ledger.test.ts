import assert from 'node:assert/strict';
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { DEFAULT_BREAKER_POLICY } from '../../../src/core/breaker';
import { BudgetExceededError } from '../../../src/core/budget';
import { openLedger, openMemoryLedger, type SqliteLedger } from '../../../src/ledger/sqlite-ledger';
import { caps, fakeClock, spend, tempDir } from './helpers';

describe('sqlite ledger', () => {
  let clock: ReturnType<typeof fakeClock>;
  let ledger: SqliteLedger;

  beforeEach(async () => {
    clock = fakeClock('2025-06-15T12:00:00.000Z');
    // These tests are about caps; the breaker's velocity rule (on by default) is tested in ledger-breaker.test.ts.
    ledger = await openMemoryLedger({
      caps: caps(1_000_000),
      clock: clock.now,
      pid: 4242,
      breaker: { ...DEFAULT_BREAKER_POLICY, velocityPct: 0 },
    });
    await ledger.createJob({ id: 'j1', kind: 'llm', model: 'gpt-4o-mini', request: { prompt: 'hi' } });
  });
  afterEach(() => ledger.close());

  describe('admission', () => {
    it('admits reservations up to the monthly cap exactly', async () => {
      await ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 600_000 });
      const r = await ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 400_000 });
      assert.deepEqual(
        { micros: r.micros, jobId: r.jobId, pid: r.pid, createdAt: r.createdAt },
        { micros: 400_000, jobId: 'j1', pid: 4242, createdAt: clock.now() },
      );
      assert.equal((await ledger.spendStats()).reserved, 1);
    });

    it('rejects a reservation past the cap, saying what remains and what was needed, and writes nothing', async () => {
      await ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 700_000 });
      await assert.rejects(ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 300_001 }), (err: unknown) => {
        assert.ok(err instanceof BudgetExceededError);
        assert.equal(err.cap, 'monthly');
        assert.equal(err.message, 'monthly budget exceeded: $0.30 of $1.00 remains, this call needs up to $0.30');
        assert.deepEqual([err.remainingMicros, err.neededMicros], [300_000, 300_001]);
        return true;
      });
      assert.equal((await ledger.listReservations()).length, 1);
    });

    it('counts settled spend of this month against the cap', async () => {
      const r = await ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 900_000 });
      await ledger.settle(r.id, spend(800_000));
      await assert.rejects(ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 200_001 }), BudgetExceededError);
      await ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 200_000 });
    });

    it('enforces the daily cap when set, and frees it the next UTC day', async () => {
      ledger.setCaps(caps(1_000_000, 100_000));
      const r = await ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 100_000 });
      await ledger.settle(r.id, spend(90_000));
      await assert.rejects(
        ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 10_001 }),
        (e: unknown) => e instanceof BudgetExceededError && e.cap === 'daily',
      );
      clock.set('2025-06-16T00:00:00.000Z');
      await ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 100_000 });
    });

    it("enforces a job's max cost over its settled spend and its own reservations only", async () => {
      await ledger.createJob({
        id: 'capped',
        kind: 'claude-code',
        model: 'deepseek-chat',
        request: {},
        maxCostMicros: 50_000,
      });
      await ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 500_000 }); // another job's hold does not count
      const r = await ledger.reserve({ jobId: 'capped', model: 'deepseek-chat', micros: 30_000 });
      await ledger.settle(r.id, spend(20_000, 'deepseek-chat'));
      await ledger.reserve({ jobId: 'capped', model: 'deepseek-chat', micros: 20_000 });
      await assert.rejects(
        ledger.reserve({ jobId: 'capped', model: 'deepseek-chat', micros: 10_001 }),
        (e: unknown) => {
          return e instanceof BudgetExceededError && e.cap === 'job' && e.remainingMicros === 10_000;
        },
      );
    });

    it("does not count last month's spend after the month rolls over (UTC)", async () => {
      clock.set('2025-06-30T23:59:59.000Z');
      const r = await ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 1_000_000 });
      await ledger.settle(r.id, spend(1_000_000));
      await assert.rejects(ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 1 }), BudgetExceededError);
      clock.set('2025-07-01T00:00:00.000Z');
      await ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 1_000_000 });
      const stats = await ledger.spendStats();
      assert.equal(stats.month, '2025-07');
      assert.equal(stats.current_month, 0);
      assert.equal((await ledger.spendStats(new Date('2025-06-20T00:00:00Z'))).current_month, 1);
    });

    it('refuses reservations for an unknown or finished job, and invalid amounts', async () => {
      await assert.rejects(ledger.reserve({ jobId: 'nope', model: 'm', micros: 1 }), /unknown job nope/);
      await ledger.createJob({ id: 'done', kind: 'llm', model: 'm', request: null, status: 'running' });
      await ledger.updateJob('done', { status: 'cancelled' });
      await assert.rejects(ledger.reserve({ jobId: 'done', model: 'm', micros: 1 }), /job done is cancelled/);
      await assert.rejects(ledger.reserve({ jobId: 'j1', model: 'm', micros: 1.5 }), RangeError);
      assert.equal((await ledger.listReservations()).length, 0);
    });
  });

  describe('settle and release', () => {
    it('replaces the reservation by a spend row with the real cost and usage', async () => {
      const r = await ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 5_000 });
      clock.advance(1500);
      await ledger.settle(r.id, { ...spend(210), latencyMs: 1500, route: 'primary' });
      const job = await ledger.getJob('j1');
      assert.equal(job?.costMicros, 210);
      assert.deepEqual(job?.usage, { input_tokens: 1000, output_tokens: 100, cache_read_tokens: 0 });
      assert.deepEqual(await ledger.listReservations(), []);
      const stats = await ledger.spendStats();
      assert.equal(stats.current_month, 0.00021);
      assert.equal(stats.reserved, 0);
    });

    it('is idempotent per reservation id', async () => {
      const r = await ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 5_000 });
      await ledger.settle(r.id, spend(210));
      await ledger.settle(r.id, spend(999));
      await ledger.release(r.id);
      assert.equal((await ledger.getJob('j1'))?.costMicros, 210);
      assert.equal((await ledger.spendStats()).by_model['gpt-4o-mini']?.calls, 1);
    });

    it('releases a reservation of a failed call without spend, idempotently', async () => {
      const r = await ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 1_000_000 });
      await ledger.release(r.id);
      await ledger.release(r.id);
      assert.equal((await ledger.getJob('j1'))?.costMicros, 0);
      await ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 1_000_000 });
    });

    it('refuses to settle an unknown reservation', async () => {
      await assert.rejects(ledger.settle('missing', spend(1)), /unknown reservation missing/);
      await assert.rejects(ledger.settle('missing', spend(-1)), RangeError);
    });
  });

  describe('jobs', () => {
    it('creates a queued job with its request, and lists newest first', async () => {
      clock.advance(10);
      await ledger.createJob({
        id: 'j2',
        kind: 'claude-code',
        agent: null,
        model: 'deepseek-chat',
        request: { a: 1 },
        maxCostMicros: 500_000,
      });
      const jobs = await ledger.listJobs();
      assert.deepEqual(
        jobs.map((j) => j.id),
        ['j2', 'j1'],
      );
      assert.deepEqual(jobs[0], {
        id: 'j2',
        kind: 'claude-code',
        status: 'queued',
        agent: null,
        model: 'deepseek-chat',
        request: { a: 1 },
        result: null,
        error: null,
        createdAt: clock.now(),
        updatedAt: clock.now(),
        maxCostMicros: 500_000,
        costMicros: 0,
        usage: { input_tokens: 0, output_tokens: 0, cache_read_tokens: 0 },
        member: null,
        machine: null,
      });
      assert.equal((await ledger.listJobs(1)).length, 1);
    });

    it('rejects a duplicate job id', async () => {
      await assert.rejects(
        ledger.createJob({ id: 'j1', kind: 'llm', model: 'm', request: null }),
        /job j1 already exists/,
      );
    });

    it('updates status through legal transitions and stores the result', async () => {
      await ledger.updateJob('j1', { status: 'running' });
      clock.advance(5);
      const done = await ledger.updateJob('j1', {
        status: 'completed',
        result: { job_status: 'completed' },
        error: null,
      });
      assert.equal(done.status, 'completed');
      assert.deepEqual(done.result, { job_status: 'completed' });
      assert.equal(done.updatedAt, clock.now());
      await assert.rejects(ledger.updateJob('j1', { status: 'running' }), /illegal job transition completed → running/);
      await assert.rejects(ledger.updateJob('zz', { error: 'x' }), /unknown job zz/);
      assert.equal((await ledger.getJob('j1'))?.status, 'completed');
    });
  });

  describe('spendStats', () => {
    it('fills every field from µUSD sums', async () => {
      ledger.setCaps(caps(2_000_000, 1_000_000));
      await ledger.createJob({ id: 'cc', kind: 'claude-code', model: 'deepseek-chat', request: {}, status: 'running' });
      const a = await ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 10_000 });
      await ledger.settle(a.id, spend(210));
      const b = await ledger.reserve({ jobId: 'cc', model: 'deepseek-chat', micros: 600_000 });
      await ledger.settle(b.id, {
        model: 'deepseek-chat',
        costMicros: 499_790,
        status: 'ok',
        usage: { input_tokens: 10, output_tokens: 20, cache_read_tokens: 30 },
      });
      await ledger.reserve({ jobId: 'cc', model: 'deepseek-chat', micros: 250_000 });
      // Two receipts this month (one job's stored result carries none); saved_usd may be negative.
      await ledger.updateJob('cc', {
        result: {
          savings: { saved_usd: 0.25, caller_tokens_avoided: 500, transcript_bytes: 4000, returned_bytes: 300 },
        },
      });
      await ledger.createJob({ id: 'r2', kind: 'llm', model: 'gpt-4o-mini', request: {}, status: 'running' });
      await ledger.updateJob('r2', {
        result: { savings: { saved_usd: -0.05, caller_tokens_avoided: 7, transcript_bytes: 40, returned_bytes: 12 } },
      });
      clock.set('2025-06-16T08:00:00.000Z');
      const { member: _member, by_member: _byMember, ...team } = await ledger.spendStats(); // the members' figures: test/unit/ledger/contract
      assert.deepEqual(team, {
        month: '2025-06',
        current_month: 0.5,
        total_budget: 2,
        remaining: 1.25,
        percentage_used: 25,
        today: 0,
        daily_budget: 1,
        reserved: 0.25,
        reservations_in_flight: 1,
        by_model: {
          'deepseek-chat': { cost_usd: 0.49979, calls: 1, input_tokens: 10, output_tokens: 20, cache_read_tokens: 30 },
          'gpt-4o-mini': { cost_usd: 0.00021, calls: 1, input_tokens: 1000, output_tokens: 100, cache_read_tokens: 0 },
        },
        by_kind: { llm: { cost_usd: 0.00021, jobs: 2 }, 'claude-code': { cost_usd: 0.49979, jobs: 1 } },
        jobs: { total: 3, running: 2 },
        savings: { jobs: 2, saved_usd: 0.2, caller_tokens_avoided: 507, transcript_bytes: 4040, returned_bytes: 312 },
        thresholds: [80, 95],
        thresholds_crossed: [],
        breaker: { state: 'closed', reason: null, detail: null, since: null },
      });
    });

    const pct: Array<[number, number, number]> = [
      [1, 3, 33.33],
      [2, 3, 66.67],
      [0, 5, 0],
      [0, 0, 100],
    ];
    for (const [used, cap, expected] of pct) {
      it(`reports ${used} of a ${cap} µUSD cap as ${expected}% with remaining never negative`, async () => {
        ledger.setCaps(caps(cap));
        if (used > 0) {
          const r = await ledger.reserve({ jobId: 'j1', model: 'm', micros: used });
          await ledger.settle(r.id, spend(used));
        }
        const stats = await ledger.spendStats();
        assert.equal(stats.percentage_used, expected);
        assert.ok(stats.remaining >= 0);
      });
    }
  });
});

describe('sqlite ledger file', () => {
  let tmp: ReturnType<typeof tempDir>;
  beforeEach(() => {
    tmp = tempDir();
  });
  afterEach(() => tmp.cleanup());

  it('creates the parent folder and keeps data across reopen', async () => {
    const file = path.join(tmp.dir, 'nested', 'deeper', 'ledger.sqlite');
    const a = await openLedger(file, { caps: caps(1_000_000) });
    await a.createJob({ id: 'j1', kind: 'llm', model: 'gpt-4o-mini', request: { p: 1 } });
    const r = await a.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 1000 });
    await a.settle(r.id, spend(210));
    await a.close();
    const b = await openLedger(file, { caps: caps(1_000_000) });
    assert.equal((await b.getJob('j1'))?.costMicros, 210);
    assert.deepEqual((await b.getJob('j1'))?.request, { p: 1 });
    await b.close();
  });

  it('writes nothing to the file when a reservation is rejected', async () => {
    const file = path.join(tmp.dir, 'ledger.sqlite');
    const l = await openLedger(file, { caps: caps(100) });
    await l.createJob({ id: 'j1', kind: 'llm', model: 'm', request: null });
    const before = { bytes: readFileSync(file), ino: statSync(file).ino };
    await assert.rejects(l.reserve({ jobId: 'j1', model: 'm', micros: 101 }), BudgetExceededError);
    await l.release('no-such-reservation');
    assert.deepEqual({ bytes: readFileSync(file), ino: statSync(file).ino }, before);
    await l.close();
  });

  it("charges a dead process's reservations at their held amount, keeping its own and live ones", async () => {
    const file = path.join(tmp.dir, 'ledger.sqlite');
    const dead = await openLedger(file, { caps: caps(1_000_000), pid: 7 });
    const live = await openLedger(file, { caps: caps(1_000_000), pid: 8 });
    const me = await openLedger(file, { caps: caps(1_000_000), pid: 9 });
    await dead.createJob({ id: 'j1', kind: 'llm', model: 'gpt-4o-mini', request: null });
    const orphan = await dead.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 40_000 });
    const held = await live.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 1_000 });
    const mine = await me.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 2_000 });
    assert.equal(await me.reclaimOrphans((pid) => pid === 8), 1);
    assert.deepEqual(
      (await me.listReservations()).map((r) => r.id),
      [held.id, mine.id],
    );
    assert.equal((await me.getJob('j1'))?.costMicros, 40_000);
    await dead.settle(orphan.id, spend(10)); // a late settle of a reclaimed reservation changes nothing
    assert.equal((await me.spendStats()).current_month, 0.04);
    await Promise.all([dead.close(), live.close(), me.close()]);
  });

  it('ends the queued and running jobs of a dead process as failed, and leaves those of live processes alone', async () => {
    const file = path.join(tmp.dir, 'ledger.sqlite');
    const dead = await openLedger(file, { caps: caps(1_000_000), pid: 7 });
    const live = await openLedger(file, { caps: caps(1_000_000), pid: 8 });
    const me = await openLedger(file, { caps: caps(1_000_000), pid: 9 });
    await dead.createJob({ id: 'd-queued', kind: 'llm', model: 'gpt-4o-mini', request: null });
    await dead.createJob({
      id: 'd-running',
      kind: 'claude-code',
      model: 'gpt-4o-mini',
      request: null,
      status: 'running',
    });
    await dead.createJob({ id: 'd-done', kind: 'llm', model: 'gpt-4o-mini', request: null, status: 'running' });
    await dead.updateJob('d-done', { status: 'completed' });
    await live.createJob({ id: 'l-running', kind: 'llm', model: 'gpt-4o-mini', request: null, status: 'running' });
    await me.reclaimOrphans((pid) => pid === 8);
    for (const id of ['d-queued', 'd-running']) {
      const job = await me.getJob(id);
      assert.equal(job?.status, 'failed');
      assert.match(job?.error ?? '', /pid 7\) exited before it finished/);
    }
    assert.equal((await me.getJob('d-done'))?.status, 'completed');
    assert.equal((await me.getJob('l-running'))?.status, 'running');
    await Promise.all([dead.close(), live.close(), me.close()]);
  });

  it("leaves a dead process's running provider batch item and its reservation for another process to resume", async () => {
    const file = path.join(tmp.dir, 'ledger.sqlite');
    const dead = await openLedger(file, { caps: caps(1_000_000), pid: 7 });
    const me = await openLedger(file, { caps: caps(1_000_000), pid: 9 });
    await dead.createJob({ id: 'item', kind: 'llm', model: 'gpt-4o-mini', request: { task: 't', mode: 'batch' } });
    await dead.createJob({ id: 'plain', kind: 'llm', model: 'gpt-4o-mini', request: { task: 't' } });
    const held = await dead.reserve({ jobId: 'item', model: 'gpt-4o-mini', micros: 5_000 });
    await dead.reserve({ jobId: 'plain', model: 'gpt-4o-mini', micros: 7_000 });
    await dead.updateJob('item', { status: 'running', result: { batch: { mode: 'batch', id: 'batch_1' } } });
    await dead.updateJob('plain', { status: 'running' });
    assert.equal(await me.reclaimOrphans(() => false), 1);
    assert.equal((await me.getJob('item'))?.status, 'running');
    assert.equal((await me.getJob('plain'))?.status, 'failed');
    assert.deepEqual(
      (await me.listReservations()).map((r) => r.id),
      [held.id],
    );
    assert.equal((await me.spendStats()).current_month, 0.007);
    await Promise.all([dead.close(), me.close()]);
  });

  it("ends a dead process's job waiting for its off-peak start as failed, saying to submit it again", async () => {
    const file = path.join(tmp.dir, 'ledger.sqlite');
    const dead = await openLedger(file, { caps: caps(1_000_000), pid: 7 });
    const me = await openLedger(file, { caps: caps(1_000_000), pid: 9 });
    await dead.createJob({ id: 'd-waiting', kind: 'llm', model: 'deepseek-chat', request: null });
    await dead.updateJob('d-waiting', { result: { scheduled_for: '2026-12-03T16:30:00.000Z' } });
    await dead.createJob({ id: 'd-queued', kind: 'llm', model: 'deepseek-chat', request: null });
    await me.reclaimOrphans(() => false);
    const waiting = await me.getJob('d-waiting');
    assert.equal(waiting?.status, 'failed');
    assert.match(waiting?.error ?? '', /pid 7\) exited before its start time.*nothing was spent: submit it again/);
    assert.match((await me.getJob('d-queued'))?.error ?? '', /pid 7\) exited before it finished/);
    await Promise.all([dead.close(), me.close()]);
  });

  it('rejects calls after close', async () => {
    const l = await openLedger(path.join(tmp.dir, 'ledger.sqlite'), { caps: caps(100) });
    await l.close();
    await assert.rejects(l.getJob('x'), /ledger is closed/);
  });
});
