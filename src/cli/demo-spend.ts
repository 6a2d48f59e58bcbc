import { PriceBook } from '../core/pricing';
import { microsToUsd } from '../core/money';
import { usageFromOpenAI } from '../core/usage';

/** One completion the scripted gateway served, with the usage it reported (OpenAI shape). */
export interface ReportedCall {
  model: string;
  usage: {
    prompt_tokens: number;
    completion_tokens: number;
    prompt_tokens_details?: { cached_tokens?: number };
  } | null;
}

/**
 * Checks that the ledger's month spend equals what the gateway reported, priced by the same price
 * table, call by call (µUSD, rounded per call as the ledger does).
 */
export function checkDemoSpend(
  calls: readonly ReportedCall[],
  ledgerUsd: number,
  prices = new PriceBook(),
): { ok: boolean; expectedUsd: number; ledgerUsd: number; calls: number } {
  let micros = 0;
  for (const call of calls) if (call.usage) micros += prices.cost(call.model, usageFromOpenAI(call.usage));
  const expectedUsd = microsToUsd(micros);
  return { ok: Math.abs(expectedUsd - ledgerUsd) < 1e-9, expectedUsd, ledgerUsd, calls: calls.length };
}
