import assert from 'node:assert/strict';
import { DEFAULT_BREAKER_POLICY } from '../../../src/core/breaker';
import { openMemoryLedger, type HostLedger } from '../../../src/ledger/sqlite-ledger';
import { caps, fakeClock, spend } from './helpers';

const micros = (usd: number) => Math.round(usd * 1e6);
const sumMicros = (days: Array<{ cost_usd: number }>) => days.reduce((s, d) => s + micros(d.cost_usd), 0);

describe('ledger dailySpend', () => {
  let clock: ReturnType<typeof fakeClock>;
  let ledger: HostLedger;

  beforeEach(async () => {
    clock = fakeClock('2025-06-15T12:00:00.000Z');
    ledger = await openMemoryLedger({
      caps: caps(100_000_000),
      clock: clock.now,
      pid: 4242,
      breaker: { ...DEFAULT_BREAKER_POLICY, velocityPct: 0 },
    });
    await ledger.createJob({ id: 'j1', kind: 'llm', model: 'gpt-4o-mini', request: {} });
  });
  afterEach(() => ledger.close());

  /** Settles one call of `cost` µUSD at the instant `iso`. */
  async function settleAt(iso: string, cost: number): Promise<void> {
    clock.set(iso);
    const r = await ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: cost });
    await ledger.settle(r.id, spend(cost));
  }

  it('lists every UTC day of the month up to today, zeros included, oldest first', async () => {
    await settleAt('2025-06-02T08:00:00.000Z', 250_000);
    await settleAt('2025-06-02T20:00:00.000Z', 50_000);
    await settleAt('2025-06-05T00:00:00.000Z', 1_000);
    const days = await ledger.dailySpend(new Date('2025-06-05T10:00:00.000Z'));
    assert.deepEqual(days, [
      { day: '2025-06-01', cost_usd: 0 },
      { day: '2025-06-02', cost_usd: 0.3 },
      { day: '2025-06-03', cost_usd: 0 },
      { day: '2025-06-04', cost_usd: 0 },
      { day: '2025-06-05', cost_usd: 0.001 },
    ]);
  });

  it('puts a call at 23:59:59.999 UTC in its own day and month, and the days sum to current_month', async () => {
    await settleAt('2025-05-31T23:59:59.999Z', 700_000); // last ms of May
    await settleAt('2025-06-01T00:00:00.000Z', 10_000); // first ms of June
    await settleAt('2025-06-10T23:59:59.999Z', 123_457);
    await settleAt('2025-06-11T00:00:00.000Z', 3);
    const now = new Date('2025-06-11T09:00:00.000Z');
    const days = await ledger.dailySpend(now);
    assert.equal(days.length, 11);
    assert.equal(days[0]!.day, '2025-06-01');
    assert.equal(micros(days[0]!.cost_usd), 10_000);
    assert.equal(micros(days[9]!.cost_usd), 123_457);
    assert.equal(micros(days[10]!.cost_usd), 3);
    assert.equal(sumMicros(days), micros((await ledger.spendStats(now)).current_month));

    const may = await ledger.dailySpend(new Date('2025-05-31T23:59:59.999Z'));
    assert.equal(may.length, 31);
    assert.deepEqual(may[30], { day: '2025-05-31', cost_usd: 0.7 });
    assert.equal(sumMicros(may), micros((await ledger.spendStats(new Date('2025-05-31T12:00:00Z'))).current_month));
  });

  it('does not count in-flight reservations (they are reported as reserved)', async () => {
    await settleAt('2025-06-15T01:00:00.000Z', 40_000);
    await ledger.reserve({ jobId: 'j1', model: 'gpt-4o-mini', micros: 900_000 });
    const days = await ledger.dailySpend();
    assert.equal(days.length, 15);
    assert.equal(micros(days[14]!.cost_usd), 40_000);
    const stats = await ledger.spendStats();
    assert.equal(stats.reserved, 0.9);
    assert.equal(sumMicros(days), micros(stats.current_month));
  });

  it('starts a new month with one zero day, and runs to the last day holding spend if a clock was ahead', async () => {
    await settleAt('2025-06-20T10:00:00.000Z', 5_000); // another process's clock ahead of "now"
    const june = await ledger.dailySpend(new Date('2025-06-18T00:00:00.000Z'));
    assert.equal(june.length, 20);
    assert.equal(
      sumMicros(june),
      micros((await ledger.spendStats(new Date('2025-06-18T00:00:00.000Z'))).current_month),
    );
    assert.deepEqual(await ledger.dailySpend(new Date('2025-07-01T00:00:00.000Z')), [
      { day: '2025-07-01', cost_usd: 0 },
    ]);
  });
});
