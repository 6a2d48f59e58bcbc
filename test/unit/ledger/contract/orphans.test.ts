import assert from 'node:assert/strict';
import { BACKENDS } from './backends';
import { fixture, reserve, type Fixture } from './shared';

for (const backend of BACKENDS) {
  describe(`ledger contract (${backend.name}): a process that is gone`, () => {
    let f: Fixture;
    beforeEach(async () => {
      f = await fixture(backend);
    });
    afterEach(() => f.store.cleanup());

    it('has its reservations settled orphaned at their held amount and its live jobs ended failed; others keep theirs', async () => {
      const victim = await f.open({ identity: { member: 'bob', machine: 'laptop-b' } });
      await victim.createJob({ id: 'v', kind: 'claude-code', model: 'm', request: {}, status: 'running' });
      await reserve(victim, 1234, 'v');
      const mine = await reserve(f.ledger, 500);
      await f.store.kill(victim);
      assert.equal(await f.ledger.reclaimOrphans((pid) => f.store.isAlive(pid)), 1);
      const job = await f.ledger.getJob('v');
      assert.equal(job?.status, 'failed');
      assert.equal(job?.costMicros, 1234, 'the orphaned reservation is charged at its worst case');
      assert.deepEqual(
        (await f.ledger.listReservations()).map((r) => r.id),
        [mine.id],
      );
      assert.equal((await f.ledger.spendStats()).by_model['gpt-4o-mini']?.calls, 1);
      assert.equal((await f.ledger.getJob('j1'))?.status, 'queued');
      assert.equal(await f.ledger.reclaimOrphans((pid) => f.store.isAlive(pid)), 0, 'a second sweep finds nothing');
    });

    it('ends its job at once when another process asks to cancel it', async () => {
      const victim = await f.open({ identity: { member: 'bob', machine: 'laptop-b' } });
      await victim.createJob({ id: 'v', kind: 'claude-code', model: 'm', request: {}, status: 'running' });
      await reserve(victim, 77, 'v');
      await f.store.kill(victim);
      const asked = await f.ledger.requestCancel('v');
      assert.deepEqual([asked.ownerGone, asked.job.status, asked.job.costMicros], [true, 'failed', 77]);
    });
  });
}
