import assert from 'node:assert/strict';
import { BreakerOpenError, DEFAULT_BREAKER_POLICY } from '../../../../src/core/breaker';
import { caps, spend } from '../helpers';
import { BACKENDS } from './backends';
import { fixture, reserve, type Fixture } from './shared';

for (const backend of BACKENDS) {
  describe(`ledger contract (${backend.name}): circuit breaker`, () => {
    let f: Fixture;
    beforeEach(async () => {
      f = await fixture(backend, { caps: caps(10_000_000), breaker: DEFAULT_BREAKER_POLICY });
    });
    afterEach(() => f.store.cleanup());

    it("refuses every ledger's reservations after a manual trip, saying why and how to reset, until reset", async () => {
      const other = await f.open({ identity: { member: 'bob', machine: 'laptop-b' } });
      await f.ledger.tripBreaker({ reason: 'manual', detail: 'stop everything' });
      await assert.rejects(
        reserve(other, 1000),
        (err: unknown) =>
          err instanceof BreakerOpenError && /stop everything/.test(err.message) && /--reset/.test(err.message),
      );
      assert.equal((await f.ledger.listReservations()).length, 0, 'nothing is held for a refused call');
      assert.equal((await other.spendStats()).breaker.reason, 'manual');
      await other.resetBreaker();
      await reserve(f.ledger, 1000);
    });

    it('opens on spend velocity when a settle brings the last hour to 20% of the monthly cap, and stays open', async () => {
      const r = await reserve(f.ledger, 2_500_000);
      await f.ledger.settle(r.id, spend(2_000_000));
      const b = await f.ledger.breakerStatus();
      assert.deepEqual([b.state, b.reason], ['open', 'velocity']);
      f.clock.advance(2 * 3_600_000);
      await assert.rejects(reserve(f.ledger, 1000), BreakerOpenError, 'velocity needs a manual reset');
      await f.ledger.resetBreaker();
      await reserve(f.ledger, 1000);
    });

    it('opens on the monthly cap reached and closes by itself on the 1st (UTC)', async () => {
      const l = await f.open({ caps: caps(1_000_000), breaker: { ...DEFAULT_BREAKER_POLICY, velocityPct: 0 } });
      const r = await reserve(l, 1_000_000);
      await l.settle(r.id, spend(1_000_000));
      assert.equal((await l.breakerStatus()).reason, 'monthly_cap');
      f.clock.set('2025-07-01T00:00:00.000Z');
      assert.equal((await l.breakerStatus()).state, 'closed');
      await reserve(l, 1);
    });

    it('goes half-open after the cooldown and admits exactly one trial call, also when two race', async () => {
      const other = await f.open({ identity: { member: 'bob', machine: 'laptop-b' } });
      await f.ledger.tripBreaker({ reason: 'upstream_failures', detail: '5 failures', until: f.clock.now() + 60_000 });
      await assert.rejects(reserve(f.ledger, 1000), BreakerOpenError);
      f.clock.advance(60_000);
      const tries = await Promise.allSettled([reserve(f.ledger, 1000), reserve(other, 1000)]);
      const trials = tries.filter((t) => t.status === 'fulfilled');
      assert.equal(trials.length, 1, 'one trial');
      const trial = (trials[0] as PromiseFulfilledResult<{ id: string }>).value;
      const b = await f.ledger.breakerStatus();
      assert.deepEqual([b.state, b.trialId], ['half-open', trial.id]);
      await assert.rejects(reserve(other, 1000), /trial call is in flight/);
      await f.ledger.release(trial.id); // the trial never reported an outcome: the next call becomes the trial
      await reserve(other, 1000);
    });

    it('lets a harder trip win, and a conditional reset of another reason changes nothing', async () => {
      await f.ledger.tripBreaker({ reason: 'manual', detail: 'by hand' });
      await f.ledger.tripBreaker({ reason: 'upstream_failures', detail: 'x', until: f.clock.now() });
      assert.equal((await f.ledger.breakerStatus()).reason, 'manual');
      await f.ledger.resetBreaker('provider_cost');
      assert.equal((await f.ledger.breakerStatus()).state, 'open');
    });
  });
}
