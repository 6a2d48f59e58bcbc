import assert from 'node:assert/strict';
import { assertMicros, formatUsd, isMicros, microsToUsd, usdToMicros, usdToMicrosCeil } from '../../../src/core/money';

describe('money', () => {
  const toMicros: Array<[number, number, number]> = [
    // usd, nearest, ceil
    [0, 0, 0],
    [0.9900000000000001, 990_000, 990_000],
    [0.00020999999999999998, 210, 210],
    [0.0000001, 0, 1],
    [0.0000015, 2, 2],
    [25, 25_000_000, 25_000_000],
  ];
  for (const [usd, nearest, ceil] of toMicros) {
    it(`converts ${usd} USD to ${nearest} µUSD (nearest) and ${ceil} µUSD (rounded up)`, () => {
      assert.equal(usdToMicros(usd), nearest);
      assert.equal(usdToMicrosCeil(usd), ceil);
    });
  }

  it('never returns negative zero', () => {
    assert.ok(Object.is(usdToMicros(-0), 0));
    assert.ok(Object.is(usdToMicrosCeil(-0), 0));
  });

  for (const bad of [NaN, Infinity, -0.01]) {
    it(`rejects ${bad} USD with a RangeError`, () => {
      assert.throws(() => usdToMicros(bad), RangeError);
      assert.throws(() => usdToMicrosCeil(bad), RangeError);
    });
  }

  it('converts µUSD back to USD floats for display', () => {
    assert.equal(microsToUsd(210), 0.00021);
    assert.equal(microsToUsd(25_000_000), 25);
  });

  const formats: Array<[number, string]> = [
    [0, '$0.00'],
    [19_770_000, '$19.77'],
    [210, '$0.0002'],
    [10_000, '$0.01'],
    [123_456_789, '$123.46'],
  ];
  for (const [micros, text] of formats) {
    it(`formats ${micros} µUSD as ${text}`, () => assert.equal(formatUsd(micros), text));
  }

  it('accepts only safe integers ≥ 0 as stored amounts, naming the field otherwise', () => {
    assert.equal(isMicros(0), true);
    assert.equal(isMicros(1.5), false);
    assert.equal(isMicros(-1), false);
    assert.equal(isMicros('5'), false);
    assert.throws(() => assertMicros(0.5, 'costMicros'), /costMicros must be an integer amount of µUSD/);
  });
});
