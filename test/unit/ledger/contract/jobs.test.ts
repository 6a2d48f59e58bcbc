import assert from 'node:assert/strict';
import { spend } from '../helpers';
import { BACKENDS } from './backends';
import { fixture, reserve, type Fixture } from './shared';

for (const backend of BACKENDS) {
  describe(`ledger contract (${backend.name}): jobs`, () => {
    let f: Fixture;
    beforeEach(async () => {
      f = await fixture(backend);
    });
    afterEach(() => f.store.cleanup());

    it('creates a queued job with its request, and lists newest first', async () => {
      f.clock.advance(10);
      const job = await f.ledger.createJob({
        id: 'j2',
        kind: 'claude-code',
        agent: 'mini-worker',
        model: 'm',
        request: { a: [1, 'x'] },
      });
      assert.deepEqual(
        [job.status, job.kind, job.agent, job.request, job.result, job.error, job.costMicros],
        ['queued', 'claude-code', 'mini-worker', { a: [1, 'x'] }, null, null, 0],
      );
      assert.deepEqual(
        (await f.ledger.listJobs()).map((j) => j.id),
        ['j2', 'j1'],
      );
      assert.deepEqual(
        (await f.ledger.listJobs(1)).map((j) => j.id),
        ['j2'],
      );
      assert.equal(await f.ledger.getJob('nope'), undefined);
    });

    it('rejects a duplicate job id and an invalid max cost', async () => {
      await assert.rejects(
        f.ledger.createJob({ id: 'j1', kind: 'llm', model: 'm', request: null }),
        /job j1 already exists/,
      );
      await assert.rejects(
        f.ledger.createJob({ id: 'x', kind: 'llm', model: 'm', request: null, maxCostMicros: -1 }),
        RangeError,
      );
    });

    it('updates status through legal transitions and stores the result', async () => {
      f.clock.advance(5);
      const running = await f.ledger.updateJob('j1', { status: 'running' });
      assert.deepEqual([running.status, running.updatedAt], ['running', f.clock.now()]);
      const done = await f.ledger.updateJob('j1', { status: 'completed', result: { ok: true }, model: 'other' });
      assert.deepEqual([done.status, done.result, done.model], ['completed', { ok: true }, 'other']);
      await assert.rejects(
        f.ledger.updateJob('j1', { status: 'running' }),
        /illegal job transition completed → running/,
      );
      await assert.rejects(f.ledger.updateJob('nope', { status: 'running' }), /unknown job nope/);
    });

    it('lists jobs changed since a time, by row writes and settled calls, oldest change first', async () => {
      await f.ledger.createJob({ id: 'j2', kind: 'llm', model: 'm', request: null });
      const since = f.clock.now() + 1;
      f.clock.advance(10);
      const r = await reserve(f.ledger, 100, 'j2');
      await f.ledger.settle(r.id, spend(40));
      f.clock.advance(10);
      await f.ledger.updateJob('j1', { status: 'running' });
      const changed = await f.ledger.jobsChangedSince(since);
      assert.deepEqual(
        changed.jobs.map((j) => [j.id, j.costMicros]),
        [
          ['j2', 40],
          ['j1', 0],
        ],
      );
      assert.equal(changed.latest, f.clock.now());
      assert.deepEqual(await f.ledger.jobsChangedSince(f.clock.now() + 1), { jobs: [], latest: null });
    });

    it("marks another process's job for cancelling, leaves terminal jobs alone, and lists only live marked ones", async () => {
      const other = await f.open({ identity: { member: 'bob', machine: 'laptop-b' } });
      await f.ledger.createJob({ id: 'done', kind: 'llm', model: 'm', request: null, status: 'running' });
      await f.ledger.updateJob('done', { status: 'completed' });
      const asked = await other.requestCancel('j1');
      assert.deepEqual([asked.job.status, asked.ownerGone], ['queued', false]);
      assert.equal((await other.requestCancel('done')).job.status, 'completed');
      assert.deepEqual(await f.ledger.cancelRequested(['j1', 'done']), ['j1']);
      await f.ledger.updateJob('j1', { status: 'cancelled' });
      assert.deepEqual(await f.ledger.cancelRequested(['j1']), []);
      assert.deepEqual(await f.ledger.cancelRequested([]), []);
      await assert.rejects(other.requestCancel('nope'), /unknown job nope/);
    });
  });
}
