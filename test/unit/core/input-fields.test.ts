import assert from 'node:assert/strict';
import {
  describeValue,
  isoInstantField,
  pathField,
  strictObject,
  textField,
  usdField,
} from '../../../src/core/input-fields';

const messages = (r: { success: boolean; error?: { issues: { message: string }[] } }) =>
  (r.error?.issues ?? []).map((i) => i.message);

describe('input fields (core)', () => {
  it('takes ISO 8601 UTC instants ending in Z and refuses anything else by name', () => {
    const field = isoInstantField('not_after');
    const table: [unknown, boolean][] = [
      ['2026-12-03T16:30:00Z', true],
      ['2026-12-03T16:30Z', true],
      ['2026-12-03T16:30:00.123Z', true],
      ['2026-12-03T16:30:00', false],
      ['2026-12-03T16:30:00+01:00', false],
      ['2026-12-03', false],
      ['2026-13-40T25:61:00Z', false],
      ['tomorrow', false],
      [1764779400000, false],
    ];
    for (const [value, ok] of table) {
      const r = field.safeParse(value);
      assert.equal(r.success, ok, JSON.stringify(value));
      if (!ok) assert.match(messages(r)[0] ?? '', /^not_after must be an ISO 8601 UTC time like/);
    }
  });

  it('describes wrong values for messages', () => {
    const table: [unknown, string][] = [
      [null, 'null'],
      [[1], 'an array'],
      [NaN, 'NaN'],
      [Infinity, 'Infinity'],
      [3, 'the number 3'],
      [{}, 'an object'],
      ['s', 'a string'],
      [true, 'a boolean'],
    ];
    for (const [v, want] of table) assert.equal(describeValue(v), want);
  });

  it('counts a text limit in UTF-8 bytes, names the field and the limit constant', () => {
    const f = textField('task', 4, 'TEXT_MAX_BYTES');
    assert.ok(f.safeParse('abcd').success);
    assert.deepEqual(messages(f.safeParse('ééé')), ['task is 6 bytes; the limit is 4 bytes (TEXT_MAX_BYTES)']);
    assert.deepEqual(messages(f.safeParse(undefined)), ['task is required (a string)']);
  });

  it('refuses a NUL byte and an over-long name in a path', () => {
    const f = pathField('cwd');
    assert.deepEqual(messages(f.safeParse('/a\0b')), ['cwd must not contain a NUL byte (\\u0000)']);
    assert.deepEqual(messages(f.safeParse(`/w/${'n'.repeat(256)}/x`)), [
      'cwd has a name of 256 bytes; a file or folder name is at most 255 bytes (NAME_MAX)',
    ]);
    assert.ok(f.safeParse(`/w/${'n'.repeat(255)}`).success);
  });

  it('bounds money: 1 µUSD to 1000 USD, finite', () => {
    const f = usdField('max_cost_usd');
    assert.ok(f.safeParse(1000).success && f.safeParse(0.000001).success);
    for (const bad of [1000.01, 1e12, 0, -1, NaN, Infinity, -Infinity])
      assert.equal(f.safeParse(bad).success, false, String(bad));
  });

  it('refuses unknown fields by name and lists the known ones', () => {
    const o = strictObject('wait', { job_id: textField('job_id', 8, 'NAME_MAX_BYTES') });
    assert.deepEqual(messages(o.safeParse({ job_id: 'a', jobId: 'a', x: 1 })), [
      'unknown field "jobId", "x" (wait takes job_id)',
    ]);
    assert.deepEqual(messages(strictObject('breaker_status', {}).safeParse({ reset: true })), [
      'unknown field "reset" (breaker_status takes no arguments)',
    ]);
    assert.deepEqual(messages(o.safeParse('a')), ['wait must be an object, got a string']);
  });
});
