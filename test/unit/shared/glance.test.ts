import { strict as assert } from 'node:assert';
import { breakerGlance, budgetGlance, type SpendFigures } from '../../../src/shared/glance';
import { usd } from '../../../src/shared/usd';

const base: SpendFigures = {
  month: '2026-11',
  current_month: 5.23,
  total_budget: 25,
  remaining: 19.77,
  percentage_used: 20.92,
  today: 0.5,
  daily_budget: null,
  reserved: 0.01,
  reservations_in_flight: 1,
};

describe('budget glance', () => {
  it('shows what is left in whole cents, rounding down', () => {
    assert.equal(budgetGlance(base).text, '$19.77 left');
    assert.equal(budgetGlance({ ...base, remaining: 19.779 }).text, '$19.77 left');
    assert.equal(usd(0.019999, { floor: true }), '$0.01');
    assert.equal(usd(-3, { floor: true }), '$0.00');
  });

  it('the one money formatter: two decimals, sub-cent amounts keep their digits', () => {
    assert.equal(usd(19.771), '$19.77');
    assert.equal(usd(0), '$0.00');
    assert.equal(usd(0.01), '$0.01');
    assert.equal(usd(0.0042), '$0.0042');
    assert.equal(usd(0.000012), '$0.000012');
    assert.equal(usd(0.0049999), '$0.0050');
  });

  const levels: [number, number, string][] = [
    [20, 20, 'ok'],
    [80, 5, 'warning'],
    [94.9, 1.3, 'warning'],
    [95, 1.25, 'error'],
    [100, 0, 'error'],
  ];
  for (const [pct, remaining, level] of levels) {
    it(`is ${level} at ${pct}% used`, () =>
      assert.equal(budgetGlance({ ...base, percentage_used: pct, remaining }).level, level));
  }

  it('puts month spend, today, reserved and the cap in the tooltip', () => {
    const t = budgetGlance({ ...base, daily_budget: 2 }).tooltip;
    for (const part of ['$5.23', '$0.50 of $2.00', '$0.01 (1 call)', '$25.00', 'spent in 2026-11'])
      assert.ok(t.includes(part), part);
  });
});

describe('breaker glance', () => {
  it('shows the state, with the reason and the way to reset it when tripped', () => {
    assert.deepEqual(
      breakerGlance({ state: 'closed', reason: null, detail: null, until: null, reset: 'n/a' }).level,
      'ok',
    );
    const open = breakerGlance({
      state: 'open',
      reason: 'manual',
      detail: 'by hand',
      until: null,
      reset: 'run Reset Circuit Breaker',
    });
    assert.equal(open.text, 'Offload open');
    assert.equal(open.level, 'error');
    assert.match(open.tooltip, /manual \(by hand\)[\s\S]*Reset: run Reset Circuit Breaker/);
    assert.equal(
      breakerGlance({ state: 'half-open', reason: 'upstream_failures', detail: null, until: null, reset: 'x' }).level,
      'warning',
    );
  });
});
