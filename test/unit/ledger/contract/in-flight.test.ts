import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { InFlightLimitError } from '../../../../src/ledger/sqlite-ledger';
import { caps, spend } from '../helpers';
import { BACKENDS } from './backends';
import { fixture, reserve, type Fixture } from './shared';

for (const backend of BACKENDS) {
  describe(`ledger contract (${backend.name}): in-flight limit (MAX_OPENAI_CONCURRENCY)`, () => {
    let f: Fixture;
    beforeEach(async () => {
      f = await fixture(backend, { caps: caps(1e9), maxInFlight: 3, inFlightWaitMs: 20_000 });
    });
    afterEach(() => f.store.cleanup());

    it('never holds more calls in flight than the limit across two ledgers of one machine, and admits every call in the end', async () => {
      const b = await f.open();
      let inFlight = 0;
      let peak = 0;
      const call = async (l: typeof b) => {
        const r = await reserve(l, 100);
        peak = Math.max(peak, ++inFlight);
        await sleep(80); // the paid call
        inFlight--;
        await l.settle(r.id, spend(50));
      };
      await Promise.all(Array.from({ length: 16 }, (_, i) => call(i % 2 ? b : f.ledger)));
      assert.equal(peak, 3, `peak in flight ${peak}: the limit was reached and held`);
      const stats = await f.ledger.spendStats();
      assert.deepEqual([stats.current_month, stats.reservations_in_flight], [(16 * 50) / 1e6, 0]);
    });

    it('throws InFlightLimitError when no slot frees up in time, holding nothing', async () => {
      const l = await f.open({ maxInFlight: 1, inFlightWaitMs: 300 });
      await reserve(l, 100);
      await assert.rejects(reserve(l, 100), InFlightLimitError);
      assert.equal((await l.listReservations()).length, 1);
    });
  });
}
