import { deepStrictEqual, rejects, strictEqual } from 'node:assert/strict';
import { APIError } from 'openai';
import { meteredCall, type MeteringDeps } from '../../../src/adapter/metered-call';
import type { AttemptMetrics } from '../../../src/adapter/metrics';
import { BudgetExceededError } from '../../../src/core/budget';
import { PriceBook, UnknownPriceError } from '../../../src/core/pricing';
import { openMemoryLedger, type HostLedger } from '../../../src/ledger/sqlite-ledger';

// 1 USD per million input tokens, 2 per million output, 0.5 per million cache reads: 1 token = 1 / 2 / 0.5 µUSD.
const prices = new PriceBook({ 'test-model': { input_mtok: 1, output_mtok: 2, cache_read_mtok: 0.5 } });
const JAN_15 = Date.UTC(2026, 0, 15);
const spec = { jobId: 'job-1', model: 'test-model', inputTokensBound: 1000, maxOutputTokens: 500 };

describe('meteredCall', () => {
  let ledger: HostLedger;
  let lines: AttemptMetrics[];
  let deps: MeteringDeps;

  beforeEach(async () => {
    ledger = await openMemoryLedger({ caps: { monthlyMicros: 10_000_000, dailyMicros: null }, clock: () => JAN_15 });
    await ledger.createJob({ id: 'job-1', kind: 'llm', model: 'test-model', request: {}, status: 'running' });
    lines = [];
    deps = {
      ledger,
      prices,
      clock: () => JAN_15,
      metrics: { record: (m) => void lines.push(m), flush: async () => {} },
    };
  });
  afterEach(() => ledger.close());

  const month = async () => (await ledger.spendStats(new Date(JAN_15))).current_month;

  it('reserves the priced worst case before the call, then settles the real cost, frees the reservation and writes one metrics line', async () => {
    const held: number[][] = [];
    const cost = await meteredCall(deps, spec, async (call) => {
      held.push(
        (await ledger.listReservations()).map((r) => r.micros),
        [call.micros],
      );
      return call.settle({
        model: 'test-model',
        usage: { input_tokens: 100, output_tokens: 50, cache_read_tokens: 200 },
        status: 'ok',
        route: 'primary',
      });
    });
    deepStrictEqual(held, [[1000 + 2 * 500], [2000]]);
    strictEqual(cost, 100 + 2 * 50 + 0.5 * 200);
    strictEqual(await month(), 300 / 1e6);
    deepStrictEqual(await ledger.listReservations(), []);
    deepStrictEqual(
      lines.map((l) => [l.job, l.model, l.route, l.status, l.costMicros, l.latencyMs]),
      [['job-1', 'test-model', 'primary', 'ok', 300, 0]],
    );
  });

  it('releases the reservation when the call throws before anything was sent: no spend, no metrics line', async () => {
    await rejects(
      meteredCall(deps, spec, async () => {
        throw new Error('translation failed');
      }),
      /translation failed/,
    );
    deepStrictEqual([await ledger.listReservations(), await month(), lines.length], [[], 0, 0]);
  });

  it('settles a call that failed upstream to zero tokens with its status label, and writes a line for each failed attempt', async () => {
    const err = new APIError(503, { message: 'down' }, 'down', new Headers());
    await rejects(
      meteredCall(deps, spec, async (call) => {
        call.hooks.onFailedAttempt?.({ route: 'primary', model: 'test-model', error: err, latencyMs: 7 });
        await call.fail(err);
        throw err;
      }),
      APIError,
    );
    deepStrictEqual([await ledger.listReservations(), await month()], [[], 0]);
    deepStrictEqual(
      lines.map((l) => [l.status, l.costMicros, l.latencyMs]),
      [
        ['http_503', 0, 7],
        ['http_503', 0, 0],
      ],
    );
  });

  it('charges the held worst case when the model that served the call has no price (a fallback renamed it)', async () => {
    const cost = await meteredCall(deps, spec, (call) =>
      call.settle({
        model: 'renamed-on-fallback',
        usage: { input_tokens: 1, output_tokens: 1, cache_read_tokens: 0 },
        status: 'ok',
        route: 'fallback',
      }),
    );
    deepStrictEqual([cost, await month(), lines[0]?.model], [2000, 2000 / 1e6, 'renamed-on-fallback']);
  });

  it('settles once: a second settle changes nothing and returns the first cost', async () => {
    const usage = { input_tokens: 10, output_tokens: 0, cache_read_tokens: 0 };
    const costs = await meteredCall(deps, spec, async (call) => [
      await call.settle({ model: 'test-model', usage, status: 'ok', route: 'primary' }),
      await call.settle({
        model: 'test-model',
        usage: { ...usage, output_tokens: 99 },
        status: 'ok',
        route: 'primary',
      }),
    ]);
    deepStrictEqual([costs, await month(), lines.length], [[10, 10], 10 / 1e6, 1]);
  });

  // deepseek-chat has DeepSeek's off-peak price (16:30–00:30 UTC, half the input price): 1M input tokens cost 0.27 USD at peak, 0.135 off-peak.
  const offPeak = [
    {
      name: 'peak all along',
      reserveAt: Date.UTC(2026, 0, 15, 10),
      settleAt: Date.UTC(2026, 0, 15, 11),
      held: 270_000 + 1_100_000,
      cost: 270_000,
    },
    {
      name: 'off-peak all along',
      reserveAt: Date.UTC(2026, 0, 15, 18),
      settleAt: Date.UTC(2026, 0, 15, 19),
      held: 270_000 + 1_100_000,
      cost: 135_000,
    },
    {
      name: 'reserved at peak, settled off-peak',
      reserveAt: Date.UTC(2026, 0, 15, 16, 29),
      settleAt: Date.UTC(2026, 0, 15, 16, 31),
      held: 270_000 + 1_100_000,
      cost: 135_000,
    },
  ];
  for (const c of offPeak) {
    it(`prices the reservation and the settle at the injected clock's instants (${c.name})`, async () => {
      const times = [c.reserveAt, c.reserveAt, c.settleAt]; // the worst case, the call's start, the settle
      const clocked: MeteringDeps = { ...deps, prices: new PriceBook(), clock: () => times.shift() ?? c.settleAt };
      const { held, cost } = await meteredCall(
        clocked,
        { ...spec, model: 'deepseek-chat', inputTokensBound: 1_000_000, maxOutputTokens: 1_000_000 },
        async (call) => ({
          held: call.micros,
          cost: await call.settle({
            model: 'deepseek-chat',
            usage: { input_tokens: 1_000_000, output_tokens: 0, cache_read_tokens: 0 },
            status: 'ok',
            route: 'primary',
          }),
        }),
      );
      deepStrictEqual([held, cost, lines[0]?.latencyMs], [c.held, c.cost, c.settleAt - c.reserveAt]);
    });
  }

  it('refuses a call whose worst case passes the cap before it runs, holding nothing', async () => {
    let ran = false;
    await rejects(
      meteredCall(deps, { ...spec, inputTokensBound: 20_000_000 }, async () => {
        ran = true;
      }),
      BudgetExceededError,
    );
    deepStrictEqual([ran, await ledger.listReservations()], [false, []]);
  });

  it('refuses a model without a price before it runs, holding nothing', async () => {
    await rejects(
      meteredCall(deps, { ...spec, model: 'no-such-model-xyz' }, async () => {}),
      UnknownPriceError,
    );
    deepStrictEqual(await ledger.listReservations(), []);
  });
});
