import assert from 'node:assert/strict';
import path from 'node:path';
import { openLedger, type HostLedger } from '../../../src/ledger/sqlite-ledger';
import { caps, tempDir } from './helpers';

/** Two ledgers on one file, as two processes (pids 111 and 222) would open it. */
describe('ledger cancel requests (across processes)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let owner: HostLedger;
  let other: HostLedger;
  let alive: Set<number>;

  beforeEach(async () => {
    tmp = tempDir();
    alive = new Set([111, 222]);
    const file = path.join(tmp.dir, 'ledger.sqlite');
    const isAlive = (pid: number) => alive.has(pid);
    owner = await openLedger(file, { caps: caps(5_000_000), pid: 111, isAlive });
    other = await openLedger(file, { caps: caps(5_000_000), pid: 222, isAlive });
    await owner.createJob({ id: 'run', kind: 'claude-code', model: 'm', request: {}, status: 'running' });
    await owner.createJob({ id: 'queued', kind: 'claude-code', model: 'm', request: {} });
    await owner.createJob({ id: 'done', kind: 'claude-code', model: 'm', request: {}, status: 'running' });
    await owner.updateJob('done', { status: 'completed' });
  });
  afterEach(async () => {
    await owner.close();
    await other.close();
    tmp.cleanup();
  });

  it('marks a running job of another process, and its owner sees the mark', async () => {
    assert.deepEqual(await owner.cancelRequested(['run', 'queued', 'done']), []);
    const asked = await other.requestCancel('run');
    assert.deepEqual([asked.job.status, asked.ownerGone], ['running', false], 'the owner ends it, not the asker');
    assert.deepEqual(await owner.cancelRequested(['run', 'queued', 'done']), ['run']);
  });

  it('marks queued jobs too, and a second request changes nothing', async () => {
    await other.requestCancel('queued');
    await other.requestCancel('queued');
    assert.deepEqual(await owner.cancelRequested(['queued', 'run']), ['queued']);
  });

  it('leaves a terminal job as it is and never lists it', async () => {
    const asked = await other.requestCancel('done');
    assert.equal(asked.job.status, 'completed');
    assert.deepEqual(await owner.cancelRequested(['done']), []);
  });

  it('stops listing a job once it has ended', async () => {
    await other.requestCancel('run');
    await owner.updateJob('run', { status: 'cancelled', error: 'cancelled from another process' });
    assert.deepEqual(await owner.cancelRequested(['run']), []);
  });

  it('ends at once the job of a process that is gone, settling what it held', async () => {
    await owner.reserve({ jobId: 'run', model: 'm', micros: 1234 });
    alive.delete(111);
    const asked = await other.requestCancel('run');
    assert.equal(asked.ownerGone, true);
    assert.equal(asked.job.status, 'failed');
    assert.match(asked.job.error ?? '', /pid 111\) exited/);
    assert.deepEqual(await other.listReservations(), [], 'no reservation left for the job');
    assert.equal(asked.job.costMicros, 1234, 'the orphaned reservation is charged at its worst case');
  });

  it('throws naming the id for an unknown job', async () => {
    await assert.rejects(other.requestCancel('nope'), /unknown job nope/);
  });

  it('answers an empty list without reading', async () => {
    assert.deepEqual(await owner.cancelRequested([]), []);
  });
});
