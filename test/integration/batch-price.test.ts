import assert from 'node:assert/strict';
import { setImmediate as loopTurn } from 'node:timers/promises';
import { describe, it } from 'mocha';
import type { ConfigInput } from '../../src/core/config';
import { TERMINAL_STATUSES } from '../../src/core/jobs';
import { startAppFixture, toolJson } from '../support/app-fixture';
import { fakeTimers, settleOn } from '../unit/fake-clock';

// The scripted gateway (test/support/scripted-gateway.ts) is the provider; it listens on 127.0.0.1, a host whose
// batch discount Offload does not know, so without configuration it is charged list price.
const USAGE = { prompt_tokens: 300, completion_tokens: 40 };

describe('the ledger charges a provider batch at its gateway’s configured multiplier (real app, stand-in Batch API)', () => {
  const table: { name: string; config: Partial<ConfigInput>; multiplier: number }[] = [
    {
      name: 'a BATCH_PRICE_MULTIPLIERS entry for the gateway’s host',
      config: { batchPriceMultipliers: { '127.0.0.1': 0.25 } },
      multiplier: 0.25,
    },
    {
      name: 'a BATCH_PRICE_MULTIPLIERS entry for the primary',
      config: { batchPriceMultipliers: { primary: 0.4 } },
      multiplier: 0.4,
    },
    { name: 'the older BATCH_PRICE_MULTIPLIER', config: { batchPriceMultiplier: 0.3 }, multiplier: 0.3 },
    { name: 'nothing: an unknown gateway pays list price', config: {}, multiplier: 1 },
  ];
  for (const row of table)
    it(`${row.name} → ${row.multiplier} of list price, reserved and settled`, async () => {
      const clock = fakeTimers(Date.parse('2026-12-03T10:00:00Z'));
      const fx = await startAppFixture(() => ({ text: 'ok', usage: USAGE }), row.config, { timers: clock });
      try {
        const queued = toolJson(
          await fx.client.callTool({
            name: 'queue_batch',
            arguments: { mode: 'batch', jobs: [{ agent: 'mini-worker', task: 'say one' }] },
          }),
        );
        const id: string = queued.jobs[0].job_id;
        const [held] = await fx.app.ledger.listReservations();
        assert.ok(held, 'the item is reserved before the batch is sent');
        await settleOn(
          clock,
          (async () => {
            while (!TERMINAL_STATUSES.has((await fx.app.ledger.getJob(id))!.status)) await loopTurn();
          })(),
        );
        const list = fx.app.prices.cost(
          'gpt-4o-mini',
          { input_tokens: 300, output_tokens: 40, cache_read_tokens: 0 },
          new Date(clock.now),
        );
        const stats = await fx.app.ledger.spendStats();
        assert.equal((await fx.app.ledger.getJob(id))!.status, 'completed');
        assert.equal(stats.reserved, 0);
        assert.equal(Math.round(stats.current_month * 1e6), Math.ceil(list * row.multiplier));
        assert.ok(Math.round(stats.current_month * 1e6) <= held.micros, 'the held worst case covered the charge');
      } finally {
        await fx.close();
      }
    });
});
