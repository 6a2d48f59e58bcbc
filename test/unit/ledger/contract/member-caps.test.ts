import assert from 'node:assert/strict';
import { BudgetExceededError } from '../../../../src/core/budget';
import { spend } from '../helpers';
import { BACKENDS } from './backends';
import { fixture, reserve, type Fixture } from './shared';

for (const backend of BACKENDS) {
  describe(`ledger contract (${backend.name}): member caps`, () => {
    let f: Fixture;
    beforeEach(async () => {
      f = await fixture(backend);
    });
    afterEach(() => f.store.cleanup());

    it('refuses a cap that is not an integer ≥ 0', async () => {
      await assert.rejects(f.ledger.setMemberCap('bob', -1), RangeError);
      await assert.rejects(f.ledger.setMemberCap('bob', 0.5), RangeError);
    });

    if (backend.name === 'sqljs') {
      it('throws naming the fix: member caps need a team ledger', async () => {
        await assert.rejects(
          f.ledger.setMemberCap('bob', 100),
          /member caps need a team ledger: set OFFLOAD_LEDGER=postgres:\/\//,
        );
      });
      return;
    }

    it("refuses only that member past their cap, naming the scope, while the team's other members go on", async () => {
      const bob = await f.open({ identity: { member: 'bob', machine: 'laptop-b' } });
      await f.ledger.setMemberCap('bob', 300_000);
      const r = await reserve(bob, 200_000);
      await bob.settle(r.id, spend(150_000));
      await reserve(bob, 100_000);
      await assert.rejects(reserve(bob, 50_001), (e: unknown) => {
        assert.ok(e instanceof BudgetExceededError);
        assert.deepEqual([e.cap, e.remainingMicros, e.capMicros], ['member', 50_000, 300_000]);
        assert.match(e.message, /^member budget exceeded: \$0\.05 of \$0\.30 remains/);
        return true;
      });
      await reserve(f.ledger, 600_000); // ann has no cap of her own
      const s = await bob.spendStats();
      assert.deepEqual([s.member.monthly_cap, s.member.remaining], [0.3, 0.05]);
      assert.equal((await bob.listMembers()).find((m) => m.member === 'bob')?.monthly_cap, 0.3);
      await f.ledger.setMemberCap('bob', null);
      await reserve(bob, 50_001);
    });

    it("enforces the team row's caps, tightened (never raised) by a member's local caps", async () => {
      const team = f.ledger as import('../../../../src/ledger/postgres/open').TeamLedger;
      await team.setTeamCaps({ monthlyMicros: 500_000, dailyMicros: null });
      assert.equal((await f.ledger.spendStats()).total_budget, 0.5, 'the local $1 does not raise the team $0.50');
      await assert.rejects(
        reserve(f.ledger, 500_001),
        (e: unknown) => e instanceof BudgetExceededError && e.cap === 'monthly',
      );
      const frugal = await f.open({
        identity: { member: 'cy', machine: 'm' },
        caps: { monthlyMicros: 200_000, dailyMicros: null },
      });
      await assert.rejects(reserve(frugal, 200_001), BudgetExceededError);
      await reserve(f.ledger, 500_000);
      assert.deepEqual(await team.teamCaps(), { monthlyMicros: 500_000, dailyMicros: null });
    });
  });
}
