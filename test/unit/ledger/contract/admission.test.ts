import assert from 'node:assert/strict';
import { BudgetExceededError } from '../../../../src/core/budget';
import { caps, spend } from '../helpers';
import { BACKENDS } from './backends';
import { fixture, reserve, type Fixture } from './shared';

for (const backend of BACKENDS) {
  describe(`ledger contract (${backend.name}): admission`, () => {
    let f: Fixture;
    beforeEach(async () => {
      f = await fixture(backend);
    });
    afterEach(() => f.store.cleanup());

    it('admits reservations up to the monthly cap exactly', async () => {
      await reserve(f.ledger, 600_000);
      const r = await reserve(f.ledger, 400_000);
      assert.deepEqual(
        { micros: r.micros, jobId: r.jobId, createdAt: r.createdAt },
        {
          micros: 400_000,
          jobId: 'j1',
          createdAt: f.clock.now(),
        },
      );
      assert.equal((await f.ledger.spendStats()).reserved, 1);
    });

    it('rejects a reservation past the cap, saying what remains and what was needed, and holds nothing', async () => {
      await reserve(f.ledger, 700_000);
      await assert.rejects(reserve(f.ledger, 300_001), (err: unknown) => {
        assert.ok(err instanceof BudgetExceededError);
        assert.equal(err.cap, 'monthly');
        assert.equal(err.message, 'monthly budget exceeded: $0.30 of $1.00 remains, this call needs up to $0.30');
        assert.deepEqual([err.remainingMicros, err.neededMicros], [300_000, 300_001]);
        return true;
      });
      assert.equal((await f.ledger.listReservations()).length, 1);
    });

    it('counts settled spend of this month against the cap', async () => {
      const r = await reserve(f.ledger, 900_000);
      await f.ledger.settle(r.id, spend(800_000));
      await assert.rejects(reserve(f.ledger, 200_001), BudgetExceededError);
      await reserve(f.ledger, 200_000);
    });

    it('enforces the daily cap when set, and frees it the next UTC day', async () => {
      f.ledger.setCaps(caps(1_000_000, 100_000));
      const r = await reserve(f.ledger, 100_000);
      await f.ledger.settle(r.id, spend(90_000));
      await assert.rejects(
        reserve(f.ledger, 10_001),
        (e: unknown) => e instanceof BudgetExceededError && e.cap === 'daily',
      );
      f.clock.set('2025-06-16T00:00:00.000Z');
      await reserve(f.ledger, 100_000);
    });

    it("enforces a job's max cost over its settled spend and its own reservations only", async () => {
      await f.ledger.createJob({ id: 'capped', kind: 'claude-code', model: 'm', request: {}, maxCostMicros: 50_000 });
      await reserve(f.ledger, 500_000); // another job's hold does not count
      const r = await reserve(f.ledger, 30_000, 'capped');
      await f.ledger.settle(r.id, spend(20_000, 'm'));
      await reserve(f.ledger, 20_000, 'capped');
      await assert.rejects(
        reserve(f.ledger, 10_001, 'capped'),
        (e: unknown) => e instanceof BudgetExceededError && e.cap === 'job' && e.remainingMicros === 10_000,
      );
    });

    it("does not count last month's spend after the month rolls over (UTC)", async () => {
      f.clock.set('2025-06-30T23:59:59.000Z');
      const r = await reserve(f.ledger, 1_000_000);
      await f.ledger.settle(r.id, spend(1_000_000));
      await assert.rejects(reserve(f.ledger, 1), BudgetExceededError);
      f.clock.set('2025-07-01T00:00:00.000Z');
      await reserve(f.ledger, 1_000_000);
      const stats = await f.ledger.spendStats();
      assert.deepEqual([stats.month, stats.current_month], ['2025-07', 0]);
      assert.equal((await f.ledger.spendStats(new Date('2025-06-20T00:00:00Z'))).current_month, 1);
    });

    it('refuses reservations for an unknown or finished job, and invalid amounts', async () => {
      await assert.rejects(f.ledger.reserve({ jobId: 'nope', model: 'm', micros: 1 }), /unknown job nope/);
      await f.ledger.createJob({ id: 'done', kind: 'llm', model: 'm', request: null, status: 'running' });
      await f.ledger.updateJob('done', { status: 'cancelled' });
      await assert.rejects(reserve(f.ledger, 1, 'done'), /job done is cancelled/);
      await assert.rejects(reserve(f.ledger, 1.5), RangeError);
      assert.equal((await f.ledger.listReservations()).length, 0);
    });

    it('admits exactly what fits when 40 reservations race from two ledgers', async () => {
      const other = await f.open({ identity: { member: 'bob', machine: 'laptop-b' } });
      const results = await Promise.allSettled(
        Array.from({ length: 40 }, (_, i) => reserve(i % 2 ? other : f.ledger, 30_000)),
      );
      const admitted = results.filter((r) => r.status === 'fulfilled').length;
      const refused = results.filter((r) => r.status === 'rejected' && r.reason instanceof BudgetExceededError).length;
      assert.deepEqual([admitted, refused], [33, 7], '33 × $0.03 fit under $1, the 34th does not');
      assert.equal((await f.ledger.spendStats()).reserved, 0.99);
    });
  });
}
