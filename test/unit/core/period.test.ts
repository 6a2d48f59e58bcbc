import assert from 'node:assert/strict';
import {
  dayPeriod,
  dayStart,
  monthLabel,
  monthPeriod,
  monthStart,
  nextDayStart,
  nextMonthStart,
} from '../../../src/core/period';

const at = (iso: string) => Date.parse(iso);

describe('period', () => {
  const months: Array<[string, string, string, string]> = [
    ['2025-06-15T12:34:56.789Z', '2025-06-01T00:00:00.000Z', '2025-07-01T00:00:00.000Z', '2025-06'],
    ['2025-12-31T23:59:59.999Z', '2025-12-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2025-12'],
    ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z', '2026-02-01T00:00:00.000Z', '2026-01'],
    ['2024-02-29T10:00:00.000Z', '2024-02-01T00:00:00.000Z', '2024-03-01T00:00:00.000Z', '2024-02'],
  ];
  for (const [now, start, next, label] of months) {
    it(`puts ${now} in the UTC month ${label} [${start}, ${next})`, () => {
      assert.equal(monthStart(at(now)), at(start));
      assert.equal(nextMonthStart(at(now)), at(next));
      assert.deepEqual(monthPeriod(at(now)), { startMs: at(start), endMs: at(next) });
      assert.equal(monthLabel(at(now)), label);
    });
  }

  it('uses the UTC day, whatever the local time zone', () => {
    const now = at('2025-06-15T23:30:00.000Z');
    assert.equal(dayStart(now), at('2025-06-15T00:00:00.000Z'));
    assert.equal(nextDayStart(now), at('2025-06-16T00:00:00.000Z'));
    assert.deepEqual(dayPeriod(now), {
      startMs: at('2025-06-15T00:00:00.000Z'),
      endMs: at('2025-06-16T00:00:00.000Z'),
    });
  });

  it('rejects a time that is not finite', () => {
    assert.throws(() => monthStart(NaN), RangeError);
    assert.throws(() => monthLabel(Infinity), RangeError);
  });
});
