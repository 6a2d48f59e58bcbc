import assert from 'node:assert/strict';
import { spend } from '../helpers';
import { BACKENDS } from './backends';
import { fixture, reserve, type Fixture } from './shared';

/** The shared interface's attribution (identity, member columns, listMembers, by_member), on every backend. */
for (const backend of BACKENDS) {
  describe(`ledger contract (${backend.name}): members and attribution`, () => {
    let f: Fixture;
    beforeEach(async () => {
      f = await fixture(backend);
    });
    afterEach(() => f.store.cleanup());

    it('records the member and machine on jobs, calls and reservations, and lists every member', async () => {
      const bob = await f.open({ identity: { member: 'bob', machine: 'ci-runner' } });
      assert.deepEqual(bob.identity, { member: 'bob', machine: 'ci-runner' });
      const job = await bob.createJob({ id: 'b1', kind: 'llm', model: 'm', request: null });
      assert.deepEqual([job.member, job.machine], ['bob', 'ci-runner']);
      const r = await reserve(bob, 300_000, 'b1');
      await bob.settle(r.id, spend(200_000));
      await reserve(bob, 50_000, 'b1');
      const a = await reserve(f.ledger, 100_000);
      await f.ledger.settle(a.id, spend(100_000));
      assert.deepEqual(await f.ledger.listMembers(), [
        {
          member: 'ann',
          monthly_cap: null,
          current_month: 0.1,
          reserved: 0,
          jobs: 1,
          last_seen: new Date(f.clock.now()).toISOString(),
          machines: ['laptop-a'],
        },
        {
          member: 'bob',
          monthly_cap: null,
          current_month: 0.2,
          reserved: 0.05,
          jobs: 1,
          last_seen: new Date(f.clock.now()).toISOString(),
          machines: ['ci-runner'],
        },
      ]);
      const s = await bob.spendStats();
      assert.deepEqual(s.by_member, { ann: { cost_usd: 0.1, calls: 1 }, bob: { cost_usd: 0.2, calls: 1 } });
      assert.deepEqual(s.member, {
        name: 'bob',
        current_month: 0.2,
        today: 0.2,
        reserved: 0.05,
        monthly_cap: null,
        remaining: null,
      });
      assert.equal(s.current_month, 0.3, 'the top-level fields are the team');
    });
  });
}
