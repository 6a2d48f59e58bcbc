import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { BreakerOpenError, type BreakerRecord } from '../../../../src/core/breaker';
import { Client } from '../../../../src/ledger/postgres/driver';
import { openPostgresLedger, type TeamLedger } from '../../../../src/ledger/postgres/open';
import { createDatabase, dropDatabase } from '../../../support/pg-server';
import { caps } from '../helpers';

/** The team ledger across members: the breaker's reach, and leases kept alive by a running holder. */
describe('team ledger across members (PostgreSQL)', () => {
  let url: string;
  const open: TeamLedger[] = [];
  const member = (name: string, more: Parameters<typeof openPostgresLedger>[1] | object = {}) =>
    openPostgresLedger(url, {
      caps: caps(10_000_000),
      identity: { member: name, machine: `${name}-laptop` },
      ...more,
    }).then((l) => (open.push(l), l));
  beforeEach(async () => {
    url = await createDatabase();
  });
  afterEach(async () => {
    await Promise.allSettled(open.splice(0).map((l) => l.close()));
    await dropDatabase(url);
  });

  it("refuses member B's next call as soon as member A trips the breaker, and B's process hears of it within 5 s", async () => {
    const heard: Array<{ at: number; rec: BreakerRecord }> = [];
    const a = await member('ann');
    const b = await member('bob', { onBreakerChange: (rec: BreakerRecord) => heard.push({ at: Date.now(), rec }) });
    await b.createJob({ id: 'jb', kind: 'llm', model: 'm', request: null });
    const tripped = Date.now();
    await a.tripBreaker({ reason: 'manual', detail: 'ann stopped the team' });
    await assert.rejects(b.reserve({ jobId: 'jb', model: 'm', micros: 1 }), (e: unknown) => {
      assert.ok(e instanceof BreakerOpenError);
      assert.match(e.message, /ann stopped the team/);
      return true;
    });
    const refusedMs = Date.now() - tripped;
    assert.ok(refusedMs < 5_000, `refused after ${refusedMs} ms`);
    for (let i = 0; i < 50 && heard.length === 0; i++) await sleep(100);
    assert.equal(heard[0]?.rec.state, 'open');
    assert.ok(heard[0]!.at - tripped < 5_000, `heard after ${heard[0]!.at - tripped} ms`);
    await b.resetBreaker();
    for (let i = 0; i < 50 && heard.length < 2; i++) await sleep(100);
    assert.equal(heard[1]?.rec.state, 'closed', 'the reset is heard too');
    await b.reserve({ jobId: 'jb', model: 'm', micros: 1 });
  });

  it("keeps a running holder's reservations and jobs past their first lease, and sweeps them once it stops", async () => {
    const holder = await member('ann', { leaseTtlMs: 400 });
    const sweeper = await member('bob', { leaseTtlMs: 400, sweepMs: 60_000 });
    await holder.createJob({ id: 'j', kind: 'llm', model: 'm', request: null, status: 'running' });
    await holder.reserve({ jobId: 'j', model: 'm', micros: 999 });
    await sleep(1_000); // 2.5 leases: the heartbeat (every 133 ms) kept them
    assert.equal(await sweeper.reclaimOrphans(() => true), 0);
    assert.equal((await sweeper.getJob('j'))?.status, 'running');
    await holder.close();
    await sleep(600);
    assert.equal(await sweeper.reclaimOrphans(() => true), 1);
    const job = await sweeper.getJob('j');
    assert.deepEqual([job?.status, job?.costMicros], ['failed', 999]);
    assert.match(job?.error ?? '', /ann on ann-laptop.*stopped renewing its lease/);
  });

  it('lets two sweepers race over many expired reservations without settling one twice', async () => {
    const holder = await member('ann', { leaseTtlMs: 300 });
    await holder.createJob({ id: 'j', kind: 'llm', model: 'm', request: null, status: 'running' });
    for (let i = 0; i < 30; i++) await holder.reserve({ jobId: 'j', model: 'm', micros: 10 });
    await holder.close();
    await sleep(500);
    const [s1, s2] = [await member('bob', { sweepMs: 60_000 }), await member('cy', { sweepMs: 60_000 })];
    const [n1, n2] = await Promise.all([s1.reclaimOrphans(() => true), s2.reclaimOrphans(() => true)]);
    assert.equal(n1 + n2, 30);
    assert.equal((await s1.getJob('j'))?.costMicros, 300);
    assert.equal((await s1.spendStats()).by_model.m?.calls, 30);
  });

  it('keeps its leases and hears the breaker again after the server dropped its connections', async () => {
    const heard: BreakerRecord[] = [];
    const ann = await member('ann', { leaseTtlMs: 600, onBreakerChange: (rec: BreakerRecord) => heard.push(rec) });
    const bob = await member('bob', { leaseTtlMs: 600, sweepMs: 60_000 });
    await ann.createJob({ id: 'j', kind: 'llm', model: 'm', request: null, status: 'running' });
    await ann.reserve({ jobId: 'j', model: 'm', micros: 5 });
    const c = new Client({ connectionString: url });
    await c.connect();
    await c.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()',
    );
    await c.end();
    await sleep(1_500); // 2.5 leases: the beat went through the pool, then the side connection again
    assert.equal(await bob.reclaimOrphans(() => true), 0, "ann's reservation is still hers");
    await bob.tripBreaker({ reason: 'manual', detail: 'after the drop' });
    for (let i = 0; i < 50 && !heard.some((r) => r.detail === 'after the drop'); i++) await sleep(100);
    assert.ok(
      heard.some((r) => r.detail === 'after the drop'),
      'the trip was heard on the new connection',
    );
  });
});
