import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { cheapestStart, forecastAt, unitPrice } from '../../../src/core/off-peak';
import { PriceBook } from '../../../src/core/pricing';

const prices = new PriceBook();
const at = (iso: string) => Date.parse(iso);
// DeepSeek's table (@pydantic/genai-prices): peak 00:30–16:30 UTC, off-peak (half price for deepseek-chat) 16:30–00:30.
const CHAT_PEAK = { input_mtok: 0.27, output_mtok: 1.1 };
const CHAT_OFF = { input_mtok: 0.135, output_mtok: 0.55 };

describe('cheapestStart', () => {
  const table: { name: string; model: string; now: string; notAfter?: string; start: string }[] = [
    {
      name: 'waits from peak for the off-peak window at 16:30',
      model: 'deepseek-chat',
      now: '2026-12-03T10:00:00Z',
      start: '2026-12-03T16:30:00Z',
    },
    {
      name: 'waits one minute from 16:29',
      model: 'deepseek-chat',
      now: '2026-12-03T16:29:00Z',
      start: '2026-12-03T16:30:00Z',
    },
    {
      name: 'starts now inside the off-peak window',
      model: 'deepseek-chat',
      now: '2026-12-03T17:00:00Z',
      start: '2026-12-03T17:00:00Z',
    },
    {
      name: 'starts now at 16:30 exactly (off-peak begins)',
      model: 'deepseek-chat',
      now: '2026-12-03T16:30:00Z',
      start: '2026-12-03T16:30:00Z',
    },
    {
      name: 'starts now just after midnight, still off-peak',
      model: 'deepseek-chat',
      now: '2026-12-04T00:10:00Z',
      start: '2026-12-04T00:10:00Z',
    },
    {
      name: 'waits a whole peak from 00:30 exactly',
      model: 'deepseek-chat',
      now: '2026-12-04T00:30:00Z',
      start: '2026-12-04T16:30:00Z',
    },
    {
      name: 'starts now when the window begins after the deadline',
      model: 'deepseek-chat',
      now: '2026-12-03T10:00:00Z',
      notAfter: '2026-12-03T16:29:59Z',
      start: '2026-12-03T10:00:00Z',
    },
    {
      name: 'waits when the window begins exactly at the deadline',
      model: 'deepseek-chat',
      now: '2026-12-03T10:00:00Z',
      notAfter: '2026-12-03T16:30:00Z',
      start: '2026-12-03T16:30:00Z',
    },
    {
      name: 'looks past 24 h when the deadline allows, taking the first window',
      model: 'deepseek-chat',
      now: '2026-12-03T10:00:00Z',
      notAfter: '2026-12-06T00:00:00Z',
      start: '2026-12-03T16:30:00Z',
    },
    {
      name: 'starts now when the deadline is already past',
      model: 'deepseek-chat',
      now: '2026-12-03T10:00:00Z',
      notAfter: '2026-12-03T09:00:00Z',
      start: '2026-12-03T10:00:00Z',
    },
    {
      name: 'waits for deepseek-reasoner too',
      model: 'deepseek-reasoner',
      now: '2026-12-03T01:00:00Z',
      start: '2026-12-03T16:30:00Z',
    },
    {
      name: 'starts now for a model with one flat price',
      model: 'gpt-4o-mini',
      now: '2026-12-03T10:00:00Z',
      start: '2026-12-03T10:00:00Z',
    },
  ];
  for (const row of table) {
    it(row.name, () => {
      const pick = cheapestStart(prices, row.model, at(row.now), row.notAfter ? at(row.notAfter) : undefined);
      assert.equal(new Date(pick.startMs).toISOString(), new Date(at(row.start)).toISOString());
      assert.deepEqual(pick.priceNow, unitPrice(prices, row.model, at(row.now)));
      assert.deepEqual(pick.priceAtStart, unitPrice(prices, row.model, pick.startMs));
    });
  }

  it('returns both prices: peak now, off-peak at the start', () => {
    const pick = cheapestStart(prices, 'deepseek-chat', at('2026-12-03T10:00:00Z'));
    assert.deepEqual(pick.priceNow, CHAT_PEAK);
    assert.deepEqual(pick.priceAtStart, CHAT_OFF);
  });

  it('treats an override as one flat price (start now)', () => {
    const book = new PriceBook({ 'deepseek-chat': { input_mtok: 1, output_mtok: 2 } });
    const pick = cheapestStart(book, 'deepseek-chat', at('2026-12-03T10:00:00Z'));
    assert.equal(pick.startMs, at('2026-12-03T10:00:00Z'));
    assert.deepEqual(pick.priceAtStart, { input_mtok: 1, output_mtok: 2 });
  });

  it('throws UnknownPriceError for an unpriced model', () => {
    assert.throws(() => cheapestStart(prices, 'no-such-model', 0), { name: 'UnknownPriceError' });
  });
});

describe('forecastAt', () => {
  it('prices a call at the instant: off-peak is half of peak for deepseek-chat', () => {
    const peak = forecastAt(prices, 'deepseek-chat', 4000, 1000, at('2026-12-03T10:00:00Z'));
    const off = forecastAt(prices, 'deepseek-chat', 4000, 1000, at('2026-12-03T17:00:00Z'));
    assert.equal(peak.highMicros, 4000 * 0.27 + 1000 * 1.1);
    assert.equal(off.highMicros, peak.highMicros / 2);
    assert.equal(peak.lowMicros, 1000 * 0.27);
  });
});
