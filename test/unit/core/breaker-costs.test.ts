import assert from 'node:assert/strict';
import { breakerReport } from '../../../src/core/breaker-report';
import { costsWindow, costTrip, parseCostsPage, ProviderCostError } from '../../../src/core/provider-costs';
import { thresholdsCrossed } from '../../../src/core/thresholds';

const bucket = (...values: number[]) => ({
  object: 'bucket',
  start_time: 0,
  end_time: 0,
  results: values.map((value) => ({ amount: { value, currency: 'usd' } })),
});

describe('provider cost rules and thresholds (core)', () => {
  it('asks for yesterday and today in UTC, daily buckets, in Unix seconds', () => {
    const w = costsWindow(Date.parse('2025-06-15T12:34:56.000Z'));
    assert.deepEqual(w.query, {
      start_time: String(Date.parse('2025-06-14T00:00:00Z') / 1000),
      end_time: String(Date.parse('2025-06-16T00:00:00Z') / 1000),
      bucket_width: '1d',
      limit: '7',
    });
  });

  it('sums every result of every bucket in µUSD, and follows next_page only when has_more', () => {
    assert.deepEqual(parseCostsPage({ data: [bucket(0.06, 0.0001), bucket(1.5)], has_more: false, next_page: 'x' }), {
      totalMicros: 1_560_100,
      buckets: 2,
      nextPage: null,
    });
    assert.equal(parseCostsPage({ data: [], has_more: true, next_page: 'p2' }).nextPage, 'p2');
  });

  const malformed: Array<[string, unknown]> = [
    ['no data array', { object: 'page' }],
    ['a bucket without results', { data: [{ start_time: 1 }] }],
    ['a non-numeric amount', { data: [{ results: [{ amount: { value: 'lots', currency: 'usd' } }] }] }],
    ['a negative amount', { data: [bucket(-1)] }],
    ['another currency', { data: [{ results: [{ amount: { value: 1, currency: 'eur' } }] }] }],
    ['null', null],
  ];
  for (const [name, body] of malformed) {
    it(`rejects ${name} as malformed`, () => assert.throws(() => parseCostsPage(body), ProviderCostError));
  }

  const rules: Array<[string, 'any' | 'drift', number, number, boolean]> = [
    ['any: zero cost', 'any', 0, 0, false],
    ['any: one µUSD', 'any', 1, 0, true],
    ['any: cost matched by the ledger still trips (the original breaker)', 'any', 500_000, 500_000, true],
    ['drift: provider within ledger + $1', 'drift', 1_500_000, 500_000, false],
    ['drift: provider more than $1 over the ledger', 'drift', 1_500_001, 500_000, true],
    ['drift: ledger above provider', 'drift', 0, 900_000, false],
  ];
  for (const [name, rule, provider, ledger, trips] of rules) {
    it(`${trips ? 'trips' : 'does not trip'} for ${name}`, () => {
      assert.equal(costTrip(rule, provider, ledger, 1_000_000) !== null, trips);
    });
  }

  it('reports the thresholds crossed, separately from the cap', () => {
    assert.deepEqual(thresholdsCrossed(79.99, [95, 80]), []);
    assert.deepEqual(thresholdsCrossed(80, [95, 80, 80]), [80]);
    assert.deepEqual(thresholdsCrossed(100, [80, 95]), [80, 95]);
    assert.throws(() => thresholdsCrossed(1, [0]), RangeError);
  });

  it('prints TRUE or FALSE first, then the details', () => {
    const closed = breakerReport({
      state: 'closed',
      tripped: false,
      reason: null,
      detail: null,
      since: null,
      until: null,
      reset: 'Nothing to reset',
      last_cost_poll: null,
    });
    assert.equal(closed[0], 'FALSE');
    const open = breakerReport({
      state: 'open',
      tripped: true,
      reason: 'manual',
      detail: 'by hand',
      since: '2025-06-15T12:00:00.000Z',
      until: null,
      reset: 'reset it',
      last_cost_poll: { ok: false, at: '2025-06-15T12:00:00.000Z', error: 'cost API answered HTTP 500: boom' },
    });
    assert.deepEqual(open.slice(0, 4), ['TRUE', 'state: open', 'reason: manual', 'detail: by hand']);
    assert.match(open.at(-1)!, /not checked: cost API answered HTTP 500/);
  });
});
