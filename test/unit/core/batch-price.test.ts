import assert from 'node:assert/strict';
import { describe, it } from 'mocha';
import { batchPriceOf, type BatchGateway, type BatchPriceConfig } from '../../../src/core/batch-price';

const primary = (baseUrl: string): BatchGateway => ({ name: 'primary', baseUrl });
const fallback = (baseUrl: string): BatchGateway => ({ name: 'fallback', baseUrl });

describe('batchPriceOf', () => {
  const table: {
    name: string;
    gateway: BatchGateway;
    config?: Partial<BatchPriceConfig>;
    multiplier: number;
    source: RegExp;
  }[] = [
    {
      name: 'charges OpenAI half by default',
      gateway: primary('https://api.openai.com/v1'),
      multiplier: 0.5,
      source: /OpenAI \(platform\.openai\.com/,
    },
    { name: 'knows Together AI', gateway: primary('https://api.together.xyz/v1'), multiplier: 0.5, source: /Together/ },
    {
      name: 'knows DeepInfra (20 % off)',
      gateway: primary('https://api.deepinfra.com/v1/openai'),
      multiplier: 0.8,
      source: /DeepInfra/,
    },
    {
      name: 'knows Moonshot (60 % of list)',
      gateway: primary('https://api.moonshot.ai/v1'),
      multiplier: 0.6,
      source: /Kimi/,
    },
    {
      name: 'gives DeepSeek list price: it has no Batch API',
      gateway: primary('https://api.deepseek.com'),
      multiplier: 1,
      source: /no Batch API/,
    },
    {
      name: 'charges an unknown gateway list price (fail closed)',
      gateway: primary('http://oneapi.internal:3000/v1'),
      multiplier: 1,
      source: /list price: no batch discount known for oneapi\.internal/,
    },
    {
      name: 'matches the host case-insensitively',
      gateway: primary('https://API.OpenAI.com/v1'),
      multiplier: 0.5,
      source: /OpenAI/,
    },
    {
      name: 'takes a configured host over the known default',
      gateway: primary('https://api.openai.com/v1'),
      config: { batchPriceMultipliers: { 'api.openai.com': 0.4 } },
      multiplier: 0.4,
      source: /BATCH_PRICE_MULTIPLIERS\["api\.openai\.com"\]/,
    },
    {
      name: 'takes a configured gateway name over its host',
      gateway: primary('https://api.openai.com/v1'),
      config: { batchPriceMultipliers: { 'api.openai.com': 0.4, primary: 0.3 } },
      multiplier: 0.3,
      source: /BATCH_PRICE_MULTIPLIERS\.primary/,
    },
    {
      name: 'honours the older BATCH_PRICE_MULTIPLIER for the primary',
      gateway: primary('http://127.0.0.1:8080/v1'),
      config: { batchPriceMultiplier: 0.25 },
      multiplier: 0.25,
      source: /^BATCH_PRICE_MULTIPLIER$/,
    },
    {
      name: 'lets the older BATCH_PRICE_MULTIPLIER override the known default',
      gateway: primary('https://api.openai.com/v1'),
      config: { batchPriceMultiplier: 0.7 },
      multiplier: 0.7,
      source: /^BATCH_PRICE_MULTIPLIER$/,
    },
    {
      name: 'puts a per-gateway entry above the older single multiplier',
      gateway: primary('https://api.openai.com/v1'),
      config: { batchPriceMultiplier: 0.7, batchPriceMultipliers: { 'api.openai.com': 0.45 } },
      multiplier: 0.45,
      source: /api\.openai\.com/,
    },
    {
      name: 'does not apply BATCH_PRICE_MULTIPLIER to the fallback',
      gateway: fallback('https://gw.example/v1'),
      config: { batchPriceMultiplier: 0.25 },
      multiplier: 1,
      source: /list price/,
    },
    {
      name: 'reads the fallback by its name',
      gateway: fallback('https://gw.example/v1'),
      config: { batchPriceMultipliers: { fallback: 0.6, primary: 0.2 } },
      multiplier: 0.6,
      source: /\.fallback/,
    },
  ];
  for (const row of table)
    it(row.name, () => {
      const got = batchPriceOf(row.gateway, { batchPriceMultipliers: {}, ...row.config });
      assert.equal(got.multiplier, row.multiplier);
      assert.match(got.source, row.source);
    });
});
