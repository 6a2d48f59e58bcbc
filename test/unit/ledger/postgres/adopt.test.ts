import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { openPostgresLedger, type TeamLedger } from '../../../../src/ledger/postgres/open';
import { createDatabase, dropDatabase } from '../../../support/pg-server';
import { caps } from '../helpers';

/** A lease short enough that a ledger that stops renewing expires within a test, ms. */
const LEASE_MS = 500;
const HOUR = 3_600_000;
/** A team ledger decides by leases: the pid probe is ignored. */
const alive = () => true;

describe('team ledger: adopting waiting off-peak jobs (PostgreSQL)', () => {
  let url: string;
  const opened: TeamLedger[] = [];
  const open = async (member: string) => {
    const l = await openPostgresLedger(url, {
      caps: caps(10_000_000),
      poolSize: 3,
      leaseTtlMs: LEASE_MS,
      identity: { member, machine: `${member}-lap` },
    });
    opened.push(l);
    return l;
  };
  /** A job waiting for its off-peak start at now + startMs, with its deadline at now + notAfterMs. */
  const waiting = (l: TeamLedger, id: string, startMs: number, notAfterMs: number | null) => {
    const now = Date.now();
    const result = {
      scheduled_for: new Date(now + startMs).toISOString(),
      ...(notAfterMs === null ? {} : { schedule: { not_after: new Date(now + notAfterMs).toISOString() } }),
    };
    return l.createJob({ id, kind: 'llm', model: 'm', request: {}, result });
  };

  beforeEach(async () => {
    url = await createDatabase();
  });
  afterEach(async () => {
    await Promise.allSettled(opened.splice(0).map((l) => l.close()));
    await dropDatabase(url);
  });

  it('leaves a dead holder’s waiting jobs to adoption, which gives each to one of two racing adopters', async () => {
    const a = await open('alice');
    const ids = Array.from({ length: 12 }, (_, i) => `w${String(i).padStart(2, '0')}`);
    for (const id of ids) await waiting(a, id, HOUR, 2 * HOUR);
    await a.createJob({ id: 'plain', kind: 'llm', model: 'm', request: {} });
    const b = await open('bob');
    const c = await open('carol');
    assert.deepEqual(await b.adoptWaiting(alive, Date.now()), [], 'alice renews her leases: nothing to adopt');

    await a.close(); // her heartbeat stops; her rows stay, as a SIGKILL leaves them
    await sleep(LEASE_MS + 300);
    await b.reclaimOrphans(alive);
    assert.equal((await b.getJob('plain'))!.status, 'failed', 'a job that was not waiting ends failed');
    for (const id of ids) assert.equal((await b.getJob(id))!.status, 'queued', `${id} is left for adoption`);

    const [byB, byC] = await Promise.all([b.adoptWaiting(alive, Date.now()), c.adoptWaiting(alive, Date.now())]);
    assert.deepEqual([...byB, ...byC].sort(), ids, 'every job adopted once');
    assert.equal(new Set([...byB, ...byC]).size, ids.length, 'no job adopted twice');
    assert.deepEqual(byB, [...byB].sort(), 'oldest first');

    // the adopter now renews them: past another lease nobody adopts or sweeps them
    await sleep(LEASE_MS + 300);
    await b.reclaimOrphans(alive);
    await c.reclaimOrphans(alive);
    assert.deepEqual(await b.adoptWaiting(alive, Date.now()), []);
    assert.deepEqual(await c.adoptWaiting(alive, Date.now()), []);
    for (const id of ids) {
      const job = (await b.getJob(id))!;
      assert.equal(job.status, 'queued');
      assert.equal(job.member, 'alice', 'the job stays the submitter’s');
    }
  });

  it('ends failed a waiting job whose deadline passed, or whose deadline does not parse, and cancels one asked to', async () => {
    const a = await open('alice');
    await waiting(a, 'late', -2 * HOUR, -HOUR); // not_after an hour ago
    await waiting(a, 'start-passed', -HOUR, null); // no not_after: scheduled_for is the deadline
    await waiting(a, 'ok', HOUR, null);
    await a.createJob({ id: 'garbled', kind: 'llm', model: 'm', request: {}, result: { scheduled_for: 'soon' } });
    await waiting(a, 'to-cancel', HOUR, 2 * HOUR);
    await a.close();
    await sleep(LEASE_MS + 300);

    const b = await open('bob');
    const { job, ownerGone } = await b.requestCancel('to-cancel');
    assert.equal(ownerGone, true);
    assert.equal(job.status, 'cancelled');
    assert.match(
      job.error ?? '',
      /cancelled while waiting to start; the Offload process holding it \(alice on alice-lap\)/,
    );

    const now = Date.now();
    assert.deepEqual(await b.adoptWaiting(alive, now), ['ok']);
    for (const id of ['late', 'start-passed', 'garbled']) {
      const j = (await b.getJob(id))!;
      assert.equal(j.status, 'failed', id);
      assert.match(j.error ?? '', /alice on alice-lap, pid \d+\) stopped renewing its lease, and its deadline/);
    }
    assert.match((await b.getJob('garbled'))!.error ?? '', /deadline \(unreadable\)/);
    assert.match((await b.getJob('late'))!.error ?? '', new RegExp(`\\(${new Date(now).toISOString().slice(0, 13)}`));
    assert.deepEqual(await b.adoptWaiting(alive, Date.now()), [], 'ended jobs are not adopted later');
  });
});
