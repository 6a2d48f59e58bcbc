import { microsToUsd, type Micros } from './money';
import type { PriceBook } from './pricing';
import { resultText } from './results';
import type { Usage } from './usage';

/**
 * The savings receipt on every terminal job result (issue 12, item 5). Bytes are UTF-8 bytes,
 * tokens are tokens, money is USD rounded to 6 decimals.
 *
 * The rule, in one place (README "Savings receipt" repeats it):
 * - `transcript_bytes`: what the delegated work produced and read. A Claude Code job: every byte
 *   of the CLI's stream-json output plus every /v1/messages request body the CLI sent through the
 *   adapter (those bodies are the context the agent re-read each turn). A run_job/analyze job: the
 *   request's messages as JSON plus the model's answer.
 * - `returned_bytes`: the bytes of the result JSON the tool returns, this receipt included.
 * - `caller_tokens_avoided`: ⌈(transcript_bytes − returned_bytes) / 4⌉, at least 0 — the calling
 *   agent would have read the transcript instead of the result; ~4 bytes per token is the usual
 *   average for English text and code under byte-level BPE tokenizers (an estimate, not a count).
 * - `upstream_input_tokens`: input + cache-read tokens the cheap model was billed for.
 * - `cost_usd`: what the job cost (settled in the ledger).
 * - `reference_cost_usd`: the job's own usage (input, cache reads, output) priced at
 *   `reference_model` (SAVINGS_REFERENCE_MODEL), as if the premium model had done the work.
 * - `saved_usd`: reference_cost_usd − cost_usd (negative when the "cheap" model costs more).
 */
export interface SavingsReceipt {
  transcript_bytes: number;
  returned_bytes: number;
  caller_tokens_avoided: number;
  upstream_input_tokens: number;
  cost_usd: number;
  reference_model: string;
  reference_cost_usd: number;
  saved_usd: number;
}

/** Bytes per token of the estimate (see SavingsReceipt). */
export const BYTES_PER_TOKEN = 4;

/** What the receipt is computed from. */
export interface ReceiptInput {
  transcriptBytes: number;
  usage: Usage;
  costMicros: Micros;
  referenceModel: string;
}

const usd6 = (micros: Micros) => Number(microsToUsd(micros).toFixed(6));
const bytesOf = (value: unknown) => Buffer.byteLength(resultText(value), 'utf8');

/**
 * The receipt for `result` (the JSON object a tool returns, without `savings`), and `result` with
 * it attached as `savings`. `returned_bytes` counts the pretty-printed JSON (as MCP tools send it)
 * with the receipt inside: it is found as a fixed point, since its own digits count too.
 * Throws UnknownPriceError when the reference model has no price, RangeError on bad token counts.
 */
export function attachReceipt<T extends object>(
  result: T,
  input: ReceiptInput,
  prices: PriceBook,
): T & { savings: SavingsReceipt } {
  const referenceMicros = prices.cost(input.referenceModel, input.usage);
  const receipt: SavingsReceipt = {
    transcript_bytes: Math.max(0, Math.round(input.transcriptBytes)),
    returned_bytes: 0,
    caller_tokens_avoided: 0,
    upstream_input_tokens: input.usage.input_tokens + input.usage.cache_read_tokens,
    cost_usd: usd6(input.costMicros),
    reference_model: input.referenceModel,
    reference_cost_usd: usd6(referenceMicros),
    saved_usd: usd6(referenceMicros - input.costMicros),
  };
  const out = { ...result, savings: receipt };
  for (let i = 0; i < 8; i++) {
    const returned = bytesOf(out);
    if (returned === receipt.returned_bytes) break;
    receipt.returned_bytes = returned;
    receipt.caller_tokens_avoided = Math.max(0, Math.ceil((receipt.transcript_bytes - returned) / BYTES_PER_TOKEN));
  }
  return out;
}

/** The bytes of a run_job/analyze transcript: its request messages as JSON plus the answer text. */
export function chatTranscriptBytes(messages: unknown, answer: string): number {
  return Buffer.byteLength(JSON.stringify(messages), 'utf8') + Buffer.byteLength(answer, 'utf8');
}
