import assert from 'node:assert/strict';
import { calcPrice } from '@pydantic/genai-prices';
import fc from 'fast-check';
import { usdToMicros } from '../../../src/core/money';
import { PriceBook, UnknownPriceError } from '../../../src/core/pricing';

const usage = (input_tokens: number, output_tokens: number, cache_read_tokens = 0) => ({
  input_tokens,
  output_tokens,
  cache_read_tokens,
});
const utc = (hh: number, mm = 0) => new Date(Date.UTC(2025, 5, 2, hh, mm));

describe('PriceBook', () => {
  const book = new PriceBook();

  describe('cost', () => {
    const table: Array<[string, ReturnType<typeof usage>, number, string]> = [
      // model, usage, µUSD, how (USD per million tokens from the bundled table)
      ['gpt-4o-mini', usage(1000, 100), 210, '1000×0.15 + 100×0.6'],
      ['gpt-4o-mini', usage(500, 100, 500), 173, '500×0.15 + 500×0.075 + 100×0.6 = 172.5, rounded'],
      ['gpt-4o', usage(1000, 100), 3500, '1000×2.5 + 100×10'],
      ['o1-mini', usage(1000, 100), 1540, '1000×1.1 + 100×4.4'],
      ['gpt-3.5-turbo', usage(0, 0, 1000), 500, 'no cached price: cache reads at the input price 0.5'],
      ['gpt-4o-mini', usage(0, 0), 0, 'nothing used, nothing charged'],
    ];
    for (const [model, u, micros, how] of table) {
      it(`charges ${model} ${JSON.stringify(u)} ${micros} µUSD (${how})`, () =>
        assert.equal(book.cost(model, u), micros));
    }

    it('counts cached tokens once, at the cached price', () => {
      const allCached = book.cost('gpt-4o-mini', usage(0, 0, 1_000_000));
      const allFresh = book.cost('gpt-4o-mini', usage(1_000_000, 0, 0));
      assert.equal(allCached, 75_000);
      assert.equal(allFresh, 150_000);
    });

    it('prices DeepSeek at its peak and off-peak rates by time of day (UTC)', () => {
      const u = usage(1_000_000, 1_000_000);
      assert.equal(book.cost('deepseek-chat', u, utc(12)), 1_370_000);
      assert.equal(book.cost('deepseek-chat', u, utc(20)), 685_000);
    });

    it('uses an override before the table, cache reads at its cached price', () => {
      const custom = new PriceBook({
        'gpt-4o-mini': { input_mtok: 1, output_mtok: 2, cache_read_mtok: 0.5 },
        'my-model': { input_mtok: 1, output_mtok: 2 },
      });
      assert.equal(custom.cost('gpt-4o-mini', usage(1000, 1000, 1000)), 1000 + 2000 + 500);
      assert.equal(custom.cost('my-model', usage(0, 0, 1000)), 1000);
      assert.equal(custom.has('my-model'), true);
    });

    it('throws UnknownPriceError naming the model and how to add a price', () => {
      assert.throws(
        () => book.cost('acme-unknown-7b', usage(1, 1)),
        (err: unknown) => {
          assert.ok(err instanceof UnknownPriceError);
          assert.equal(err.model, 'acme-unknown-7b');
          assert.match(err.message, /acme-unknown-7b/);
          assert.match(err.message, /OFFLOAD_PRICES=.*offload\.prices/);
          return true;
        },
      );
    });

    it('does not take Object.prototype members for overrides', () => {
      assert.throws(() => book.cost('constructor', usage(1, 1)), UnknownPriceError);
      assert.equal(book.has('toString'), false);
    });

    it('rejects negative or non-finite token counts', () => {
      assert.throws(() => book.cost('gpt-4o-mini', usage(-1, 0)), /input_tokens must be a finite token count/);
      assert.throws(() => book.worstCase('gpt-4o-mini', 10, NaN), /maxOutputTokens/);
    });
  });

  describe('worstCase', () => {
    it('prices every input token uncached and every allowed output token, rounded up', () => {
      assert.equal(book.worstCase('gpt-4o-mini', 1000, 100), 210);
      assert.equal(book.worstCase('gpt-4o-mini', 1, 1), 1); // 0.75 µUSD rounds up, never down
    });

    it('is never below the real cost of any usage within its bounds', () => {
      const cases = [usage(1000, 100), usage(400, 100, 600), usage(0, 100, 1000), usage(1000, 0)];
      for (const model of ['gpt-4o-mini', 'gpt-4o', 'deepseek-chat']) {
        for (const u of cases) {
          for (const hour of [0, 8, 16, 23]) {
            assert.ok(
              book.worstCase(model, 1000, 100, utc(hour)) >= book.cost(model, u, utc(hour)),
              `${model} ${JSON.stringify(u)} ${hour}h`,
            );
          }
        }
      }
    });

    const deepseek: Array<[string, Date, number]> = [
      ['in the peak window', utc(12), 1_370_000],
      ['off-peak, just before peak starts at 00:30 UTC', utc(0, 20), 1_370_000],
      ['off-peak in the evening (peak returns within 24 h)', utc(20), 1_370_000],
    ];
    for (const [when, at, micros] of deepseek) {
      it(`reserves DeepSeek at the peak rate when reserved ${when}`, () => {
        assert.equal(book.worstCase('deepseek-chat', 1_000_000, 1_000_000, at), micros);
      });
    }

    it('covers a settle priced after the off-peak window ended', () => {
      const reserved = book.worstCase('deepseek-chat', 1000, 1000, utc(0, 29));
      const settled = book.cost('deepseek-chat', usage(1000, 1000), utc(0, 31));
      assert.ok(reserved >= settled, `${reserved} ≥ ${settled}`);
      assert.equal(settled, 1370);
    });

    it('uses an override, at the higher of its input and cached prices', () => {
      const custom = new PriceBook({ odd: { input_mtok: 1, output_mtok: 2, cache_read_mtok: 3 } });
      assert.equal(custom.worstCase('odd', 1000, 1000), 3000 + 2000);
    });

    it('prices exactly as a fresh genai-prices lookup, also on a book that has priced these models before (property)', () => {
      // Guards any caching of lookups in the book (tried: remembering each model's provider; not reliably faster, not kept).
      const models = [
        'deepseek-chat',
        'deepseek-reasoner',
        'gpt-4o-mini',
        'gpt-4.1',
        'claude-sonnet-4-5',
        'gemini-2.5-flash',
        'o3-mini',
      ];
      const warm = new PriceBook();
      for (const m of models) warm.has(m);
      const tokens = fc.nat(300_000);
      const at = fc.integer({ min: Date.UTC(2025, 0, 1), max: Date.UTC(2026, 11, 31) }).map((t) => new Date(t));
      fc.assert(
        fc.property(fc.constantFrom(...models), tokens, tokens, tokens, at, (model, input, output, cached, when) => {
          const direct = calcPrice(
            { input_tokens: input + cached, cache_read_tokens: cached, output_tokens: output },
            model,
            { timestamp: when },
          );
          if (!direct)
            return assert.throws(() => warm.cost(model, usage(input, output, cached), when), UnknownPriceError);
          assert.equal(warm.cost(model, usage(input, output, cached), when), usdToMicros(direct.total_price));
        }),
        { numRuns: 400 },
      );
    });

    it('throws UnknownPriceError for an unknown model', () => {
      assert.throws(() => book.worstCase('acme-unknown-7b', 1, 1), UnknownPriceError);
      assert.equal(book.has('acme-unknown-7b'), false);
      assert.equal(book.has('gpt-4o-mini'), true);
    });
  });
});
