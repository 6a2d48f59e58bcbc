import { deepStrictEqual, match, notStrictEqual, rejects, strictEqual } from 'node:assert/strict';
import { createLedgerMeter, type LedgerMeter } from '../../../src/adapter/ledger-meter';
import { BudgetExceededError } from '../../../src/core/budget';
import { PriceBook, UnknownPriceError } from '../../../src/core/pricing';
import { openMemoryLedger, type SqliteLedger } from '../../../src/ledger/sqlite-ledger';

// 1 USD per million input tokens, 2 per million output, 0.5 per million cache reads: 1 token = 1 / 2 / 0.5 µUSD.
const prices = new PriceBook({ 'test-model': { input_mtok: 1, output_mtok: 2, cache_read_mtok: 0.5 } });
const info = { status: 'ok', latencyMs: 12, route: 'primary' as const };

describe('createLedgerMeter', () => {
  let ledger: SqliteLedger;
  let meter: LedgerMeter;
  const job = { jobId: 'job-1', model: 'test-model' };

  beforeEach(async () => {
    ledger = await openMemoryLedger({ caps: { monthlyMicros: 10_000, dailyMicros: null }, clock: () => Date.UTC(2026, 0, 15) });
    await ledger.createJob({ id: 'job-1', kind: 'claude-code', model: 'test-model', request: {}, status: 'running' });
    meter = createLedgerMeter(ledger, prices, () => Date.UTC(2026, 0, 15));
  });
  afterEach(() => ledger.close());

  it('gives each registered job its own random 48-hex-digit key, and forgets it on unregister', () => {
    const a = meter.register(job);
    const b = meter.register(job);
    match(a, /^[0-9a-f]{48}$/);
    notStrictEqual(a, b);
    deepStrictEqual(meter.authorize(a), job);
    meter.unregister(a);
    strictEqual(meter.authorize(a), undefined);
    strictEqual(meter.authorize(''), undefined);
  });

  it('reserves the priced worst case: every input token uncached and every output token produced', async () => {
    await meter.reserve(job, 'test-model', 1000, 500);
    deepStrictEqual((await ledger.listReservations()).map((r) => r.micros), [1000 + 2 * 500]);
  });

  it('settles the real cost and frees the reservation', async () => {
    const hold = await meter.reserve(job, 'test-model', 1000, 500);
    await meter.settle(hold, 'test-model', { input_tokens: 100, output_tokens: 50, cache_read_tokens: 200 }, info);
    const stats = await ledger.spendStats(new Date(Date.UTC(2026, 0, 15)));
    strictEqual(stats.current_month, (100 + 2 * 50 + 0.5 * 200) / 1e6);
    strictEqual(stats.reservations_in_flight, 0);
  });

  it('charges the held worst case when the serving model has no price', async () => {
    const hold = await meter.reserve(job, 'test-model', 1000, 500);
    await meter.settle(hold, 'renamed-on-fallback', { input_tokens: 1, output_tokens: 1, cache_read_tokens: 0 }, { ...info, route: 'fallback' });
    strictEqual((await ledger.spendStats(new Date(Date.UTC(2026, 0, 15)))).current_month, 2000 / 1e6);
  });

  it('releases a hold without spend', async () => {
    const hold = await meter.reserve(job, 'test-model', 1000, 500);
    await meter.release(hold);
    deepStrictEqual(await ledger.listReservations(), []);
    strictEqual((await ledger.spendStats(new Date(Date.UTC(2026, 0, 15)))).current_month, 0);
  });

  it('refuses a call whose worst case passes the cap, holding nothing', async () => {
    await rejects(meter.reserve(job, 'test-model', 9000, 1000), BudgetExceededError);
    deepStrictEqual(await ledger.listReservations(), []);
  });

  it('refuses a model without a price, holding nothing', async () => {
    await rejects(meter.reserve(job, 'no-such-model-xyz', 10, 10), UnknownPriceError);
    deepStrictEqual(await ledger.listReservations(), []);
  });
});
