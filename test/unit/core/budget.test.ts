import assert from 'node:assert/strict';
import { admit, BudgetExceededError, remainingMicros, type CapUsage } from '../../../src/core/budget';

const monthly = (settledMicros: number, reservedMicros: number, limitMicros = 1_000_000): CapUsage => ({
  cap: 'monthly',
  limitMicros,
  settledMicros,
  reservedMicros,
});

describe('budget admission', () => {
  const cases: Array<[string, CapUsage[], number, 'admit' | 'monthly' | 'daily' | 'job']> = [
    ['admits a call that fills the cap exactly', [monthly(600_000, 300_000)], 100_000, 'admit'],
    ['rejects a call one µUSD past the cap', [monthly(600_000, 300_000)], 100_001, 'monthly'],
    ['counts reservations in flight against the cap', [monthly(0, 1_000_000)], 1, 'monthly'],
    ['admits a free call even at the cap', [monthly(1_000_000, 0)], 0, 'admit'],
    ['rejects when an earlier overspend left the cap negative', [monthly(1_200_000, 0)], 0, 'monthly'],
    [
      'checks every cap, reporting the first that fails',
      [
        monthly(0, 0),
        { cap: 'daily', limitMicros: 50, settledMicros: 0, reservedMicros: 0 },
        { cap: 'job', limitMicros: 10, settledMicros: 0, reservedMicros: 0 },
      ],
      60,
      'daily',
    ],
    [
      'applies the job cap alone',
      [monthly(0, 0), { cap: 'job', limitMicros: 10, settledMicros: 5, reservedMicros: 5 }],
      1,
      'job',
    ],
  ];
  for (const [name, caps, need, expected] of cases) {
    it(name, () => {
      if (expected === 'admit') return assert.doesNotThrow(() => admit(caps, need));
      assert.throws(
        () => admit(caps, need),
        (err: unknown) => err instanceof BudgetExceededError && err.cap === expected,
      );
    });
  }

  it('says what remains and what was needed, in USD and µUSD', () => {
    try {
      admit([monthly(400_000, 100_000)], 600_000);
      assert.fail('expected a rejection');
    } catch (err) {
      assert.ok(err instanceof BudgetExceededError);
      assert.equal(err.message, 'monthly budget exceeded: $0.50 of $1.00 remains, this call needs up to $0.60');
      assert.deepEqual([err.remainingMicros, err.neededMicros, err.capMicros], [500_000, 600_000, 1_000_000]);
    }
  });

  it('never reports a negative remainder', () => {
    assert.throws(() => admit([monthly(2_000_000, 0)], 1), /\$0\.00 of \$1\.00 remains/);
    assert.equal(remainingMicros(monthly(2_000_000, 0)), 0);
    assert.equal(remainingMicros(monthly(250_000, 250_000)), 500_000);
  });

  it('rejects a need that is not an integer amount of µUSD', () => {
    assert.throws(() => admit([monthly(0, 0)], 0.5), RangeError);
    assert.throws(() => admit([monthly(0, 0)], -1), RangeError);
  });
});
