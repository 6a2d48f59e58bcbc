import assert from 'node:assert/strict';
import { spend } from '../helpers';
import { BACKENDS } from './backends';
import { fixture, reserve, type Fixture } from './shared';

for (const backend of BACKENDS) {
  describe(`ledger contract (${backend.name}): settle and release`, () => {
    let f: Fixture;
    beforeEach(async () => {
      f = await fixture(backend);
    });
    afterEach(() => f.store.cleanup());

    it('replaces the reservation by a spend row with the real cost and usage', async () => {
      const r = await reserve(f.ledger, 5_000);
      f.clock.advance(1500);
      await f.ledger.settle(r.id, { ...spend(210), latencyMs: 1500, route: 'primary' });
      const job = await f.ledger.getJob('j1');
      assert.equal(job?.costMicros, 210);
      assert.deepEqual(job?.usage, { input_tokens: 1000, output_tokens: 100, cache_read_tokens: 0 });
      assert.deepEqual(await f.ledger.listReservations(), []);
      const stats = await f.ledger.spendStats();
      assert.deepEqual([stats.current_month, stats.reserved], [0.00021, 0]);
    });

    it('records a cost above what was reserved as it is', async () => {
      const r = await reserve(f.ledger, 100);
      await f.ledger.settle(r.id, spend(150));
      assert.equal((await f.ledger.getJob('j1'))?.costMicros, 150);
    });

    it('is idempotent per reservation id, also when two settles race', async () => {
      const r = await reserve(f.ledger, 5_000);
      const other = await f.open();
      await Promise.all([f.ledger.settle(r.id, spend(210)), other.settle(r.id, spend(210))]);
      await f.ledger.settle(r.id, spend(999));
      await f.ledger.release(r.id);
      assert.equal((await f.ledger.getJob('j1'))?.costMicros, 210);
      assert.equal((await f.ledger.spendStats()).by_model['gpt-4o-mini']?.calls, 1);
    });

    it('releases a reservation of a failed call without spend, idempotently, and frees its budget', async () => {
      const r = await reserve(f.ledger, 1_000_000);
      await f.ledger.release(r.id);
      await f.ledger.release(r.id);
      assert.equal((await f.ledger.getJob('j1'))?.costMicros, 0);
      await reserve(f.ledger, 1_000_000);
    });

    it('refuses to settle an unknown or released reservation, and invalid amounts', async () => {
      await assert.rejects(f.ledger.settle('missing', spend(1)), /unknown reservation missing/);
      await assert.rejects(f.ledger.settle('missing', spend(-1)), RangeError);
      const r = await reserve(f.ledger, 10);
      await f.ledger.release(r.id);
      await assert.rejects(f.ledger.settle(r.id, spend(1)), /it was released or never taken/);
      await assert.rejects(
        f.ledger.settle(r.id, { ...spend(1), usage: { input_tokens: 1.5, output_tokens: 0, cache_read_tokens: 0 } }),
        RangeError,
      );
    });

    it('reports settled spend between two times (settledBetween), µUSD', async () => {
      const a = await reserve(f.ledger, 1_000);
      await f.ledger.settle(a.id, spend(300));
      f.clock.advance(60_000);
      const b = await reserve(f.ledger, 1_000);
      await f.ledger.settle(b.id, spend(500));
      const t = f.clock.now();
      assert.equal(await f.ledger.settledBetween(t - 59_999, t + 1), 500);
      assert.equal(await f.ledger.settledBetween(t - 120_000, t + 1), 800);
    });
  });
}
