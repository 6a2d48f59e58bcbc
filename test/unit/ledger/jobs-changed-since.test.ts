import assert from 'node:assert/strict';
import path from 'node:path';
import { openLedger, type HostLedger } from '../../../src/ledger/sqlite-ledger';
import { caps, fakeClock, spend, tempDir } from './helpers';

/** A worker writes and the extension reads: two ledgers on one file, each with its own clock view. */
describe('ledger jobsChangedSince (a ledger file written by another process)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let clock: ReturnType<typeof fakeClock>;
  let worker: HostLedger;
  let panel: HostLedger;
  const t0 = Date.parse('2025-06-15T12:00:00.000Z');

  beforeEach(async () => {
    tmp = tempDir();
    clock = fakeClock('2025-06-15T12:00:00.000Z');
    const file = path.join(tmp.dir, 'ledger.sqlite');
    worker = await openLedger(file, { caps: caps(5_000_000), pid: 111, clock: clock.now, isAlive: () => true });
    panel = await openLedger(file, { caps: caps(5_000_000), pid: 222, clock: clock.now, isAlive: () => true });
    await worker.createJob({ id: 'old', kind: 'llm', model: 'gpt-4o-mini', request: { task: 'old' } });
    clock.advance(1_000);
    await worker.createJob({ id: 'new', kind: 'llm', model: 'gpt-4o-mini', request: { task: 'new' } });
  });
  afterEach(async () => {
    await worker.close();
    await panel.close();
    tmp.cleanup();
  });

  const ids = (r: { jobs: { id: string }[] }) => r.jobs.map((j) => j.id);

  it('returns the jobs written at or after the time, oldest change first, with the newest change as latest', async () => {
    assert.deepEqual(ids(await panel.jobsChangedSince(t0)), ['old', 'new']);
    const later = await panel.jobsChangedSince(t0 + 1);
    assert.deepEqual(ids(later), ['new']);
    assert.equal(later.latest, t0 + 1_000);
    assert.deepEqual(await panel.jobsChangedSince(t0 + 1_001), { jobs: [], latest: null });
  });

  it('sees a status change the other process wrote, and moves that job last', async () => {
    clock.advance(1_000);
    await worker.updateJob('old', { status: 'running' });
    const r = await panel.jobsChangedSince(t0 + 1);
    assert.deepEqual(ids(r), ['new', 'old']);
    assert.equal(r.jobs[1]!.status, 'running');
    assert.equal(r.latest, t0 + 2_000);
  });

  it("counts a settled model call as a change (the job's cost grew, its row did not)", async () => {
    await worker.updateJob('old', { status: 'running' }); // at t0 + 1000
    clock.advance(5_000);
    const reservation = await worker.reserve({ jobId: 'old', model: 'gpt-4o-mini', micros: 2_000 });
    await worker.settle(reservation.id, spend(1_500));
    const r = await panel.jobsChangedSince(t0 + 2_000);
    assert.deepEqual(ids(r), ['old']);
    assert.equal(r.jobs[0]!.costMicros, 1_500);
    assert.equal(r.jobs[0]!.updatedAt, t0 + 1_000, 'the row itself was not written');
    assert.equal(r.latest, t0 + 6_000);
  });

  it('is bounded by limit, keeping the oldest changes so a caller can page on from latest', async () => {
    for (let i = 0; i < 5; i++) {
      clock.advance(10);
      await worker.createJob({ id: `batch-${i}`, kind: 'llm', model: 'gpt-4o-mini', request: {} });
    }
    const first = await panel.jobsChangedSince(t0 + 1_001, 3);
    assert.deepEqual(ids(first), ['batch-0', 'batch-1', 'batch-2']);
    const rest = await panel.jobsChangedSince(first.latest! + 1, 3);
    assert.deepEqual(ids(rest), ['batch-3', 'batch-4']);
  });
});
