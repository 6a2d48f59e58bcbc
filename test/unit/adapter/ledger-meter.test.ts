import { deepStrictEqual, match, notStrictEqual, strictEqual } from 'node:assert/strict';
import { createLedgerMeter, type LedgerMeter } from '../../../src/adapter/ledger-meter';
import type { AttemptMetrics } from '../../../src/adapter/metrics';
import { PriceBook } from '../../../src/core/pricing';
import { openMemoryLedger, type HostLedger } from '../../../src/ledger/sqlite-ledger';

// 1 USD per million input tokens, 2 per million output: 1 token = 1 / 2 µUSD.
const prices = new PriceBook({ 'test-model': { input_mtok: 1, output_mtok: 2 } });
const JAN_15 = Date.UTC(2026, 0, 15);

describe('createLedgerMeter', () => {
  let ledger: HostLedger;
  let meter: LedgerMeter;
  const job = { jobId: 'job-1', model: 'test-model' };

  beforeEach(async () => {
    ledger = await openMemoryLedger({ caps: { monthlyMicros: 10_000, dailyMicros: null }, clock: () => JAN_15 });
    await ledger.createJob({ id: 'job-1', kind: 'claude-code', model: 'test-model', request: {}, status: 'running' });
    meter = createLedgerMeter(ledger, prices, () => JAN_15);
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

  it('meters each call to the key’s job (meteredCall): worst case held while it runs, real cost settled, a metrics line written', async () => {
    const lines: AttemptMetrics[] = [];
    const metrics = { record: (m: AttemptMetrics) => void lines.push(m), flush: async () => {} };
    const held = await meter.call(
      job,
      { model: 'test-model', inputTokensBound: 1000, maxOutputTokens: 500 },
      metrics,
      async (call) => {
        const h = (await ledger.listReservations()).map((r) => [r.jobId, r.micros]);
        await call.settle({
          model: 'test-model',
          usage: { input_tokens: 100, output_tokens: 50, cache_read_tokens: 0 },
          status: 'ok',
          route: 'primary',
        });
        return h;
      },
    );
    deepStrictEqual(held, [['job-1', 2000]]);
    strictEqual((await ledger.spendStats(new Date(JAN_15))).current_month, 200 / 1e6);
    deepStrictEqual(
      lines.map((l) => [l.job, l.costMicros]),
      [['job-1', 200]],
    );
  });
});
