import assert from 'node:assert/strict';
import path from 'node:path';
import type { JobRecord } from '../../../src/core/jobs';
import { openLedger, type HostLedger } from '../../../src/ledger/sqlite-ledger';
import { JobChangeFeed, POLL_LIMIT, REREAD_MS } from '../../../src/vscode/panel/change-feed';
import { caps, fakeClock, spend, tempDir } from '../ledger/helpers';

/** The panel's poll against a ledger file another process (the worker) writes. */
describe('JobChangeFeed (the panel poll of the shared ledger)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let clock: ReturnType<typeof fakeClock>;
  let worker: HostLedger;
  let panel: HostLedger;
  let feed: JobChangeFeed;
  let reads: number[];

  beforeEach(async () => {
    tmp = tempDir();
    clock = fakeClock('2025-06-15T12:00:00.000Z');
    const file = path.join(tmp.dir, 'ledger.sqlite');
    worker = await openLedger(file, { caps: caps(5_000_000), pid: 111, clock: clock.now, isAlive: () => true });
    panel = await openLedger(file, { caps: caps(5_000_000), pid: 222, clock: clock.now, isAlive: () => true });
    for (const id of ['a', 'b', 'c']) await worker.createJob({ id, kind: 'llm', model: 'gpt-4o-mini', request: {} });
    reads = [];
    feed = new JobChangeFeed((since, limit) => {
      reads.push(since);
      return panel.jobsChangedSince(since, limit);
    }, clock.now);
    clock.advance(1_000);
    feed.reset(await panel.listJobs(10_000), clock.now()); // the snapshot
  });
  afterEach(async () => {
    await worker.close();
    await panel.close();
    tmp.cleanup();
  });

  const ids = (jobs: JobRecord[]) => jobs.map((j) => j.id).sort();

  it('sends nothing when nothing changed since the snapshot', async () => {
    clock.advance(3_000);
    assert.deepEqual(await feed.poll(), []);
  });

  it('sends only the jobs the worker changed, once each', async () => {
    clock.advance(3_000);
    await worker.updateJob('b', { status: 'running' });
    await worker.createJob({ id: 'd', kind: 'llm', model: 'gpt-4o-mini', request: {} });
    const changed = await feed.poll();
    assert.deepEqual(ids(changed), ['b', 'd']);
    assert.equal(changed.find((j) => j.id === 'b')!.status, 'running');
    feed.sentJobs(changed); // the controller's flush
    clock.advance(3_000);
    assert.deepEqual(await feed.poll(), [], 'the re-read span holds them again, but the panel has these versions');
  });

  it('sends a running job again when its cost grew (a settled call), without a row write', async () => {
    await worker.updateJob('a', { status: 'running' });
    feed.sentJobs(await feed.poll());
    clock.advance(3_000);
    const r = await worker.reserve({ jobId: 'a', model: 'gpt-4o-mini', micros: 2_000 });
    await worker.settle(r.id, spend(1_200));
    const changed = await feed.poll();
    assert.deepEqual(ids(changed), ['a']);
    assert.equal(changed[0]!.costMicros, 1_200);
  });

  it('finds a change stamped before the last poll but committed after it (the re-read span)', async () => {
    clock.advance(3_000);
    const stampedAt = clock.now();
    clock.advance(2_000);
    const firstPoll = clock.now();
    assert.deepEqual(await feed.poll(), []); // nothing committed yet
    // A worker took its stamp 2 s before that poll and committed after it (it waited for the lock).
    const slowWorker = await openLedger(path.join(tmp.dir, 'ledger.sqlite'), {
      caps: caps(5_000_000),
      pid: 333,
      clock: () => stampedAt,
      isAlive: () => true,
    });
    try {
      await slowWorker.updateJob('c', { status: 'running' });
    } finally {
      await slowWorker.close();
    }
    clock.advance(3_000);
    assert.deepEqual(ids(await feed.poll()), ['c']);
    assert.equal(reads.at(-1), firstPoll - REREAD_MS);
  });

  it('pages a burst larger than POLL_LIMIT over the next polls, losing none', async () => {
    const seen = new Set<string>();
    const fake = new JobChangeFeed(
      async (since, limit) => {
        const all = Array.from(
          { length: POLL_LIMIT + 5 },
          (_, i) => ({ id: `j${i}`, updatedAt: 10_000 + i, status: 'queued', costMicros: 0 }) as JobRecord,
        );
        const jobs = all.filter((j) => j.updatedAt >= since).slice(0, limit);
        return { jobs, latest: jobs.at(-1)?.updatedAt ?? null };
      },
      () => 20_000,
    );
    const first = await fake.poll();
    assert.equal(first.length, POLL_LIMIT);
    fake.sentJobs(first);
    first.forEach((j) => seen.add(j.id));
    const second = await fake.poll();
    fake.sentJobs(second);
    second.forEach((j) => seen.add(j.id));
    assert.equal(second.length, 5);
    assert.equal(seen.size, POLL_LIMIT + 5);
  });
});
