import assert from 'node:assert/strict';
import path from 'node:path';
import { BreakerOpenError, DEFAULT_BREAKER_POLICY } from '../../../src/core/breaker';
import { openLedger, openMemoryLedger, type HostLedger } from '../../../src/ledger/sqlite-ledger';
import { all } from '../../../src/ledger/rows';
import { caps, fakeClock, readLedgerFile, spend, tempDir } from './helpers';

const reserve = (l: HostLedger, micros = 1000, jobId = 'j1') => l.reserve({ jobId, model: 'gpt-4o-mini', micros });

describe('ledger circuit breaker', () => {
  let clock: ReturnType<typeof fakeClock>;
  let ledger: HostLedger;

  beforeEach(async () => {
    clock = fakeClock('2025-06-15T12:00:00.000Z');
    ledger = await openMemoryLedger({ caps: caps(10_000_000), clock: clock.now, pid: 4242 });
    await ledger.createJob({ id: 'j1', kind: 'llm', model: 'gpt-4o-mini', request: null });
  });
  afterEach(() => ledger.close());

  it('refuses every reservation after a manual trip, with the reason and how to reset, until reset', async () => {
    await ledger.tripBreaker({ reason: 'manual', detail: 'stop everything' });
    await assert.rejects(
      reserve(ledger),
      (err: unknown) =>
        err instanceof BreakerOpenError && /stop everything/.test(err.message) && /--reset/.test(err.message),
    );
    assert.equal((await ledger.listReservations()).length, 0, 'nothing is held for a refused call');
    await ledger.resetBreaker();
    await reserve(ledger);
  });

  it('opens on spend velocity when a settle brings the last hour to 20% of the monthly cap, and stays open', async () => {
    const r = await reserve(ledger, 2_500_000);
    await ledger.settle(r.id, spend(2_000_000));
    const b = await ledger.breakerStatus();
    assert.deepEqual([b.state, b.reason], ['open', 'velocity']);
    clock.advance(2 * 3_600_000);
    await assert.rejects(reserve(ledger), BreakerOpenError, 'velocity needs a manual reset');
    await ledger.resetBreaker();
    await reserve(ledger); // the window starts afresh at the reset
  });

  it('does not trip on velocity when the same spend is spread over more than the window', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await reserve(ledger, 600_000);
      await ledger.settle(r.id, spend(500_000));
      clock.advance(3_600_000);
    }
    assert.equal((await ledger.breakerStatus()).state, 'closed');
  });

  // The hours these calls touch hold 2.1 (≥ the 2.0 threshold: 20% of 10) either way; only the
  // spend inside the sliding hour may count.
  for (const [second, expected] of [
    ['12:09', 'open'],
    ['12:20', 'closed'],
  ] as const) {
    it(`counts only the spend inside the sliding hour: 1.5 at 11:10 and 0.6 at ${second} leave it ${expected}`, async () => {
      clock.set('2025-06-15T11:10:00.000Z');
      const a = await reserve(ledger, 1_600_000);
      await ledger.settle(a.id, spend(1_500_000));
      clock.set(`2025-06-15T${second}:00.000Z`);
      const b = await reserve(ledger, 700_000);
      await ledger.settle(b.id, spend(600_000));
      assert.equal((await ledger.breakerStatus()).state, expected);
    });
  }

  it('opens on the monthly cap reached and closes by itself on the 1st (UTC)', async () => {
    const l = await openMemoryLedger({
      caps: caps(1_000_000),
      clock: clock.now,
      breaker: { ...DEFAULT_BREAKER_POLICY, velocityPct: 0 },
    });
    await l.createJob({ id: 'j1', kind: 'llm', model: 'gpt-4o-mini', request: null });
    const r = await reserve(l, 1_000_000);
    await l.settle(r.id, spend(1_000_000));
    assert.equal((await l.breakerStatus()).reason, 'monthly_cap');
    assert.equal((await l.spendStats()).breaker.reason, 'monthly_cap');
    clock.set('2025-07-01T00:00:00.000Z');
    assert.equal((await l.breakerStatus()).state, 'closed');
    await reserve(l, 1);
    await l.close();
  });

  it('opens on the daily cap reached and closes at 00:00 UTC', async () => {
    ledger.setCaps(caps(10_000_000, 300_000));
    const r = await reserve(ledger, 300_000);
    await ledger.settle(r.id, spend(300_000));
    assert.equal((await ledger.breakerStatus()).reason, 'daily_cap');
    clock.set('2025-06-16T00:00:00.000Z');
    await reserve(ledger, 1);
  });

  it('goes half-open after the cooldown and admits exactly one trial call', async () => {
    await ledger.tripBreaker({ reason: 'upstream_failures', detail: '5 failures', until: clock.now() + 60_000 });
    await assert.rejects(reserve(ledger), BreakerOpenError);
    clock.advance(60_000);
    const trial = await reserve(ledger);
    assert.deepEqual(
      [(await ledger.breakerStatus()).state, (await ledger.breakerStatus()).trialId],
      ['half-open', trial.id],
    );
    await assert.rejects(reserve(ledger), /trial call is in flight/);
    await ledger.release(trial.id); // the trial never reported an outcome: the next call becomes the trial
    await reserve(ledger);
  });

  it('lets a harder trip win: a manual trip is not replaced by an upstream-failure trip', async () => {
    await ledger.tripBreaker({ reason: 'manual', detail: 'by hand' });
    await ledger.tripBreaker({ reason: 'upstream_failures', detail: 'x', until: clock.now() });
    assert.equal((await ledger.breakerStatus()).reason, 'manual');
    await ledger.resetBreaker('provider_cost');
    assert.equal((await ledger.breakerStatus()).state, 'open', 'a conditional reset of another reason changes nothing');
  });

  it('shares one breaker between processes through the file, and keeps its history in breaker_events', async () => {
    const tmp = tempDir();
    try {
      const file = path.join(tmp.dir, 'ledger.sqlite');
      const a = await openLedger(file, { caps: caps(10_000_000), clock: clock.now, pid: 1 });
      const b = await openLedger(file, { caps: caps(10_000_000), clock: clock.now, pid: 2 });
      await a.createJob({ id: 'j1', kind: 'llm', model: 'gpt-4o-mini', request: null });
      await a.tripBreaker({ reason: 'manual', detail: 'from window A' });
      await assert.rejects(reserve(b), /from window A/);
      await b.resetBreaker();
      await reserve(a);
      await Promise.all([a.close(), b.close()]);
      const db = await readLedgerFile(file);
      assert.deepEqual(
        all(db, 'SELECT state, reason FROM breaker_events ORDER BY id').map((r) => `${r.state}:${r.reason}`),
        ['open:manual', 'closed:null'],
      );
      db.close();
    } finally {
      tmp.cleanup();
    }
  });
});
