import assert from 'node:assert/strict';
import { caps, spend } from '../helpers';
import { BACKENDS } from './backends';
import { fixture, reserve, type Fixture } from './shared';

for (const backend of BACKENDS) {
  describe(`ledger contract (${backend.name}): spend stats and daily spend`, () => {
    let f: Fixture;
    beforeEach(async () => {
      f = await fixture(backend, { caps: caps(10_000_000, 2_000_000), warnThresholds: [10, 50] });
    });
    afterEach(() => f.store.cleanup());

    it('fills the team fields from µUSD sums', async () => {
      await f.ledger.createJob({
        id: 'cc',
        kind: 'claude-code',
        model: 'deepseek-chat',
        request: {},
        status: 'running',
      });
      const a = await reserve(f.ledger, 600_000);
      await f.ledger.settle(a.id, spend(500_000));
      const b = await reserve(f.ledger, 800_000, 'cc');
      await f.ledger.settle(b.id, spend(700_000, 'deepseek-chat'));
      await reserve(f.ledger, 250_000);
      f.clock.set('2025-06-14T09:00:00.000Z'); // yesterday: this month, not today
      const c = await reserve(f.ledger, 200_000);
      await f.ledger.settle(c.id, spend(100_000));
      const s = await f.ledger.spendStats(new Date('2025-06-15T12:00:00.000Z'));
      assert.deepEqual(
        {
          month: s.month,
          current_month: s.current_month,
          total_budget: s.total_budget,
          remaining: s.remaining,
          percentage_used: s.percentage_used,
          today: s.today,
          daily_budget: s.daily_budget,
          reserved: s.reserved,
          in_flight: s.reservations_in_flight,
          jobs: s.jobs,
          crossed: s.thresholds_crossed,
        },
        {
          month: '2025-06',
          current_month: 1.3,
          total_budget: 10,
          remaining: 8.45,
          percentage_used: 13,
          today: 1.2,
          daily_budget: 2,
          reserved: 0.25,
          in_flight: 1,
          jobs: { total: 2, running: 1 },
          crossed: [10],
        },
      );
      assert.deepEqual(s.by_model['deepseek-chat'], {
        cost_usd: 0.7,
        calls: 1,
        input_tokens: 1000,
        output_tokens: 100,
        cache_read_tokens: 0,
      });
      assert.deepEqual(s.by_kind, { llm: { cost_usd: 0.6, jobs: 1 }, 'claude-code': { cost_usd: 0.7, jobs: 1 } });
    });

    it('sums the days of the month to current_month, zeros included, and leaves reservations out', async () => {
      f.clock.set('2025-06-02T10:00:00.000Z');
      const a = await reserve(f.ledger, 400_000);
      await f.ledger.settle(a.id, spend(300_000));
      f.clock.set('2025-06-03T23:59:59.000Z');
      const b = await reserve(f.ledger, 400_000);
      await f.ledger.settle(b.id, spend(200_000));
      await reserve(f.ledger, 100_000);
      const days = await f.ledger.dailySpend(new Date('2025-06-04T08:00:00.000Z'));
      assert.deepEqual(days, [
        { day: '2025-06-01', cost_usd: 0 },
        { day: '2025-06-02', cost_usd: 0.3 },
        { day: '2025-06-03', cost_usd: 0.2 },
        { day: '2025-06-04', cost_usd: 0 },
      ]);
    });
  });
}
