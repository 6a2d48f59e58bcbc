import { strict as assert } from 'node:assert';
import fc from 'fast-check';
import { openMemoryLedger } from '../../../src/ledger/sqlite-ledger';
import { caps, fakeClock, spend } from './helpers';

const HOUR = 3_600_000;
const T0 = Date.parse('2025-06-01T00:00:00.000Z');

describe('hourly spend totals (spend_hours)', () => {
  it('give the same sum as the calls for any window, whole hours or ragged', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.array(fc.record({ at: fc.integer({ min: 0, max: 72 * HOUR }), micros: fc.integer({ min: 0, max: 5000 }) }), {
          minLength: 1,
          maxLength: 25,
        }),
        fc.array(fc.tuple(fc.integer({ min: -HOUR, max: 74 * HOUR }), fc.integer({ min: 0, max: 40 * HOUR })), {
          minLength: 1,
          maxLength: 8,
        }),
        async (calls, windows) => {
          const clock = fakeClock();
          const ledger = await openMemoryLedger({
            caps: caps(1e12),
            clock: clock.now,
            breaker: { velocityPct: 0, velocityWindowMs: HOUR, failureThreshold: 5, cooldownMs: 60_000 },
          });
          try {
            const job = await ledger.createJob({ id: 'j', kind: 'llm', model: 'gpt-4o-mini', request: {} });
            for (const c of [...calls].sort((x, y) => x.at - y.at)) {
              clock.set(new Date(T0 + c.at).toISOString());
              const r = await ledger.reserve({ jobId: job.id, model: 'gpt-4o-mini', micros: c.micros });
              await ledger.settle(r.id, spend(c.micros));
            }
            for (const [start, length] of windows) {
              const startMs = T0 + start;
              const endMs = startMs + length;
              const naive = calls
                .filter((c) => T0 + c.at >= startMs && T0 + c.at < endMs)
                .reduce((s, c) => s + c.micros, 0);
              assert.equal(await ledger.settledBetween(startMs, endMs), naive);
            }
          } finally {
            await ledger.close();
          }
        },
      ),
      { numRuns: 40 },
    );
  });
});
