import assert from 'node:assert/strict';
import fc from 'fast-check';
import { BudgetExceededError } from '../../../src/core/budget';
import { openMemoryLedger } from '../../../src/ledger/sqlite-ledger';
import { caps } from './helpers';

const CAP = 10_000;
const JOB_CAP = 3_000;

type Op =
  | { op: 'reserve'; job: 'a' | 'b'; micros: number }
  | { op: 'settle'; pick: number; fraction: number }
  | { op: 'release'; pick: number };

const opArb: fc.Arbitrary<Op> = fc.oneof(
  fc.record({
    op: fc.constant('reserve' as const),
    job: fc.constantFrom('a' as const, 'b' as const),
    micros: fc.integer({ min: 0, max: 4_000 }),
  }),
  fc.record({
    op: fc.constant('settle' as const),
    pick: fc.nat(),
    fraction: fc.double({ min: 0, max: 1, noNaN: true }),
  }),
  fc.record({ op: fc.constant('release' as const), pick: fc.nat() }),
);

describe('ledger admission (property)', () => {
  it('never lets settled + reserved pass the monthly cap or a job cap, for any reserve/settle/release sequence', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(opArb, { minLength: 1, maxLength: 40 }), async (ops) => {
        const ledger = await openMemoryLedger({ caps: caps(CAP), clock: () => Date.UTC(2025, 5, 15) });
        try {
          await ledger.createJob({ id: 'a', kind: 'llm', model: 'm', request: null });
          await ledger.createJob({ id: 'b', kind: 'llm', model: 'm', request: null, maxCostMicros: JOB_CAP });
          // The test keeps its own books (independent of the ledger's queries) and checks both.
          const live: Array<{ id: string; job: 'a' | 'b'; micros: number }> = [];
          const settled = { a: 0, b: 0 };
          for (const o of ops) {
            if (o.op === 'reserve') {
              try {
                const r = await ledger.reserve({ jobId: o.job, model: 'm', micros: o.micros });
                live.push({ id: r.id, job: o.job, micros: r.micros });
              } catch (err) {
                if (!(err instanceof BudgetExceededError)) throw err;
              }
            } else if (live.length > 0) {
              const [r] = live.splice(o.pick % live.length, 1);
              if (!r) continue;
              if (o.op === 'settle') {
                const cost = Math.floor(r.micros * o.fraction);
                settled[r.job] += cost;
                await ledger.settle(r.id, {
                  model: 'm',
                  costMicros: cost,
                  status: 'ok',
                  usage: { input_tokens: 1, output_tokens: 1, cache_read_tokens: 0 },
                });
              } else {
                await ledger.release(r.id);
              }
            }
            const held = (job?: 'a' | 'b') =>
              live.filter((r) => !job || r.job === job).reduce((x, r) => x + r.micros, 0);
            assert.ok(
              settled.a + settled.b + held() <= CAP,
              `settled + reserved = ${settled.a + settled.b + held()} > ${CAP}`,
            );
            assert.ok(settled.b + held('b') <= JOB_CAP, 'job b stays within its max cost');
            const s = await ledger.spendStats();
            assert.deepEqual(
              [Math.round(s.current_month * 1e6), Math.round(s.reserved * 1e6)],
              [settled.a + settled.b, held()],
            );
          }
        } finally {
          await ledger.close();
        }
      }),
      { numRuns: 60 },
    );
  });
});
