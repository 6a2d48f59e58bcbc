import assert from 'node:assert/strict';
import os from 'node:os';
import path from 'node:path';
import { identityOf } from '../../../src/ledger/identity';
import { openLedger, openMemoryLedger, type HostLedger } from '../../../src/ledger/sqlite-ledger';
import { caps, fakeClock, queryLedgerFile, spend, tempDir } from './helpers';

const ana = { member: 'ana@box', machine: 'box' };
const bo = { member: 'bo@lap', machine: 'lap' };

describe('sqlite ledger attribution (members)', () => {
  let tmp: ReturnType<typeof tempDir>;
  let file: string;
  let a: HostLedger;
  let b: HostLedger;
  const clock = fakeClock('2025-06-15T12:00:00.000Z');
  beforeEach(async () => {
    tmp = tempDir();
    file = path.join(tmp.dir, 'ledger.sqlite');
    a = await openLedger(file, { caps: caps(10_000_000), clock: clock.now, pid: 101, identity: ana });
    b = await openLedger(file, { caps: caps(10_000_000), clock: clock.now, pid: 202, identity: bo });
  });
  afterEach(async () => {
    await Promise.all([a.close(), b.close()]);
    tmp.cleanup();
  });

  it('records who created each job, reserved each call and settled it, as the ledger identity says', async () => {
    await a.createJob({ id: 'ja', kind: 'llm', model: 'm', request: null });
    const r = await a.reserve({ jobId: 'ja', model: 'm', micros: 1_000 });
    assert.deepEqual(await queryLedgerFile(file, 'SELECT member, machine FROM reservations'), [['ana@box', 'box']]);
    await a.settle(r.id, spend(400));
    assert.deepEqual(await queryLedgerFile(file, 'SELECT member, machine FROM model_calls'), [['ana@box', 'box']]);
    const job = await b.getJob('ja');
    assert.deepEqual([job?.member, job?.machine], ['ana@box', 'box']);
    assert.deepEqual(a.identity, ana);
  });

  it('charges an orphaned reservation to the member who reserved it, not to the process reclaiming it', async () => {
    await b.createJob({ id: 'jb', kind: 'llm', model: 'm', request: null, status: 'running' });
    await b.reserve({ jobId: 'jb', model: 'm', micros: 7_000 });
    assert.equal(await a.reclaimOrphans((pid) => pid !== 202), 1);
    assert.deepEqual(await queryLedgerFile(file, 'SELECT member, machine, status, cost_micros FROM model_calls'), [
      ['bo@lap', 'lap', 'orphaned', 7_000],
    ]);
  });

  it("gives each member their own figures inside the team's, and the month per member", async () => {
    await a.createJob({ id: 'ja', kind: 'llm', model: 'm', request: null });
    await b.createJob({ id: 'jb', kind: 'llm', model: 'm', request: null });
    await a.settle((await a.reserve({ jobId: 'ja', model: 'm', micros: 1_000_000 })).id, spend(250_000));
    await b.settle((await b.reserve({ jobId: 'jb', model: 'm', micros: 1_000_000 })).id, spend(500_000));
    await b.reserve({ jobId: 'jb', model: 'm', micros: 100_000 });
    clock.set('2025-06-16T08:00:00.000Z');
    await a.settle((await a.reserve({ jobId: 'ja', model: 'm', micros: 1_000_000 })).id, spend(30_000));
    const seenByAna = await a.spendStats();
    assert.deepEqual(
      [seenByAna.current_month, seenByAna.today, seenByAna.reserved],
      [0.78, 0.03, 0.1],
      'the team: both members',
    );
    assert.deepEqual(seenByAna.member, {
      name: 'ana@box',
      current_month: 0.28,
      today: 0.03,
      reserved: 0,
      monthly_cap: null,
      remaining: null,
    });
    assert.deepEqual(seenByAna.by_member, {
      'ana@box': { cost_usd: 0.28, calls: 2 },
      'bo@lap': { cost_usd: 0.5, calls: 1 },
    });
    assert.deepEqual((await b.spendStats()).member, {
      name: 'bo@lap',
      current_month: 0.5,
      today: 0,
      reserved: 0.1,
      monthly_cap: null,
      remaining: null,
    });
    clock.set('2025-07-01T00:00:00.000Z');
    assert.deepEqual((await a.spendStats()).by_member, {}, 'a new month starts empty');
  });

  it('lists every member with spend, held budget, jobs, last seen and machines, sorted by name', async () => {
    await b.createJob({ id: 'jb', kind: 'llm', model: 'm', request: null });
    clock.advance(1_000);
    await a.createJob({ id: 'ja1', kind: 'llm', model: 'm', request: null });
    await a.createJob({ id: 'ja2', kind: 'llm', model: 'm', request: null });
    clock.advance(1_000);
    await a.settle((await a.reserve({ jobId: 'ja1', model: 'm', micros: 9_000 })).id, spend(2_500));
    await b.reserve({ jobId: 'jb', model: 'm', micros: 4_000 });
    const laptop2 = await openMemoryLedger({ caps: caps(1), identity: { member: 'x', machine: 'y' } });
    await laptop2.close(); // another ledger: not listed
    assert.deepEqual(await a.listMembers(), [
      {
        member: 'ana@box',
        monthly_cap: null,
        current_month: 0.0025,
        reserved: 0,
        jobs: 2,
        last_seen: new Date(clock.now()).toISOString(),
        machines: ['box'],
      },
      {
        member: 'bo@lap',
        monthly_cap: null,
        current_month: 0,
        reserved: 0.004,
        jobs: 1,
        last_seen: new Date(clock.now() - 2_000).toISOString(),
        machines: ['lap'],
      },
    ]);
  });

  it('refuses a member cap on a file ledger, naming the fix, and checks the cap first', async () => {
    await assert.rejects(
      a.setMemberCap('bo@lap', 300_000),
      (err: unknown) =>
        err instanceof Error &&
        /member caps need a team ledger/.test(err.message) &&
        /OFFLOAD_LEDGER=postgres:\/\//.test(err.message),
    );
    await assert.rejects(a.setMemberCap('bo@lap', null), /team ledger/);
    for (const bad of [-1, 1.5, Number.NaN]) await assert.rejects(a.setMemberCap('bo@lap', bad), RangeError);
  });
});

describe('identityOf', () => {
  it('defaults to the OS user at the host name and the host name, and takes overrides', () => {
    const host = os.hostname();
    assert.deepEqual(identityOf(), { member: `${os.userInfo().username}@${host}`, machine: host });
    assert.deepEqual(identityOf('ci-bot', 'runner-3'), { member: 'ci-bot', machine: 'runner-3' });
    assert.deepEqual(identityOf('', null), identityOf());
  });
});
