import assert from 'node:assert/strict';
import {
  thresholdMessage,
  thresholdsCrossed,
  thresholdsToAnnounce,
  type ThresholdNotice,
} from '../../../src/core/thresholds';

describe('budget warning thresholds', () => {
  it('reports the thresholds a percentage has reached, sorted and deduplicated', () => {
    assert.deepEqual(thresholdsCrossed(95, [95, 80, 80]), [80, 95]);
    assert.deepEqual(thresholdsCrossed(79.99, [80, 95]), []);
  });

  it('refuses a threshold outside (0, 100]', () => {
    assert.throws(() => thresholdsCrossed(50, [0]), RangeError);
    assert.throws(() => thresholdsCrossed(50, [101]), RangeError);
  });
});

describe('which budget thresholds to announce', () => {
  const T = [80, 95];
  const cases: Array<[string, number[], number[], ThresholdNotice | null, number[]]> = [
    ['announces nothing below the first threshold', [], [], null, []],
    ['warns when the first threshold is crossed', [80], [], { threshold: 80, level: 'warning' }, [80]],
    ['does not repeat a threshold already announced this month', [80], [80], null, []],
    [
      'raises an error for the last threshold after the warning',
      [80, 95],
      [80],
      { threshold: 95, level: 'error' },
      [95],
    ],
    [
      'shows only the highest when both are crossed at once, remembering both',
      [80, 95],
      [],
      { threshold: 95, level: 'error' },
      [80, 95],
    ],
    ['stays quiet once every crossed threshold was announced', [80, 95], [95, 80], null, []],
  ];
  for (const [name, crossed, announced, notice, remember] of cases) {
    it(name, () => assert.deepEqual(thresholdsToAnnounce(T, crossed, announced), { notice, remember }));
  }

  it('treats only the highest configured threshold as an error', () => {
    assert.deepEqual(thresholdsToAnnounce([50, 80, 95], [50, 80], [50]).notice, { threshold: 80, level: 'warning' });
    assert.deepEqual(thresholdsToAnnounce([90], [90], []).notice, { threshold: 90, level: 'error' });
  });

  it('words the notification with the percent, the month, spend and cap', () => {
    assert.equal(
      thresholdMessage({ threshold: 80, level: 'warning' }, '2025-07', 20.004, 25),
      'Offload: 80% of the 2025-07 budget is spent ($20.00 of $25.00). Paid jobs are refused once the cap is reached.',
    );
  });
});
