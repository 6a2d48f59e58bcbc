import { strict as assert } from 'node:assert';
import {
  CLAUDE_CODE_FIRST_REQUEST_TOKENS,
  forecastJson,
  forecastRefusal,
  forecastStart,
} from '../../../src/core/forecast';
import { PriceBook, UnknownPriceError } from '../../../src/core/pricing';

const prices = new PriceBook({ gw: { input_mtok: 1, output_mtok: 4 } });

describe('agent job forecast (core/forecast)', () => {
  it('puts a start job between its first request input floor (no output) and its cap', () => {
    const f = forecastStart(prices, 'gw', 1_000_000);
    assert.deepEqual(f, { lowMicros: CLAUDE_CODE_FIRST_REQUEST_TOKENS, highMicros: 1_000_000 });
    assert.deepEqual(forecastJson(f), { low_usd: 0.1, high_usd: 1 });
  });

  it('throws UnknownPriceError for an unpriced model', () => {
    assert.throws(() => forecastStart(prices, 'unknown-model', 1), UnknownPriceError);
  });

  const table: Array<[string, number, number | null, number, RegExp | null, number?]> = [
    ['low within cap and budget', 100, 200, 1_000, null],
    ['low equal to the cap', 200, 200, 1_000, null],
    ['low over the cap', 201, 200, 1_000, /low end \$0\.000201 exceeds its cap of \$0\.0002;.*max_cost_usd/],
    ['no cap, low within budget', 500, null, 500, null],
    [
      'low over what remains of the budget',
      501,
      null,
      500,
      /exceeds the \$0\.0005 left in this month's budget; raise MONTHLY_BUDGET/,
    ],
    ['nothing left at all', 1, 10, 0, /left in this month's budget/],
    ['low within what remains today', 300, null, 1_000, null, 300],
    [
      'low over what remains today',
      301,
      null,
      1_000,
      /exceeds the \$0\.0003 left in today's budget; raise DAILY_BUDGET/,
      300,
    ],
  ];
  for (const [name, low, cap, remaining, expected, daily] of table) {
    it(`refuses before start only when needed: ${name}`, () => {
      const why = forecastRefusal({ lowMicros: low, highMicros: cap ?? 10_000 }, cap, remaining, daily ?? null);
      if (expected) assert.match(why ?? '', expected);
      else assert.equal(why, null);
    });
  }

  it("names the member scope and the admin's fix when a member's own cap is what is left", () => {
    const why = forecastRefusal({ lowMicros: 20, highMicros: 5_000 }, null, 1, null, 'bob');
    assert.match(why ?? '', /exceeds the \$0\.000001 left this month under member bob's cap \(scope member\)/);
    assert.match(why ?? '', /team set-cap bob <usd\|none>/);
    assert.equal(forecastRefusal({ lowMicros: 1, highMicros: 5_000 }, null, 1, null, 'bob'), null);
  });
});
